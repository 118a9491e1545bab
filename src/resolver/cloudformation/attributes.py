"""A ``Resolution`` as CloudFormation ``Data``: the attributes ``!GetAtt`` reads.

Per image ``<Name>.<Attribute>`` for the selected attributes, plus the summary keys
``BuildRequired``, ``MissingImages``, ``Revision``, ``Version``, ``RollbackTarget`` and
``RollbackRecord`` — and ``Protection`` for a resource that sets ``Protect`` (only there: the
others do not pay its bytes). All values are strings. Whether they fit the response is
``budget``'s concern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC

from ..model import (
    READY,
    UNPROTECTED,
    Attribute,
    ImageResult,
    ProtectionReport,
    Resolution,
    RollbackTarget,
)
from .physical_id import RecordKind

# Attributes that describe an image rather than choose it: what a rollback answer gives up first
# when the response would not fit (as key suffixes: ``<Image>.Tags``).
DESCRIPTIVE = tuple(
    f".{attribute.value}"
    for attribute in (
        Attribute.PLATFORMS,
        Attribute.FINDINGS,
        Attribute.PUSHED_AT,
        Attribute.SIZE_IN_BYTES,
        Attribute.TAGS,
        Attribute.RETENTION,
        Attribute.SIGNATURE,
        Attribute.TAG_MUTABILITY,
        Attribute.PROTECTED,
    )
)
# The attributes every resource has, whatever Attributes selects.
SUMMARY = (
    "BuildRequired",
    "MissingImages",
    "Revision",
    "Version",
    "RollbackTarget",
    "RollbackRecord",
)
# The summary of ``Protect``: there only when the resource sets it.
PROTECTION = "Protection"


def _bool(value: bool) -> str:  # noqa: FBT001 - a formatter, not a flag
    return "true" if value else "false"


def _pushed_at(image: ImageResult) -> str:
    pushed = image.details.pushed_at if image.details else None
    if pushed is None:
        return ""
    return pushed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _size(image: ImageResult) -> str:
    size = image.details.size_in_bytes if image.details else None
    return "" if size is None else str(size)


_VALUES: dict[Attribute, Callable[[ImageResult], str]] = {
    Attribute.URI: lambda image: image.uri,
    Attribute.DIGEST: lambda image: image.digest or "",
    Attribute.TAG_URI: lambda image: image.tag_uri,
    Attribute.SOURCE: lambda image: image.source.value,
    Attribute.STATUS: lambda image: image.status.value,
    Attribute.BUILD_REQUIRED: lambda image: _bool(image.build_required),
    Attribute.PLATFORMS: lambda image: ",".join(image.platforms),
    Attribute.FINDINGS: lambda image: image.scan.summary() if image.scan else "",
    Attribute.PUSHED_AT: _pushed_at,
    Attribute.SIZE_IN_BYTES: _size,
    Attribute.TAGS: lambda image: ",".join(image.details.tags) if image.details else "",
    Attribute.RETENTION: lambda image: image.retention.value if image.retention else "",
    Attribute.SIGNATURE: lambda image: image.signature.value if image.signature else "",
    Attribute.TAG_MUTABILITY: lambda i: i.tag_mutability.value if i.tag_mutability else "",
}


def build_data(
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    rollback_target: RollbackTarget = READY,
    rollback_record: RecordKind = RecordKind.FULL,
    protection: ProtectionReport | None = None,
) -> dict[str, str]:
    """``protection``: what ``Protect`` did (None: it is off)."""

    def protected(image: ImageResult) -> str:
        found = protection.images.get(image.name) if protection else None
        return (found or UNPROTECTED).value

    values = {**_VALUES, Attribute.PROTECTED: protected}
    data = {
        f"{image.name}.{attribute.value}": values[attribute](image)
        for image in resolution.images
        for attribute in attributes
    }
    data["BuildRequired"] = _bool(resolution.build_required)
    data["MissingImages"] = ",".join(image.name for image in resolution.missing)
    data["Revision"] = resolution.revision
    data["Version"] = resolution.version or ""
    data["RollbackTarget"] = rollback_target.summary()
    data["RollbackRecord"] = rollback_record.value
    if protection is not None:
        data[PROTECTION] = protection.summary()
    return data


def empty_data(
    names: Iterable[str], attributes: Sequence[Attribute], *, protect: bool = False
) -> dict[str, str]:
    """Every key a stack can ``!GetAtt`` for these images, each an empty string: what a rollback
    answers when nothing better is known, so that no ``!GetAtt`` of a consumer fails."""
    data = {f"{name}.{attribute.value}": "" for name in names for attribute in attributes}
    data.update(dict.fromkeys((*SUMMARY, PROTECTION) if protect else SUMMARY, ""))
    return data
