"""Image indexes: tell one from an image manifest, list its platforms, pick a platform's child.

Lambda rejects image indexes ("The image manifest, config or layer media type for the source image
... is not supported", aws/aws-lambda-roadmap#82): multi-arch lists, and also the single-platform
images ``docker buildx build --push`` makes by default, which wrap the image in an OCI index next
to an ``unknown/unknown`` provenance attestation. Pointing Lambda at the platform's child manifest
digest works. This module holds the pure part of that: it parses the document ``BatchGetImage``
returned, makes no AWS call and imports nothing outside the standard library.

Field names are those of the OCI image-spec (``image-index.md``) and the Docker distribution
manifest list, which share ``manifests[].{mediaType,digest,size,platform,annotations}``.
Platform names follow containerd's normalisation (``aarch64`` is ``arm64``, ``armhf`` is
``arm/v7``...); ``arm64``'s variant ``v8`` is its default, so an entry without a variant and one
with ``v8`` are the same platform for matching.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_MEDIA_TYPES: frozenset[str] = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})

# buildx marks its attestation manifests both ways; either one is enough.
ATTESTATION_REFERENCE_TYPE = "attestation-manifest"
_REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type"
_UNKNOWN = "unknown"

_PLATFORM_FORM = "os/arch[/variant], e.g. linux/arm64 or linux/arm/v7"
_COMPONENT = re.compile(r"[a-z0-9][a-z0-9._-]*")
# OCI image-spec descriptor grammar: algorithm ":" encoded.
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")

# architecture alias -> (architecture, variant it implies or None)
_ARCH_ALIASES: Mapping[str, tuple[str, str | None]] = {
    "aarch64": ("arm64", None),
    "x86_64": ("amd64", None),
    "x86-64": ("amd64", None),
    "i386": ("386", None),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
}
_ARM64 = "arm64"
_ARM64_DEFAULT_VARIANT = "v8"


@dataclass(frozen=True, order=True)
class Platform:
    """An image platform as Docker and OCI name it: ``linux/amd64``, ``linux/arm/v7``.

    Ordering is by os, architecture, then variant with "no variant" first; ``sorted()`` works on
    any mix of platforms with and without a variant.
    """

    os: str
    architecture: str
    variant: str | None = field(default=None, compare=False)
    # What ordering and equality use for the variant: None would not compare with a string.
    _variant_key: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_variant_key", self.variant or "")

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``"linux/arm64"``, ``"linux/arm/v7"``, aliases such as ``"linux/aarch64"``; any case."""
        parts = text.strip().lower().split("/")
        if not 2 <= len(parts) <= 3 or not all(_COMPONENT.fullmatch(part) for part in parts):
            raise ValueError(f"invalid platform {text!r}: expected the form {_PLATFORM_FORM}")
        variant = parts[2] if len(parts) == 3 else None
        try:
            return _normalised(parts[0], parts[1], variant)
        except ValueError as exc:
            raise ValueError(f"invalid platform {text!r}: {exc}") from exc

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True)
class IndexEntry:
    """One ``manifests[]`` entry of an index."""

    digest: str
    media_type: str
    platform: Platform | None  # None when the entry names no (usable) platform
    attestation: bool


def is_index(media_type: str | None, manifest: str | None) -> bool:
    """Whether an image is an index (manifest list), not a single image manifest.

    Decided by the media type ECR reports when there is one, else by the document's own
    ``mediaType``, else by the presence of ``manifests`` (OCI lets an index omit ``mediaType``).
    Raises ``ValueError`` when the document has to be read and is not a JSON object.
    """
    if media_type:
        return media_type in INDEX_MEDIA_TYPES
    if manifest is None:
        return False
    document = _load(manifest)
    own = document.get("mediaType")
    if isinstance(own, str) and own:
        return own in INDEX_MEDIA_TYPES
    return "manifests" in document


def entries(manifest: str) -> tuple[IndexEntry, ...]:
    """Every entry of the index ``manifest``, attestations included, in document order."""
    items = _load(manifest).get("manifests")
    if not isinstance(items, list):
        raise ValueError("image index has no 'manifests' list")
    return tuple(_entry(item, position) for position, item in enumerate(items))


