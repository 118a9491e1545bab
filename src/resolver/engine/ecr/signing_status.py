"""``DescribeImageSigningStatus``: ECR managed signing's status of one image, per signing profile.

ECR signs an image on push with each AWS Signer profile its signing rules name for the repository,
and reports one status per profile: ``IN_PROGRESS``, ``COMPLETE`` or ``FAILED`` (with a failure
code and reason). No batch form: one call per image, concurrently.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from functools import partial

from ...references import Repository
from ...values import frozen
from ..fanout import Deadline, Report
from .batches import Target, per_image
from .clients import EcrClients
from .failures import READ_ERRORS, EcrFailure, failure_from


class SigningState(Enum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@frozen
class ProfileStatus:
    """One signing profile's status for one image."""

    profile_arn: str
    state: SigningState
    failure: str = ""  # FAILED: "<failureCode>: <failureReason>"


def signing_statuses(
    targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline
) -> Report[Target, tuple[ProfileStatus, ...] | EcrFailure]:
    """Each image's signing statuses (none: no signing rule covered it), or why ECR would not say."""
    return per_image(targets, partial(_statuses, clients), deadline=deadline)


def _statuses(
    clients: EcrClients, repo: Repository, digest: str
) -> tuple[ProfileStatus, ...] | EcrFailure:
    try:
        answer = clients.for_registry(repo.registry).describe_image_signing_status(
            registryId=repo.registry.account_id,
            repositoryName=repo.name,
            imageId={"imageDigest": digest},
        )
    except READ_ERRORS as exc:
        return failure_from(exc)
    statuses = []
    for entry in answer.get("signingStatuses") or ():
        try:
            state = SigningState(str(entry.get("status", "")))
        except ValueError:  # a status this version does not know: not COMPLETE, so never signed
            state = SigningState.FAILED
        code, reason = entry.get("failureCode") or "", entry.get("failureReason") or ""
        failure = f"{code}: {reason}".strip(": ") if state is SigningState.FAILED else ""
        statuses.append(ProfileStatus(str(entry.get("signingProfileArn", "")), state, failure))
    return tuple(statuses)
