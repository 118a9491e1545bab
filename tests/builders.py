"""Typed results for tests that start after the engine: found and missing images."""

from __future__ import annotations

from resolver.model import ImageResult, ImageSpec, ImageStatus, Source
from resolver.references import ImageRef, Registry, Repository

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "tak-dev-baseinfra-artifacts")
DIGEST = "sha256:" + "1" * 64


def found(name: str, digest: str = DIGEST, *, version: str = "v1") -> ImageResult:
    spec = ImageSpec(name, ImageRef(REPO, tag=f"{name.lower()}-{version}"))
    return ImageResult(
        spec, ImageStatus.FOUND, spec.ref.pinned_uri(digest), Source.PREBUILT, digest
    )


def missing(
    name: str, *, fallback: str | None = None, version: str = "v1", detail: str = ""
) -> ImageResult:
    spec = ImageSpec(name, ImageRef(REPO, tag=f"{name.lower()}-{version}"), fallback=fallback)
    if fallback:
        return ImageResult(
            spec, ImageStatus.TAG_NOT_FOUND, fallback, Source.FALLBACK, detail=detail
        )
    return ImageResult(spec, ImageStatus.TAG_NOT_FOUND, "", Source.NONE, detail=detail)
