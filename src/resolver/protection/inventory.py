"""What stacks pin, located in ECR: the in-use inventory a clean-up tool may trust.

A resolver resource's PhysicalResourceId records its set (``cloudformation.physical_id``): whole
digests (``Full``), digest prefixes (``Abbreviated``), or only the set's revision (``Dropped``) —
but never the repositories, which live in the properties CloudFormation does not hand back. So
every wanted digest is looked for in the listings of the repositories searched (all of the
registry's, or those named), and:

* a whole digest is in use wherever it is listed;
* a prefix is completed from the listings; where it matches several images, all of them are kept
  (a clean-up tool must never delete what may be in use);
* a dropped record is found by its protection tags, when the set has them (``pinned-<stack>-
  <logical id>-…-<revision>``); without them it cannot be located.

What cannot be located makes the inventory incomplete, said per resource: deleting by an
incomplete inventory could delete a running image.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from ..engine.lifecycle import StoredImage
from ..references import Repository
from ..values import frozen
from .naming import of_set


@frozen
class Wanted:
    """What one resource's id says it pins."""

    digests: tuple[str, ...] = ()  # whole: sha256:<64 hex>
    prefixes: tuple[str, ...] = ()  # sha256:<6 to 16 hex>, from an abbreviated record
    tagged_set: tuple[str, str] | None = None  # (tag prefix, revision) of a protected set
    why_not: str = ""  # set when the id itself says nothing usable (an earlier version's)


@frozen
class Located:
    """Where a resource's images are: (repository, digest) pairs, and what was not found."""

    images: tuple[tuple[Repository, str], ...]
    missing: tuple[str, ...] = ()  # for a person: each digest, prefix or set not located
    notes: tuple[str, ...] = ()  # ambiguities resolved by keeping every candidate


@frozen
class Listings:
    """Every searched repository's images, indexed once."""

    by_repository: Mapping[Repository, tuple[StoredImage, ...]]

    @cached_property
    def _where(self) -> dict[str, list[Repository]]:
        """Each listed digest's repositories."""
        where: dict[str, list[Repository]] = {}
        for repo, images in sorted(self.by_repository.items()):
            for image in images:
                where.setdefault(image.digest, []).append(repo)
        return where

    def locate(self, wanted: Wanted) -> Located:
        if wanted.why_not:
            return Located((), (wanted.why_not,))
        images: list[tuple[Repository, str]] = []
        missing: list[str] = []
        notes: list[str] = []
        for digest in wanted.digests:
            repos = self._where.get(digest, [])
            images += ((repo, digest) for repo in repos)
            if not repos:
                missing.append(f"{digest}: in none of the repositories searched")
        for prefix in wanted.prefixes:
            matches = sorted(d for d in self._where if d.startswith(prefix))
            images += ((repo, d) for d in matches for repo in self._where[d])
            if not matches:
                missing.append(f"{prefix}…: no image of the repositories searched")
            elif len(matches) > 1:
                notes.append(f"{prefix}… matches {len(matches)} images: all are kept")
        if wanted.tagged_set is not None:
            prefix, revision = wanted.tagged_set
            tagged = [
                (repo, image.digest)
                for repo, listed in sorted(self.by_repository.items())
                for image in listed
                if any(of_set(tag, prefix=prefix, revision=revision) for tag in image.tags)
            ]
            images += tagged
            if not tagged:
                missing.append(f"no image carries the protection tags of set {revision}")
        return Located(tuple(dict.fromkeys(images)), tuple(missing), tuple(notes))
