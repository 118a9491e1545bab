"""Deliver the custom-resource response: once, bounded in time, within 4096 bytes, to AWS only.

CloudFormation waits (up to ``ServiceTimeout``, an hour by default) for a PUT of this body to the
pre-signed ``ResponseURL``. This module guarantees the body fits CloudFormation's 4096-byte limit
(a long ``Reason`` is shortened keeping its beginning), refuses URLs that are not CloudFormation's
S3 response buckets outside local mode, and retries a failed PUT a few times within a deadline
instead of forever.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")
_TRUNCATED = " [truncated; the full reason is in the function's log]"


@dataclass(frozen=True)
class CfnResponse:
    status: str  # "SUCCESS" | "FAILED"
    physical_resource_id: str
    stack_id: str
    request_id: str
    logical_resource_id: str
    reason: str = ""
    data: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        body = {
            "Status": self.status,
            "Reason": self.reason,
            "PhysicalResourceId": self.physical_resource_id,
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "LogicalResourceId": self.logical_resource_id,
            "NoEcho": False,
            "Data": dict(self.data),
        }
        # ASCII-escaped JSON: one character is one byte, so len() is the wire size.
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def fit(response: CfnResponse) -> bytes:
    """Encode ``response`` within ``MAX_BODY_BYTES``.

    The resolver checks ``Data`` size itself, with a precise reason; this is the last guard: data
    that does not fit turns the response into FAILED, and a long reason keeps its beginning.
    """
    body = response.encode()
    if len(body) <= MAX_BODY_BYTES:
        return body
    if response.data:
        response = replace(
            response,
            status="FAILED",
            data={},
            reason=f"The response would be {len(body)} bytes, over CloudFormation's "
            f"{MAX_BODY_BYTES}-byte limit; select fewer attributes with the Attributes property.",
        )
        body = response.encode()
    if len(body) > MAX_BODY_BYTES:
        body = _shorten_reason(response)
    return body


def _shorten_reason(response: CfnResponse) -> bytes:
    """The longest beginning of the reason that fits (escapes make bytes != characters)."""

    def encoded(keep: int) -> bytes:
        return replace(response, reason=response.reason[:keep] + _TRUNCATED).encode()

    low, high = 0, len(response.reason)
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(middle)) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    return encoded(low)


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
