"""One lookup round: discover concrete tags, fetch the images, and pin each to what to deploy.

Every image gets exactly one ``ImageResult``; an image ECR could not answer for is collected as
an ``ImageProblem`` and the round raises ``LookupFailedError`` — never "missing".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import ImageProblem, LookupFailedError, UnreadableManifestError
from ..model import ImageResult, ImageSpec, ImageStatus, OnMissing, Source, TagMatch
from ..references import ImageRef
from .ecr.batch_get_image import Answer, FetchedImage, fetch_images
from .ecr.clients import EcrClients
from .ecr.failures import EcrFailure, FailureKind
from .fanout import Deadline
from .indexes import read_index
from .policy import absent_status, unresolved

if TYPE_CHECKING:
    from .absence import Explanation
    from .discovery import Discovery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What one round answered: a result per image looked for, ECR calls, the version chosen."""

    results: dict[str, ImageResult]
    calls: int
    version: str | None


def look_up(
    specs: Sequence[ImageSpec],
    *,
    on_missing: OnMissing,
    clients: EcrClients,
    deadline: Deadline,
) -> Round:
    """One round: discovery, then one BatchGetImage per repository per 100 images."""
    refs = {spec.name: spec.ref for spec in specs if spec.match is TagMatch.EXACT}
    found = _discover(specs, clients=clients, deadline=deadline)
    if found is not None:
        refs.update(found.refs)
    report = fetch_images(refs.values(), clients=clients, deadline=deadline)
    explained, explaining_calls = _explain(report.answers, clients=clients, deadline=deadline)
    failures = [*found.failures] if found else []
    failed = {problem.name for problem in failures}
    results: dict[str, ImageResult] = {}
    for spec in specs:
        if found is not None and spec.name in found.absent:
            absence = found.absent[spec.name]
            results[spec.name] = unresolved(spec, absence.status, on_missing, detail=absence.detail)
        elif spec.name not in failed:
            ref = refs[spec.name]
            answer = explained.get(ref) or report.answers[ref]
            try:
                results[spec.name] = _result(spec, ref, answer, on_missing)
            except _Unanswered as exc:
                failures.append(ImageProblem(spec.name, ref.location, exc.detail))
    if failures:
        raise LookupFailedError(failures)
    listed = (found.calls, found.version) if found else (0, None)
    return Round(results, listed[0] + report.calls + explaining_calls, listed[1])


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


class _Unanswered(Exception):
    """ECR could not say whether this image exists; ``detail`` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _result(
    spec: ImageSpec, ref: ImageRef, answer: Answer | Explanation, on_missing: OnMissing
) -> ImageResult:
    if isinstance(answer, FetchedImage) and answer.digest:
        try:
            return _pinned(spec, ref, answer)
        except UnreadableManifestError as exc:  # a document we cannot read is not "missing"
            raise _Unanswered(f"unreadable manifest: {exc}") from exc
    if isinstance(answer, FetchedImage):  # found, yet nothing to pin to
        raise _Unanswered("ECR returned the image without a digest")
    if not isinstance(answer, EcrFailure):
        return _explained(spec, ref, answer, on_missing)
    if answer.kind is FailureKind.ERROR:
        raise _Unanswered(str(answer))
    return replace(unresolved(spec, absent_status(answer.kind, ref), on_missing), ref=ref)


def _explained(
    spec: ImageSpec, ref: ImageRef, answer: Explanation, on_missing: OnMissing
) -> ImageResult:
    from .absence import Archived  # noqa: PLC0415 - already loaded by _explain

    if isinstance(answer, Archived):
        status = ImageStatus.ARCHIVED
        return replace(unresolved(spec, status, on_missing, detail=answer.detail), ref=ref)
    # Under a pull-through cache and not imported: the upstream may have it, so it is unknown,
    # never "build it locally".
    raise _Unanswered(answer.detail)


def _pinned(spec: ImageSpec, ref: ImageRef, fetched: FetchedImage) -> ImageResult:
    """Pin to the digest ECR returned; an index is pinned to its platform's image when asked."""
    digest = fetched.digest
    found = ImageResult(
        spec,
        ImageStatus.FOUND,
        ref.pinned_uri(digest),
        Source.PREBUILT,
        digest,
        ref=ref,
        tagged_digest=digest,
    )
    index = read_index(fetched.media_type, fetched.manifest)
    if index is None:
        return found
    available = tuple(str(p) for p in index.platforms)
    found = replace(found, platforms=available, children=index.runnable_digests)
    wanted = spec.wanted_platform
    if wanted is None:
        return found
    entry = index.choose(wanted)
    if entry is None:
        detail = f"no {wanted} image in the index (available: {', '.join(available) or 'none'})"
        return replace(
            found,
            status=ImageStatus.PLATFORM_NOT_FOUND,
            uri="",
            source=Source.NONE,
            digest=None,
            detail=detail,
        )
    if spec.for_lambda:
        logger.info(
            "Pinned an image index to its platform's image: Lambda rejects indexes",
            extra={"image": spec.name, "platform": str(wanted)},
        )
    return replace(found, uri=ref.pinned_uri(entry.digest), digest=entry.digest, children=())
