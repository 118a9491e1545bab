"""Choosing tags from a repository listing: tag patterns and the coherent ``latest`` version.

Pure functions over ``ListedImage`` values (what ``ecr.describe_images`` lists); no AWS call.
Two questions are answered here:

* a glob ``Tag`` (``cloudtak-*``; fnmatch syntax ``* ? [...]``, case-sensitive): the newest image,
  by push time, carrying a matching tag;
* ``Version: latest``: the newest ``{version}`` value for which *every* component's template names
  an existing image. A version with a component missing is skipped, never half-used. "Newest" is
  the push time of the version's last-pushed component; equal times go to the greatest version.

ECR records only when an image was pushed, not when a tag moved onto it, so push time is the only
time there is. ``Order: Semver`` ranks by the version a tag carries instead (``semver_key``): the
``{version}`` value, or the part of a tag a pattern's wildcards match (``api-*`` on ``api-1.10.0``
gives ``1.10.0``), pre-releases below their release; tags without a version are not candidates.
Push time then only breaks ties.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from ..model import VERSION_FIELD, TagOrder
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


def newest_matching(
    images: Iterable[ListedImage], pattern: str, *, order: TagOrder = TagOrder.PUSHED
) -> Match | None:
    """The newest image with a tag matching ``pattern`` (by push time, or with ``Semver`` by the
    version the wildcards match), or ``None`` when no tag matches (has a version).

    Equal push times go to the greatest matching tag, then the greatest digest, so the answer
    never depends on the order ECR lists images in.
    """
    matcher = re.compile(fnmatch.translate(pattern))  # translated once, not per tag
    best: tuple[tuple[object, ...], Match] | None = None
    for image in images:
        for tag in image.tags:
            if not matcher.match(tag):
                continue
            key = _rank(Match(tag, image), captured(pattern, tag), order)
            if key is not None and (best is None or key > best[0]):
                best = (key, Match(tag, image))
    return best[1] if best else None


def matching_tags(images: Iterable[ListedImage], pattern: str) -> list[str]:
    """Every tag ``pattern`` matches."""
    matcher = re.compile(fnmatch.translate(pattern))
    return [tag for image in images for tag in image.tags if matcher.match(tag)]


def captured(pattern: str, tag: str) -> str:
    """What ``pattern``'s wildcards match in ``tag``: the tag less the pattern's literal prefix
    and suffix (``api-*`` on ``api-1.2.0`` gives ``1.2.0``)."""
    wild = [i for i, char in enumerate(pattern) if char in "*?["]
    if not wild:
        return tag
    prefix = wild[0]
    suffix = len(pattern) - 1 - max(wild[-1], pattern.find("]", wild[-1]))
    return tag[prefix : len(tag) - suffix if suffix > 0 else len(tag)]


# A version as tags carry it: 1, 1.2, v1.2.3, 1.2.3-rc.1 (a tag cannot hold semver's "+build").
_SEMVER = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?")


def semver_key(text: str) -> tuple[object, ...] | None:
    """``text``'s order as a semantic version (missing minor/patch are 0; a pre-release ranks
    below its release, its dot-separated identifiers numerically where numeric and below
    alphanumeric ones, as semver.org §11 says); None when it is not a version."""
    match = _SEMVER.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    release: tuple[object, ...] = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (*release, 1, ())
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split("."))
    return (*release, 0, ids)


def _rank(match: Match, version: str, order: TagOrder) -> tuple[object, ...] | None:
    pushed = (match.image.pushed_at, match.tag, match.image.digest)
    if order is TagOrder.PUSHED:
        return pushed
    key = semver_key(version)
    return None if key is None else (key, *pushed)


def all_versions(texts: Iterable[str]) -> bool:
    """Whether every text is a semantic version (so push order and version order can be
    compared meaningfully: git hashes that happen to be all digits are not a version scheme)."""
    items = list(texts)
    return bool(items) and all(semver_key(text) is not None for text in items)


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
    *,
    order: TagOrder = TagOrder.PUSHED,
) -> VersionChoice | NoCoherentVersion:
    """The newest version every component has (by push time, or with ``Semver`` the highest
    semantic version), or why there is none.

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
    if order is TagOrder.SEMVER:
        candidates = {version for version in candidates if semver_key(version) is not None}
        if not candidates:
            return NoCoherentVersion("no {version} value is a semantic version (Order: Semver)")
    complete = [version for version in candidates if all(version in found[n] for n in names)]
    if complete:
        version = max(complete, key=lambda v: _ranked(v, found, order))
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


def _ranked(
    version: str, found: Mapping[str, Mapping[str, Match]], order: TagOrder
) -> tuple[object, ...]:
    completed = _completed_at(version, found)
    if order is TagOrder.PUSHED:
        return completed
    return (semver_key(version), *completed)


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
