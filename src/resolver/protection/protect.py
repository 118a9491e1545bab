"""Tagging what a resolution pins: ``protect``, for a Create or Update going forward (and for a
rollback whose set was not fully tagged).

One ``BatchGetImage`` per repository (and per 50 images: each asks two ids) reads, for every
image in ECR, whether its tag is already there and the exact manifest of its digest; then one
``PutImage`` per missing tag, concurrently. An image that already carries its tag costs nothing
more, so a Create or Update CloudFormation delivers twice writes nothing the second time.

What is tagged is the image the tag names: for an index pinned to one platform's image, the
index — what the retention verdict judges, since ECR does not expire an image an index
references while the index exists.

A manifest is written back only when its bytes, as ECR returned them, hash to the digest:
anything else (a re-serialised document, a schema 1 manifest, whose digest is not of its bytes)
would make a new image rather than tag this one, so it is reported instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ..engine.ecr.batch_get_image import FetchedImage, fetch_images
from ..engine.ecr.clients import EcrClients
from ..engine.ecr.failures import EcrFailure, FailureKind
from ..engine.fanout import Deadline
from ..errors import ImageProblem, clip
from ..model import (
    PROTECTED,
    SKIPPED,
    ImageProtection,
    ImageResult,
    ProtectionReport,
    ProtectionState,
    Resolution,
    Source,
)
from ..references import ImageRef, Repository
from ..values import frozen
from .ecr_writes import ALREADY_THERE, TAG_IMMUTABLE, TagWrite, exact_write, put_tags
from .naming import Owner

logger = logging.getLogger(__name__)

# A ``Denied`` reason is ECR's error code, cut to this: every image's ``Protected`` attribute
# costs bytes of a 4,096-byte response, and the log holds the whole story.
MAX_REASON_CHARS = 32
UNVERIFIABLE = "manifest not verifiable"


@frozen
class Pin:
    """One image to protect: its name, where it is, the digest to tag, and the tag."""

    name: str
    repository: Repository
    digest: str
    tag: str

    @property
    def location(self) -> str:
        registry = self.repository.registry
        return f"{self.repository.name}@{self.digest} in {registry.account_id}/{registry.region}"


@frozen
class Protection:
    """What ``protect`` did: the report, the tags it wrote (to take back when a ``Required``
    protection fails), and each refusal described for a person."""

    report: ProtectionReport
    written: tuple[Pin, ...]
    problems: tuple[ImageProblem, ...]


def pins(owner: Owner, resolution: Resolution) -> tuple[Pin, ...]:
    """The images of ``resolution`` that are in ECR, each with its tag for this set."""
    return tuple(
        Pin(
            image.name,
            image.image_ref.repository,
            image.tagged_digest or image.digest or "",
            owner.tag(image.name, resolution.revision),
        )
        for image in resolution.images
        if in_ecr(image)
    )


def in_ecr(image: ImageResult) -> bool:
    """Deployed from ECR, by digest: what protection tags (a fallback is not ECR's to keep)."""
    return image.source is Source.PREBUILT and bool(image.digest)


def all_tagged(resolution: Resolution) -> ProtectionReport:
    """The report for a set known to carry every tag (its id says so): no call needed."""
    return ProtectionReport(
        {image.name: PROTECTED if in_ecr(image) else SKIPPED for image in resolution.images}
    )


def protect(
    owner: Owner, resolution: Resolution, *, clients: EcrClients, deadline: Deadline
) -> Protection:
    """Every image of ``resolution`` in ECR tagged for this set, where ECR allows it."""
    wanted = pins(owner, resolution)
    outcome: dict[str, ImageProtection] = {
        image.name: SKIPPED for image in resolution.images if not in_ecr(image)
    }
    if not wanted:
        return Protection(ProtectionReport(outcome), (), ())
    refs = [ImageRef(p.repository, tag=p.tag) for p in wanted]
    refs += [ImageRef(p.repository, digest=p.digest) for p in wanted]
    fetched = fetch_images(refs, clients=clients, deadline=deadline)
    writes: dict[Pin, TagWrite] = {}
    elsewhere: set[Pin] = set()
    problems: list[ImageProblem] = []
    for pin in wanted:
        decided = _read(pin, fetched.answers)
        if isinstance(decided, TagWrite):
            writes[pin] = decided
            if _tag_elsewhere(pin, fetched.answers):
                elsewhere.add(pin)
        else:
            outcome[pin.name] = decided[0]
            if decided[1]:
                problems.append(ImageProblem(pin.name, pin.location, decided[1]))
    written = put_tags(list(writes.values()), clients=clients, deadline=deadline)
    done: list[Pin] = []
    for pin, write in writes.items():
        failure = written.failures.get(write)
        if failure is None:
            outcome[pin.name] = PROTECTED
            done.append(pin)
        elif failure.code == ALREADY_THERE and pin not in elsewhere:
            outcome[pin.name] = PROTECTED  # replayed, or raced: the tag is on this image
        else:
            outcome[pin.name] = _denied(failure.code)
            problems.append(ImageProblem(pin.name, pin.location, _refusal(pin, failure)))
    ordered = {image.name: outcome[image.name] for image in resolution.images}
    report = ProtectionReport(ordered, ecr_calls=fetched.calls + written.calls)
    if problems:
        logger.warning(
            "Images not protected",
            extra={"problems": [f"{p.name}: {p.detail}" for p in problems]},
        )
    return Protection(report, tuple(done), tuple(problems))


def _read(
    pin: Pin, answers: Mapping[ImageRef, FetchedImage | EcrFailure]
) -> TagWrite | tuple[ImageProtection, str]:
    """The write ``pin`` needs, or its outcome without one (and why, for a person)."""
    on_tag = answers.get(ImageRef(pin.repository, tag=pin.tag))
    if isinstance(on_tag, FetchedImage) and on_tag.digest == pin.digest:
        return PROTECTED, ""
    if isinstance(on_tag, EcrFailure) and on_tag.kind is not FailureKind.IMAGE_NOT_FOUND:
        return _denied(on_tag.code), f"reading tag {pin.tag}: {clip(str(on_tag), 200)}"
    image = answers.get(ImageRef(pin.repository, digest=pin.digest))
    if isinstance(image, EcrFailure) or image is None:
        code = image.code if image else "NoResult"
        return _denied(code), f"reading its manifest: {clip(str(image), 200)}"
    write = exact_write(pin.repository, image, pin.tag)
    if write is None or image.digest != pin.digest:
        return _denied(UNVERIFIABLE), (
            f"its manifest, as ECR returns it, does not hash to {pin.digest} ({image.media_type}):"
            " writing it back would make a new image, so it was not tagged"
        )
    return write


def _tag_elsewhere(pin: Pin, answers: Mapping[ImageRef, FetchedImage | EcrFailure]) -> bool:
    on_tag = answers.get(ImageRef(pin.repository, tag=pin.tag))
    return isinstance(on_tag, FetchedImage) and on_tag.digest != pin.digest


def _refusal(pin: Pin, failure: EcrFailure) -> str:
    if failure.code in (TAG_IMMUTABLE, ALREADY_THERE):
        return (
            f"tag {pin.tag} is on another image, and the repository's tags are immutable: "
            f"remove it there (aws ecr batch-delete-image --repository-name {pin.repository.name}"
            f" --image-ids imageTag={pin.tag}) and deploy again"
        )
    return f"PutImage {pin.tag}: {clip(str(failure), 200)}"


def _denied(reason: str) -> ImageProtection:
    return ImageProtection(ProtectionState.DENIED, clip(reason, MAX_REASON_CHARS))
