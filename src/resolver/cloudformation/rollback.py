"""Rollbacks: the images a stack ran before, answered again — exactly where recorded — and never
FAILED, because a FAILED answer during ``UPDATE_ROLLBACK_IN_PROGRESS`` leaves the stack in
``UPDATE_ROLLBACK_FAILED``, recoverable only by hand.

A rollback Update carries the previous properties and is sent to the id that was answered for them
(``physical_id``). What it answers, best first:

1. the id's record, replayed (``engine.replay``): the recorded digests and statuses, the
   descriptive attributes read again by digest — after completing an abbreviated record's digest
   prefixes from the repositories' listings;
2. without a usable record, the previous properties resolved again, reporting rather than
   enforcing, with a warning that it is not exact;
3. whatever escapes those: the record without any ECR call, else every attribute key the stack can
   ``!GetAtt``, empty.

The recorded set keeps its protection tags (``Protect``): a set its id says is fully tagged is
reported as such without a call; one that is not is tagged again where ECR allows it, never
failing (``protection``).

Previous properties that no longer validate (a property renamed or made stricter since they were
deployed) are read as far as they can be (``properties.salvage``): the images that still validate
are answered, the others get empty attributes. Whatever could not be verified is logged as a
WARNING and counted (``RollbackDegraded``). The answer always fits the response: descriptions go
first, then values, never the SUCCESS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from ..engine import Deadline, resolve
from ..engine.ecr.clients import EcrClients
from ..engine.gates import reporting_only
from ..errors import LookupFailedError, ResolverError
from ..model import (
    DEFAULT_ATTRIBUTES,
    READY,
    ImageStatus,
    OnMissing,
    OnRetentionRisk,
    OnVulnerable,
    ProtectionReport,
    RecordedImage,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
)
from ..properties import Salvaged, parse_request, salvage
from . import protection
from .attributes import DESCRIPTIVE, build_data, empty_data
from .budget import fits
from .events import CfnEvent, RequestType
from .physical_id import PhysicalId, RecordKind, parse, physical_id_for
from .response import CfnResponse, Status
from .services import LambdaContext, Services, own_registry

logger = logging.getLogger(__name__)


def roll_back(
    event: CfnEvent, context: LambdaContext, *, services: Services, deadline: Deadline
) -> CfnResponse:
    """The previous images again, exactly where recorded; SUCCESS whatever happens."""
    services.count("Rollbacks")
    current = parse(event.physical_resource_id)
    readable = _readable(event, context)
    try:
        resolution, unverified = _previous(
            event, readable, current, services=services, deadline=deadline
        )
    except Exception as exc:  # a rollback must not fail: answer what is known without ECR
        logger.warning("Rollback answered from the record alone", exc_info=exc)
        resolution = _recorded_only(event, readable, current)
        unverified = [f"everything read from ECR ({type(exc).__name__}: {exc})"]
    if unverified:
        logger.warning("Rollback answered without verifying", extra={"unverified": unverified})
        services.count("RollbackDegraded")
    # The recorded set keeps its protection tags; one not fully tagged is tagged again.
    roles = readable.request.roles if readable.request else {}
    writer = replace(services, clients=services.clients.with_roles(roles))
    pins = protection.for_rollback(event, resolution, current, services=writer, deadline=deadline)
    return _answer(event, readable, resolution, current, pins=pins)


def from_record(event: CfnEvent, context: LambdaContext) -> CfnResponse | None:
    """The rollback's answer without any AWS call, for an Update that returns to the properties
    its id was made from (what a rollback sends); None for anything else. For a rollback with no
    time left, or from a stack no longer allowed to read anything."""
    current = parse(event.physical_resource_id)
    if (
        event.request_type is not RequestType.UPDATE
        or current is None
        or not current.made_from(event.properties)
    ):
        return None
    readable = _readable(event, context)
    resolution = _recorded_only(event, readable, current)
    pins = protection.for_rollback(event, resolution, current, services=None, deadline=Deadline())
    return _answer(event, readable, resolution, current, pins=pins)


def rollback_target(
    current: PhysicalId | None,
    previous: ResolveRequest,
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[RollbackTarget, int]:
    """Are the images ``current`` records for ``previous`` — where a failure would return — still
    in ECR? And the ECR calls it took."""
    if current is None:
        return _unknown("the deployed images were not recorded (an earlier version made the id)"), 0
    if current.kind is RecordKind.DROPPED:
        return _unknown(
            "the deployed images are not recorded in the id (the record did not fit)"
        ), 0
    calls = 0
    if current.kind is RecordKind.ABBREVIATED:
        completed, calls, missing, why = _completed(current, previous, clients, deadline=deadline)
        if missing:
            return RollbackTarget(RollbackState.MISSING, missing), calls
        if completed is None:
            return _unknown(why), calls
        current = completed
    recorded = current.recorded(previous)
    if recorded is None:
        return _unknown("the id's record does not describe the previous properties' images"), calls
    from ..engine.replay import rollback_target as still_there  # noqa: PLC0415 - Updates only

    target, more = still_there(previous, recorded, clients=clients, deadline=deadline)
    return target, calls + more


# --- what the previous properties deployed ---------------------------------------------------


def _readable(event: CfnEvent, context: LambdaContext) -> Salvaged:
    """The previous properties as a request: all of them, or what still validates. Regions are
    not checked against this runtime's botocore: they were deployed once."""
    registry = own_registry(event, context)
    try:
        request = parse_request(event.properties, default_registry=registry)
    except ResolverError:
        return salvage(event.properties, default_registry=registry)
    return Salvaged(request, tuple(spec.name for spec in request.images), ())


