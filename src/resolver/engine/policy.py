"""What a missing or gated image does: the ``OnMissing`` / ``OnVulnerable`` /
``OnRetentionRisk`` policies.

Also the one mapping from an ECR failure kind to an image status, so discovery and lookups
agree on what "absent" looks like.
"""

from __future__ import annotations

from ..errors import ImageProblem, MissingImagesError, RetentionRiskError, VulnerableImagesError
from ..model import (
    ImageResult,
    ImageSpec,
    ImageStatus,
    OnMissing,
    OnRetentionRisk,
    OnVulnerable,
    Resolution,
    Source,
)
from ..references import ImageRef
from .ecr.failures import FailureKind


def absent_status(kind: FailureKind, ref: ImageRef) -> ImageStatus:
    """The status of an image ECR says is absent (``kind`` is not ``ERROR``)."""
    if kind is FailureKind.REPOSITORY_NOT_FOUND:
        return ImageStatus.REPOSITORY_NOT_FOUND
    return ImageStatus.TAG_NOT_FOUND if ref.tag else ImageStatus.DIGEST_NOT_FOUND


def unresolved(
    spec: ImageSpec, status: ImageStatus, on_missing: OnMissing, *, detail: str = ""
) -> ImageResult:
    """The result for an image not taken from ECR: its Fallback where the policy allows one.

    ``UsePreBuiltImages: false`` (SKIPPED) always takes the fallback; a missing image only under
    ``OnMissing: Fallback``.
    """
    use_fallback = status is ImageStatus.SKIPPED or on_missing is OnMissing.FALLBACK
    if use_fallback and spec.fallback:
        return ImageResult(spec, status, spec.fallback, Source.FALLBACK, detail=detail)
    return ImageResult(spec, status, "", Source.NONE, detail=detail)


def enforce(resolution: Resolution) -> None:
    """Raise where ``OnMissing`` / ``OnVulnerable`` / ``OnRetentionRisk`` say an image must fail
    the deployment.

    Skipped images (pre-built images off) always carry a Fallback: ``properties`` insists on it.
    """
    _enforce_missing(resolution)
    if resolution.on_vulnerable is OnVulnerable.FAIL:
        vulnerable, unscanned = (
            [problem(image) for image in resolution.images if image.status is status]
            for status in (ImageStatus.VULNERABLE, ImageStatus.NOT_SCANNED)
        )
        if vulnerable or unscanned:
            raise VulnerableImagesError(vulnerable, unscanned=unscanned)
    at_risk = [
        ImageProblem(image.name, image.image_ref.location, image.detail or image.retention.value)
        for image in resolution.images
        if image.retention is not None
        and image.retention.at_risk
        and image.spec.on_retention_risk is OnRetentionRisk.FAIL
        # A Fallback deployed instead is not the image at risk.
        and image.source is not Source.FALLBACK
    ]
    if at_risk:
        raise RetentionRiskError(at_risk)


def _enforce_missing(resolution: Resolution) -> None:
    policy = resolution.on_missing
    if policy is OnMissing.FAIL:
        failing = [i for i in resolution.missing if i.status is not ImageStatus.SKIPPED]
        fix = (
            "Push the images (CI builds them), or deploy with UsePreBuiltImages: false so the stack "
            "builds them locally, or set OnMissing: Fallback with a Fallback URI per image."
        )
    elif policy is OnMissing.FALLBACK:
        failing = [i for i in resolution.missing if i.source is Source.NONE]
        fix = "Give these images a Fallback URI, push them to ECR, or set OnMissing: Report."
    else:
        return
    if failing:
        raise MissingImagesError([problem(image) for image in failing], fix)


_DETAIL = {
    ImageStatus.TAG_NOT_FOUND: "tag not found",
    ImageStatus.DIGEST_NOT_FOUND: "digest not found",
    ImageStatus.REPOSITORY_NOT_FOUND: "repository not found",
    ImageStatus.SKIPPED: "pre-built images are off and there is no Fallback",
    ImageStatus.ARCHIVED: "archived: restore it to standard storage, or push it again",
}


def problem(image: ImageResult) -> ImageProblem:
    """``image`` described for a person: name, where it is, and what is wrong with it."""
    return ImageProblem(
        image.name, image.image_ref.location, image.detail or _DETAIL.get(image.status, "")
    )
