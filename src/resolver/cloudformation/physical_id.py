"""The PhysicalResourceId: which properties and which images a resource answered, in one string.

CloudFormation treats an Update whose answer carries a different PhysicalResourceId as a
*replacement*: if the stack update then fails, it returns to the old id and the attributes it
recorded for it — without asking the resolver — and deletes the new one; if it succeeds, it
deletes the old one at cleanup. So a new id on every change makes every rollback that follows a
forward Update exact by construction.

The id changes whenever the properties (``ServiceToken``/``ServiceTimeout`` aside) or the deployed
set change. A resource therefore keeps its id only through an Update that does not go forward:
the rollback of its own failed Update, which CloudFormation sends to the same id with the
previous properties — exactly the ones the id was made from, which is how a rollback is told from
an ordinary Update even when the stack's status cannot be read. For that Update the id carries the
deployed set itself, in compact form, so it can be answered again exactly.

Format ``r1``, all ASCII, at most 1,024 characters (CloudFormation's limit)::

    <key>:r1:<revision>:<properties hash>:<version>:<images>

``key`` is ``<stack name>-<logical id>-<10 hex of both>`` (names cut to 40 characters), unique per
resource; ``revision`` is the ``Revision`` attribute (12 hex of the images' URIs); the properties
hash is 8 hex of the properties that produced the id; ``version`` is the ``Version`` used (raw when
it has only a tag's characters, else ``~`` and base64url). ``images`` lists the images in name
order, comma-separated: a status letter, the digest the ``Uri`` pins, ``+`` the digest the tag named
when that differs (an index pinned to one platform's image), ``=`` the tag a pattern chose.

The record shares the 4,096-byte response with ``Data`` and gets what ``Data`` leaves
(``budget``), in one of three kinds (``RecordKind``, the ``RollbackRecord`` attribute):

* **Full**: each digest whole, as base64url (43 characters). A rollback needs no ECR call.
* **Abbreviated**: each digest as ``.`` and its first hex digits (16 down to 6: the longest that
  fits). A rollback lists the images' repositories and completes each prefix; where two digests
  share a prefix, the combination whose URIs give back the id's revision is the one deployed.
* **Dropped**: no version and no images: a rollback to this id resolves its properties again.

With ``Protect`` the id has a seventh field, ``P`` or ``p`` (``Pinned``): the set carries its
protection tags, all of them or only some (a tag was refused). An Update that keeps a ``P`` set
needs no ECR call to protect it; a Delete leaves the tags of its revision alone when the id that
replaces it protects the same set.

Ids made by 0.1 (``<stack>-<logical>-<10 hex>``, no ``:r1:``) are understood as "no record"; ids
made by 0.2 are ``r1`` with full records and read as such.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from ..engine import Deadline
from ..model import (
    ImageSpec,
    ImageStatus,
    RecordedImage,
    Resolution,
    ResolveRequest,
    TagMatch,
)
from ..references import Repository
from ..values import frozen
from .events import PHYSICAL_ID_LIMIT, CfnEvent

if TYPE_CHECKING:
    from ..engine.replay import Replay

FORMAT = "r1"
_NAME_CHARS = 40
# Hex digits an abbreviated record keeps per digest, longest first. Six (24 bits) is the floor:
# a prefix shared by several images of a repository is settled by the revision (48 bits).
ABBREVIATIONS = (16, 12, 8, 6)
# Combinations of shared prefixes tried against the revision before giving up on exactness.
_MAX_COMBINATIONS = 256


class RecordKind(Enum):
    """How much of the deployed set the id carries: the ``RollbackRecord`` attribute."""

    FULL = "Full"
    ABBREVIATED = "Abbreviated"
    DROPPED = "Dropped"


# One letter per status; statuses with a digest are upper case.
_LETTERS: Mapping[ImageStatus, str] = {
    ImageStatus.FOUND: "F",
    ImageStatus.VULNERABLE: "V",
    ImageStatus.NOT_SCANNED: "N",
    ImageStatus.TAG_NOT_FOUND: "t",
    ImageStatus.DIGEST_NOT_FOUND: "d",
    ImageStatus.REPOSITORY_NOT_FOUND: "r",
    ImageStatus.PLATFORM_NOT_FOUND: "p",
    ImageStatus.SKIPPED: "s",
    ImageStatus.ARCHIVED: "a",
    ImageStatus.WRONG_REGION: "w",
    ImageStatus.UNSIGNED: "U",
    ImageStatus.LOCK_MISMATCH: "L",
    ImageStatus.NOT_REPLICATED: "R",
}
_STATUSES = {letter: status for status, letter in _LETTERS.items()}
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_DIGEST_FIELD = r"[A-Za-z0-9_-]{43}|\.[0-9a-f]{6,63}"
_ENTRY = re.compile(
    rf"(?P<letter>[A-Za-z])(?P<digest>{_DIGEST_FIELD})?(?:\+(?P<tagged>{_DIGEST_FIELD}))?"
    r"(?:=(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}))?"
)
_CLOUDFORMATION_KEYS = frozenset({"ServiceToken", "ServiceTimeout"})


class Pinned(Enum):
    """Whether the set carries its protection tags (``Protect``): the id's optional last field."""

    ALL = "P"  # every image in ECR carries its tag
    SOME = "p"  # Protect was on, and a tag was refused (or not verified)


