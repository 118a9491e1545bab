"""``DescribePullThroughCacheRules``: which repositories of a registry cache an upstream registry.

A pull-through cache rule maps a repository-name prefix (``docker-hub`` → ``docker-hub/…``; ``ROOT``
for every repository) to an upstream registry. ECR creates the repository and imports an image on
its first pull (the API reference, ``CreatePullThroughCacheRule``: "There is always an assumed /
applied to the end of the prefix").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...references import Registry, Repository
from ...values import frozen
from .clients import EcrClients
from .failures import READ_ERRORS, EcrFailure, failure_from

ROOT = "ROOT"  # the prefix of a rule that caches into every repository name


@frozen
class CacheRule:
    prefix: str  # ecrRepositoryPrefix, without the trailing "/"
    upstream: str  # upstreamRegistryUrl, e.g. registry-1.docker.io

    def covers(self, repository: Repository) -> bool:
        return self.prefix == ROOT or repository.name.startswith(f"{self.prefix}/")


def cache_rules(clients: EcrClients, registry: Registry) -> tuple[CacheRule, ...] | EcrFailure:
    """Every pull-through cache rule of ``registry``, or why ECR could not list them."""
    try:
        client = clients.for_registry(registry)
        return tuple(
            CacheRule(
                prefix=str(rule.get("ecrRepositoryPrefix", "")).rstrip("/"),
                upstream=str(rule.get("upstreamRegistryUrl", "")),
            )
            for page in _pages(client, registry)
            for rule in page.get("pullThroughCacheRules", [])
        )
    except READ_ERRORS as exc:
        return failure_from(exc)


def _pages(client: Any, registry: Registry) -> Iterator[Mapping[str, Any]]:
    paginator = client.get_paginator("describe_pull_through_cache_rules")
    pages: Iterator[Mapping[str, Any]] = iter(paginator.paginate(registryId=registry.account_id))
    return pages
