"""Turn tag patterns and ``Version: latest`` into concrete tags, before the images are fetched.

Each repository that needs it is listed once per round (paginated ``DescribeImages``, tagged
images only), concurrently; exact tags and digests pass straight through. The choice itself is
``tag_choice``'s, over the listings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from ..errors import ImageProblem
from ..model import ImageSpec, ImageStatus, TagMatch, TagOrder
from ..references import ImageRef, Repository
from .ecr.clients import EcrClients
from .ecr.describe_images import Listing, list_tagged_images
from .ecr.failures import TIMED_OUT, EcrFailure, FailureKind
from .fanout import Deadline, run_all
from .outcomes import Absent, absent_status
from .tag_choice import (
    ListedImage,
    VersionChoice,
    all_versions,
    captured,
    coherent_latest,
    matching_tags,
    newest_matching,
    versions,
)

logger = logging.getLogger(__name__)


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
    match = newest_matching(listing, pattern, order=spec.order)
    if match is None:
        versioned = " with a semantic version" if spec.order is TagOrder.SEMVER else ""
        detail = f"no tag matches {pattern}{versioned}"
        found.settled[spec.name] = Absent(ImageStatus.TAG_NOT_FOUND, detail)
        return
    found.refs[spec.name] = ImageRef(spec.ref.repository, tag=match.tag)
    other = _other(spec.order)
    alternative = newest_matching(listing, pattern, order=other)
    if (
        alternative is not None
        and alternative.tag != match.tag
        and all_versions(captured(pattern, tag) for tag in matching_tags(listing, pattern))
    ):
        _disagree(spec.name, chosen=match.tag, other=alternative.tag, order=spec.order)


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
    components = {s.name: (usable[s.ref.repository], s.ref.tag or "") for s in listed}
    order = listed[0].order if listed else TagOrder.PUSHED  # one order for all (``properties``)
    choice = coherent_latest(components, order=order)
    if isinstance(choice, VersionChoice):
        alternative = coherent_latest(components, order=_other(order))
        seen = {v for listing, template in components.values() for v in versions(listing, template)}
        if (
            isinstance(alternative, VersionChoice)
            and alternative.version != choice.version
            and all_versions(seen)
        ):
            _disagree(
                "Version: latest", chosen=choice.version, other=alternative.version, order=order
            )
        found.version = choice.version
        for spec in listed:
            found.refs[spec.name] = ImageRef(spec.ref.repository, tag=choice.matches[spec.name].tag)
    else:
        for spec in listed:
            found.settled[spec.name] = Absent(ImageStatus.TAG_NOT_FOUND, choice.reason)


def _other(order: TagOrder) -> TagOrder:
    return TagOrder.PUSHED if order is TagOrder.SEMVER else TagOrder.SEMVER


def _disagree(what: str, *, chosen: str, other: str, order: TagOrder) -> None:
    """Push order and version order pick different tags: say which was taken, and the other."""
    if order is TagOrder.PUSHED:
        logger.warning(
            "The newest push is not the highest version",
            extra={
                "image": what,
                "chosen": chosen,
                "highest_version": other,
                "fix": "set Order: Semver to deploy the highest version",
            },
        )
    else:
        logger.warning(
            "The highest version is not the newest push",
            extra={"image": what, "chosen": chosen, "newest_push": other},
        )
