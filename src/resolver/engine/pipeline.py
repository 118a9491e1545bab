"""``resolve``: a validated request in, one typed result per image out, in one pass.

look up (``lookup``: discovery of patterns and ``Version: latest``, then ``BatchGetImage``) and
wait for missing images (``waiting``) → one outcome per image (``outcomes``) → the policy decides
each image's result, once (``policy.decide``) → what describes an image: metadata
(``metadata``), lifecycle-policy retention (``retention``) → the gates the request asks for, each
read then judged (``gates``: vulnerability, signature, lock, replication) → whether a tag can
move (``tag_hygiene``). Each stage takes and returns typed values; ECR is only asked what the
request needs. ``enforce`` (``policy``) is separate: the Lambda fails a deployment with it,
the planner only reports.
"""

from __future__ import annotations

import logging
from functools import partial

from ..model import (
    METADATA_ATTRIBUTES,
    ImageResult,
    ImageStatus,
    Observer,
    Resolution,
    ResolveRequest,
    ScanState,
    VerdictState,
)
from . import gates
from .ecr.clients import EcrClients
from .fanout import NO_DEADLINE, Deadline
from .lookup import look_up
from .outcomes import Absent, Round
from .policy import decide

logger = logging.getLogger(__name__)


def resolve(
    request: ResolveRequest,
    *,
    clients: EcrClients,
    deadline: Deadline = NO_DEADLINE,
    observer: Observer | None = None,
) -> Resolution:
    """Resolve every image of ``request``; raises ``LookupFailedError`` if ECR cannot say whether
    an image exists, or cannot give the findings a ``FailOnSeverity`` gate needs.

    Every ECR call and every wait stays within ``deadline``. ``observer`` hears a
    ``model.Waiting`` before each sleep of a wait — for missing images (``WaitSeconds``) and for
    scans in progress (``ScanWaitSeconds``) — with the images awaited and the seconds slept of
    the budget, so a CLI can say "still waiting for Pmtiles (6 s of 120 s)". It is called on
    this thread, between ECR calls; what it raises propagates.

    Each image's registry is read through the image's role, if it has one (``clients``).
    """
    clients = clients.with_roles(request.roles)
    found = _looked_up(request, clients=clients, deadline=deadline, observer=observer)
    images = decide(request, found.outcomes)
    # Stages only some requests need are imported when first needed: a cold start pays for
    # waiting, metadata, retention and the gate only when a template asks for them (`make bench`).
    images, calls = describe(request, images, clients=clients, deadline=deadline)
    images, more = gates.run(request, images, clients=clients, deadline=deadline, observer=observer)
    images, more = mutability(request, images, clients=clients, deadline=deadline, calls=more)
    calls += more
    if unknown := undescribed(images):
        logger.warning(
            "Some attributes are unknown: ECR did not answer", extra={"unknown": unknown}
        )
    return Resolution(
        images=images,
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        ecr_calls=found.calls + calls,
        version=found.version or request.version,
    )


def _looked_up(
    request: ResolveRequest, *, clients: EcrClients, deadline: Deadline, observer: Observer | None
) -> Round:
    """Every image's outcome: from ECR, once more while images are missing and ``WaitSeconds``
    allows; ``UsePreBuiltImages: false`` asks ECR nothing."""
    if not request.use_prebuilt:
        skipped = {spec.name: Absent(ImageStatus.SKIPPED) for spec in request.images}
        return Round(skipped, calls=0, version=None)
    clock = deadline.clock
    round_of = partial(look_up, clients=clients, deadline=deadline)
    started = clock.monotonic()
    found = round_of(request.images)
    if request.wait_seconds and found.missing and not found.failed:
        from .waiting import wait_for_missing  # noqa: PLC0415

        return wait_for_missing(
            request,
            found,
            look_up=round_of,
            deadline=deadline,
            round_seconds=clock.monotonic() - started,
            observer=observer,
        )
    return found


def describe(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with the selected attributes that describe rather than choose an image —
    ``PushedAt``/``SizeInBytes``/``Tags`` and ``Retention`` — and the ECR calls made.

    ECR refusing one makes that attribute unknown (``undescribed``), never an error.
    """
    calls = 0
    if METADATA_ATTRIBUTES & set(request.attributes):
        from .metadata import add_details  # noqa: PLC0415

        images, calls = add_details(request, images, clients=clients, deadline=deadline)
    if request.retention_needed:  # before the gate: it judges found images, not blocked ones
        from .retention import add_retention  # noqa: PLC0415

        images, more = add_retention(request, images, clients=clients, deadline=deadline)
        calls += more
    return images, calls


def mutability(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
    calls: int = 0,
) -> tuple[tuple[ImageResult, ...], int]:
    """``images`` with ``TagMutability`` where it is read (after the gates: a signature or a lock
    vouches for a digest whatever the tag does), and ``calls`` plus the ECR calls made."""
    if not gates.hygiene_asked(request):
        return images, calls
    from .tag_hygiene import add_tag_mutability  # noqa: PLC0415

    images, more = add_tag_mutability(request, images, clients=clients, deadline=deadline)
    return images, calls + more


def undescribed(images: tuple[ImageResult, ...]) -> list[str]:
    """What ECR would not describe, image by image ("Api's findings (AccessDeniedException)"):
    for a warning, since the attributes themselves say only ``""`` or ``Unknown: <code>``."""
    unknown = [
        f"{image.name}'s PushedAt, SizeInBytes, Tags ({image.details.error})"
        for image in images
        if image.details and image.details.error
    ]
    unknown += [
        f"{image.name}'s findings ({image.scan.error})"
        for image in images
        if image.scan and image.scan.state is ScanState.UNKNOWN
    ]
    unknown += [
        f"{image.name}'s {what} ({verdict.error})"
        for image in images
        for what, verdict in (
            ("signature", image.signature),
            ("TagMutability", image.tag_mutability),
        )
        if verdict is not None and verdict.state is VerdictState.UNKNOWN
    ]
    return unknown
