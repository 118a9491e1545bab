"""Turn tag patterns and ``Version: latest`` into concrete tags, before the images are fetched.

Each repository that needs it is listed once per round (paginated ``DescribeImages``, tagged
images only), concurrently; exact tags and digests pass straight through. The choice itself is
``tag_choice``'s, over the listings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from ..errors import ImageProblem
from ..model import ImageSpec, ImageStatus, TagMatch
from ..references import ImageRef, Repository
from .ecr.clients import EcrClients
from .ecr.describe_images import Listing, list_tagged_images
from .ecr.failures import TIMED_OUT, EcrFailure, FailureKind
from .fanout import Deadline, run_all
from .outcomes import Absent, absent_status
from .tag_choice import ListedImage, VersionChoice, coherent_latest, newest_matching


@dataclass
class Discovery:
    """What one round of discovery found, image by image."""

    refs: dict[str, ImageRef] = field(default_factory=dict)  # image name -> concrete image
    settled: dict[str, Absent | ImageProblem] = field(default_factory=dict)  # no concrete image
    calls: int = 0  # DescribeImages pages
    version: str | None = None  # the version chosen for Version: latest


def discover(specs: Sequence[ImageSpec], *, clients: EcrClients, deadline: Deadline) -> Discovery:
    """Concrete tags for ``specs`` with a pattern or ``{version}`` (exact tags are skipped)."""
    found = Discovery()
    searching = [s for s in specs if s.match is not TagMatch.EXACT]
    if not searching:
        return found
    jobs = {
        repo: partial(list_tagged_images, clients, repo)
        for repo in sorted({s.ref.repository for s in searching})
    }
    listings = run_all(jobs, deadline=deadline, late=TIMED_OUT)
    found.calls = sum(
        listing.pages for listing in listings.values() if isinstance(listing, Listing)
    )
    usable: dict[Repository, tuple[ListedImage, ...]] = {}
    for spec in searching:
        listing = listings[spec.ref.repository]
        if isinstance(listing, EcrFailure):
            _record_failed(found, spec, listing)
        else:
            usable[spec.ref.repository] = listing.images
    for spec in searching:
        if spec.match is TagMatch.PATTERN and spec.ref.repository in usable:
            _match_pattern(found, spec, usable[spec.ref.repository])
    latest = [s for s in searching if s.match is TagMatch.LATEST_VERSION]
    if latest:
        _choose_version(found, latest, usable)
    return found


def _record_failed(found: Discovery, spec: ImageSpec, failure: EcrFailure) -> None:
    if failure.kind is FailureKind.ERROR:
        found.settled[spec.name] = ImageProblem(spec.name, spec.ref.location, str(failure))
    else:
        detail = "repository not found" if failure.kind is FailureKind.REPOSITORY_NOT_FOUND else ""
        found.settled[spec.name] = Absent(absent_status(failure.kind, spec.ref), detail)


def _match_pattern(found: Discovery, spec: ImageSpec, listing: tuple[ListedImage, ...]) -> None:
    pattern = spec.ref.tag or ""
    match = newest_matching(listing, pattern)
    if match is None:
        found.settled[spec.name] = Absent(ImageStatus.TAG_NOT_FOUND, f"no tag matches {pattern}")
    else:
        found.refs[spec.name] = ImageRef(spec.ref.repository, tag=match.tag)


def _choose_version(
    found: Discovery,
    specs: list[ImageSpec],
    usable: Mapping[Repository, tuple[ListedImage, ...]],
) -> None:
    listed = [s for s in specs if s.ref.repository in usable]
    if len(listed) < len(specs):
        # A component whose repository is missing or unreadable: no version can be coherent.
        reason = "no coherent version: another component's repository could not be listed"
        for spec in listed:
            found.settled[spec.name] = Absent(ImageStatus.TAG_NOT_FOUND, reason)
        return
    choice = coherent_latest({s.name: (usable[s.ref.repository], s.ref.tag or "") for s in listed})
    if isinstance(choice, VersionChoice):
        found.version = choice.version
        for spec in listed:
            found.refs[spec.name] = ImageRef(spec.ref.repository, tag=choice.matches[spec.name].tag)
    else:
        for spec in listed:
            found.settled[spec.name] = Absent(ImageStatus.TAG_NOT_FOUND, choice.reason)
