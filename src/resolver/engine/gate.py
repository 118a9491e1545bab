"""The vulnerability gate: scan findings for gated images (``FailOnSeverity``) or for all found
images (the ``Findings`` attribute), a scan still in progress polled for ``ScanWaitSeconds``."""

from __future__ import annotations

from dataclasses import replace

from ..errors import ImageProblem, LookupFailedError
from ..model import Attribute, ImageResult, ImageStatus, ResolveRequest, ScanReport, ScanState
from .ecr.batches import Target
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure
from .ecr.scan_findings import scan_findings
from .fanout import Deadline

FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 10.0


def add_scans(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with findings read and the gate applied, and the ECR calls made."""
    if not request.scans_needed:
        return images, 0
    everything = Attribute.FINDINGS in request.attributes
    scanned = [image for image in images if image.found and (everything or image.spec.fail_on)]
    # ECR scans images, not indexes: an unpinned index is judged by all its runnable images.
    targets = {target: image for image in scanned for target in _scan_targets(image)}
    if not targets:
        return images, 0
    reports, calls = _reports(targets, request=request, clients=clients, deadline=deadline)
    problems = [
        ImageProblem(image.name, image.image_ref.location, str(report))
        for target, image in targets.items()
        if isinstance(report := reports[target], EcrFailure)
    ]
    if problems:
        raise LookupFailedError(problems)
    merged = {
        image.name: ScanReport.merged(
            [r for t in _scan_targets(image) if isinstance(r := reports[t], ScanReport)]
        )
        for image in scanned
    }
    gated = tuple(
        _gated(request, image, merged[image.name]) if image.name in merged else image
        for image in images
    )
    return gated, calls


def _reports(
    targets: dict[Target, ImageResult],
    *,
    request: ResolveRequest,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[dict[Target, ScanReport | EcrFailure], int]:
    """Findings per image; a scan in progress is asked again, with backoff, within
    ``ScanWaitSeconds`` and the deadline."""
    pending = list(targets)
    reports: dict[Target, ScanReport | EcrFailure] = {}
    calls = 0
    slept, delay = 0.0, FIRST_DELAY_SECONDS
    while True:
        scan_round = scan_findings(pending, clients=clients, deadline=deadline)
        reports.update(scan_round.answers)
        calls += scan_round.calls
        pending = [t for t in pending if _running(reports[t])]
        if (
            not pending
            or slept + delay > request.scan_wait_seconds
            or not deadline.allows_sleep(delay)
        ):
            return reports, calls
        deadline.clock.sleep(delay)
        slept, delay = slept + delay, min(delay * 1.5, MAX_DELAY_SECONDS)


def _running(report: ScanReport | EcrFailure) -> bool:
    return isinstance(report, ScanReport) and report.state is ScanState.IN_PROGRESS


def _scan_targets(image: ImageResult) -> list[Target]:
    repo = image.image_ref.repository
    return [(repo, digest) for digest in image.children or (image.digest or "",)]


def _gated(request: ResolveRequest, image: ImageResult, report: ScanReport) -> ImageResult:
    image = replace(image, scan=report)
    threshold = image.spec.fail_on
    if threshold is None:
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
