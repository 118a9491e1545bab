"""Image indexes: tell one from an image manifest, list its platforms, pick a platform's image.

Lambda rejects image indexes ("The image manifest, config or layer media type for the source image
... is not supported", aws/aws-lambda-roadmap#82): multi-arch lists, and also the single-platform
images ``docker buildx build --push`` makes by default, which wrap the image in an OCI index next
to an ``unknown/unknown`` provenance attestation. Pointing Lambda at the platform's image digest
works. This module is the pure part of that: the document ``BatchGetImage`` returned is parsed
once into an ``ImageIndex``, and no AWS call is made.

Not every entry is an image to run. buildx adds attestation manifests (``unknown/unknown``), and
OCI 1.1 lets an index carry artifacts, marked by ``artifactType``: SOCI Index Manifest v2 adds, for
each image, a SOCI index *on the same platform* (``application/vnd.amazon.soci.index.v2+json``,
awslabs/soci-snapshotter ``docs/soci-index-manifest-v2.md``), and signatures or SBOMs can sit there
too. Neither kind is ever chosen or listed as a platform, wherever it stands in the document: an
index is a set, and the first entry for a platform may well be the SOCI index.

Field names are those of the OCI image-spec (``image-index.md``) and the Docker distribution
manifest list, which share ``manifests[].{mediaType,digest,size,platform,annotations}``; OCI 1.1
adds ``artifactType``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import UnreadableManifestError
from ..platforms import ARM64, ARM64_DEFAULT_VARIANT, Platform, normalised
from ..values import frozen

DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_MEDIA_TYPES: frozenset[str] = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})

# buildx marks its attestation manifests both ways; either one is enough.
ATTESTATION_REFERENCE_TYPE = "attestation-manifest"
_REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type"
_UNKNOWN = "unknown"
# OCI image-spec descriptor grammar: algorithm ":" encoded.
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


@frozen
class IndexEntry:
    """One ``manifests[]`` entry of an index."""

    digest: str
    platform: Platform | None  # None when the entry names no (usable) platform
    attestation: bool
    artifact_type: str | None = None  # OCI 1.1: an artifact (SOCI index, signature, SBOM...)

    @property
    def runnable(self) -> bool:
        """An image a container runtime can run: it names a platform and is neither an
        attestation nor an artifact."""
        return self.platform is not None and not self.attestation and not self.artifact_type


@frozen
class ImageIndex:
    """A parsed image index: every entry, attestations included, in document order."""

    entries: tuple[IndexEntry, ...]

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The runnable platforms: attestations excluded, sorted, each once."""
        return tuple(sorted({e.platform for e in self.entries if e.platform and e.runnable}))

    @property
    def runnable_digests(self) -> tuple[str, ...]:
        return tuple(entry.digest for entry in self.entries if entry.runnable)

    def choose(self, wanted: Platform) -> IndexEntry | None:
        """The entry to run on ``wanted``, never an attestation or an artifact; None when no
        entry fits.

        os and architecture must be equal. A wanted variant must match, where ``arm64``'s ``v8``
        also matches an entry without a variant. Without a wanted variant any variant fits; an
        entry without one is preferred, then the highest variant, then the first in the document.
        """
        candidates = [
            entry
            for entry in self.entries
            if entry.runnable
            and entry.platform is not None
            and entry.platform.os == wanted.os
            and entry.platform.architecture == wanted.architecture
            and _variant_fits(entry.platform.variant, wanted)
        ]
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda e: _preference(e.platform.variant if e.platform else None, wanted),
        )


def read_index(media_type: str | None, manifest: str | None) -> ImageIndex | None:
    """The index ``manifest`` is, or None for a single image manifest.

    Decided by the media type ECR reports when there is one, else by the document's own
    ``mediaType``, else by the presence of ``manifests`` (OCI lets an index omit ``mediaType``).
    The document is parsed at most once. Raises ``UnreadableManifestError`` when a document that
    has to be read is not a well-formed index.
    """
    if media_type and media_type not in INDEX_MEDIA_TYPES:
        return None
    if manifest is None:
        return None
    document = _load(manifest)
    if not media_type:
        own = document.get("mediaType")
        if isinstance(own, str) and own:
            if own not in INDEX_MEDIA_TYPES:
                return None
        elif "manifests" not in document:
            return None
    items = document.get("manifests")
    if not isinstance(items, list):
        raise UnreadableManifestError("image index has no 'manifests' list")
    return ImageIndex(tuple(_entry(item, position) for position, item in enumerate(items)))


def _variant_fits(variant: str | None, wanted: Platform) -> bool:
    if wanted.variant is None or variant == wanted.variant:
        return True
    return (
        wanted.architecture == ARM64 and wanted.variant == ARM64_DEFAULT_VARIANT and variant is None
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


def _load(manifest: str) -> dict[str, Any]:
    try:
        document = json.loads(manifest)
    except (TypeError, ValueError) as exc:
        raise UnreadableManifestError(f"image manifest is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise UnreadableManifestError(
            f"image manifest is a JSON {type(document).__name__}, not an object"
        )
    return document


def _entry(item: object, position: int) -> IndexEntry:
    if not isinstance(item, dict):
        raise UnreadableManifestError(f"image index entry {position} is not an object")
    digest = item.get("digest")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise UnreadableManifestError(f"image index entry {position} has no valid digest")
    annotations = item.get("annotations")
    reference_type = (
        annotations.get(_REFERENCE_TYPE_ANNOTATION) if isinstance(annotations, dict) else None
    )
    platform = _wire_platform(item.get("platform"))
    unknown = platform is not None and platform.os == platform.architecture == _UNKNOWN
    artifact_type = item.get("artifactType")
    return IndexEntry(
        digest=digest,
        platform=platform,
        attestation=unknown or reference_type == ATTESTATION_REFERENCE_TYPE,
        # A descriptor's artifactType is a media type; anything else names no artifact.
        artifact_type=artifact_type if isinstance(artifact_type, str) and artifact_type else None,
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
        return normalised(os_name.lower(), architecture.lower(), variant)
    except ValueError:
        return None
