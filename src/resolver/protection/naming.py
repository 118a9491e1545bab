"""Protection tags: one per image a resource pins, named after the resource and the set.

::

    pinned-<stack>-<logical id>-<image>-<owner hash>-<revision>
    pinned-cloudtak-dev-Images-Api-5c0f1e9a2b-3f6ef6cf7e59

* ``pinned-``: what one lifecycle rule recognises (``tagPatternList: ["pinned-*"]``).
* The stack name, logical id and image name say whose tag it is, cut to 40, 30 and 23
  characters (CloudFormation allows 128, 255 and the resolver 64).
* The owner hash — 10 hex of the stack's id (an ARN: partition, region, account, name and a
  UUID), the logical id and the image name, all uncut — keeps tags apart however the names are
  cut, and apart between two stacks of one name, in two regions or accounts, that pin images of
  one repository: a Delete removes its own tags and nobody else's.
* The revision (the ``Revision`` attribute: 12 hex of every image's URI) makes the tag unique per
  set. The set an Update replaces keeps its tags until CloudFormation deletes its id, the new
  set gets its own, and an Update that keeps the set needs none. A tag is written once and never
  moved, so repositories with immutable tags take them as they are.

A tag is at most 126 characters, and ``unpinned-`` + the same at most 128: within ECR's 300 and
the 128 that Docker and most registry tools accept. Only ``[A-Za-z0-9-]`` appear.
"""

from __future__ import annotations

import hashlib
import re

from ..model import PROTECTION_TAG_PREFIX, RELEASED_TAG_PREFIX
from ..values import frozen

STACK_CHARS = 40
LOGICAL_ID_CHARS = 30
IMAGE_CHARS = 23
OWNER_HASH_CHARS = 10
REVISION_CHARS = 12  # the Revision attribute
MAX_TAG_CHARS = 126
_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


@frozen
class Owner:
    """The resource that pins images: its stack's id (the ARN) and its logical id."""

    stack_id: str
    logical_id: str

    @property
    def stack_name(self) -> str:
        return self.stack_id.split("/")[1] if self.stack_id.count("/") >= 2 else "stack"

    @property
    def prefix(self) -> str:
        """What every tag of this resource starts with (``pinned-<stack>-<logical id>-``)."""
        stack = _safe(self.stack_name)[:STACK_CHARS]
        logical = _safe(self.logical_id or "Resource")[:LOGICAL_ID_CHARS]
        return f"{PROTECTION_TAG_PREFIX}{stack}-{logical}-"

    def tag(self, image: str, revision: str) -> str:
        """The tag that protects ``image`` of the set ``revision``."""
        owner = f"{self.stack_id}|{self.logical_id}|{image}"
        digest = hashlib.sha256(owner.encode()).hexdigest()[:OWNER_HASH_CHARS]
        return (
            f"{self.prefix}{_safe(image)[:IMAGE_CHARS]}-{digest}-{_safe(revision)[:REVISION_CHARS]}"
        )


def released(tag: str) -> str:
    """What a protection tag becomes when it was its image's last: ``unpinned-…``."""
    return RELEASED_TAG_PREFIX + tag.removeprefix(PROTECTION_TAG_PREFIX)


def of_set(tag: str, *, prefix: str, revision: str) -> bool:
    """Whether ``tag`` is one of the resource's (``prefix``: ``Owner.prefix``) for the set
    ``revision``: how a listing finds a set's images without knowing their names."""
    return tag.startswith(prefix) and tag.endswith(f"-{revision}")


def _safe(text: str) -> str:
    # Stack names, logical ids and image names already fit; an event CloudFormation did not send
    # could carry anything, and a tag must still be valid.
    return _UNSAFE.sub("-", text)
