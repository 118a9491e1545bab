"""``TagMutability``: can the tag an image was pinned through move to another image?

A digest pinned through a tag of a ``MUTABLE`` repository is what the plan saw only until CI (or
anyone) pushes that tag again; a signature or a lock (``ExpectedDigests``) ties the deploy to what
CI vouched for, and without either, a WARNING says so. The repository is read
(``DescribeRepositories``, one call per registry and 100 repositories) only when the attribute is
selected, or for a tag-pinned image that a signature gate or a lock covers without vouching for it
(the gate reports rather than fails, or ECR would not say) — never otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..model import Attribute, ImageResult, ResolveRequest, Verdict, VerdictState
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure
from .ecr.repositories import TagRules, tag_rules
from .fanout import Deadline
from .gates import pinned

logger = logging.getLogger(__name__)

Images = tuple[ImageResult, ...]


def add_tag_mutability(
    request: ResolveRequest, images: Images, *, clients: EcrClients, deadline: Deadline
) -> tuple[Images, int]:
    """``images`` with ``tag_mutability`` set where it is read, and the ECR calls made; a WARNING
    names the images pinned through a tag that can move, with neither lock nor signature."""
    selected = Attribute.TAG_MUTABILITY in request.attributes
    wanted = [
        image
        for image in images
        if pinned(image)
        and image.image_ref.tag
        and (selected or (_gated(image) and not _vouched_for(image)))
    ]
    if not wanted:
        return images, 0
    report = tag_rules(
        {image.image_ref.repository for image in wanted}, clients=clients, deadline=deadline
    )
    verdicts = {
        image.name: _verdict(image, report.answers[image.image_ref.repository]) for image in wanted
    }
    unguarded = [name for name, v in verdicts.items() if v.state is VerdictState.BLOCKED]
    if unguarded:
        logger.warning(
            "Pinned through a tag that can move, with neither lock nor signature",
            extra={"images": unguarded},
        )
    read = tuple(
        replace(image, tag_mutability=verdicts[image.name]) if image.name in verdicts else image
        for image in images
    )
    return read, report.calls


def _gated(image: ImageResult) -> bool:
    return bool(image.spec.gates.signature or image.spec.gates.expected_digest)


def _vouched_for(image: ImageResult) -> bool:
    """Signed, or the digest the plan saw: then a moving tag changes nothing deployed."""
    return any(v is not None and v.passed for v in (image.signature, image.lock))


def _verdict(image: ImageResult, answer: TagRules | EcrFailure) -> Verdict:
    if isinstance(answer, EcrFailure):
        return Verdict(VerdictState.UNKNOWN, f"Unknown: {answer.code}", str(answer), answer.code)
    if not answer.mutable(image.image_ref.tag or ""):
        return Verdict(VerdictState.PASSED, "Immutable")
    if _vouched_for(image):
        return Verdict(VerdictState.PASSED, "Mutable")
    detail = (
        f"tag {image.image_ref.tag} can be pushed again ({answer.setting}), and neither a lock "
        "(ExpectedDigests) nor a signature vouches for this digest"
    )
    return Verdict(VerdictState.BLOCKED, "Mutable: no lock or signature", detail)
