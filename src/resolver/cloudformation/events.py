"""A CloudFormation custom-resource request, read once into a typed ``CfnEvent``.

Only CloudFormation's documented request fields are read (custom-resource request reference):
everything else in the Lambda event — crhelper's private ``CrHelper*`` keys among them — is
ignored, so a caller cannot steer the resolver with keys CloudFormation never sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class RequestType(Enum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


@dataclass(frozen=True)
class ReplyTo:
    """Where a response goes and the ids it must echo: enough to answer even a bad event."""

    response_url: str
    stack_id: str
    request_id: str
    logical_resource_id: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Malformed:
    """An event that is not a custom-resource request: why, and where to say so if known."""

    reason: str
    reply_to: ReplyTo | None  # None without a ResponseURL: nobody can be answered


_ID_FIELDS = ("StackId", "RequestId", "LogicalResourceId")


def parse_event(raw: object) -> CfnEvent | Malformed:
    """The event as CloudFormation documents it, or why it is not one.

    A malformed event that names a ResponseURL can still be answered (FAILED), so no stack
    waits for a response that would never come.
    """
    if not isinstance(raw, Mapping):
        return Malformed("Malformed CloudFormation event: not a JSON object.", None)
    reply_to = ReplyTo(*(_text(raw, key) for key in ("ResponseURL", *_ID_FIELDS)))
    missing = [key for key in ("RequestType", *_ID_FIELDS) if not raw.get(key)]
    if missing:
        return _malformed(f"no {', '.join(missing)}", reply_to)
    request_type = next((t for t in RequestType if t.value == raw["RequestType"]), None)
    if request_type is None:
        shown = _short(raw["RequestType"])
        return _malformed(f"RequestType {shown} is not Create, Update or Delete", reply_to)
    old = raw.get("OldResourceProperties")
    physical_id = raw.get("PhysicalResourceId")
    return CfnEvent(
        request_type=request_type,
        reply_to=reply_to,
        properties=raw.get("ResourceProperties") or {},
        old_properties=old if isinstance(old, Mapping) else None,
        physical_resource_id=str(physical_id) if physical_id else None,
    )


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def _malformed(problem: str, reply_to: ReplyTo) -> Malformed:
    return Malformed(
        f"Malformed CloudFormation event: {problem}.", reply_to if reply_to.response_url else None
    )