def _previous(
    event: CfnEvent,
    readable: Salvaged,
    current: PhysicalId | None,
    *,
    services: Services,
    deadline: Deadline,
) -> tuple[Resolution | None, list[str]]:
    notes = [f"left out of the previous properties: {error}" for error in readable.dropped]
    request = readable.request
    if request is None:
        return None, [*notes, "nothing in the previous properties could be read"]
    if current is not None and current.kind is RecordKind.ABBREVIATED and not readable.dropped:
        current, calls, _, why = _completed(current, request, services.clients, deadline=deadline)
        services.count("EcrCalls", calls)
        if current is None:
            notes.append(f"the abbreviated record ({why})")
    recorded = _entries(event, readable, current)
    if current is not None and recorded is not None:
        from ..engine.replay import replay  # noqa: PLC0415 - rollbacks only

        replayed = replay(
            request, recorded, version=current.version, clients=services.clients, deadline=deadline
        )
        return replayed.resolution, [*notes, *replayed.unverified]
    # Not recorded (an id from an earlier version, or a record that did not fit): resolve the
    # previous properties again, reporting rather than enforcing, and say that it is not exact.
    lenient = replace(
        reporting_only(request),
        on_missing=OnMissing.REPORT if request.on_missing is OnMissing.FAIL else request.on_missing,
        on_vulnerable=OnVulnerable.REPORT,
        require_scan=False,
        wait_seconds=0,
        scan_wait_seconds=0,
    )
    try:
        resolution = resolve(lenient, clients=services.clients, deadline=deadline)
    except LookupFailedError as exc:
        # A gate that cannot read the findings it judges fails a Create; on the way back the
        # images are answered without it (the stack ran them), and the log says what was not read.
        notes.append(f"the gates' findings ({exc})")
        ungated = tuple(
            replace(spec, fail_on=None, on_retention_risk=OnRetentionRisk.REPORT)
            for spec in lenient.images
        )
        resolution = resolve(
            replace(lenient, images=ungated), clients=services.clients, deadline=deadline
        )
    notes += [
        f"{image.name} is {image.status.value} ({image.detail})"
        for image in resolution.images
        if image.status in (ImageStatus.UNSIGNED, ImageStatus.LOCK_MISMATCH)
    ]
    return resolution, [*notes, "the previous images were not recorded in the id: resolved again"]


