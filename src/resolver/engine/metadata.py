"""``PushedAt`` / ``SizeInBytes`` / ``Tags``: DescribeImages, only when one of them is selected."""

from __future__ import annotations

from dataclasses import replace

from ..errors import ImageProblem, LookupFailedError
from ..model import METADATA_ATTRIBUTES, ImageDetails, ImageResult, ResolveRequest
from ..references import Repository
from .ecr.clients import EcrClients
from .ecr.describe_images import describe_digests
from .ecr.failures import EcrFailure
from .fanout import Deadline

Target = tuple[Repository, str]


def add_details(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with ``details`` filled in for the found ones, and the ECR calls made."""
    if not METADATA_ATTRIBUTES & set(request.attributes):
        return images, 0
    # The image the tag names (for a pinned platform, its index): that is what has tags.
    targets = {tagged(image): image for image in images if image.found}
    report = describe_digests(targets, clients=clients, deadline=deadline)
    problems = [
        ImageProblem(image.name, image.image_ref.location, str(answer))
        for target, image in targets.items()
        if isinstance(answer := report.answers.get(target), EcrFailure)
    ]
    if problems:
        raise LookupFailedError(problems)
    detailed = tuple(
        replace(image, details=answer)
        if isinstance(answer := report.answers.get(tagged(image)), ImageDetails)
        else image
        for image in images
    )
    return detailed, report.calls


def tagged(image: ImageResult) -> Target:
    """The image its tag points at: the index, for an index pinned to one platform's image."""
    return (image.image_ref.repository, image.tagged_digest or image.digest or "")
