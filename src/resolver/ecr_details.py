"""What ECR knows about an image beyond its manifest: push time, size, tags, scan findings.

Asked for only when a template wants it (``PushedAt``/``SizeInBytes``/``Tags`` attributes, a
vulnerability gate or the ``Findings`` attribute). DescribeImages is batched 100 digests per call
per repository; DescribeImageScanFindings has no batch form, so it runs one call per image,
concurrently. Errors propagate as ``Failure`` values: the caller decides what they mean.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .bounded import run_all
from .ecr_clients import EcrClients
from .ecr_query import TIMEOUT_CODE, TIMEOUT_MESSAGE, aws_error
from .references import Repository

BATCH_LIMIT = 100
Target = tuple[Repository, str]  # an image, by repository and digest


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


def _failure(exc: ClientError | BotoCoreError) -> Failure:
    return Failure(*aws_error(exc))


TIMED_OUT = Failure(TIMEOUT_CODE, TIMEOUT_MESSAGE)


# --- DescribeImages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageDetails:
    pushed_at: datetime | None
    size_in_bytes: int | None
    tags: tuple[str, ...]


def describe(
    targets: Iterable[Target], *, clients: EcrClients, deadline: float | None
) -> dict[Target, ImageDetails | Failure]:
    by_repo: dict[Repository, list[str]] = defaultdict(list)
    for repo, digest in dict.fromkeys(targets):
        by_repo[repo].append(digest)
    chunks = [
        (repo, digests[i : i + BATCH_LIMIT])
        for repo, digests in sorted(by_repo.items())
        for i in range(0, len(digests), BATCH_LIMIT)
    ]
    jobs = [
        partial(_describe_chunk, clients.for_region(repo.registry.region), repo, chunk)
        for repo, chunk in chunks
    ]
    result: dict[Target, ImageDetails | Failure] = {}
    for (repo, chunk), answer in zip(chunks, run_all(jobs, deadline=deadline), strict=True):
        if isinstance(answer, dict):
            result.update(answer)
        else:
            failure = answer or TIMED_OUT
            result.update({(repo, digest): failure for digest in chunk})
    return result


def _describe_chunk(
    client: Any, repo: Repository, digests: list[str]
) -> dict[Target, ImageDetails | Failure] | Failure:
    try:
        answer = client.describe_images(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageIds=[{"imageDigest": digest} for digest in digests],
        )
    except (ClientError, BotoCoreError) as exc:
        return _failure(exc)
    found: dict[Target, ImageDetails | Failure] = {
        (repo, detail["imageDigest"]): ImageDetails(
            pushed_at=detail.get("imagePushedAt"),
            size_in_bytes=detail.get("imageSizeInBytes"),
            tags=tuple(sorted(detail.get("imageTags", []))),
        )
        for detail in answer.get("imageDetails", [])
    }
    missing = Failure("NoResult", "ECR's answer did not mention this image")
    return {(repo, digest): found.get((repo, digest), missing) for digest in digests}


# --- DescribeImageScanFindings -------------------------------------------------------------------


class ScanState(Enum):
    COMPLETE = "Complete"
    IN_PROGRESS = "InProgress"
    NOT_SCANNED = "NotScanned"


SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
# Basic scanning reports COMPLETE; enhanced scanning (Inspector) reports ACTIVE.
_DONE = frozenset({"COMPLETE", "ACTIVE"})
_RUNNING = frozenset({"IN_PROGRESS", "PENDING"})


@dataclass(frozen=True)
class ScanReport:
    state: ScanState
    counts: Mapping[str, int] = field(default_factory=dict)
    detail: str = ""  # ECR's status and description, for a reason

    def at_or_above(self, threshold: str) -> int:
        ranked = SEVERITIES[: SEVERITIES.index(threshold) + 1]
        return sum(self.counts.get(severity, 0) for severity in ranked)

    def summary(self) -> str:
        if self.state is not ScanState.COMPLETE:
            return str(self.state.value)
        return ",".join(f"{severity}={self.counts.get(severity, 0)}" for severity in SEVERITIES[:4])


def merge(reports: list[ScanReport]) -> ScanReport:
    """One verdict for an index from its images' reports: complete only when all are, with the
    findings added up."""
    if len(reports) == 1:
        return reports[0]
    for state in (ScanState.IN_PROGRESS, ScanState.NOT_SCANNED):
        pending = [report for report in reports if report.state is state]
        if pending:
            return ScanReport(
                state, detail=f"{len(pending)} of {len(reports)} images: {pending[0].detail}"
            )
    counts: dict[str, int] = {}
    for report in reports:
        for severity, count in report.counts.items():
            counts[severity] = counts.get(severity, 0) + count
    return ScanReport(ScanState.COMPLETE, counts, detail=f"{len(reports)} images")


def scan_reports(
    targets: Iterable[Target],
    *,
    clients: EcrClients,
    may_sleep: Callable[[float, float], bool],
    deadline: float | None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[Target, ScanReport | Failure]:
    """Findings per image; a scan in progress is polled while ``may_sleep(delay, slept)``."""
    pending = list(dict.fromkeys(targets))
    reports: dict[Target, ScanReport | Failure] = {}
    slept, delay = 0.0, 2.0
    while True:
        jobs = [
            partial(_scan, clients.for_region(repo.registry.region), repo, digest)
            for repo, digest in pending
        ]
        for target, answer in zip(pending, run_all(jobs, deadline=deadline), strict=True):
            reports[target] = answer or TIMED_OUT
        pending = [t for t in pending if _running(reports[t])]
        if not pending or not may_sleep(delay, slept):
            return reports
        sleep(delay)
        slept, delay = slept + delay, min(delay * 1.5, 10.0)


def _running(report: ScanReport | Failure) -> bool:
    return isinstance(report, ScanReport) and report.state is ScanState.IN_PROGRESS


def _scan(client: Any, repo: Repository, digest: str) -> ScanReport | Failure:
    try:
        answer = client.describe_image_scan_findings(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageId={"imageDigest": digest},
            maxResults=1,  # only the severity counts are read
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ScanNotFoundException":
            return ScanReport(ScanState.NOT_SCANNED, detail="the image has never been scanned")
        return _failure(exc)
    except BotoCoreError as exc:
        return _failure(exc)
    status = answer.get("imageScanStatus", {})
    code = str(status.get("status", ""))
    detail = f"{code}: {status.get('description', '')}".strip(": ")
    if code in _RUNNING:
        return ScanReport(ScanState.IN_PROGRESS, detail=detail)
    if code not in _DONE:
        return ScanReport(ScanState.NOT_SCANNED, detail=detail)
    counts = answer.get("imageScanFindings", {}).get("findingSeverityCounts", {})
    return ScanReport(ScanState.COMPLETE, {k: int(v) for k, v in counts.items()}, detail)
