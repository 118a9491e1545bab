"""Turn tag patterns and ``Version: latest`` into concrete tags, before the images are fetched.

Each repository that needs it is listed once per round (paginated ``DescribeImages``, tagged
images only), concurrently; exact tags and digests pass straight through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .bounded import run_all
from .discovery import ListedImage, VersionChoice, coherent_latest, newest_matching
from .ecr_clients import EcrClients
from .ecr_listing import list_tagged_images
from .ecr_query import TIMEOUT_CODE, TIMEOUT_MESSAGE, LookupStatus, aws_error, classify
from .errors import ImageProblem
from .references import ImageRef, Repository
from .spec import ImageSpec, TagMatch

Listing = tuple[ListedImage, ...]


@dataclass(frozen=True)
class _ListingFailed:
    status: LookupStatus
    code: str
    message: str


@dataclass
class Discovered:
    refs: dict[str, ImageRef] = field(default_factory=dict)  # image name -> concrete image
    unmatched: dict[str, tuple[LookupStatus, str]] = field(default_factory=dict)  # -> why absent
    failures: list[ImageProblem] = field(default_factory=list)  # ECR could not answer
    calls: int = 0
    version: str | None = None

    @property
    def failed_names(self) -> set[str]:
        return {problem.name for problem in self.failures}


def discover(
    specs: Sequence[ImageSpec],
    *,
    clients: EcrClients,
    deadline: float | None,
) -> Discovered:
    found = Discovered(refs={s.name: s.ref for s in specs if s.match is TagMatch.EXACT})
    searching = [s for s in specs if s.match is not TagMatch.EXACT]
    if not searching:
        return found
    repos = sorted({s.ref.repository for s in searching})
    jobs = [partial(_list, clients.for_region(repo.registry.region), repo) for repo in repos]
    answers = run_all(jobs, deadline=deadline)
    listings = {
        repo: answer or _ListingFailed(LookupStatus.FAILED, TIMEOUT_CODE, TIMEOUT_MESSAGE)
        for repo, answer in zip(repos, answers, strict=True)
    }
    found.calls = len(repos)
    usable: dict[Repository, Listing] = {}
    for spec in searching:
        listing = listings[spec.ref.repository]
        if isinstance(listing, _ListingFailed):
            _record_failed(found, spec, listing)
        else:
            usable[spec.ref.repository] = listing
    for spec in searching:
        if spec.match is TagMatch.PATTERN and spec.ref.repository in usable:
            _match_pattern(found, spec, usable[spec.ref.repository])
    latest = [s for s in searching if s.match is TagMatch.LATEST_VERSION]
    if latest:
        _choose_version(found, latest, usable)
    return found


def _list(client: Any, repo: Repository) -> Listing | _ListingFailed:
    try:
        return list_tagged_images(client, repo)
    except (ClientError, BotoCoreError) as exc:
        code, message = aws_error(exc)
        return _ListingFailed(classify(code), code, message)


def _record_failed(found: Discovered, spec: ImageSpec, listing: _ListingFailed) -> None:
    if listing.status is LookupStatus.REPOSITORY_NOT_FOUND:
        found.unmatched[spec.name] = (LookupStatus.REPOSITORY_NOT_FOUND, "repository not found")
    else:
        problem = ImageProblem(spec.name, spec.ref.location, f"{listing.code}: {listing.message}")
        found.failures.append(problem)


def _match_pattern(found: Discovered, spec: ImageSpec, listing: Listing) -> None:
    pattern = spec.ref.tag or ""
    match = newest_matching(listing, pattern)
    if match is None:
        found.unmatched[spec.name] = (LookupStatus.IMAGE_NOT_FOUND, f"no tag matches {pattern}")
    else:
        found.refs[spec.name] = ImageRef(spec.ref.repository, tag=match.tag)


def _choose_version(
    found: Discovered,
    specs: list[ImageSpec],
    usable: dict[Repository, Listing],
) -> None:
    listed = [s for s in specs if s.ref.repository in usable]
    if len(listed) < len(specs):
        # A component whose repository is missing or unreadable: no version can be coherent.
        for spec in listed:
            found.unmatched[spec.name] = (
                LookupStatus.IMAGE_NOT_FOUND,
                "no coherent version: another component's repository could not be listed",
            )
        return
    choice = coherent_latest({s.name: (usable[s.ref.repository], s.ref.tag or "") for s in listed})
    if isinstance(choice, VersionChoice):
        found.version = choice.version
        for spec in listed:
            found.refs[spec.name] = ImageRef(spec.ref.repository, tag=choice.matches[spec.name].tag)
    else:
        for spec in listed:
            found.unmatched[spec.name] = (LookupStatus.IMAGE_NOT_FOUND, choice.reason)
