"""The core: a validated request in, one typed result per image out.

``resolve`` runs the steps in order — discover concrete tags (patterns, ``Version: latest``), look
the images up (waiting for a concurrent push if asked), pin indexes to a platform, then read
metadata and scan findings only when asked — and applies the fallback policy. ``enforce`` turns
the policies' "this must fail" cases into errors. The Lambda shell calls both; the CLI planner
reports without enforcing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from . import manifests
from .discovery_step import discover
from .ecr_clients import EcrClients
from .ecr_details import (
    Failure,
    ImageDetails,
    ScanReport,
    ScanState,
    describe,
    merge,
    scan_reports,
)
from .ecr_query import Lookup, LookupStatus, query_images
from .errors import ImageProblem, LookupFailedError, MissingImagesError, VulnerableImagesError
from .references import ImageRef, Repository
from .spec import (
    METADATA_ATTRIBUTES,
    Attribute,
    ImageSpec,
    OnMissing,
    OnVulnerable,
    ResolveRequest,
    TagMatch,
)

logger = logging.getLogger(__name__)


class ImageStatus(Enum):
    FOUND = "Found"
    TAG_NOT_FOUND = "TagNotFound"
    DIGEST_NOT_FOUND = "DigestNotFound"
    REPOSITORY_NOT_FOUND = "RepositoryNotFound"
    PLATFORM_NOT_FOUND = "PlatformNotFound"
    SKIPPED = "Skipped"  # UsePreBuiltImages is false: ECR was not asked
    VULNERABLE = "Vulnerable"  # found, but its findings reach FailOnSeverity
    NOT_SCANNED = "NotScanned"  # found, never scanned, and RequireScan is true


MISSING = frozenset(
    {
        ImageStatus.TAG_NOT_FOUND,
        ImageStatus.DIGEST_NOT_FOUND,
        ImageStatus.REPOSITORY_NOT_FOUND,
        ImageStatus.PLATFORM_NOT_FOUND,
        ImageStatus.SKIPPED,
    }
)


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
    ref: ImageRef | None = None  # the concrete image looked up (a pattern's chosen tag)
    detail: str = ""  # why it is missing, for a person
    platforms: tuple[str, ...] = ()  # an index's runnable platforms
    children: tuple[str, ...] = ()  # an unpinned index's runnable images (scanned one by one)
    tagged_digest: str | None = None  # what the tag points at (an index, when pinned to a child)
    details: ImageDetails | None = None  # DescribeImages, when asked for
    scan: ScanReport | None = None  # scan findings, when asked for

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def build_required(self) -> bool:
        return self.status in MISSING

    @property
    def image_ref(self) -> ImageRef:
        return self.ref or self.spec.ref

    @property
    def tag_uri(self) -> str:
        """The concrete tag's URI; "" for a digest, or a pattern that matched nothing."""
        if self.ref is not None:
            return self.ref.tag_uri
        return self.spec.ref.tag_uri if self.spec.match is TagMatch.EXACT else ""


@dataclass(frozen=True)
class Resolution:
    images: tuple[ImageResult, ...]
    on_missing: OnMissing
    on_vulnerable: OnVulnerable = OnVulnerable.FAIL
    ecr_calls: int = 0
    version: str | None = None

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


@dataclass(frozen=True)
class _Calls:
    """How one resolution talks to ECR: clients, the deadline, and how to wait."""

    clients: EcrClients
    deadline: float | None
    sleep: Callable[[float], None]

    def may_sleep(self, delay: float, *, spent: float, budget: float, then: float = 0.0) -> bool:
        """Whether sleeping ``delay`` more stays within ``budget`` seconds, and leaves ``then``
        seconds (the next round of calls) before the deadline."""
        left = None if self.deadline is None else self.deadline - time.monotonic()
        return spent + delay <= budget and (left is None or delay + then < left)


