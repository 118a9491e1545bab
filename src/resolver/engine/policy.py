"""The ``OnMissing`` / ``OnVulnerable`` / ``OnRetentionRisk`` / ``OnUnsigned`` / ``OnLockMismatch``
policies, applied once per request.

``decide`` turns every image's outcome (``outcomes``) into its ``ImageResult``: a Fallback where
``OnMissing`` allows one, and a ``LookupFailedError`` for every image ECR could not answer for —
never "missing". ``enforce`` raises where a policy says the resolution must fail a deployment:
the Lambda calls it, the planner only reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..errors import (
    GateError,
    ImageProblem,
    LockMismatchError,
    LookupFailedError,
    MissingImagesError,
    NotReplicatedError,
    RetentionRiskError,
    UnsignedImagesError,
    VulnerableImagesError,
)
from ..model import (
    ImageResult,
    ImageSpec,
    ImageStatus,
    OnLockMismatch,
    OnMissing,
    OnRetentionRisk,
    OnUnsigned,
    OnVulnerable,
    Resolution,
    ResolveRequest,
    Source,
    Verdict,
)
from .gates import refused
from .outcomes import Absent, Found, Outcome


def decide(request: ResolveRequest, outcomes: Mapping[str, Outcome]) -> tuple[ImageResult, ...]:
    """One result per image of ``request``, in its order; raises ``LookupFailedError`` naming
    every image ECR could not answer for (an image that could not be looked up may well exist).

    A missing image takes its Fallback under ``OnMissing: Fallback``; with pre-built images off
    (``Skipped``) it always does.
    """
    results: list[ImageResult] = []
    failed: list[ImageProblem] = []
    for spec in request.images:
        outcome = outcomes[spec.name]
        if isinstance(outcome, ImageProblem):
            failed.append(outcome)
        else:
            outcome = _in_the_functions_region(spec, outcome, request.function_region)
            results.append(_result(spec, outcome, request.on_missing))
    if failed:
        raise LookupFailedError(failed)
    return tuple(results)


def _in_the_functions_region(
    spec: ImageSpec, outcome: Found | Absent, region: str | None
) -> Found | Absent:
    """A Lambda image found in another region than the function's is not deployable: Lambda pulls
    an image only from its own region (Lambda developer guide, "Container images"; a request open
    at aws/containers-roadmap#1281). Deploying it fails only at the function's create, so it is
    ``WrongRegion`` here: build needed, or replicate the repository to the function's region."""
    where = spec.ref.repository.registry.region
    if not (spec.for_lambda and isinstance(outcome, Found) and region and where != region):
        return outcome
    detail = (
        f"in {where}, but Lambda pulls only from the function's own region, {region}: "
        f"replicate the repository to {region} (and WaitForReplication), or push the image there"
    )
    return Absent(ImageStatus.WRONG_REGION, detail, ref=outcome.ref)


def _result(spec: ImageSpec, outcome: Found | Absent, on_missing: OnMissing) -> ImageResult:
    if isinstance(outcome, Found):
        return ImageResult(
            spec,
            ImageStatus.FOUND,
            spec.ref.pinned_uri(outcome.digest),
            Source.PREBUILT,
            outcome.digest,
            ref=outcome.ref,
            platforms=outcome.platforms,
            children=outcome.children,
            tagged_digest=outcome.tagged_digest,
        )
    use_fallback = outcome.status is ImageStatus.SKIPPED or on_missing is OnMissing.FALLBACK
    fallback = spec.fallback if use_fallback else None
    return ImageResult(
        spec,
        outcome.status,
        fallback or "",
        Source.FALLBACK if fallback else Source.NONE,
        ref=outcome.ref,
        detail=outcome.detail,
        platforms=outcome.platforms,
        tagged_digest=outcome.tagged_digest,
    )


def enforce(resolution: Resolution) -> None:
    """Raise where ``OnMissing`` / ``OnVulnerable`` / ``OnRetentionRisk`` say an image must fail
    the deployment.

    Skipped images (pre-built images off) always carry a Fallback: ``properties`` insists on it.
    """
    _enforce_missing(resolution)
    if resolution.on_vulnerable is OnVulnerable.FAIL:
        vulnerable, unscanned = (
            [_problem(image) for image in resolution.images if image.status is status]
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
    _enforce_vouched(resolution)


# The gates that vouch for a digest: each image's verdict, and whether its policy is Fail.
_VOUCHING: tuple[
    tuple[
        Callable[[list[ImageProblem]], GateError],
        Callable[[ImageResult], Verdict | None],
        Callable[[ImageResult], bool],
    ],
    ...,
] = (
    (
        UnsignedImagesError,
        lambda image: image.signature,
        lambda image: (
            bool(image.spec.gates.signature) and image.spec.gates.on_unsigned is OnUnsigned.FAIL
        ),
    ),
    (
        LockMismatchError,
        lambda image: image.lock,
        lambda image: image.spec.gates.on_lock_mismatch is OnLockMismatch.FAIL,
    ),
    (NotReplicatedError, lambda image: image.replication, lambda image: True),
)


def _enforce_vouched(resolution: Resolution) -> None:
    """Judged by each gate's verdict, not by the status: an image has one status (the first
    gate's to block it), and every gate that refuses it under ``Fail`` must still say so."""
    for error, verdict_of, failing in _VOUCHING:
        problems = [
            ImageProblem(image.name, image.image_ref.location, verdict.detail or verdict.value)
            for image in resolution.images
            if refused(verdict := verdict_of(image)) and verdict is not None and failing(image)
        ]
        if problems:
            raise error(problems)


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
        raise MissingImagesError([_problem(image) for image in failing], fix)


_DETAIL = {
    ImageStatus.TAG_NOT_FOUND: "tag not found",
    ImageStatus.DIGEST_NOT_FOUND: "digest not found",
    ImageStatus.REPOSITORY_NOT_FOUND: "repository not found",
    ImageStatus.SKIPPED: "pre-built images are off and there is no Fallback",
    ImageStatus.ARCHIVED: "archived: restore it to standard storage, or push it again",
}


def _problem(image: ImageResult) -> ImageProblem:
    """``image`` described for a person: name, where it is, and what is wrong with it."""
    return ImageProblem(
        image.name, image.image_ref.location, image.detail or _DETAIL.get(image.status, "")
    )
