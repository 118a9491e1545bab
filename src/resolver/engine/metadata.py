"""``PushedAt`` / ``SizeInBytes`` / ``Tags``: DescribeImages, only when one of them is selected.

They describe an image rather than choose it, so ECR refusing to describe one (access denied,
throttled, the image deleted since) never fails a deployment: the image's ``details`` then carry
ECR's error code and the three attributes are empty.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import METADATA_ATTRIBUTES, ImageDetails, ImageResult, ResolveRequest
from .ecr.batches import Target
from .ecr.clients import EcrClients
from .ecr.describe_images import describe_digests
from .ecr.failures import EcrFailure
from .fanout import Deadline


def add_details(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with ``details`` set on the found ones, and the ECR calls made."""
    if not METADATA_ATTRIBUTES & set(request.attributes):
        return images, 0
    # The image the tag names (for a pinned platform, its index): that is what has tags.
    report = describe_digests(
        {tagged(image) for image in images if image.found}, clients=clients, deadline=deadline
    )
    described = tuple(
        replace(image, details=_details(answer))
        if (answer := report.answers.get(tagged(image))) is not None
        else image
        for image in images
    )
    return described, report.calls


def _details(answer: ImageDetails | EcrFailure) -> ImageDetails:
    return ImageDetails(error=answer.code) if isinstance(answer, EcrFailure) else answer


def tagged(image: ImageResult) -> Target:
    """The image its tag points at: the index, for an index pinned to one platform's image."""
    return (image.image_ref.repository, image.tagged_digest or image.digest or "")
