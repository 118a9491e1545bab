"""The core: a validated request in, one typed result per image out.

``resolve`` looks images up and applies the fallback policy; ``enforce`` turns the policy's
"this must fail" cases into errors. The Lambda shell calls both; the CLI planner reports without
enforcing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from .ecr_clients import EcrClients
from .ecr_query import Lookup, LookupStatus, query_images
from .errors import ImageProblem, LookupFailedError, MissingImagesError
from .spec import ImageSpec, OnMissing, ResolveRequest


class ImageStatus(Enum):
    FOUND = "Found"
    TAG_NOT_FOUND = "TagNotFound"
    DIGEST_NOT_FOUND = "DigestNotFound"
    REPOSITORY_NOT_FOUND = "RepositoryNotFound"
    SKIPPED = "Skipped"  # UsePreBuiltImages is false: ECR was not asked


class Source(Enum):
    PREBUILT = "prebuilt"
    FALLBACK = "fallback"
    NONE = "none"


@dataclass(frozen=True)
class ImageResult:
    spec: ImageSpec
    status: ImageStatus
    uri: str  # what to deploy; "" when there is nothing to deploy
    source: Source
    digest: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def build_required(self) -> bool:
        return self.status is not ImageStatus.FOUND

    @property
    def tag_uri(self) -> str:
        return self.spec.ref.tag_uri


@dataclass(frozen=True)
class Resolution:
    images: tuple[ImageResult, ...]
    on_missing: OnMissing
    ecr_calls: int = 0

    @property
    def build_required(self) -> bool:
        return any(image.build_required for image in self.images)

    @property
    def missing(self) -> tuple[ImageResult, ...]:
        return tuple(image for image in self.images if image.build_required)

    @property
    def revision(self) -> str:
        """Short hash of every image's deployable URI: changes exactly when one of them does."""
        lines = sorted(f"{image.name}={image.uri}" for image in self.images)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def resolve(
    request: ResolveRequest, *, clients: EcrClients, deadline: float | None = None
) -> Resolution:
    """Resolve every image of ``request``; raises ``LookupFailedError`` if ECR cannot answer."""
    if not request.use_prebuilt:
        skipped = tuple(
            _fallback_or_none(spec, ImageStatus.SKIPPED, request.on_missing)
            for spec in request.images
        )
        return Resolution(images=skipped, on_missing=request.on_missing)

    report = query_images((spec.ref for spec in request.images), clients=clients, deadline=deadline)
    failures = [
        ImageProblem(spec.name, _reference(spec), f"{lookup.error_code}: {lookup.error_message}")
        for spec in request.images
        if (lookup := report.lookups[spec.ref]).status is LookupStatus.FAILED
    ]
    if failures:
        raise LookupFailedError(failures)
    images = tuple(
        _result(spec, report.lookups[spec.ref], request.on_missing) for spec in request.images
    )
    return Resolution(images=images, on_missing=request.on_missing, ecr_calls=report.calls)


def _result(spec: ImageSpec, lookup: Lookup, on_missing: OnMissing) -> ImageResult:
    if lookup.status is LookupStatus.FOUND and lookup.digest:
        return ImageResult(
            spec,
            ImageStatus.FOUND,
            spec.ref.pinned_uri(lookup.digest),
            Source.PREBUILT,
            lookup.digest,
        )
    if lookup.status is LookupStatus.REPOSITORY_NOT_FOUND:
        status = ImageStatus.REPOSITORY_NOT_FOUND
    else:
        status = ImageStatus.TAG_NOT_FOUND if spec.ref.tag else ImageStatus.DIGEST_NOT_FOUND
    return _fallback_or_none(spec, status, on_missing)


def _fallback_or_none(spec: ImageSpec, status: ImageStatus, on_missing: OnMissing) -> ImageResult:
    # UsePreBuiltImages=false (SKIPPED) always takes the fallback; a missing image only under
    # OnMissing: Fallback.
    use_fallback = spec.fallback and (
        status is ImageStatus.SKIPPED or on_missing is OnMissing.FALLBACK
    )
    if use_fallback and spec.fallback:
        return ImageResult(spec, status, spec.fallback, Source.FALLBACK)
    return ImageResult(spec, status, "", Source.NONE)


def enforce(resolution: Resolution) -> None:
    """Raise ``MissingImagesError`` where ``OnMissing`` says a missing image must fail.

    Skipped images (pre-built images off) always carry a Fallback: ``spec`` insists on it.
    """
    policy = resolution.on_missing
    if policy is OnMissing.FAIL:
        unresolved = [i for i in resolution.missing if i.status is not ImageStatus.SKIPPED]
        fix = (
            "Push the images (CI builds them), or deploy with UsePreBuiltImages: false so the stack "
            "builds them locally, or set OnMissing: Fallback with a Fallback URI per image."
        )
    elif policy is OnMissing.FALLBACK:
        unresolved = [i for i in resolution.missing if i.source is Source.NONE]
        fix = "Give these images a Fallback URI, push them to ECR, or set OnMissing: Report."
    else:
        return
    if unresolved:
        raise MissingImagesError([_problem(image) for image in unresolved], fix)


_DETAIL = {
    ImageStatus.TAG_NOT_FOUND: "tag not found",
    ImageStatus.DIGEST_NOT_FOUND: "digest not found",
    ImageStatus.REPOSITORY_NOT_FOUND: "repository not found",
    ImageStatus.SKIPPED: "pre-built images are off and there is no Fallback",
}


def _problem(image: ImageResult) -> ImageProblem:
    return ImageProblem(image.name, _reference(image.spec), _DETAIL[image.status])


def _reference(spec: ImageSpec) -> str:
    repo = spec.ref.repository
    return f"{spec.ref.label} in {repo.registry.account_id}/{repo.registry.region}"
