"""Taking protection tags back: on the Delete of the id whose set they protect, and when a
``Required`` protection fails half-way.

ECR deletes an image whose last tag is removed (``BatchDeleteImage`` by tag), and the resolver
never deletes an image. A protection tag that is its image's last — the image's own tags moved on
while a stack pinned it — is first replaced by ``unpinned-…`` (``PutImage``, the same manifest),
then removed. The image is then where it would stand without protection, tagged only with a name
that says what happened: an ``unpinned-*`` lifecycle rule expires it (README, "Protecting pinned
images"). Several of a resource's tags on one image count together: removing all of them at once
is removing the last. Where the replacement cannot be written, or the image's tags cannot be
read, the protection tag stays: a leaked tag costs storage, a deleted image costs a rollback.

Calls: one ``BatchGetImage`` per repository and 100 tags (which exist, on which image, with its
manifest), one ``DescribeImages`` per repository and 100 images (each image's tags), a
``PutImage`` per image left without another tag, and one ``BatchDeleteImage`` per repository and
100 tags.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..engine.ecr.batch_get_image import FetchedImage, fetch_images
from ..engine.ecr.clients import EcrClients
from ..engine.ecr.describe_images import describe_digests
from ..engine.ecr.failures import EcrFailure, FailureKind
from ..engine.fanout import Deadline
from ..model import ImageDetails
from ..references import ImageRef, Repository
from ..values import frozen
from .ecr_writes import ALREADY_THERE, TagWrite, delete_tags, exact_write, put_tags
from .naming import released

logger = logging.getLogger(__name__)

Target = tuple[Repository, str]  # a tag, by repository


@frozen
class Released:
    removed: tuple[Target, ...]  # removed, or already gone
    replaced: tuple[Target, ...]  # removed after an unpinned-… tag took over (the image's last)
    kept: dict[Target, str] = field(default_factory=dict)  # left in place, and why
    calls: int = 0


def release(targets: Iterable[Target], *, clients: EcrClients, deadline: Deadline) -> Released:
    """Each protection tag of ``targets`` removed, none of them an image's last."""
    wanted = sorted(set(targets))
    if not wanted:
        return Released((), ())
    fetched = fetch_images(
        [ImageRef(repo, tag=tag) for repo, tag in wanted], clients=clients, deadline=deadline
    )
    found = _Found.of(wanted, fetched.answers)
    details = describe_digests(found.images, clients=clients, deadline=deadline)
    plan = found.plan(details.answers)
    writes = put_tags(list(plan.last.values()), clients=clients, deadline=deadline)
    replaced: list[Target] = []
    for image, write in plan.last.items():
        failure = writes.failures.get(write)
        tags = [(image[0], tag) for tag in found.images[image]]
        if failure is None or failure.code == ALREADY_THERE:
            replaced += tags
        else:
            plan.kept.update(dict.fromkeys(tags, f"the image's last tag; {write.tag}: {failure}"))
    removals = delete_tags([*plan.removable, *replaced], clients=clients, deadline=deadline)
    plan.kept.update(
        {t: f"BatchDeleteImage: {failure}" for t, failure in removals.failures.items()}
    )
    result = Released(
        removed=tuple(t for t in plan.removable if t not in removals.failures),
        replaced=tuple(t for t in replaced if t not in removals.failures),
        kept=plan.kept,
        calls=fetched.calls + details.calls + writes.calls + removals.calls,
    )
    if plan.kept:
        why = {tag: reason for (_, tag), reason in plan.kept.items()}
        logger.warning("Protection tags kept", extra={"kept": why})
    return result


Image = tuple[Repository, str]  # an image, by repository and digest


@dataclass
class _Plan:
    removable: list[Target]  # not an image's last tags (or already gone)
    last: dict[Image, TagWrite]  # images these tags alone keep: the unpinned tag to write first
    kept: dict[Target, str]  # left in place, and why


@frozen
class _Found:
    """Where each wanted tag is: on which image (with its manifest), gone, or unknown."""

    images: dict[Image, list[str]]
    manifests: dict[Image, FetchedImage]
    gone: list[Target]
    unknown: dict[Target, str]

    @classmethod
    def of(
        cls, wanted: list[Target], answers: Mapping[ImageRef, FetchedImage | EcrFailure]
    ) -> _Found:
        found = cls(defaultdict(list), {}, [], {})
        for repo, tag in wanted:
            answer = answers.get(ImageRef(repo, tag=tag))
            if isinstance(answer, FetchedImage):
                found.images[(repo, answer.digest)].append(tag)
                found.manifests[(repo, answer.digest)] = answer
            elif isinstance(answer, EcrFailure) and answer.kind is not FailureKind.ERROR:
                found.gone.append((repo, tag))  # never written, or removed: a Delete replayed
            else:
                found.unknown[(repo, tag)] = f"reading it: {answer}"
        return found

    def plan(self, described: Mapping[Image, ImageDetails | EcrFailure]) -> _Plan:
        plan = _Plan(list(self.gone), {}, dict(self.unknown))
        for image, tags in self.images.items():
            repo = image[0]
            details = described.get(image)
            if not isinstance(details, ImageDetails):
                plan.kept.update(dict.fromkeys(((repo, t) for t in tags), f"its tags: {details}"))
            elif set(details.tags) - set(tags):
                plan.removable += ((repo, tag) for tag in tags)
            elif write := exact_write(repo, self.manifests[image], released(sorted(tags)[0])):
                plan.last[image] = write
            else:
                why = "its manifest does not hash to its digest: no unpinned tag can be written"
                plan.kept.update(dict.fromkeys(((repo, t) for t in tags), why))
        return plan
