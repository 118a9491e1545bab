"""A ``Resolution`` as CloudFormation ``Data``: the attributes ``!GetAtt`` reads.

Per image ``<Name>.<Attribute>`` for the selected attributes, plus the summary keys
``BuildRequired``, ``MissingImages`` and ``Revision``. All values are strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .resolve import ImageResult, Resolution
from .spec import Attribute


def _bool(value: bool) -> str:  # noqa: FBT001 - a formatter, not a flag
    return "true" if value else "false"


_VALUES: dict[Attribute, Callable[[ImageResult], str]] = {
    Attribute.URI: lambda image: image.uri,
    Attribute.DIGEST: lambda image: image.digest or "",
    Attribute.TAG_URI: lambda image: image.tag_uri,
    Attribute.SOURCE: lambda image: image.source.value,
    Attribute.STATUS: lambda image: image.status.value,
    Attribute.BUILD_REQUIRED: lambda image: _bool(image.build_required),
}


def build_data(resolution: Resolution, attributes: Sequence[Attribute]) -> dict[str, str]:
    data = {
        f"{image.name}.{attribute.value}": _VALUES[attribute](image)
        for image in resolution.images
        for attribute in attributes
    }
    data["BuildRequired"] = _bool(resolution.build_required)
    data["MissingImages"] = ",".join(image.name for image in resolution.missing)
    data["Revision"] = resolution.revision
    return data
