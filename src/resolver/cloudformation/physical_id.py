"""The PhysicalResourceId: stable for a resource, changing exactly when the deployed images do.

CloudFormation treats an Update whose answer carries a different PhysicalResourceId as a
*replacement*: if the stack update then fails, it returns to the old id and the attributes it
recorded for it — without asking the resolver — and deletes the new one; if it succeeds, it
deletes the old one at cleanup. An id that changes exactly when the resolved images change (its
revision) therefore makes every rollback that follows a replacement exact by construction.

When the images did not change, the id does not either (no replacement, no stray Delete). A
rollback then arrives as an Update with the previous properties, sent to this same id — as it does
after this resource's own Update fails. For that case the id carries the deployed set itself, in
compact form: each image's status and digest(s), so the set can be answered again exactly.

Format ``r1``, all ASCII, at most 1,024 characters (CloudFormation's limit)::

    <key>:r1:<revision>:<properties hash>:<version>:<images>

``key`` is ``<stack name>-<logical id>-<10 hex of both>`` (names cut to 40 characters), unique per
resource; ``revision`` is the ``Revision`` attribute (12 hex of the images' URIs); the
properties hash is 8 hex of the properties that produced the id; ``version`` is the ``Version``
used (raw when it has only a tag's characters, else ``~`` and base64url). ``images`` lists the
images in name order, comma-separated: a status letter, the base64url digest the ``Uri`` pins,
``+`` the digest the tag named when that differs (an index pinned to one platform's image), ``=``
the tag a pattern chose. A set is carried whole or not at all: when it does not fit, the version
and images are empty — the id still changes with the revision, but a rollback to it is answered
by resolving the properties again.

An Update keeps the id only when the whole recorded set is the same (``same_set``): a changed
status, version or chosen tag is a replacement too, so a kept id always records exactly what the
resource answers.

Ids made by earlier versions (``<stack>-<logical>-<10 hex>``, no ``:r1:``) are understood as
"no record": the first Update after an upgrade moves to this format.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import Deadline
from ..model import ImageStatus, RecordedImage, Resolution, ResolveRequest, TagMatch
from .events import PHYSICAL_ID_LIMIT, CfnEvent

if TYPE_CHECKING:
    from ..engine.replay import Replay

MAX_LENGTH = PHYSICAL_ID_LIMIT
FORMAT = "r1"
_NAME_CHARS = 40

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
}
_STATUSES = {letter: status for status, letter in _LETTERS.items()}
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_ENTRY = re.compile(
    r"(?P<letter>[A-Za-z])(?P<digest>[A-Za-z0-9_-]{43})?(?:\+(?P<tagged>[A-Za-z0-9_-]{43}))?"
    r"(?:=(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}))?"
)
_CLOUDFORMATION_KEYS = frozenset({"ServiceToken", "ServiceTimeout"})


@dataclass(frozen=True)
class PhysicalId:
    """A parsed ``r1`` id. ``images`` is None when the set was too large to carry."""

    key: str
    revision: str
    properties_hash: str
    version: str | None
    images: tuple[RecordedImage, ...] | None

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
        return ":".join(fields)

    def recorded(self, request: ResolveRequest) -> dict[str, RecordedImage] | None:
        """The record by image name for ``request``'s images; None when there is none, or when
        it does not describe them exactly. Checked: every image a pattern chose carries its tag,
        ``{version}`` tags have the version, and rebuilt with this request the record gives back
        the id's own revision (the same names, repositories and URIs)."""
        checked = self._checked(request)
        return checked[0] if checked else None

    def replayed(self, request: ResolveRequest) -> Replay | None:
        """``request``'s images as recorded, without asking ECR: exact URIs, no descriptions;
        None when the record does not describe them (see ``recorded``)."""
        checked = self._checked(request)
        return checked[1] if checked else None

    def _checked(self, request: ResolveRequest) -> tuple[dict[str, RecordedImage], Replay] | None:
        names = sorted(spec.name for spec in request.images)
        if self.images is None or len(self.images) != len(names):
            return None
        recorded = dict(zip(names, self.images, strict=True))
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

    def same_set(self, other: PhysicalId) -> bool:
        """Whether both record the same deployed set: images, statuses, digests, chosen tags and
        version — everything a rollback answers from (the properties hash aside)."""
        return (self.revision, self.version, self.images) == (
            other.revision,
            other.version,
            other.images,
        )


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


def made_for(event: CfnEvent, resolution: Resolution) -> PhysicalId:
    """The id for what ``resolution`` deploys. The set is carried whole or not at all: a record
    that dropped anything (a pattern's tag, the version) could not answer a rollback exactly."""
    made = PhysicalId(
        key=stable_id(event.stack_id, event.logical_resource_id),
        revision=resolution.revision,
        properties_hash=properties_hash(event.properties),
        version=resolution.version,
        images=_record(resolution),
    )
    if made.images is None or len(str(made)) > MAX_LENGTH:
        # The revision alone still changes with the images; a rollback resolves again.
        made = PhysicalId(made.key, made.revision, made.properties_hash, None, None)
    return made


def parse(text: str | None) -> PhysicalId | None:
    """An ``r1`` id, or None for an id of an earlier version (or anything else)."""
    fields = (text or "").split(":")
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
    return PhysicalId(key, revision, props, version, images)


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


def _entry(image: RecordedImage) -> str:
    text = _LETTERS[image.status]
    if image.digest:
        text += _b64(image.digest)
    if image.tagged_digest:
        text += "+" + _b64(image.tagged_digest)
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
        digest=_unb64(match["digest"]),
        tagged_digest=_unb64(match["tagged"]),
        tag=match["tag"],
    )


def _is_sha256(digest: str | None) -> bool:
    return digest is not None and _SHA256.fullmatch(digest) is not None


def _b64(digest: str) -> str:
    raw = bytes.fromhex(digest.removeprefix("sha256:"))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str | None) -> str | None:
    if not text:
        return None
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