def platforms(manifest: str) -> tuple[Platform, ...]:
    """The runnable platforms of an index: attestations excluded, sorted, each once."""
    return tuple(sorted({platform for _, platform in _runnable(entries(manifest))}))


def choose(manifest: str, wanted: Platform) -> IndexEntry | None:
    """The entry to run on ``wanted``, never an attestation; None when no entry fits.

    os and architecture must be equal. A wanted variant must match, where ``arm64``'s ``v8`` also
    matches an entry without a variant. Without a wanted variant any variant fits; an entry
    without one is preferred, then the highest variant, then the first in the document.
    """
    candidates = [
        (entry, platform)
        for entry, platform in _runnable(entries(manifest))
        if platform.os == wanted.os
        and platform.architecture == wanted.architecture
        and _variant_fits(platform.variant, wanted)
    ]
    if not candidates:
        return None
    best, _ = min(candidates, key=lambda pair: _preference(pair[1].variant, wanted))
    return best


def _runnable(all_entries: tuple[IndexEntry, ...]) -> list[tuple[IndexEntry, Platform]]:
    """Entries that name a platform and are not attestations, with that platform."""
    return [
        (entry, entry.platform)
        for entry in all_entries
        if entry.platform is not None and not entry.attestation
    ]


def _variant_fits(variant: str | None, wanted: Platform) -> bool:
    if wanted.variant is None or variant == wanted.variant:
        return True
    return (
        wanted.architecture == _ARM64
        and wanted.variant == _ARM64_DEFAULT_VARIANT
        and variant is None
    )


def _preference(variant: str | None, wanted: Platform) -> tuple[int, int, str]:
    """Sort key, lowest first: exact variant, then no variant, then the highest variant."""
    if variant == wanted.variant:
        return (0, 0, "")
    if variant is None:
        return (1, 0, "")
    number = variant[1:] if variant.startswith("v") else variant
    # Negated so that min() takes the highest; non-numeric variants after numeric ones.
    return (2, -int(number), "") if number.isdigit() else (3, 0, variant)


def _normalised(os_name: str, architecture: str, variant: str | None) -> Platform:
    """containerd's aliases for an already lower-cased platform; ``ValueError`` on a conflict."""
    if variant is not None and variant.isdigit():
        variant = f"v{variant}"
    canonical, implied = _ARCH_ALIASES.get(architecture, (architecture, None))
    if implied is not None:
        if variant not in (None, implied):
            raise ValueError(f"{architecture} means {canonical}/{implied}, not variant {variant}")
        variant = implied
    return Platform(os_name, canonical, variant or None)


def _load(manifest: str) -> dict[str, Any]:
    try:
        document = json.loads(manifest)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"image manifest is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValueError(f"image manifest is a JSON {type(document).__name__}, not an object")
    return document


def _entry(item: object, position: int) -> IndexEntry:
    if not isinstance(item, dict):
        raise ValueError(f"image index entry {position} is not an object")
    digest = item.get("digest")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValueError(f"image index entry {position} has no valid digest")
    media_type = item.get("mediaType", "")
    if not isinstance(media_type, str):
        raise ValueError(f"image index entry {position} has a non-string mediaType")
    annotations = item.get("annotations")
    reference_type = (
        annotations.get(_REFERENCE_TYPE_ANNOTATION) if isinstance(annotations, dict) else None
    )
    platform = _wire_platform(item.get("platform"))
    unknown = platform is not None and platform.os == platform.architecture == _UNKNOWN
    return IndexEntry(
        digest=digest,
        media_type=media_type,
        platform=platform,
        attestation=unknown or reference_type == ATTESTATION_REFERENCE_TYPE,
    )


def _wire_platform(value: object) -> Platform | None:
    """An entry's ``platform`` object; None when it is absent or lacks os or architecture."""
    if not isinstance(value, dict):
        return None
    os_name, architecture = value.get("os"), value.get("architecture")
    variant = value.get("variant")
    if not (
        isinstance(os_name, str) and os_name and isinstance(architecture, str) and architecture
    ):
        return None
    variant = variant.lower() if isinstance(variant, str) and variant else None
    try:
        return _normalised(os_name.lower(), architecture.lower(), variant)
    except ValueError:
        return None
