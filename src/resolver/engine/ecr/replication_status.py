"""``DescribeImageReplicationStatus``: where ECR has replicated one image, region by region.

One status per destination (region and registry): ``IN_PROGRESS``, ``COMPLETE`` or ``FAILED``
(with a failure code). No batch form: one call per image, concurrently.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from ...references import Repository
from ...values import frozen
from ..fanout import Deadline, Report
from .batches import Target, per_image
from .clients import EcrClients
from .failures import READ_ERRORS, EcrFailure, failure_from


@frozen
class Destination:
    """One replication destination's status for one image."""

    region: str
    registry_id: str
    status: str  # IN_PROGRESS, COMPLETE, FAILED (or a status this version does not know)
    failure: str = ""  # FAILED: ECR's failure code

    @property
    def complete(self) -> bool:
        return self.status == "COMPLETE"

    @property
    def failed(self) -> bool:
        return self.status not in ("COMPLETE", "IN_PROGRESS")


def replication_statuses(
    targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline
) -> Report[Target, tuple[Destination, ...] | EcrFailure]:
    """Each image's replication destinations, or why ECR would not say."""
    return per_image(targets, partial(_statuses, clients), deadline=deadline)


def _statuses(
    clients: EcrClients, repo: Repository, digest: str
) -> tuple[Destination, ...] | EcrFailure:
    try:
        answer = clients.for_registry(repo.registry).describe_image_replication_status(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageId={"imageDigest": digest},
        )
    except READ_ERRORS as exc:
        return failure_from(exc)
    return tuple(
        Destination(
            region=str(entry.get("region", "")),
            registry_id=str(entry.get("registryId", "")),
            status=str(entry.get("status", "")),
            failure=str(entry.get("failureCode") or ""),
        )
        for entry in answer.get("replicationStatuses") or ()
    )
