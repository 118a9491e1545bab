"""Scan findings, and the vulnerability gate: two steps, because a rollback reads without gating.

``read_findings`` reads them for gated images (``FailOnSeverity``) or for every found image (the
``Findings`` attribute), polling a scan in progress for up to ``wait_seconds``. A read ECR
refuses is an ``Unknown`` report, never an error: findings describe an image. ``apply_gate``
then judges the gated images — and only there does an unknown report fail, because the gate the
user asked for cannot judge without it.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ImageProblem, LookupFailedError
from ..model import (
    Attribute,
    ImageResult,
    ImageStatus,
    ResolveRequest,
    ScanReport,
    ScanState,
    WaitingFor,
)
from .backoff import Pauses
from .ecr.batches import Target
from .ecr.failures import EcrFailure
from .ecr.scan_findings import scan_findings
from .gates import Reading


def read_findings(
    request: ResolveRequest, images: tuple[ImageResult, ...], *, reading: Reading
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with ``scan`` set where findings are wanted, and the ECR calls made.

    ``observer`` hears a ``Waiting`` before each sleep for a scan in progress.
    """
    everything = Attribute.FINDINGS in request.attributes
    scanned = [image for image in images if image.found and (everything or image.spec.fail_on)]
    # ECR scans images, not indexes: an unpinned index is judged by all its runnable images.
    targets = {target: image.name for image in scanned for target in _scan_targets(image)}
    if not targets:
        return images, 0
    pauses = Pauses(
        WaitingFor.SCAN,
        budget=reading.wait_seconds,
        deadline=reading.deadline,
        observer=reading.observer,
    )
    pending = list(targets)
    reports: dict[Target, ScanReport] = {}
    calls = 0
    while True:
        answered = scan_findings(pending, clients=reading.clients, deadline=reading.deadline)
        reports.update((target, _report(answer)) for target, answer in answered.answers.items())
        calls += answered.calls
        pending = [t for t in pending if reports[t].state is ScanState.IN_PROGRESS]
        if not pauses.pause(sorted({targets[t] for t in pending})):
            break
    merged = {
        image.name: ScanReport.merged([reports[t] for t in _scan_targets(image)])
        for image in scanned
    }
    read = tuple(
        replace(image, scan=merged[image.name]) if image.name in merged else image
        for image in images
    )
    return read, calls


def apply_gate(request: ResolveRequest, images: tuple[ImageResult, ...]) -> tuple[ImageResult, ...]:
    """``images`` judged by their ``FailOnSeverity``: ``Vulnerable`` at or above it, ``NotScanned``
    without a completed scan under ``RequireScan``. Raises ``LookupFailedError`` for a gated
    image whose findings ECR would not give: the gate cannot judge it, and an image it cannot
    judge is never waved through."""
    unjudged = [
        ImageProblem(image.name, image.image_ref.location, image.scan.detail)
        for image in images
        if image.spec.fail_on and image.scan and image.scan.state is ScanState.UNKNOWN
    ]
    if unjudged:
        raise LookupFailedError(unjudged)
    return tuple(_gated(request, image) for image in images)


def _report(answer: ScanReport | EcrFailure) -> ScanReport:
    if isinstance(answer, EcrFailure):
        return ScanReport(ScanState.UNKNOWN, detail=str(answer), error=answer.code)
    return answer


def _scan_targets(image: ImageResult) -> list[Target]:
    repo = image.image_ref.repository
    return [(repo, digest) for digest in image.children or (image.digest or "",)]


def _gated(request: ResolveRequest, image: ImageResult) -> ImageResult:
    threshold, report = image.spec.fail_on, image.scan
    if threshold is None or report is None:
        return image
    if report.state is ScanState.COMPLETE:
        count = report.at_or_above(threshold)
        if count:
            detail = f"{count} finding(s) at {threshold.value} or above ({report.summary()})"
            return replace(image, status=ImageStatus.VULNERABLE, detail=detail)
        return image
    if request.require_scan:
        detail = f"no completed scan ({report.detail or report.state.value})"
        return replace(image, status=ImageStatus.NOT_SCANNED, detail=detail)
    return image


# The gate family's names for the two parts (``gates``).
read = read_findings
judge = apply_gate
