"""Choosing tags from a repository listing: tag patterns and the coherent ``latest`` version.

Pure functions over ``ListedImage`` values (what ``ecr.describe_images`` lists); no AWS call.
Two questions are answered here:

* a glob ``Tag`` (``cloudtak-*``; fnmatch syntax ``* ? [...]``, case-sensitive): the newest image,
  by push time, carrying a matching tag;
* ``Version: latest``: the newest ``{version}`` value for which *every* component's template names
  an existing image. A version with a component missing is skipped, never half-used. "Newest" is
  the push time of the version's last-pushed component; equal times go to the greatest version.

ECR records only when an image was pushed, not when a tag moved onto it, so push time is the only
order there is.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from ..model import VERSION_FIELD
from ..values import frozen

# What a ``{version}`` value may be: the characters of an ECR tag, at least one of them.
_VERSION_VALUE = r"[A-Za-z0-9_.-]+"


@frozen
class ListedImage:
    """One tagged image as DescribeImages lists it."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime


@frozen
class Match:
    """The tag that matched, and the image carrying it."""

    tag: str
    image: ListedImage


@frozen
class VersionChoice:
    """The version chosen for ``Version: latest``, with each component's image."""

    version: str
    matches: Mapping[str, Match]  # component name -> its image for this version

    @property
    def pushed_at(self) -> datetime:
        """When the version became complete: the push time of its last-pushed component."""
        return max(match.image.pushed_at for match in self.matches.values())


@frozen
class NoCoherentVersion:
    """No version has every component; ``reason`` says why, for a person."""

    reason: str


def newest_matching(images: Iterable[ListedImage], pattern: str) -> Match | None:
    """The newest image with a tag matching ``pattern``, or ``None`` when no tag matches.

    Equal push times go to the greatest matching tag, then the greatest digest, so the answer
    never depends on the order ECR lists images in.
    """
    matcher = re.compile(fnmatch.translate(pattern))  # translated once, not per tag
    best: Match | None = None
    for image in images:
        for tag in image.tags:
            if matcher.match(tag) and (best is None or _newer(Match(tag, image), than=best)):
                best = Match(tag, image)
    return best


def _newer(candidate: Match, *, than: Match) -> bool:
    def key(match: Match) -> tuple[datetime, str, str]:
        return (match.image.pushed_at, match.tag, match.image.digest)

    return key(candidate) > key(than)


def template_regex(template: str) -> re.Pattern[str]:
    """A regex matching the tags ``template`` produces, capturing the version as ``version``.

    Everything but ``{version}`` is literal. A repeated ``{version}`` must repeat the same value.
    """
    literals = template.split(VERSION_FIELD)
    if len(literals) < 2:
        raise ValueError(f"tag template {template!r} does not contain {VERSION_FIELD}")
    first, *rest = literals
    body = re.escape(first) + f"(?P<version>{_VERSION_VALUE})"
    body += "(?P=version)".join(re.escape(literal) for literal in rest)
    return re.compile(body)


def versions(images: Iterable[ListedImage], template: str) -> dict[str, Match]:
    """Every version ``template`` finds among the tags: version -> the image carrying its tag.

    ECR gives a tag to one image only; should a listing hold it twice, the newest image wins.
    """
    pattern = template_regex(template)
    found: dict[str, Match] = {}
    for image in images:
        for tag in image.tags:
            if matched := pattern.fullmatch(tag):
                version = matched["version"]
                current = found.get(version)
                if current is None or _newer(Match(tag, image), than=current):
                    found[version] = Match(tag, image)
    return found


def coherent_latest(
    components: Mapping[str, tuple[Iterable[ListedImage], str]],
) -> VersionChoice | NoCoherentVersion:
    """The newest version every component has, or why there is none.

    ``components`` maps a component name to (its repository's listing, its tag template);
    components may share a listing or come from different repositories.
    """
    if not components:
        return NoCoherentVersion(f"no image's Tag uses {VERSION_FIELD}")
    found = _versions_by_component(components)
    empty = [components[name][1] for name, by_version in found.items() if not by_version]
    if empty:
        return NoCoherentVersion(f"no tag matches {' or '.join(dict.fromkeys(empty))}")
    names = list(components)
    candidates: set[str] = set().union(*found.values())
    complete = [version for version in candidates if all(version in found[n] for n in names)]
    if complete:
        version = max(complete, key=lambda v: _completed_at(v, found))
        return VersionChoice(version, {name: found[name][version] for name in names})
    newest = max(candidates, key=lambda v: _completed_at(v, found))
    lacking = [name for name in names if newest not in found[name]]
    return NoCoherentVersion(
        f"no version has all {len(names)} components ({', '.join(names)}); "
        f"newest candidate {newest} lacks {_and(lacking)}"
    )


def _versions_by_component(
    components: Mapping[str, tuple[Iterable[ListedImage], str]],
) -> dict[str, dict[str, Match]]:
    """Each component's versions. A listing shared by several components is read only once, so
    even a one-shot iterator serves them all."""
    listings: dict[int, tuple[ListedImage, ...]] = {}
    found: dict[str, dict[str, Match]] = {}
    for name, (listing, template) in components.items():
        if id(listing) not in listings:
            listings[id(listing)] = tuple(listing)
        found[name] = versions(listings[id(listing)], template)
    return found


def _completed_at(version: str, found: Mapping[str, Mapping[str, Match]]) -> tuple[datetime, str]:
    """Order key of a version: its last-pushed component's time (among those it has), then the
    version itself, so equal times go to the lexicographically greatest version."""
    pushed = [
        by_version[version].image.pushed_at
        for by_version in found.values()
        if version in by_version
    ]
    return (max(pushed), version)


def _and(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