@frozen
class PhysicalId:
    """A parsed ``r1`` id. ``images`` is None when the set was not carried (``DROPPED``); in an
    abbreviated record a ``RecordedImage``'s digests are ``sha256:`` and a hex prefix."""

    key: str
    revision: str
    properties_hash: str
    version: str | None
    images: tuple[RecordedImage, ...] | None
    pinned: Pinned | None = None

    def __str__(self) -> str:
        entries = "" if self.images is None else ",".join(map(_entry, self.images))
        fields = (
            self.key,
            FORMAT,
            self.revision,
            self.properties_hash,
            _encoded_version(self.version),
            entries,
        )
        return ":".join(fields if self.pinned is None else (*fields, self.pinned.value))

    @property
    def kind(self) -> RecordKind:
        if self.images is None:
            return RecordKind.DROPPED
        digests = (d for image in self.images for d in (image.digest, image.tagged_digest) if d)
        return RecordKind.FULL if all(map(_is_sha256, digests)) else RecordKind.ABBREVIATED

    def made_from(self, properties: object) -> bool:
        """Whether ``properties`` are the ones this id was made from (what a rollback sends)."""
        return self.properties_hash == properties_hash(properties)

    def recorded(self, request: ResolveRequest) -> dict[str, RecordedImage] | None:
        """The record by image name for ``request``'s images; None when there is none, when it is
        abbreviated (``completed`` first), or when it does not describe them exactly. Checked:
        every image a pattern chose carries its tag, ``{version}`` tags have the version, and
        rebuilt with this request the record gives back the id's own revision (the same names,
        repositories and URIs)."""
        checked = self._checked(request)
        return checked[0] if checked else None

    def replayed(self, request: ResolveRequest) -> Replay | None:
        """``request``'s images as recorded, without asking ECR: exact URIs, no descriptions;
        None when the record does not describe them (see ``recorded``)."""
        checked = self._checked(request)
        return checked[1] if checked else None

    def _checked(self, request: ResolveRequest) -> tuple[dict[str, RecordedImage], Replay] | None:
        names = sorted(spec.name for spec in request.images)
        if self.kind is not RecordKind.FULL or len(self.images or ()) != len(names):
            return None
        recorded = dict(zip(names, self.images or (), strict=True))
        for spec in request.images:
            entry = recorded[spec.name]
            if entry.digest and (
                (spec.match is TagMatch.PATTERN and not entry.tag)
                or (spec.match is TagMatch.LATEST_VERSION and not self.version)
            ):
                return None
        from ..engine.replay import replay  # noqa: PLC0415 - only where a record is read

        rebuilt = replay(request, recorded, version=self.version, clients=None, deadline=Deadline())
        return (recorded, rebuilt) if rebuilt.resolution.revision == self.revision else None

    def entries(self, names: Collection[str]) -> dict[str, RecordedImage] | None:
        """A whole record by image name, unchecked: for properties the id was made from that no
        longer all validate (``made_from`` says they are the same)."""
        if self.kind is not RecordKind.FULL or len(self.images or ()) != len(names):
            return None
        return dict(zip(sorted(names), self.images or (), strict=True))

    def unmatched(
        self, request: ResolveRequest, listed: Mapping[Repository, Collection[str]]
    ) -> tuple[str, ...]:
        """The images whose recorded digest prefix no digest of ``listed`` has: gone from ECR."""
        specs = sorted(request.images, key=lambda spec: spec.name)
        return tuple(
            spec.name
            for spec, image in zip(specs, self.images or (), strict=False)
            if any(
                digest
                and not any(d.startswith(digest) for d in listed.get(spec.ref.repository, ()))
                for digest in (image.digest, image.tagged_digest)
            )
        )

    def prefixes(self, request: ResolveRequest) -> dict[Repository, set[str]]:
        """The abbreviated digests to complete, by the repository ``request`` puts each image in."""
        if self.kind is not RecordKind.ABBREVIATED or len(self.images or ()) != len(request.images):
            return {}
        specs = sorted(request.images, key=lambda spec: spec.name)
        wanted: dict[Repository, set[str]] = {}
        for spec, image in zip(specs, self.images or (), strict=True):
            for digest in (image.digest, image.tagged_digest):
                if digest and not _is_sha256(digest):
                    wanted.setdefault(spec.ref.repository, set()).add(digest)
        return wanted

    def completed(
        self, request: ResolveRequest, listed: Mapping[Repository, Collection[str]]
    ) -> PhysicalId | None:
        """This id with every abbreviated digest made whole from ``listed`` (each repository's
        digests), chosen so that the record gives back the id's revision; None when no choice
        does (an image gone since, or more shared prefixes than are worth trying)."""
        if self.kind is RecordKind.FULL:
            return self
        wanted = self.prefixes(request)
        if not wanted:
            return None
        choices: dict[tuple[Repository, str], list[str]] = {}
        for repo, prefixes in wanted.items():
            digests = listed.get(repo, ())
            for prefix in prefixes:
                choices[(repo, prefix)] = [d for d in digests if d.startswith(prefix)]
        keys = list(choices)
        combinations = 1
        for key in keys:
            combinations *= len(choices[key])
        if not 0 < combinations <= _MAX_COMBINATIONS:
            return None
        specs = sorted(request.images, key=lambda spec: spec.name)
        for picked in itertools.product(*(choices[key] for key in keys)):
            whole = dict(zip(keys, picked, strict=True))
            candidate = replace(self, images=_made_whole(self.images or (), specs, whole))
            if candidate.recorded(request) is not None:
                return candidate
        return None

    def same_set(self, resolution: Resolution) -> bool:
        """Whether ``resolution`` pins the images this id was made for (its revision: the URIs)."""
        return self.revision == resolution.revision


