"""ECR's batch limit, and the grouping every batched read shares: per repository, 100 at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

from ...references import Repository

Target = tuple[Repository, str]  # an image, by repository and digest

BATCH_LIMIT = 100  # BatchGetImage and DescribeImages take 1-100 imageIds per call

T = TypeVar("T")


def per_repository(
    items: Iterable[T], *, repository: Callable[[T], Repository], key: Callable[[T], str]
) -> list[tuple[Repository, list[T]]]:
    """``items`` grouped by repository and cut into chunks of ``BATCH_LIMIT``, each item once.

    Repositories and the items within one are sorted, so the calls made do not depend on the
    order a template lists its images in.
    """
    by_repo: dict[Repository, dict[str, T]] = defaultdict(dict)
    for item in items:
        by_repo[repository(item)].setdefault(key(item), item)
    chunks: list[tuple[Repository, list[T]]] = []
    for repo in sorted(by_repo):
        ordered = [by_repo[repo][k] for k in sorted(by_repo[repo])]
        chunks += [
            (repo, ordered[i : i + BATCH_LIMIT]) for i in range(0, len(ordered), BATCH_LIMIT)
        ]
    return chunks
