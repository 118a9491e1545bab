"""A CloudFormation custom-resource request, read once into a typed ``CfnEvent``.

Only CloudFormation's documented request fields are read (custom-resource request reference):
everything else in the Lambda event — crhelper's private ``CrHelper*`` keys among them — is
ignored, so a caller cannot steer the resolver with keys CloudFormation never sends. The ids the
response echoes must be strings within CloudFormation's own sizes: anything else did not come
from CloudFormation, and echoing it could push the answer past 4096 bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

from ..errors import shown
from ..values import frozen


class RequestType(Enum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


@frozen
class ReplyTo:
    """Where a response goes and the ids it must echo: enough to answer even a bad event."""

    response_url: str
    stack_id: str
    request_id: str
    logical_resource_id: str


@frozen
class CfnEvent:
    request_type: RequestType
    reply_to: ReplyTo
    properties: Any  # ResourceProperties, unvalidated (``properties`` checks them)
    old_properties: Mapping[str, Any] | None = None  # OldResourceProperties (Update only)
    physical_resource_id: str | None = None  # Update and Delete

    @property
    def stack_id(self) -> str:
        return self.reply_to.stack_id

    @property
    def logical_resource_id(self) -> str:
        return self.reply_to.logical_resource_id

    @property
    def service_token(self) -> str:
        token = self.properties.get("ServiceToken") if isinstance(self.properties, Mapping) else ""
        return token if isinstance(token, str) else ""


@frozen
class Malformed:
    """An event that is not a custom-resource request: why, and where to say so if known."""

    reason: str
    reply_to: ReplyTo | None  # None without a ResponseURL: nobody can be answered


# Bytes each echoed id may take in the response (JSON-escaped). CloudFormation's are far smaller
# (a stack ARN with a 128-character name, a UUID, a 255-character logical id, our own physical
# id); with a 1,000-character reason the answer stays within 4096 bytes.
_ID_LIMITS = {"StackId": 512, "RequestId": 256, "LogicalResourceId": 255}
_ID_FIELDS = tuple(_ID_LIMITS)
PHYSICAL_ID_LIMIT = 1024


def parse_event(raw: object) -> CfnEvent | Malformed:
    """The event as CloudFormation documents it, or why it is not one.

    A malformed event that names a ResponseURL can still be answered (FAILED), so no stack
    waits for a response that would never come.
    """
    if not isinstance(raw, Mapping):
        return Malformed("Malformed CloudFormation event: not a JSON object.", None)
    url = raw.get("ResponseURL")
    reply_to = ReplyTo(
        url if isinstance(url, str) else "",
        *(_bounded(raw.get(key), _ID_LIMITS[key]) for key in _ID_FIELDS),
    )
    problem = _id_problem(raw)
    if problem:
        return _malformed(problem, reply_to)
    request_type = next((t for t in RequestType if t.value == raw["RequestType"]), None)
    if request_type is None:
        shown_type = shown(raw["RequestType"])
        return _malformed(f"RequestType {shown_type} is not Create, Update or Delete", reply_to)
    physical_id = raw.get("PhysicalResourceId")
    if physical_id is not None and (
        not isinstance(physical_id, str) or _size(physical_id) > PHYSICAL_ID_LIMIT
    ):
        return _malformed(
            f"PhysicalResourceId is not a string of at most {PHYSICAL_ID_LIMIT} bytes", reply_to
        )
    old = raw.get("OldResourceProperties")
    return CfnEvent(
        request_type=request_type,
        reply_to=reply_to,
        properties=raw.get("ResourceProperties") or {},
        old_properties=old if isinstance(old, Mapping) else None,
        physical_resource_id=physical_id or None,
    )


def _id_problem(raw: Mapping[str, Any]) -> str:
    """What is wrong with the fields every request has, or "" when nothing is."""
    missing = [key for key in ("RequestType", *_ID_FIELDS) if not raw.get(key)]
    if missing:
        return f"no {', '.join(missing)}"
    for key, limit in _ID_LIMITS.items():
        if not isinstance(raw[key], str):
            return f"{key} is not a string"
        if _size(raw[key]) > limit:
            return f"{key} is longer than {limit} bytes"
    return ""


def _size(text: str) -> int:
    """Bytes ``text`` takes in the response body (ASCII-escaped JSON, less the quotes)."""
    return len(json.dumps(text)) - 2


def _bounded(value: object, limit: int) -> str:
    """``value`` to echo: a string within ``limit`` bytes ("" for anything else). An over-long
    id is cut (6 bytes is the widest escape), so even a forged event can be answered."""
    if not isinstance(value, str):
        return ""
    return value if _size(value) <= limit else value[: limit // 6]


def _malformed(problem: str, reply_to: ReplyTo) -> Malformed:
    return Malformed(
        f"Malformed CloudFormation event: {problem}.", reply_to if reply_to.response_url else None
    )