def _made_whole(
    images: tuple[RecordedImage, ...],
    specs: list[ImageSpec],
    whole: Mapping[tuple[Repository, str], str],
) -> tuple[RecordedImage, ...]:
    """``images`` (in ``specs``' order) with each prefix replaced by the digest picked for it."""
    made = []
    for spec, image in zip(specs, images, strict=True):
        repo = spec.ref.repository
        digest, tagged = (
            whole.get((repo, d), d) if d else None for d in (image.digest, image.tagged_digest)
        )
        made.append(replace(image, digest=digest, tagged_digest=tagged))
    return tuple(made)


def stable_id(stack_id: str, logical_id: str) -> str:
    """``<stack name>-<logical id>-<hash of both>``: readable, the same on every call."""
    logical_id = logical_id or "Resource"
    stack_name = stack_id.split("/")[1] if stack_id.count("/") >= 2 else "stack"
    digest = hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:10]
    return f"{stack_name[:_NAME_CHARS]}-{logical_id[:_NAME_CHARS]}-{digest}"


def physical_id_for(event: CfnEvent) -> str:
    """The id CloudFormation knows (Update, Delete), else this resource's key (a failed Create)."""
    return event.physical_resource_id or stable_id(event.stack_id, event.logical_resource_id)


def properties_hash(properties: object) -> str:
    """8 hex of the properties, CloudFormation's own keys left out (changing the ServiceToken or
    ServiceTimeout changes nothing the resolver answers)."""
    kept = (
        {k: v for k, v in properties.items() if k not in _CLOUDFORMATION_KEYS}
        if isinstance(properties, Mapping)
        else properties
    )
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def candidates(
    event: CfnEvent, resolution: Resolution, *, pinned: Pinned | None = None
) -> Iterator[PhysicalId]:
    """The ids ``resolution`` may be answered with, most complete first: the full record, then
    abbreviated ones, then none. Each is within CloudFormation's 1,024 characters; the last always
    is. The caller takes the first whose response fits (``budget``).

    A set is carried whole or not at all: a record that dropped anything (a pattern's tag, the
    version) could not answer a rollback exactly.
    """
    bare = PhysicalId(
        key=stable_id(event.stack_id, event.logical_resource_id),
        revision=resolution.revision,
        properties_hash=properties_hash(event.properties),
        version=None,
        images=None,
        pinned=pinned,
    )
    full = _record(resolution)
    if full is not None:
        for length in (None, *ABBREVIATIONS):
            images = full if length is None else tuple(_abbreviated(i, length) for i in full)
            made = replace(bare, version=resolution.version, images=images)
            if len(str(made)) <= PHYSICAL_ID_LIMIT:
                yield made
    yield bare


