"""``GetLifecyclePolicy``: a repository's lifecycle policy text, one call per repository.

A repository without a policy answers ``LifecyclePolicyNotFoundException``: that is an answer
(``NO_POLICY``), not a failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from functools import partial

from ...references import Repository
from ..fanout import Deadline, Report, run_all
from .clients import EcrClients
from .failures import READ_ERRORS, TIMED_OUT, EcrFailure, failure_from


class NoPolicy(Enum):
    NO_POLICY = "no lifecycle policy"


NO_POLICY = NoPolicy.NO_POLICY

PolicyAnswer = str | NoPolicy | EcrFailure  # the policy text, none, or why ECR could not say


def lifecycle_policies(
    repositories: Iterable[Repository], *, clients: EcrClients, deadline: Deadline
) -> Report[Repository, PolicyAnswer]:
    """Each repository's lifecycle policy, the calls made concurrently."""
    jobs = {repo: partial(_policy, clients, repo) for repo in sorted(set(repositories))}
    return Report(run_all(jobs, deadline=deadline, late=TIMED_OUT), calls=len(jobs))


def _policy(clients: EcrClients, repo: Repository) -> PolicyAnswer:
    try:
        answer = clients.for_registry(repo.registry).get_lifecycle_policy(
            registryId=repo.registry.account_id, repositoryName=repo.name
        )
    except READ_ERRORS as exc:
        failure = failure_from(exc)
        return NO_POLICY if failure.code == "LifecyclePolicyNotFoundException" else failure
    return str(answer.get("lifecyclePolicyText") or "")
