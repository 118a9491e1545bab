"""A ``Resolution`` as CloudFormation ``Data``: the attributes ``!GetAtt`` reads.

Per image ``<Name>.<Attribute>`` for the selected attributes, plus the summary keys
``BuildRequired``, ``MissingImages``, ``Revision`` and ``Version``. All values are strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC

from ..errors import InvalidPropertyError
from ..model import READY, Attribute, ImageResult, Resolution, RollbackTarget
from .response import MAX_BODY_BYTES


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
}


def build_data(
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    rollback_target: RollbackTarget = READY,
) -> dict[str, str]:
    data = {
        f"{image.name}.{attribute.value}": _VALUES[attribute](image)
        for image in resolution.images
        for attribute in attributes
    }
    data["BuildRequired"] = _bool(resolution.build_required)
    data["MissingImages"] = ",".join(image.name for image in resolution.missing)
    data["Revision"] = resolution.revision
    data["Version"] = resolution.version or ""
    data["RollbackTarget"] = rollback_target.summary()
    return data


def fitting_data(
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    rollback_target: RollbackTarget = READY,
    size_with: Callable[[Mapping[str, str]], int],
) -> dict[str, str]:
    """``build_data``, or an error saying how to trim it when the response would be too long.

    ``size_with(data)`` is the size of the whole response body carrying ``data``.
    """
    data = build_data(resolution, attributes, rollback_target=rollback_target)
    size = size_with(data)
    if size <= MAX_BODY_BYTES:
        return data
    uri_only = size_with(build_data(resolution, (Attribute.URI,), rollback_target=rollback_target))
    hint = (
        f"Attributes: [Uri] would need {uri_only} bytes"
        if uri_only <= MAX_BODY_BYTES
        else "even Attributes: [Uri] does not fit; split the images over several resources"
    )
    raise InvalidPropertyError(
        "Attributes",
        ", ".join(a.value for a in attributes),
        f"makes the response {size} bytes for {len(resolution.images)} images, over "
        f"CloudFormation's {MAX_BODY_BYTES}-byte limit",
        f"Select fewer attributes ({hint}).",
    )