def parse(text: str | None) -> PhysicalId | None:
    """An ``r1`` id, or None for an id of an earlier version (or anything else)."""
    fields = (text or "").split(":")
    pinned = None
    if len(fields) == 7 and fields[6] in _PINNED:
        pinned = _PINNED[fields.pop()]
    if len(fields) != 6 or fields[1] != FORMAT:
        return None
    key, _, revision, props, encoded, entries = fields
    images: tuple[RecordedImage, ...] | None = None
    if entries:
        decoded = [_decode(entry) for entry in entries.split(",")]
        if any(image is None for image in decoded):
            return None
        images = tuple(image for image in decoded if image is not None)
    version = _decoded_version(encoded)
    if encoded and version is None:
        return None
    return PhysicalId(key, revision, props, version, images, pinned)


_PINNED = {pinned.value: pinned for pinned in Pinned}


def _record(resolution: Resolution) -> tuple[RecordedImage, ...] | None:
    recorded = []
    for image in sorted(resolution.images, key=lambda i: i.name):
        if image.status not in _LETTERS:
            return None
        digest = image.digest if _LETTERS[image.status].isupper() else None
        if _LETTERS[image.status].isupper() and not _is_sha256(digest):
            return None
        tagged = image.tagged_digest if image.tagged_digest != digest else None
        if tagged is not None and not _is_sha256(tagged):
            return None
        chosen = image.image_ref.tag if image.spec.match is TagMatch.PATTERN else None
        recorded.append(RecordedImage(image.status, digest, tagged, chosen))
    return tuple(recorded)


def _abbreviated(image: RecordedImage, length: int) -> RecordedImage:
    def cut(digest: str | None) -> str | None:
        return digest[: len("sha256:") + length] if digest else None

    return replace(image, digest=cut(image.digest), tagged_digest=cut(image.tagged_digest))


def _entry(image: RecordedImage) -> str:
    text = _LETTERS[image.status]
    if image.digest:
        text += _digest_field(image.digest)
    if image.tagged_digest:
        text += "+" + _digest_field(image.tagged_digest)
    if image.tag:
        text += "=" + image.tag
    return text


def _decode(entry: str) -> RecordedImage | None:
    match = _ENTRY.fullmatch(entry)
    if match is None or match["letter"] not in _STATUSES:
        return None
    status = _STATUSES[match["letter"]]
    if match["letter"].isupper() != bool(match["digest"]):
        return None
    return RecordedImage(
        status,
        digest=_digest_value(match["digest"]),
        tagged_digest=_digest_value(match["tagged"]),
        tag=match["tag"],
    )


def _is_sha256(digest: str | None) -> bool:
    return digest is not None and _SHA256.fullmatch(digest) is not None


def _digest_field(digest: str) -> str:
    """A whole digest as 43 base64url characters; a prefix as ``.`` and its hex digits."""
    hex_digits = digest.removeprefix("sha256:")
    if not _is_sha256(digest):
        return "." + hex_digits
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digits)).decode().rstrip("=")


def _digest_value(text: str | None) -> str | None:
    if not text:
        return None
    if text.startswith("."):
        return "sha256:" + text[1:]
    return "sha256:" + base64.urlsafe_b64decode(text + "=").hex()


_RAW_VERSION = re.compile(r"[A-Za-z0-9_.-]+")


def _encoded_version(version: str | None) -> str:
    """Raw when it has only a tag's characters (which exclude the separators), else ``~`` and
    base64url: any Version a template gives can be carried."""
    if not version:
        return ""
    if _RAW_VERSION.fullmatch(version):
        return version
    return "~" + base64.urlsafe_b64encode(version.encode()).decode().rstrip("=")


def _decoded_version(text: str) -> str | None:
    if not text.startswith("~"):
        return text or None
    try:
        padded = text[1:] + "=" * (-len(text[1:]) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
