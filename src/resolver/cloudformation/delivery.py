"""Send the response body to CloudFormation: once, bounded in time, and to CloudFormation only.

CloudFormation waits (up to ``ServiceTimeout``, an hour by default) for a PUT of the body to the
pre-signed ``ResponseURL``. Outside local mode only HTTPS URLs on CloudFormation's S3 response
buckets are sent to, and a failed PUT is retried a few times within a deadline instead of
forever (crhelper's sender loops endlessly).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import sys
import time
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")


class Target(Enum):
    SEND = "send"
    PRINT = "print"
    REFUSE = "refuse"


def target_for(url: str, *, local: bool) -> Target:
    """Where a response may go.

    Deployed, only HTTPS to AWS hosts (CloudFormation's S3 response buckets) is allowed. In local
    mode (``sam local invoke``, the demo, the tests) a loopback URL is sent to and anything else
    is printed instead of sent.
    """
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and _is_response_bucket(host, parts.path) and not local:
        return Target.SEND
    if local:
        return (
            Target.SEND
            if _is_loopback(host) and parts.scheme in ("http", "https")
            else Target.PRINT
        )
    return Target.REFUSE


_BUCKET_PREFIX = "cloudformation-custom-resource-response-"


def _is_response_bucket(host: str, path: str) -> bool:
    """CloudFormation's response buckets only, virtual-hosted or path style: not just any
    ``*.amazonaws.com`` host, which would include buckets and load balancers anyone can own."""
    if not host.endswith(_AWS_HOST_SUFFIXES) or ".s3" not in f".{host}":
        return False
    return host.startswith(_BUCKET_PREFIX) or path.startswith(f"/{_BUCKET_PREFIX}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SendPolicy:
    attempts: int = 3
    timeout_seconds: float = 5.0
    backoff_seconds: float = 0.5


def deliver(url: str, body: bytes, *, local: bool, policy: SendPolicy, deadline: float) -> bool:
    """PUT ``body`` to ``url`` (or print it, in local mode); ``deadline`` is ``time.monotonic()``."""
    target = target_for(url, local=local)
    if target is Target.PRINT:
        print(json.dumps(json.loads(body), indent=2), file=sys.stdout, flush=True)
        return True
    if target is Target.REFUSE:
        logger.error(
            "Refusing to send the response: the ResponseURL is not an HTTPS CloudFormation "
            "response URL on an AWS host. Set IMAGE_RESOLVER_LOCAL=true for local runs."
        )
        return False
    for attempt in range(1, policy.attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        outcome = _put(url, body, timeout=min(policy.timeout_seconds, remaining))
        if outcome is None:
            return True
        logger.warning("Response PUT failed", extra={"attempt": attempt, "error": outcome})
        if outcome.startswith("HTTP 4"):  # an expired or wrong pre-signed URL won't get better
            break
        if attempt < policy.attempts:
            time.sleep(min(policy.backoff_seconds * attempt, max(0.0, deadline - time.monotonic())))
    logger.error("Could not deliver the response to CloudFormation")
    return False


def _put(url: str, body: bytes, *, timeout: float) -> str | None:
    """One PUT; ``None`` on a 2xx answer, else a short description of what went wrong."""
    parts = urlsplit(url)
    conn_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = conn_type(parts.hostname or "", parts.port, timeout=timeout)
    try:
        # The pre-signed URL is signed for an empty Content-Type.
        conn.request(
            "PUT",
            path or "/",
            body=body,
            headers={"Content-Type": "", "Content-Length": str(len(body))},
        )
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    return None if 200 <= status < 300 else f"HTTP {status}"
