"""``PushedAt`` / ``SizeInBytes`` / ``Tags``: DescribeImages, only when one of them is selected."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import ImageProblem
from ..model import METADATA_ATTRIBUTES, ImageDetails, ImageResult, ResolveRequest
from .ecr.batches import Target
from .ecr.clients import EcrClients
from .ecr.describe_images import describe_digests
from .ecr.failures import EcrFailure
from .fanout import Deadline


@dataclass(frozen=True)
class Described:
    images: tuple[ImageResult, ...]
    calls: int
    problems: tuple[ImageProblem, ...]  # images ECR could not describe: the caller decides


def add_details(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> Described:
    """``images`` with ``details`` filled in for the found ones that ECR described."""
    if not METADATA_ATTRIBUTES & set(request.attributes):
        return Described(images, 0, ())
    # The image the tag names (for a pinned platform, its index): that is what has tags.
    targets = {tagged(image): image for image in images if image.found}
    report = describe_digests(targets, clients=clients, deadline=deadline)
    problems = tuple(
        ImageProblem(image.name, image.image_ref.location, str(answer))
        for target, image in targets.items()
        if isinstance(answer := report.answers.get(target), EcrFailure)
    )
    detailed = tuple(
        replace(image, details=answer)
        if isinstance(answer := report.answers.get(tagged(image)), ImageDetails)
        else image
        for image in images
    )
    return Described(detailed, report.calls, problems)


def tagged(image: ImageResult) -> Target:
    """The image its tag points at: the index, for an index pinned to one platform's image."""
    return (image.image_ref.repository, image.tagged_digest or image.digest or "")
