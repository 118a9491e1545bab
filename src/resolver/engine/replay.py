"""The images a stack ran before: answer them again, and check they still exist.

A rollback must return to exactly what was deployed, whatever the tags say now: a re-pushed
mutable tag, a newer ``Version: latest`` set or a pattern's newer match would otherwise hand the
stack the very images whose deployment just failed. ``replay`` rebuilds a ``Resolution`` from
each image's ``RecordedImage`` and the request's specs — repositories, Fallbacks and policies come
from the request, digests and statuses from the record — and chooses nothing anew. Attributes
that describe an image rather than choose it (Platforms, PushedAt, SizeInBytes, Tags, Findings,
Retention, Signature, TagMutability) are read again by digest, as a forward resolution reads them — when ECR cannot answer they
are empty (``Unknown: <code>`` for Findings and Retention) and the replay says what it could not
verify — but never gated. A replay never raises for ECR's sake: a rollback must not be blocked.

``rollback_target`` answers the question an Update asks before it moves on: are the images it
replaces still in ECR, so that a failure can go back to them?
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..errors import UnreadableManifestError
from ..model import (
    READY,
    VERSION_FIELD,
    Attribute,
    ImageResult,
    ImageSpec,
    RecordedImage,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
    TagMatch,
)
from ..references import ImageRef
from ..values import frozen
from . import gates
from .ecr.batch_get_image import FetchedImage, fetch_images
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure, FailureKind
from .fanout import Deadline
from .indexes import read_index
from .outcomes import Absent, Found
from .pipeline import describe, mutability, undescribed
from .policy import decide


@frozen
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
    # Decided as found, so every stage describes them as it would have; the recorded status (a
    # gate's verdict, say) is put back at the end.
    outcomes = {spec.name: _outcome(spec, recorded[spec.name], version) for spec in request.images}
    # What was deployed is answered as deployed: no judgement of today's (a Lambda image's region).
    images = decide(replace(request, function_region=None), outcomes)
    if clients is None:
        resolution = Resolution(
            _as_recorded(images, recorded),
            request.on_missing,
            request.on_vulnerable,
            version=version,
        )
        return Replay(resolution, ("the images' descriptions (no time was left to read them)",))
    clients = clients.with_roles(request.roles)
    unverified: list[str] = []
    calls = 0
    if Attribute.PLATFORMS in request.attributes or request.scans_needed:
        images, calls = _with_indexes(images, clients=clients, deadline=deadline, notes=unverified)
    images, more = describe(request, images, clients=clients, deadline=deadline)
    calls += more
    # Read to be reported, never judged, and not waited for: a rollback must not be blocked.
    images, more = gates.read_only(request, images, clients=clients, deadline=deadline)
    images, calls = mutability(
        request, images, clients=clients, deadline=deadline, calls=calls + more
    )
    unverified += undescribed(images)
    resolution = Resolution(
        images=_as_recorded(images, recorded),
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        ecr_calls=calls,
        version=version,
    )
    return Replay(resolution, tuple(unverified))


def _outcome(spec: ImageSpec, recorded: RecordedImage, version: str | None) -> Found | Absent:
    if recorded.digest is None:  # missing, skipped: the request's policy gives the same answer
        return Absent(recorded.status, ref=spec.ref if spec.match is TagMatch.EXACT else None)
    return Found(
        _concrete_ref(spec, recorded, version),
        recorded.digest,
        recorded.tagged_digest or recorded.digest,
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
    report = fetch_images(
        refs.values(), clients=clients.with_roles(request.roles), deadline=deadline
    )
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
