"""One lookup round: discover concrete tags, fetch the images, and pin each to what to deploy.

Every image gets exactly one outcome (``outcomes``): found and pinned, absent with the status
that says why, or a problem when ECR could not say — never "missing" for an error. What a
policy makes of them is ``policy.decide``'s business, once, after the last round.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import ImageProblem, UnreadableManifestError
from ..model import ImageSpec, ImageStatus, TagMatch
from ..references import ImageRef
from .ecr.batch_get_image import Answer, FetchedImage, fetch_images
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure, FailureKind
from .fanout import Deadline
from .indexes import read_index
from .outcomes import Absent, Found, Outcome, Round, absent_status

if TYPE_CHECKING:
    from .absence import Explanation
    from .discovery import Discovery

logger = logging.getLogger(__name__)


def look_up(specs: Sequence[ImageSpec], *, clients: EcrClients, deadline: Deadline) -> Round:
    """One round: discovery, then one BatchGetImage per repository per 100 images, then a second
    look at the images ECR did not return."""
    refs = {spec.name: spec.ref for spec in specs if spec.match is TagMatch.EXACT}
    found = _discover(specs, clients=clients, deadline=deadline)
    settled: dict[str, Outcome] = {}
    if found is not None:
        refs.update(found.refs)
        settled.update(found.settled)
    report = fetch_images(refs.values(), clients=clients, deadline=deadline)
    explained, explaining_calls = _explain(report.answers, clients=clients, deadline=deadline)

    def outcome(spec: ImageSpec) -> Outcome:
        if spec.name in settled:  # discovery found no concrete image, or could not list
            return settled[spec.name]
        ref = refs[spec.name]
        return _outcome(spec, ref, explained.get(ref) or report.answers[ref])

    outcomes = {spec.name: outcome(spec) for spec in specs}
    listed = (found.calls, found.version) if found else (0, None)
    return Round(outcomes, listed[0] + report.calls + explaining_calls, listed[1])


def _explain(
    answers: Mapping[ImageRef, Answer], *, clients: EcrClients, deadline: Deadline
) -> tuple[Mapping[ImageRef, Explanation], int]:
    """Archived and pull-through-cache explanations for the images ECR did not return.

    Imported on first use, like discovery: a deployment whose images all exist never pays for it.
    """
    unanswered = {
        ref: answer
        for ref, answer in answers.items()
        if isinstance(answer, EcrFailure) and answer.maybe_there
    }
    if not unanswered:
        return {}, 0
    from .absence import explain  # noqa: PLC0415 - see the docstring

    explained = explain(unanswered, clients=clients, deadline=deadline)
    return explained.answers, explained.calls


def _discover(
    specs: Sequence[ImageSpec], *, clients: EcrClients, deadline: Deadline
) -> Discovery | None:
    """Concrete tags for patterns and ``Version: latest``; None when every tag is exact.

    Discovery (repository listings, tag choice) is imported on first use: most requests name
    exact tags, and a cold start should not pay for what it does not run.
    """
    searching = [spec for spec in specs if spec.match is not TagMatch.EXACT]
    if not searching:
        return None
    from .discovery import discover  # noqa: PLC0415 - see the docstring

    return discover(searching, clients=clients, deadline=deadline)


def _outcome(spec: ImageSpec, ref: ImageRef, answer: Answer | Explanation) -> Outcome:
    def unanswered(detail: str) -> ImageProblem:
        return ImageProblem(spec.name, ref.location, detail)

    if isinstance(answer, FetchedImage):
        # Found, yet nothing to pin to, is not an answer either.
        if not answer.digest:
            return unanswered("ECR returned the image without a digest")
        return _pinned(spec, ref, answer)
    if isinstance(answer, EcrFailure):
        if answer.kind is FailureKind.ERROR:
            return unanswered(str(answer))
        return Absent(absent_status(answer.kind, ref), ref=ref)
    from .absence import Archived  # noqa: PLC0415 - already loaded by _explain

    if isinstance(answer, Archived):
        return Absent(ImageStatus.ARCHIVED, answer.detail, ref=ref)
    # Under a pull-through cache and not imported: the upstream may have it, so it is unknown,
    # never "build it locally".
    return unanswered(answer.detail)


def _pinned(spec: ImageSpec, ref: ImageRef, fetched: FetchedImage) -> Outcome:
    """Pin to the digest ECR returned; an index is pinned to its platform's image when asked."""
    digest = fetched.digest
    try:
        index = read_index(fetched.media_type, fetched.manifest)
    except UnreadableManifestError as exc:  # a document we cannot read is not "missing"
        if spec.wanted_platform or spec.fail_on:  # the choice, or the gate, needs the document
            return ImageProblem(spec.name, ref.location, f"unreadable manifest: {exc}")
        # Only Platforms (and which images to scan) came from it: the tag's digest still deploys.
        logger.warning(
            "Could not read the image index: Platforms is empty",
            extra={"image": spec.name, "reason": str(exc)},
        )
        return Found(ref, digest, digest)
    if index is None:
        return Found(ref, digest, digest)
    available = tuple(str(p) for p in index.platforms)
    wanted = spec.wanted_platform
    if wanted is None:
        return Found(ref, digest, digest, available, index.runnable_digests)
    entry = index.choose(wanted)
    if entry is None:
        detail = f"no {wanted} image in the index (available: {', '.join(available) or 'none'})"
        status = ImageStatus.PLATFORM_NOT_FOUND
        return Absent(status, detail, ref=ref, tagged_digest=digest, platforms=available)
    if spec.for_lambda:
        logger.info(
            "Pinned an image index to its platform's image: Lambda rejects indexes",
            extra={"image": spec.name, "platform": str(wanted)},
        )
    return Found(ref, entry.digest, digest, available)
