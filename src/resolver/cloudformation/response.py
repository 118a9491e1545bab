"""The response body CloudFormation receives: built once, encoded in one place, ≤ 4096 bytes.

CloudFormation fails a custom resource whose response is over 4096 bytes ("Response object is
too long", aws/aws-cdk#2825). ``attributes`` checks ``Data`` against the limit with a precise
reason; ``encode`` is the last guard: data that still does not fit turns the response into
FAILED, and a long reason is shortened keeping its *beginning* (crhelper keeps the tail, which
drops the part that says what failed). A reason is also never over ``MAX_REASON_CHARS``: it is
read by a person in the stack's events, and the whole of it is in the function's log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field, replace
from enum import Enum

from ..values import frozen
from .events import ReplyTo

MAX_BODY_BYTES = 4096
MAX_REASON_CHARS = 1000
_TRUNCATED = " [truncated; the full reason is in the function's log]"


class Status(Enum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


@frozen
class CfnResponse:
    status: Status
    physical_resource_id: str
    reply_to: ReplyTo
    reason: str = ""
    data: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def failed(cls, reply_to: ReplyTo, physical_resource_id: str, reason: str) -> CfnResponse:
        return cls(Status.FAILED, physical_resource_id, reply_to, reason=reason)

    def size(self) -> int:
        """Bytes on the wire as it stands (before ``encode`` shortens anything)."""
        return len(_wire(self))


def encode(response: CfnResponse) -> bytes:
    """The body to PUT, within ``MAX_BODY_BYTES``."""
    body = _wire(response)
    if len(body) <= MAX_BODY_BYTES:
        return body
    if response.data:
        response = replace(
            response,
            status=Status.FAILED,
            data={},
            reason=f"The response would be {len(body)} bytes, over CloudFormation's "
            f"{MAX_BODY_BYTES}-byte limit; select fewer attributes with the Attributes property.",
        )
        body = _wire(response)
    if len(body) > MAX_BODY_BYTES:
        body = _shorten_reason(response)
    return body


def _wire(response: CfnResponse) -> bytes:
    reply_to = response.reply_to
    reason = response.reason
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - len(_TRUNCATED)] + _TRUNCATED
    body: dict[str, object] = {"Status": response.status.value}
    # Reason is required on FAILED and optional otherwise; NoEcho is optional and false by default
    # (custom-resource response reference). Left out when they say nothing, their bytes are Data's.
    if reason or response.status is Status.FAILED:
        body["Reason"] = reason
    body |= {
        "PhysicalResourceId": response.physical_resource_id,
        "StackId": reply_to.stack_id,
        "RequestId": reply_to.request_id,
        "LogicalResourceId": reply_to.logical_resource_id,
        "Data": dict(response.data),
    }
    # ASCII-escaped JSON: one character is one byte, so len() is the wire size.
    return json.dumps(body, separators=(",", ":")).encode("ascii")


def _shorten_reason(response: CfnResponse) -> bytes:
    """The longest beginning of the reason that fits (escapes make bytes != characters)."""

    def encoded(keep: int) -> bytes:
        return _wire(replace(response, reason=response.reason[:keep] + _TRUNCATED))

    low, high = 0, len(response.reason)
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(middle)) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    return encoded(low)
