"""Grouping ids per repository, 100 per call: the edges (0, 1, 100, 101, 250) and duplicates."""

from __future__ import annotations

import math

import pytest

from resolver.engine.ecr.batches import BATCH_LIMIT, per_repository
from resolver.references import ImageRef, Registry, Repository

HOME = Registry("123456789012", "ap-southeast-2")


def refs(repo: str, count: int) -> list[ImageRef]:
    return [ImageRef(Repository(HOME, repo), tag=f"t{i:03d}") for i in range(count)]


def chunks(items: list[ImageRef]) -> list[tuple[Repository, list[ImageRef]]]:
    return per_repository(items, repository=lambda r: r.repository, key=lambda r: r.tag or "")


@pytest.mark.parametrize("sizes", [[], [1], [100], [101], [250], [120, 120, 10], [99, 1, 100]])
def test_one_chunk_per_repository_per_hundred_ids(sizes: list[int]) -> None:
    items = [ref for n, size in enumerate(sizes) for ref in refs(f"repo{n}", size)]
    made = chunks(items)
    assert len(made) == sum(math.ceil(size / BATCH_LIMIT) for size in sizes)
    assert all(1 <= len(chunk) <= BATCH_LIMIT for _, chunk in made)
    assert all(ref.repository == repo for repo, chunk in made for ref in chunk)
    flattened = [ref for _, chunk in made for ref in chunk]
    assert sorted(flattened, key=str) == sorted(items, key=str)  # each id exactly once


def test_duplicates_are_asked_once_and_order_does_not_matter() -> None:
    items = refs("app", 3)
    assert chunks([*items, *reversed(items)]) == chunks(items)
    assert chunks(list(reversed(items))) == chunks(items)
