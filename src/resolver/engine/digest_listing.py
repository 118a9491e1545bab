"""Every digest of some repositories: what completes a record that kept only digest prefixes.

A rollback record that did not fit the response whole keeps each digest's first hex digits
(``cloudformation.physical_id``). ECR has no lookup by prefix, so the repositories are listed
(paginated ``DescribeImages``, active images, tagged or not) and the caller matches the prefixes.
Only a rollback to an abbreviated record, or the check of one before an Update moves on, pays for
this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial

from ..references import Repository
from ..values import frozen
from .ecr.clients import EcrClients
from .ecr.describe_images import list_stored_images
from .ecr.failures import TIMED_OUT, EcrFailure
from .fanout import Deadline, run_all


@frozen
class Digests:
    listed: Mapping[Repository, frozenset[str]]
    unlisted: Mapping[Repository, str]  # why ECR could not list it
    calls: int


def listed_digests(
    repositories: Iterable[Repository], *, clients: EcrClients, deadline: Deadline
) -> Digests:
    """The digests of every active image of each repository, listed concurrently."""
    jobs = {repo: partial(list_stored_images, clients, repo) for repo in sorted(set(repositories))}
    listed: dict[Repository, frozenset[str]] = {}
    unlisted: dict[Repository, str] = {}
    calls = 0
    for repo, answer in run_all(jobs, deadline=deadline, late=TIMED_OUT).items():
        if isinstance(answer, EcrFailure):
            unlisted[repo] = str(answer)
        else:
            listed[repo] = frozenset(image.digest for image in answer.images)
            calls += answer.pages
    return Digests(listed, unlisted, calls)
