"""``Retention``: how long each pinned image survives its repository's lifecycle policy.

Asked only when ``Retention`` is selected or an ``OnRetentionRisk: Fail`` gate is set. Per
repository of a found image: one ``GetLifecyclePolicy`` (all concurrently), and — only where
there is a policy — one paginated ``DescribeImages`` listing of its active images. The verdict
itself is ``lifecycle.evaluate``'s, a pure function. What is judged is the image the tag names:
for an index pinned to one platform, the index (its child goes when it goes: ECR does not expire
an image a manifest list references).

A policy or listing ECR will not give (access denied, a repository too large to list) makes the
verdict ``Unknown: <why>`` rather than failing the deployment: retention is advice, and
``OnRetentionRisk: Fail`` blocks only what is known to be at risk. Likewise an image not judged
by the deadline is ``Unknown: out of time``, and a fault in judging one image is its ``Unknown``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial

from ..model import ImageResult, ImageStatus, ResolveRequest, Retention, RetentionKind
from ..references import Repository
from ..values import frozen
from .ecr.clients import EcrClients
from .ecr.describe_images import StoredListing, list_stored_images
from .ecr.failures import LISTING_TOO_LARGE, TIMED_OUT, EcrFailure
from .ecr.lifecycle_policy import NO_POLICY, PolicyAnswer, lifecycle_policies
from .fanout import Deadline, run_all
from .lifecycle import (
    OUT_OF_TIME,
    Evaluation,
    LifecyclePolicy,
    OutOfTime,
    PolicyUnreadable,
    parse_policy,
)
from .metadata import tagged

logger = logging.getLogger(__name__)

# What a repository's images are judged against: a policy and its listing, none, or why not.
Basis = tuple[LifecyclePolicy, StoredListing] | None | Retention
# ... and what judges them: the policy over the listing, or the verdict every image there gets.
Judge = Evaluation | None | Retention


def add_retention(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with ``retention`` set on the found and the archived ones, and the calls made."""
    if not request.retention_needed:
        return images, 0
    repos = sorted({image.image_ref.repository for image in images if image.found})
    policies = lifecycle_policies(repos, clients=clients, deadline=deadline)
    bases, listing_calls = _bases(policies.answers, clients=clients, deadline=deadline)
    judges = _judges(bases, now=deadline.clock.wall_time(), deadline=deadline)
    judged = tuple(_judged(image, judges, deadline=deadline) for image in images)
    return judged, policies.calls + listing_calls


def _bases(
    answers: Mapping[Repository, PolicyAnswer], *, clients: EcrClients, deadline: Deadline
) -> tuple[dict[Repository, Basis], int]:
    """Per repository: its parsed policy and active images, ``None`` (no policy), or a verdict
    every image there gets (``Unknown``). Listings are made only where there is a policy."""
    bases: dict[Repository, Basis] = {}
    parsed: dict[Repository, LifecyclePolicy] = {}
    for repo, answer in answers.items():
        if answer is NO_POLICY:
            bases[repo] = None
        elif isinstance(answer, EcrFailure):
            bases[repo] = _unknown(f"GetLifecyclePolicy: {answer.code}")
        else:
            try:
                parsed[repo] = parse_policy(str(answer))
            except PolicyUnreadable as exc:
                bases[repo] = _unknown(f"lifecycle policy unreadable: {exc}")
    jobs = {repo: partial(list_stored_images, clients, repo) for repo in sorted(parsed)}
    calls = 0
    for repo, listing in run_all(jobs, deadline=deadline, late=TIMED_OUT).items():
        if isinstance(listing, EcrFailure):
            # The resolver's own bound says what it is in words; ECR's errors by their code.
            too_large = listing.code == LISTING_TOO_LARGE
            bases[repo] = _unknown(
                listing.message if too_large else f"DescribeImages: {listing.code}"
            )
        else:
            bases[repo] = (parsed[repo], listing)
            calls += listing.pages
    return bases, calls


@frozen
class _Until:
    """The evaluator's budget: any number of tag matches, until the deadline."""

    deadline: Deadline

    def spend(self, matches: int) -> None:
        if self.deadline.remaining() == 0:
            raise OutOfTime


def _judges(
    bases: Mapping[Repository, Basis], *, now: datetime, deadline: Deadline
) -> dict[Repository, Judge]:
    """One evaluation per repository with a policy: its pinned images share its work."""
    return {
        repo: Evaluation(basis[0], basis[1].images, now=now, budget=_Until(deadline))
        if isinstance(basis, tuple)
        else basis
        for repo, basis in bases.items()
    }


def _judged(
    image: ImageResult, judges: Mapping[Repository, Judge], *, deadline: Deadline
) -> ImageResult:
    if image.status is ImageStatus.ARCHIVED:
        return replace(image, retention=Retention(RetentionKind.ARCHIVED))
    if not image.found:
        return image
    judge = judges[image.image_ref.repository]
    if judge is None:
        return replace(image, retention=Retention(RetentionKind.SAFE))
    if isinstance(judge, Retention):
        return replace(image, retention=judge)
    if deadline.remaining() == 0:
        return replace(image, retention=OUT_OF_TIME)
    _, digest = tagged(image)
    return replace(image, retention=_verdict(judge, digest))


def _verdict(evaluation: Evaluation, digest: str) -> Retention:
    # Retention is advice: a fault in judging one image is that image's Unknown, never a failed
    # deployment (the gate blocks only a known risk), and the log keeps the traceback.
    try:
        return evaluation.verdict(digest)
    except Exception as exc:
        logger.exception("Lifecycle evaluation failed", extra={"digest": digest})
        return _unknown(f"the lifecycle policy could not be evaluated ({type(exc).__name__})")


def _unknown(reason: str) -> Retention:
    return Retention(RetentionKind.UNKNOWN, reason)
