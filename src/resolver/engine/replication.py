"""``WaitForReplication``: deploy once the image is in every region that will pull it.

``DescribeImageReplicationStatus`` on the pinned digest, polled within ``ScanWaitSeconds`` until
each wanted region reports ``COMPLETE``: the listed regions, or with ``true`` every destination
ECR reports for the image. A region ECR does not report yet is waited for like one in progress
(replication may not have started); ``FAILED`` ends the wait for that image at once, with ECR's
failure code. An image not replicated when the wait ends is ``NotReplicated`` and fails the
deployment; a rollback reports it and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..errors import LookupFailedError
from ..model import (
    SKIPPED_VERDICT,
    ImageResult,
    ImageStatus,
    ResolveRequest,
    Verdict,
    VerdictState,
    WaitingFor,
)
from .backoff import Pauses
from .ecr.batches import Target
from .ecr.failures import EcrFailure
from .ecr.replication_status import Destination, replication_statuses
from .gates import Images, Reading, blocked, pinned, refused, unjudged


def read(request: ResolveRequest, images: Images, *, reading: Reading) -> tuple[Images, int]:
    """``images`` with ``replication`` set where it is waited for, and the ECR calls made."""
    targets = {
        image.name: (image.image_ref.repository, image.digest or "")
        for image in images
        if pinned(image) and image.spec.gates.replication
    }
    pauses = Pauses(
        WaitingFor.REPLICATION,
        budget=reading.wait_seconds,
        deadline=reading.deadline,
        observer=reading.observer,
    )
    answers: dict[Target, tuple[Destination, ...] | EcrFailure] = {}
    verdicts: dict[str, Verdict] = {}
    pending = dict(targets)
    calls = 0
    while True:
        answered = replication_statuses(
            set(pending.values()), clients=reading.clients, deadline=reading.deadline
        )
        answers.update(answered.answers)
        calls += answered.calls
        verdicts = {
            name: _verdict(image_of(images, name), answers[t]) for name, t in targets.items()
        }
        pending = {n: t for n, t in pending.items() if verdicts[n].state is VerdictState.PENDING}
        if not pauses.pause(sorted(pending)):
            break
    return tuple(_with(image, verdicts) for image in images), calls


def judge(request: ResolveRequest, images: Images) -> Images:
    """Images not replicated everywhere blocked (``NotReplicated``); a ``LookupFailedError`` for
    an image ECR would not report on (waiting for it is what was asked)."""
    cannot = [
        unjudged(image, image.replication)
        for image in images
        if image.replication is not None and image.replication.state is VerdictState.UNKNOWN
    ]
    if cannot:
        raise LookupFailedError(cannot)
    return tuple(
        blocked(image, ImageStatus.NOT_REPLICATED, image.replication.detail)
        if image.replication is not None and refused(image.replication)
        else image
        for image in images
    )


def image_of(images: Images, name: str) -> ImageResult:
    return next(image for image in images if image.name == name)


def _with(image: ImageResult, verdicts: Mapping[str, Verdict]) -> ImageResult:
    if not image.spec.gates.replication:
        return image
    return replace(image, replication=verdicts.get(image.name, SKIPPED_VERDICT))


def _verdict(image: ImageResult, answer: tuple[Destination, ...] | EcrFailure) -> Verdict:
    if isinstance(answer, EcrFailure):
        hint = (
            ": deploy the resolver with SupplyChainChecks=true, which grants "
            "ecr:DescribeImageReplicationStatus"
            if answer.code == "AccessDeniedException"
            else ""
        )
        return Verdict(
            VerdictState.UNKNOWN,
            f"Unknown: {answer.code}",
            f"ECR would not report its replication ({answer}){hint}",
            answer.code,
        )
    wait = image.spec.gates.replication
    wanted = wait.regions if wait and wait.regions else tuple(sorted({d.region for d in answer}))
    by_region = {region: [d for d in answer if d.region == region] for region in wanted}
    if failed := [d for ds in by_region.values() for d in ds if d.failed]:
        first = failed[0]
        code = first.failure or first.status
        return Verdict(
            VerdictState.BLOCKED,
            f"Failed: {first.region}",
            f"replication to {first.region} ({first.registry_id}) failed: {code}",
        )
    unstarted = [region for region, ds in by_region.items() if not ds]
    running = [region for region, ds in by_region.items() if ds and not all(d.complete for d in ds)]
    if unstarted or running:
        parts = [f"still in progress to {', '.join(running)}"] if running else []
        if unstarted:
            parts.append(
                f"not reported for {', '.join(unstarted)} (is it a destination of the registry's "
                "replication configuration?)"
            )
        return Verdict(VerdictState.PENDING, "InProgress", "replication " + "; ".join(parts))
    return Verdict(VerdictState.PASSED, "Complete")
