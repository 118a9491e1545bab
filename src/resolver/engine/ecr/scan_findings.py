"""``DescribeImageScanFindings``: the severity counts of one image's scan.

The API has no batch form, so it runs one call per image, concurrently. Only the counts are read
(``maxResults=1``). Waiting for a scan in progress is the gate's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from ...model import ScanReport, ScanState
from ...references import Repository
from ..fanout import Deadline, Report
from .batches import Target, per_image
from .clients import EcrClients
from .failures import READ_ERRORS, EcrFailure, failure_from

# Basic scanning reports COMPLETE; enhanced scanning (Inspector) reports ACTIVE.
_DONE = frozenset({"COMPLETE", "ACTIVE"})
_RUNNING = frozenset({"IN_PROGRESS", "PENDING"})


def scan_findings(
    targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline
) -> Report[Target, ScanReport | EcrFailure]:
    """One round: each image's scan state and findings, or why ECR could not say."""
    return per_image(targets, partial(_scan, clients), deadline=deadline)


def _scan(clients: EcrClients, repo: Repository, digest: str) -> ScanReport | EcrFailure:
    try:
        answer = clients.for_registry(repo.registry).describe_image_scan_findings(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageId={"imageDigest": digest},
            maxResults=1,  # only the severity counts are read
        )
    except READ_ERRORS as exc:
        failure = failure_from(exc)
        if failure.code == "ScanNotFoundException":
            return ScanReport(ScanState.NOT_SCANNED, detail="the image has never been scanned")
        return failure
    status = answer.get("imageScanStatus", {})
    code = str(status.get("status", ""))
    detail = f"{code}: {status.get('description', '')}".strip(": ")
    if code in _RUNNING:
        return ScanReport(ScanState.IN_PROGRESS, detail=detail)
    if code not in _DONE:
        return ScanReport(ScanState.NOT_SCANNED, detail=detail)
    counts = answer.get("imageScanFindings", {}).get("findingSeverityCounts", {})
    return ScanReport(ScanState.COMPLETE, {k: int(v) for k, v in counts.items()}, detail)