def resolve(
    request: ResolveRequest,
    *,
    clients: EcrClients,
    deadline: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Resolution:
    """Resolve every image of ``request``; raises ``LookupFailedError`` if ECR cannot answer.

    ``deadline`` is a ``time.monotonic()`` bound on every ECR call and every wait.
    """
    if not request.use_prebuilt:
        skipped = tuple(
            _fallback_or_none(spec, ImageStatus.SKIPPED, request.on_missing)
            for spec in request.images
        )
        return Resolution(
            images=skipped,
            on_missing=request.on_missing,
            on_vulnerable=request.on_vulnerable,
            version=request.version,
        )

    calls = _Calls(clients, deadline, sleep or time.sleep)
    started = time.monotonic()
    first = _look_up(request, request.images, calls)
    results, count, version = _wait_for_missing(
        request, first, calls, round_seconds=time.monotonic() - started
    )
    images = tuple(results[spec.name] for spec in request.images)
    images = _add_details(request, images, calls)
    images = _add_scans(request, images, calls)
    return Resolution(
        images=images,
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        ecr_calls=count,
        version=version or request.version,
    )


def _look_up(
    request: ResolveRequest, specs: Sequence[ImageSpec], calls: _Calls
) -> tuple[dict[str, ImageResult], int, str | None]:
    """One round: discovery, then one BatchGetImage per repository per 100 images."""
    found = discover(specs, clients=calls.clients, deadline=calls.deadline)
    report = query_images(found.refs.values(), clients=calls.clients, deadline=calls.deadline)
    failures = [*found.failures]
    results: dict[str, ImageResult] = {}
    for spec in specs:
        if spec.name in found.unmatched:
            kind, detail = found.unmatched[spec.name]
            status = (
                ImageStatus.REPOSITORY_NOT_FOUND
                if kind is LookupStatus.REPOSITORY_NOT_FOUND
                else ImageStatus.TAG_NOT_FOUND
            )
            results[spec.name] = _fallback_or_none(spec, status, request.on_missing, detail=detail)
            continue
        if spec.name in found.failed_names:
            continue
        ref = found.refs[spec.name]
        lookup = report.lookups[ref]
        if lookup.status is LookupStatus.FAILED:
            detail = f"{lookup.error_code}: {lookup.error_message}"
            failures.append(ImageProblem(spec.name, ref.location, detail))
            continue
        try:
            results[spec.name] = _result(spec, ref, lookup, request.on_missing)
        except ValueError as exc:  # a manifest we cannot read is not "missing"
            failures.append(ImageProblem(spec.name, ref.location, f"unreadable manifest: {exc}"))
    if failures:
        raise LookupFailedError(failures)
    return results, found.calls + report.calls, found.version


Round = tuple[dict[str, ImageResult], int, str | None]  # results, ECR calls, version chosen


def _wait_for_missing(
    request: ResolveRequest, first: Round, calls: _Calls, *, round_seconds: float
) -> Round:
    """``WaitSeconds``: poll for missing images (CI may still be pushing), with backoff.

    The budget counts the time slept; each sleep also leaves room for another round of calls
    before the deadline. A round that fails (a timeout, say) ends the wait with the last
    definite answer rather than turning it into an error.
    """
    results, count, version = first
    slept, delay = 0.0, 2.0
    while True:
        waiting = _waiting(request, results)
        reserve = max(1.0, 2 * round_seconds)
        if not waiting or not calls.may_sleep(
            delay, spent=slept, budget=request.wait_seconds, then=reserve
        ):
            return results, count, version
        logger.info("Waiting for missing images", extra={"images": [s.name for s in waiting]})
        calls.sleep(delay)
        slept, delay = slept + delay, min(delay * 1.5, 15.0)
        started = time.monotonic()
        try:
            again, more, chosen = _look_up(request, waiting, calls)
        except LookupFailedError as exc:
            logger.warning("Stopped waiting: ECR did not answer", extra={"reason": str(exc)})
            return results, count, version
        round_seconds = time.monotonic() - started
        results, count = {**results, **again}, count + more
        if any(spec.match is TagMatch.LATEST_VERSION for spec in waiting):
            version = chosen


def _waiting(request: ResolveRequest, results: dict[str, ImageResult]) -> list[ImageSpec]:
    """The images to look for again. ``Version: latest`` images are looked for together, so a
    newly complete version is used for all of them, never half."""
    missing = {spec.name for spec in request.images if results[spec.name].build_required}
    latest = {spec.name for spec in request.images if spec.match is TagMatch.LATEST_VERSION}
    if missing & latest:
        missing |= latest
    return [spec for spec in request.images if spec.name in missing]


def _result(spec: ImageSpec, ref: ImageRef, lookup: Lookup, on_missing: OnMissing) -> ImageResult:
    if lookup.status is LookupStatus.FOUND and lookup.digest:
        return _pinned(spec, ref, lookup.digest, lookup)
    if lookup.status is LookupStatus.REPOSITORY_NOT_FOUND:
        status = ImageStatus.REPOSITORY_NOT_FOUND
    else:
        status = ImageStatus.TAG_NOT_FOUND if ref.tag else ImageStatus.DIGEST_NOT_FOUND
    result = _fallback_or_none(spec, status, on_missing)
    return replace(result, ref=ref)


def _pinned(spec: ImageSpec, ref: ImageRef, digest: str, lookup: Lookup) -> ImageResult:
    """Pin to the digest ECR returned; an index is pinned to its platform's child when asked."""
    found = ImageResult(
        spec,
        ImageStatus.FOUND,
        ref.pinned_uri(digest),
        Source.PREBUILT,
        digest,
        ref=ref,
        tagged_digest=digest,
    )
    if not manifests.is_index(lookup.media_type, lookup.manifest) or lookup.manifest is None:
        return found
    available = tuple(str(p) for p in manifests.platforms(lookup.manifest))
    runnable = tuple(
        e.digest for e in manifests.entries(lookup.manifest) if e.platform and not e.attestation
    )
    found = replace(found, platforms=available, children=runnable)
    wanted = spec.wanted_platform
    if wanted is None:
        return found
    entry = manifests.choose(lookup.manifest, wanted)
    if entry is None:
        detail = f"no {wanted} image in the index (available: {', '.join(available) or 'none'})"
        return replace(
            found,
            status=ImageStatus.PLATFORM_NOT_FOUND,
            uri="",
            source=Source.NONE,
            digest=None,
            detail=detail,
        )
    if spec.for_lambda:
        logger.info(
            "Pinned an image index to its platform's image: Lambda rejects indexes",
            extra={"image": spec.name, "platform": str(wanted)},
        )
    return replace(found, uri=ref.pinned_uri(entry.digest), digest=entry.digest, children=())


def _fallback_or_none(
    spec: ImageSpec, status: ImageStatus, on_missing: OnMissing, *, detail: str = ""
) -> ImageResult:
    # UsePreBuiltImages=false (SKIPPED) always takes the fallback; a missing image only under
    # OnMissing: Fallback.
    use_fallback = status is ImageStatus.SKIPPED or on_missing is OnMissing.FALLBACK
    if use_fallback and spec.fallback:
        return ImageResult(spec, status, spec.fallback, Source.FALLBACK, detail=detail)
    return ImageResult(spec, status, "", Source.NONE, detail=detail)


def _add_details(
    request: ResolveRequest, images: tuple[ImageResult, ...], calls: _Calls
) -> tuple[ImageResult, ...]:
    """PushedAt / SizeInBytes / Tags: DescribeImages, only when one of them is selected."""
    if not METADATA_ATTRIBUTES & set(request.attributes):
        return images
    # The image the tag names (for a pinned platform, its index): that is what has tags.
    targets = {_tagged(image): image for image in images if _is_found(image)}
    answers = describe(targets, clients=calls.clients, deadline=calls.deadline)
    _raise_failures(targets, answers)
    return tuple(
        replace(image, details=answer)
        if isinstance(answer := answers.get(_tagged(image)), ImageDetails)
        else image
        for image in images
    )


def _add_scans(
    request: ResolveRequest, images: tuple[ImageResult, ...], calls: _Calls
) -> tuple[ImageResult, ...]:
    """Scan findings for gated images (FailOnSeverity), or all found images (Findings)."""
    if not request.scans_needed:
        return images
    everything = Attribute.FINDINGS in request.attributes
    scanned = [image for image in images if _is_found(image) and (everything or image.spec.fail_on)]
    # ECR scans images, not indexes: an unpinned index is judged by all its runnable images.
    targets = {target: image for image in scanned for target in _scan_targets(image)}
    if not targets:
        return images
    reports = scan_reports(
        targets,
        clients=calls.clients,
        may_sleep=lambda delay, spent: calls.may_sleep(
            delay, spent=spent, budget=request.scan_wait_seconds
        ),
        deadline=calls.deadline,
        sleep=calls.sleep,
    )
    _raise_failures(targets, reports)
    merged = {
        image.name: merge(
            [r for t in _scan_targets(image) if isinstance(r := reports[t], ScanReport)]
        )
        for image in scanned
    }
    return tuple(
        _gated(request, image, merged[image.name]) if image.name in merged else image
        for image in images
    )


Target = tuple[Repository, str]


def _is_found(image: ImageResult) -> bool:
    return image.status is ImageStatus.FOUND and bool(image.digest)


def _tagged(image: ImageResult) -> Target:
    return (image.image_ref.repository, image.tagged_digest or image.digest or "")


def _scan_targets(image: ImageResult) -> list[Target]:
    repo = image.image_ref.repository
    return [(repo, digest) for digest in image.children or (image.digest or "",)]


def _raise_failures(
    targets: Mapping[Target, ImageResult], answers: Mapping[Target, object]
) -> None:
    problems = [
        ImageProblem(image.name, image.image_ref.location, f"{answer.code}: {answer.message}")
        for target, image in targets.items()
        if isinstance(answer := answers.get(target), Failure)
    ]
    if problems:
        raise LookupFailedError(problems)


def _gated(request: ResolveRequest, image: ImageResult, report: ScanReport) -> ImageResult:
    image = replace(image, scan=report)
    threshold = image.spec.fail_on
    if threshold is None:
        return image
    if report.state is ScanState.COMPLETE:
        count = report.at_or_above(threshold.value)
        if count:
            detail = f"{count} finding(s) at {threshold.value} or above ({report.summary()})"
            return replace(image, status=ImageStatus.VULNERABLE, detail=detail)
        return image
    if request.require_scan:
        detail = f"no completed scan ({report.detail or report.state.value})"
        return replace(image, status=ImageStatus.NOT_SCANNED, detail=detail)
    return image


def enforce(resolution: Resolution) -> None:
    """Raise where ``OnMissing`` / ``OnVulnerable`` say an image must fail the deployment.

    Skipped images (pre-built images off) always carry a Fallback: ``spec`` insists on it.
    """
    _enforce_missing(resolution)
    if resolution.on_vulnerable is OnVulnerable.FAIL:
        blocked = [
            _problem(image)
            for image in resolution.images
            if image.status in (ImageStatus.VULNERABLE, ImageStatus.NOT_SCANNED)
        ]
        if blocked:
            raise VulnerableImagesError(blocked)


def _enforce_missing(resolution: Resolution) -> None:
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
    return ImageProblem(
        image.name, image.image_ref.location, image.detail or _DETAIL.get(image.status, "")
    )
