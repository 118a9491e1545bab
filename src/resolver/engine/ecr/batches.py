"""ECR's batch limit, and the grouping every batched read shares: per repository (or registry),
100 at a time, the chunks read concurrently, each id answered once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from ...references import Repository
from ..fanout import Deadline, Report, run_all
from .failures import TIMED_OUT, EcrFailure

Target = tuple[Repository, str]  # an image, by repository and digest

BATCH_LIMIT = 100  # BatchGetImage and DescribeImages take 1-100 imageIds per call

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

T = TypeVar("T")
A = TypeVar("A")
G = TypeVar("G", bound="SupportsRichComparison")  # what one call reads: a repository, a registry


def per_repository(
    items: Iterable[T], *, repository: Callable[[T], G], key: Callable[[T], str]
) -> list[tuple[G, list[T]]]:
    """``items`` grouped by what one call reads (``repository``: the repository, or the registry
    for DescribeRepositories) and cut into chunks of ``BATCH_LIMIT``, each item once.

    Groups and the items within one are sorted, so the calls made do not depend on the order a
    template lists its images in.
    """
    grouped: dict[G, dict[str, T]] = defaultdict(dict)
    for item in items:
        grouped[repository(item)].setdefault(key(item), item)
    chunks: list[tuple[G, list[T]]] = []
    for group in sorted(grouped):
        ordered = [grouped[group][k] for k in sorted(grouped[group])]
        chunks += [
            (group, ordered[i : i + BATCH_LIMIT]) for i in range(0, len(ordered), BATCH_LIMIT)
        ]
    return chunks


def read_batched(
    items: Iterable[T],
    *,
    repository: Callable[[T], G],
    key: Callable[[T], str],
    read: Callable[[G, list[T]], Mapping[T, A | EcrFailure] | EcrFailure],
    deadline: Deadline,
) -> Report[T, A | EcrFailure]:
    """Every item's answer from one ``read`` per chunk (``per_repository``), chunks concurrently.

    A chunk's failure (an error for the whole call, or the deadline) is every one of its items'.
    """
    chunks = per_repository(items, repository=repository, key=key)
    jobs = {number: partial(read, repo, chunk) for number, (repo, chunk) in enumerate(chunks)}
    answered = run_all(jobs, deadline=deadline, late=TIMED_OUT)
    answers: dict[T, A | EcrFailure] = {}
    for number, (_, chunk) in enumerate(chunks):
        answer = answered[number]
        answers.update(dict.fromkeys(chunk, answer) if isinstance(answer, EcrFailure) else answer)
    return Report(answers, calls=len(chunks))


def per_image(
    targets: Iterable[Target],
    read: Callable[[Repository, str], A | EcrFailure],
    *,
    deadline: Deadline,
) -> Report[Target, A | EcrFailure]:
    """``read`` of each (repository, digest), for the operations without a batch form: one call
    per image, concurrently."""
    jobs = {target: partial(read, *target) for target in targets}
    return Report(run_all(jobs, deadline=deadline, late=TIMED_OUT), calls=len(jobs))