def _entries(
    event: CfnEvent, readable: Salvaged, current: PhysicalId | None
) -> Mapping[str, RecordedImage] | None:
    """The whole record by image name, where it describes the readable images: checked against
    the id's revision when every image is readable, else trusted because the id was made from
    exactly these properties."""
    if current is None or readable.request is None or current.kind is not RecordKind.FULL:
        return None
    if not readable.dropped:
        return current.recorded(readable.request)
    if current.made_from(event.properties):
        return current.entries(readable.names)
    return None


def _recorded_only(
    event: CfnEvent, readable: Salvaged, current: PhysicalId | None
) -> Resolution | None:
    """The recorded images without any ECR call: exact URIs, no descriptions; None without a
    usable whole record."""
    recorded = _entries(event, readable, current)
    if current is None or readable.request is None or recorded is None:
        return None
    from ..engine.replay import replay  # noqa: PLC0415 - rollbacks only

    replayed = replay(
        readable.request, recorded, version=current.version, clients=None, deadline=Deadline()
    )
    return replayed.resolution


def _completed(
    current: PhysicalId, request: ResolveRequest, clients: EcrClients, *, deadline: Deadline
) -> tuple[PhysicalId | None, int, tuple[str, ...], str]:
    """``current`` with its digest prefixes completed from the repositories' listings; the
    calls made, the images whose prefix no listed digest has (gone), and why it failed."""
    from ..engine.digest_listing import listed_digests  # noqa: PLC0415 - abbreviated only

    wanted = current.prefixes(request)
    if not wanted:
        return None, 0, (), "the record does not describe the previous properties' images"
    digests = listed_digests(wanted, clients=clients.with_roles(request.roles), deadline=deadline)
    if digests.unlisted:
        repo, why = next(iter(digests.unlisted.items()))
        return None, digests.calls, (), f"could not list {repo.name}: {why}"
    gone = current.unmatched(request, digests.listed)
    if gone:
        return None, digests.calls, gone, f"no listed image has the digest of {', '.join(gone)}"
    completed = current.completed(request, digests.listed)
    why = "" if completed else "no combination of listed digests gives the recorded revision"
    return completed, digests.calls, (), why


# --- the answer, within 4,096 bytes ------------------------------------------------------------


def _answer(
    event: CfnEvent,
    readable: Salvaged,
    resolution: Resolution | None,
    current: PhysicalId | None,
    *,
    pins: ProtectionReport | None,
) -> CfnResponse:
    """SUCCESS with the id it was sent. Every key the stack can ``!GetAtt`` is there: the
    unreadable images' empty. What does not fit goes in this order: the descriptions, then the
    values, then the keys — never the SUCCESS."""
    attributes = readable.request.attributes if readable.request else DEFAULT_ATTRIBUTES
    kind = current.kind if current is not None else RecordKind.DROPPED
    blank = empty_data(readable.names, attributes, protect=pins is not None)
    data = dict(blank)
    if resolution is not None:
        data.update(
            build_data(
                resolution,
                attributes,
                rollback_target=READY,
                rollback_record=kind,
                protection=pins,
            )
        )
    success = CfnResponse(Status.SUCCESS, physical_id_for(event), event.reply_to)
    undescribed = {k: ("" if k.endswith(DESCRIPTIVE) else v) for k, v in data.items()}
    for candidate in (data, undescribed, blank):
        response = replace(success, data=candidate)
        if fits(response):
            if candidate is not data:
                logger.warning("Rollback answered with fewer values: the response is 4 KB")
            return response
    logger.warning("Rollback answered without attributes: even their names exceed 4 KB")
    return success


def _unknown(reason: str) -> RollbackTarget:
    return RollbackTarget(RollbackState.UNKNOWN, reason=reason)
