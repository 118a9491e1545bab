"""``resolve``: a validated request in, one typed result per image out, in one pass.

look up (``lookup``: discovery of patterns and ``Version: latest``, then ``BatchGetImage``) →
wait for missing images (``waiting``) → metadata (``metadata``) → lifecycle-policy retention
(``retention``) → scan findings and the gate (``gate``). Each stage takes and returns typed values; ECR is only asked what the request needs.
``enforce`` (``policy``) is separate: the Lambda fails a deployment with it, the planner only
reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from ..errors import LookupFailedError
from ..model import METADATA_ATTRIBUTES, ImageSpec, ImageStatus, Resolution, ResolveRequest
from .ecr.clients import EcrClients
from .fanout import NO_DEADLINE, Deadline
from .lookup import Round, look_up
from .policy import unresolved


def resolve(
    request: ResolveRequest, *, clients: EcrClients, deadline: Deadline = NO_DEADLINE
) -> Resolution:
    """Resolve every image of ``request``; raises ``LookupFailedError`` if ECR cannot answer.

    Every ECR call and every wait stays within ``deadline``.
    """
    if not request.use_prebuilt:
        return _skipped(request)
    # Stages only some requests need are imported when first needed: a cold start pays for
    # waiting, metadata, retention and the gate only when a template asks for them (`make bench`).
    clock = deadline.clock
    round_of = partial(_round, request, clients=clients, deadline=deadline)
    started = clock.monotonic()
    found = round_of(request.images)
    if request.wait_seconds and any(r.build_required for r in found.results.values()):
        from .waiting import wait_for_missing  # noqa: PLC0415

        round_seconds = clock.monotonic() - started
        found = wait_for_missing(
            request, found, look_up=round_of, deadline=deadline, round_seconds=round_seconds
        )
    images = tuple(found.results[spec.name] for spec in request.images)
    calls = found.calls
    if METADATA_ATTRIBUTES & set(request.attributes):
        from .metadata import add_details  # noqa: PLC0415

        described = add_details(request, images, clients=clients, deadline=deadline)
        if described.problems:
            raise LookupFailedError(described.problems)
        images, calls = described.images, calls + described.calls
    if request.retention_needed:  # before the gate: it judges found images, not blocked ones
        from .retention import add_retention  # noqa: PLC0415

        images, more = add_retention(request, images, clients=clients, deadline=deadline)
        calls += more
    if request.scans_needed:
        from .gate import add_scans  # noqa: PLC0415

        images, more = add_scans(request, images, clients=clients, deadline=deadline)
        calls += more
    return Resolution(
        images=images,
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        ecr_calls=calls,
        version=found.version or request.version,
    )


def _round(
    request: ResolveRequest, specs: Sequence[ImageSpec], *, clients: EcrClients, deadline: Deadline
) -> Round:
    return look_up(specs, on_missing=request.on_missing, clients=clients, deadline=deadline)


def _skipped(request: ResolveRequest) -> Resolution:
    """``UsePreBuiltImages: false``: no ECR call, every image takes its Fallback."""
    return Resolution(
        images=tuple(
            unresolved(spec, ImageStatus.SKIPPED, request.on_missing) for spec in request.images
        ),
        on_missing=request.on_missing,
        on_vulnerable=request.on_vulnerable,
        version=request.version,
    )
