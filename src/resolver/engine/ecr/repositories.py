"""``DescribeRepositories``: whether a repository's tags can move (``imageTagMutability``).

Up to 100 names per call, one call per registry and chunk, concurrently. A tag is mutable when
the repository is ``MUTABLE`` and no exclusion filter matches it, or ``IMMUTABLE_WITH_EXCLUSION``
and one does (ECR's ``ImageTagMutabilityExclusionFilter``: ``WILDCARD`` filters, ``*`` any run).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from functools import partial

from ...references import Registry, Repository
from ...values import frozen
from ..fanout import Deadline, Report
from .batches import read_batched
from .clients import EcrClients
from .failures import NO_RESULT, READ_ERRORS, EcrFailure, failure_from


@frozen
class TagRules:
    """A repository's tag mutability setting and its exclusion filters."""

    setting: str  # MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION
    exclusions: tuple[str, ...] = ()

    def mutable(self, tag: str) -> bool:
        # A filter is tag characters and "*" only (the API's pattern): fnmatch reads it as ECR does.
        excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in self.exclusions)
        if self.setting == "IMMUTABLE_WITH_EXCLUSION":
            return excluded
        if self.setting == "MUTABLE_WITH_EXCLUSION":
            return not excluded
        return self.setting != "IMMUTABLE"


def tag_rules(
    repositories: Iterable[Repository], *, clients: EcrClients, deadline: Deadline
) -> Report[Repository, TagRules | EcrFailure]:
    """Each repository's tag rules, or why ECR would not describe it: one DescribeRepositories
    per registry and 100 repositories."""
    return read_batched(
        repositories,
        repository=lambda repo: repo.registry,  # one call reads a registry's repositories
        key=lambda repo: repo.name,
        read=partial(_describe, clients),
        deadline=deadline,
    )


def _describe(
    clients: EcrClients, registry: Registry, chunk: Sequence[Repository]
) -> dict[Repository, TagRules | EcrFailure] | EcrFailure:
    try:
        answer = clients.for_registry(registry).describe_repositories(
            registryId=registry.account_id, repositoryNames=[repo.name for repo in chunk]
        )
    except READ_ERRORS as exc:
        return failure_from(exc)
    found = {
        str(entry.get("repositoryName")): TagRules(
            setting=str(entry.get("imageTagMutability") or "MUTABLE"),
            exclusions=tuple(
                str(f.get("filter", ""))
                for f in entry.get("imageTagMutabilityExclusionFilters") or ()
            ),
        )
        for entry in answer.get("repositories") or ()
    }
    return {repo: found.get(repo.name, NO_RESULT) for repo in chunk}
