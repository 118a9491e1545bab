"""The images a stack ran before: answer them again, and check they still exist.

A rollback must return to exactly what was deployed, whatever the tags say now: a re-pushed
mutable tag, a newer ``Version: latest`` set or a pattern's newer match would otherwise hand the
stack the very images whose deployment just failed. ``replay`` rebuilds a ``Resolution`` from
each image's ``RecordedImage`` and the request's specs — repositories, Fallbacks and policies come
from the request, digests and statuses from the record — and chooses nothing anew. Attributes
that describe an image rather than choose it (Platforms, PushedAt, SizeInBytes, Tags, Findings,
Retention) are read again by digest; when ECR cannot answer they stay empty and the replay says what it
could not verify. A replay never raises for ECR's sake: a rollback must not be blocked.

``rollback_target`` answers the question an Update asks before it moves on: are the images it
replaces still in ECR, so that a failure can go back to them?
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..errors import LookupFailedError, UnreadableManifestError
from ..model import (
    METADATA_ATTRIBUTES,
    READY,
    VERSION_FIELD,
    Attribute,
    ImageResult,
    ImageSpec,
    ImageStatus,
    OnVulnerable,
    RecordedImage,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
    Source,
    TagMatch,
)
from ..references import ImageRef
from .ecr.batch_get_image import FetchedImage, fetch_images
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure, FailureKind
from .fanout import Deadline
from .indexes import read_index
from .policy import unresolved


@dataclass(frozen=True)
class Replay:
    resolution: Resolution
    unverified: tuple[str, ...]  # what could not be read again, for a warning


def replay(
    request: ResolveRequest,
    recorded: Mapping[str, RecordedImage],
    *,
    version: str | None,
    clients: EcrClients | None,
    deadline: Deadline,
) -> Replay:
    """``request``'s images as ``recorded`` (one entry per image name), described afresh.

    Without ``clients`` nothing is read again (no time left for ECR): the attributes that choose
    what is deployed are exact, the ones that only describe an image are empty.
    """
    # Rebuilt as found, so every stage describes them as it would have; the recorded status (a
    # gate's verdict, say) is put back at the end.
    images = tuple(_rebuilt(request, spec, recorded[spec.name], version) for spec in request.images)
    if clients is None:
        resolution = Resolution(
            _as_recorded(images, recorded),
            request.on_missing,
            request.on_vulnerable,
            version=version,
        )
        return Replay(resolution, ("the images' descriptions (no time was left to read them)",))
    unverified: list[str] = []
    calls = 0
    if Attribute.PLATFORMS in request.attributes or request.scans_needed:
        images, more = _with_indexes(images, clients=clients, deadline=deadline, notes=unverified)
        calls += more
    if METADATA_ATTRIBUTES & set(request.attributes):
        from .metadata import add_details  # noqa: PLC0415 - loaded on first use, as in pipeline

        described = add_details(request, images, clients=clients, deadline=deadline)
        images, calls = described.images, calls + described.calls
        unverified += [
            f"{p.name}'s PushedAt, SizeInBytes, Tags ({p.detail})" for p in described.problems
        ]
    if request.retention_needed:
        from .retention import add_retention  # noqa: PLC0415 - loaded on first use

        images, more = add_retention(request, images, clients=clients, deadline=deadline)
        calls += more
    if request.scans_needed:
        images, more = _with_findings(request, images, clients=clients, deadline=deadline)
        calls += more
        if any(image.found and image.scan is None for image in images):
            unverified.append("scan findings")
    resolution = Resolution(
        images=_as_recorded(images, recorded),
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        ecr_calls=calls,
        version=version,
    )
    return Replay(resolution, tuple(unverified))


def _rebuilt(
    request: ResolveRequest, spec: ImageSpec, recorded: RecordedImage, version: str | None
) -> ImageResult:
    concrete = _concrete_ref(spec, recorded, version)
    if recorded.digest is None:  # missing, skipped: the request's policy gives the same answer
        result = unresolved(spec, recorded.status, request.on_missing)
        return replace(result, ref=spec.ref) if spec.match is TagMatch.EXACT else result
    return ImageResult(
        spec,
        ImageStatus.FOUND,
        spec.ref.pinned_uri(recorded.digest),
        Source.PREBUILT,
        recorded.digest,
        ref=concrete,
        tagged_digest=recorded.tagged_digest or recorded.digest,
    )


def _concrete_ref(spec: ImageSpec, recorded: RecordedImage, version: str | None) -> ImageRef | None:
    """The tag the image was found by: the spec's own, its ``{version}`` filled in, or the tag a
    pattern chose (when the record kept it)."""
    tag = spec.ref.tag
    if spec.match is TagMatch.LATEST_VERSION and tag and version:
        return ImageRef(spec.ref.repository, tag=tag.replace(VERSION_FIELD, version))
    if spec.match is TagMatch.PATTERN:
        return ImageRef(spec.ref.repository, tag=recorded.tag) if recorded.tag else None
    return spec.ref


def _with_indexes(
    images: tuple[ImageResult, ...], *, clients: EcrClients, deadline: Deadline, notes: list[str]
) -> tuple[tuple[ImageResult, ...], int]:
    """Platforms (and, for an unpinned index, the images to scan) from the tagged digest."""
    refs = {
        image.name: ImageRef(image.image_ref.repository, digest=image.tagged_digest)
        for image in images
        if image.found and image.tagged_digest
    }
    if not refs:
        return images, 0
    report = fetch_images(refs.values(), clients=clients, deadline=deadline)
    rebuilt = []
    for image in images:
        answer = report.answers.get(refs[image.name]) if image.name in refs else None
        if isinstance(answer, EcrFailure):
            notes.append(f"{image.name}'s platforms ({answer.code})")
        rebuilt.append(_described(image, answer) if isinstance(answer, FetchedImage) else image)
    return tuple(rebuilt), report.calls


def _described(image: ImageResult, fetched: FetchedImage) -> ImageResult:
    try:
        index = read_index(fetched.media_type, fetched.manifest)
    except UnreadableManifestError:
        return image
    if index is None:
        return image
    unpinned = image.digest == image.tagged_digest
    return replace(
        image,
        platforms=tuple(str(p) for p in index.platforms),
        children=index.runnable_digests if unpinned else (),
    )


def _with_findings(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """Findings read again, reported only: a replay never gates."""
    from .gate import add_scans  # noqa: PLC0415 - loaded on first use, as in pipeline

    report_only = replace(
        request, on_vulnerable=OnVulnerable.REPORT, require_scan=False, scan_wait_seconds=0
    )
    try:
        scanned, calls = add_scans(report_only, images, clients=clients, deadline=deadline)
    except LookupFailedError:
        return images, 0
    return tuple(replace(image, detail="") for image in scanned), calls


def _as_recorded(
    images: tuple[ImageResult, ...], recorded: Mapping[str, RecordedImage]
) -> tuple[ImageResult, ...]:
    return tuple(replace(image, status=recorded[image.name].status) for image in images)


def rollback_target(
    request: ResolveRequest,
    recorded: Mapping[str, RecordedImage],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[RollbackTarget, int]:
    """Whether every recorded image ``request`` deploys from ECR is still there, and the calls."""
    refs = {
        spec.name: ImageRef(spec.ref.repository, digest=entry.digest)
        for spec in request.images
        if (entry := recorded.get(spec.name)) is not None and entry.digest
    }
    if not refs:
        return READY, 0
    report = fetch_images(refs.values(), clients=clients, deadline=deadline)
    missing: list[tuple[str, EcrFailure]] = []
    unanswered: list[tuple[str, EcrFailure]] = []
    for name, ref in refs.items():
        answer = report.answers[ref]
        if isinstance(answer, EcrFailure):
            (unanswered if answer.kind is FailureKind.ERROR else missing).append((name, answer))
    if missing:
        return RollbackTarget(RollbackState.MISSING, tuple(n for n, _ in missing)), report.calls
    if unanswered:
        name, failure = unanswered[0]
        reason = f"ECR could not say whether {name} still exists ({failure.code})"
        return RollbackTarget(RollbackState.UNKNOWN, reason=reason), report.calls
    return READY, report.calls
