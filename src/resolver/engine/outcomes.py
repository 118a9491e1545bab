"""What the engine learns about each image before any policy is applied: the nouns between stages.

A lookup round (``lookup``, with ``discovery`` for patterns and ``Version: latest``) answers each
image with exactly one outcome: ``Found`` in ECR, ``Absent`` with the status that says why, or an
``ImageProblem`` when ECR could not say. ``replay`` builds the same outcomes from a record. Only
``policy.decide`` turns outcomes into ``ImageResult``\\s — a Fallback where ``OnMissing`` allows
one, a lookup failure for any problem — once, for every image together.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ImageProblem
from ..model import ImageStatus
from ..references import ImageRef
from ..values import frozen
from .ecr.failures import FailureKind


@frozen
class Found:
    """In ECR, with a digest to deploy."""

    ref: ImageRef | None  # the image looked up (a pattern's choice); None: a choice not recorded
    digest: str  # what to deploy: the image, or an index's image for the wanted platform
    tagged_digest: str  # what the tag names (the index, when pinned to one platform's image)
    platforms: tuple[str, ...] = ()  # an index's runnable platforms
    children: tuple[str, ...] = ()  # an unpinned index's runnable images (scanned one by one)


@frozen
class Absent:
    """Not deployable from ECR: a build is needed (or pre-built images are off)."""

    status: ImageStatus
    detail: str = ""  # why, for a person ("no tag matches tools-*"); "" where the status says it
    ref: ImageRef | None = None  # the image looked up, where there was one
    tagged_digest: str | None = None  # PlatformNotFound: the index the tag names
    platforms: tuple[str, ...] = ()  # PlatformNotFound: the platforms that index has


Outcome = Found | Absent | ImageProblem


@frozen
class Round:
    """What one lookup round answered: an outcome per image looked for, ECR calls, the version
    ``Version: latest`` chose."""

    outcomes: Mapping[str, Outcome]
    calls: int
    version: str | None

    @property
    def missing(self) -> frozenset[str]:
        return frozenset(name for name, o in self.outcomes.items() if isinstance(o, Absent))

    @property
    def failed(self) -> tuple[ImageProblem, ...]:
        return tuple(o for o in self.outcomes.values() if isinstance(o, ImageProblem))


def absent_status(kind: FailureKind, ref: ImageRef) -> ImageStatus:
    """The status of an image ECR says is absent (``kind`` is not ``ERROR``): the one mapping, so
    discovery and lookups agree on what "absent" looks like."""
    if kind is FailureKind.REPOSITORY_NOT_FOUND:
        return ImageStatus.REPOSITORY_NOT_FOUND
    return ImageStatus.TAG_NOT_FOUND if ref.tag else ImageStatus.DIGEST_NOT_FOUND
