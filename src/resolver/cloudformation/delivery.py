"""Send the response body to CloudFormation: once, bounded in time, and to CloudFormation only.

CloudFormation waits (up to ``ServiceTimeout``, an hour by default) for a PUT of the body to the
pre-signed ``ResponseURL``. A deployed function sends only to CloudFormation's response bucket for
its own region and partition (a custom resource's ServiceToken is always in the stack's region),
over HTTPS on port 443, in one of S3's documented endpoint forms, where ``<suffix>`` is the DNS
suffix of the partition (``partitions``: ``amazonaws.com``, ``amazonaws.com.cn``, ``amazonaws.eu``,
``c2s.ic.gov``…) and the endpoint is one of ``s3.<suffix>``, ``s3.<region>.<suffix>``,
``s3-<region>.<suffix>`` (legacy), ``s3.dualstack.<region>.<suffix>``, ``s3-fips.<region>.<suffix>``
or ``s3-fips.dualstack.<region>.<suffix>``:

* virtual-hosted: ``cloudformation-custom-resource-response-<region without dashes>.<endpoint>``;
* path style: ``<endpoint>/<that bucket>/…``.

The sources are listed in the README ("Trust boundary"). Any other bucket — even one named
``cloudformation-custom-resource-response-attacker`` — and any other host is refused.

The PUT is retried a few times within a deadline, never forever (crhelper's sender loops), and
every attempt runs on a daemon thread that is abandoned at its time limit: socket timeouts do not
cover the name lookup (``getaddrinfo``), which can stall far past them.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import sys
import threading
import time
from collections.abc import Mapping
from enum import Enum
from urllib.parse import SplitResult, urlsplit

from .. import partitions
from ..references import Registry
from ..values import frozen

logger = logging.getLogger(__name__)

_BUCKET_PREFIX = "cloudformation-custom-resource-response-"
# S3's regional endpoint names (README, "Trust boundary", cites each); ``s3.<suffix>`` is the
# global one, without a region.
_REGIONAL_ENDPOINTS = ("s3", "s3-fips", "s3.dualstack", "s3-fips.dualstack")

# Either flag turns on local mode: ``sam local invoke`` sets AWS_SAM_LOCAL; the demo, the tests and
# ``make invoke`` set IMAGE_RESOLVER_LOCAL.
LOCAL_FLAGS = ("AWS_SAM_LOCAL", "IMAGE_RESOLVER_LOCAL")
# The Lambda Runtime Interface Emulator — which ``sam local`` runs too — reports every function
# under this ARN (aws/aws-lambda-runtime-interface-emulator, cmd/aws-lambda-rie/handlers.go).
EMULATED_FUNCTION_ARN = "arn:aws:lambda:us-east-1:012345678912:function:"


class Target(Enum):
    SEND = "send"
    PRINT = "print"
    REFUSE = "refuse"


@frozen
class Destinations:
    """Where this function may send a response.

    ``region`` and ``partition`` are the function's own: CloudFormation's response bucket there is
    the only AWS destination. In ``local`` mode a loopback URL is sent to and anything else is
    printed instead.
    """

    region: str
    partition: str = "aws"
    local: bool = False

    @classmethod
    def for_function(cls, function_arn: str, environ: Mapping[str, str]) -> Destinations:
        """The destinations of the function running as ``function_arn``.

        A local-mode flag set on a deployed function (in a real Lambda) is ignored, with an ERROR:
        printing the answers there would leave every stack waiting for its ServiceTimeout.
        """
        own = Registry.from_lambda_arn(function_arn)
        region = own.region if own else environ.get("AWS_REGION", "")
        partition = own.partition if own else partitions.partition_of_region(region)
        flags = [name for name in LOCAL_FLAGS if environ.get(name, "").lower() in _TRUE]
        local = bool(flags)
        if local and in_real_lambda(function_arn=function_arn, environ=environ):
            logger.error(
                "Local mode is set on a deployed function and is ignored: responses go to "
                "CloudFormation. Remove these variables from the function's environment.",
                extra={"variables": flags},
            )
            local = False
        return cls(region=region, partition=partition, local=local)


_TRUE = ("1", "true", "yes")


def in_real_lambda(*, function_arn: str, environ: Mapping[str, str]) -> bool:
    """Whether this runs in the Lambda service rather than an emulator or a test.

    Lambda sets ``AWS_LAMBDA_RUNTIME_API`` (a reserved variable: a function's configuration cannot
    set it). The emulators set it too, but name every function with ``EMULATED_FUNCTION_ARN``.
    """
    return bool(environ.get("AWS_LAMBDA_RUNTIME_API")) and not function_arn.startswith(
        EMULATED_FUNCTION_ARN
    )


def target_for(url: str, *, destinations: Destinations) -> Target:
    """Where a response to ``url`` may go."""
    parts = _split(url)
    if destinations.local:
        loopback = parts is not None and parts.scheme in ("http", "https") and _is_loopback(parts)
        return Target.SEND if loopback else Target.PRINT
    if parts is not None and _is_response_bucket(parts, destinations):
        return Target.SEND
    return Target.REFUSE


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url or "")
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return parts


def _is_response_bucket(parts: SplitResult, destinations: Destinations) -> bool:
    """CloudFormation's response bucket of the function's region, HTTPS on 443, no user info."""
    partition = partitions.named(destinations.partition)
    region = destinations.region
    if (
        partition is None
        or not partition.has_region(region)
        or parts.scheme != "https"
        or parts.port not in (None, 443)
        or "@" in parts.netloc
    ):
        return False
    suffix = partition.dns_suffix
    bucket = _BUCKET_PREFIX + region.replace("-", "")
    endpoints = {f"s3.{suffix}", f"s3-{region}.{suffix}"}
    endpoints.update(f"{name}.{region}.{suffix}" for name in _REGIONAL_ENDPOINTS)
    host = parts.hostname or ""
    if host in {f"{bucket}.{endpoint}" for endpoint in endpoints}:
        return True  # virtual-hosted style
    return host in endpoints and parts.path.startswith(f"/{bucket}/")  # path style


def _is_loopback(parts: SplitResult) -> bool:
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@frozen
class SendPolicy:
    attempts: int = 3
    timeout_seconds: float = 5.0
    backoff_seconds: float = 0.5


def deliver(
    url: str, body: bytes, *, destinations: Destinations, policy: SendPolicy, deadline: float
) -> bool:
    """PUT ``body`` to ``url`` (or print it, in local mode); ``deadline`` is ``time.monotonic()``."""
    target = target_for(url, destinations=destinations)
    if target is Target.PRINT:
        print(json.dumps(json.loads(body), indent=2), file=sys.stdout, flush=True)
        return True
    if target is Target.REFUSE:
        parts = _split(url)
        logger.error(
            "Refusing to send the response: the ResponseURL is not CloudFormation's response "
            "bucket for this function's region (HTTPS on port 443). Set IMAGE_RESOLVER_LOCAL=true "
            "for local runs.",
            # The host only: the query string is a pre-signed credential.
            extra={"host": parts.hostname if parts else None, "region": destinations.region},
        )
        return False
    for attempt in range(1, policy.attempts + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        outcome = _attempt(url, body, timeout=min(policy.timeout_seconds, remaining))
        if outcome is None:
            return True
        logger.warning("Response PUT failed", extra={"attempt": attempt, "error": outcome})
        if outcome.startswith("HTTP 4"):  # an expired or wrong pre-signed URL won't get better
            break
        if attempt < policy.attempts:
            time.sleep(min(policy.backoff_seconds * attempt, max(0.0, deadline - time.monotonic())))
    logger.error("Could not deliver the response to CloudFormation")
    return False


def _attempt(url: str, body: bytes, *, timeout: float) -> str | None:
    """One PUT, given up after ``timeout`` seconds whatever it is doing.

    It runs on a daemon thread: a stalled name lookup, which no socket timeout covers, is left
    behind rather than waited for (it can do no harm: the same body, to the same URL).
    """
    outcome: list[str | None] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_put(url, body, timeout=timeout)),
        daemon=True,
        name="response-put",
    )
    worker.start()
    worker.join(timeout)
    if not outcome:
        return f"no answer within {timeout:.1f} s (name lookup or connection stalled)"
    return outcome[0]


def _put(url: str, body: bytes, *, timeout: float) -> str | None:
    """One PUT; ``None`` on a 2xx answer, else a short description of what went wrong."""
    parts = urlsplit(url)
    conn_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection | None = None
    try:
        conn = conn_type(parts.hostname or "", parts.port, timeout=timeout)
        # The pre-signed URL is signed for an empty Content-Type.
        conn.request(
            "PUT",
            path or "/",
            body=body,
            headers={"Content-Type": "", "Content-Length": str(len(body))},
        )
        status = conn.getresponse().status
    except http.client.InvalidURL:
        return "InvalidURL"  # its message quotes the URL, a pre-signed credential
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - whatever it is, this attempt failed
        return type(exc).__name__
    finally:
        if conn is not None:
            conn.close()
    return None if 200 <= status < 300 else f"HTTP {status}"
