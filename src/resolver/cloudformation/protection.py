"""``Protect`` as CloudFormation drives it: which set is tagged, or released, on which request.

* **Create, and an Update going forward**: the set is tagged once the answer is decided — after
  the policies, ``RollbackTarget`` and the response's size (sized with ``Protection`` at its
  longest, ``worst_case``) — so a FAILED answer never leaves a tag. An Update that keeps a set its
  id says is fully tagged (``Pinned.ALL``) makes no call at all. With ``Protect: Required`` a
  refused tag fails the resource, after taking back the tags this request wrote.
* **A rollback** keeps its recorded set's tags; a set not fully tagged is tagged again where ECR
  allows it, never failing (``for_rollback``).
* **Delete** releases its id's set — unless the resource lives on under another id that protects
  the same set (an Update that kept the images: the tags are that id's too), or CloudFormation
  cannot say (a leaked tag costs storage; an unprotected set may cost a rollback). A set of this
  id that its replacement no longer protects is released. A Delete never fails for protection.

Tags are unique per set (``protection.naming``): the old set's stay while the update can still
roll back to it, and go with its id at ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``; a new set that a
failure elsewhere abandons goes with its id at ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..engine import Deadline
from ..errors import ProtectionRequiredError, StackNotAllowedError
from ..model import (
    Attribute,
    ImageProtection,
    Protect,
    ProtectionReport,
    ProtectionState,
    Resolution,
)
from ..properties import protect_of, salvage
from ..protection import Owner, Protection, all_tagged, in_ecr, protect, release
from ..protection.protect import MAX_REASON_CHARS
from .events import CfnEvent
from .physical_id import PhysicalId, Pinned, parse
from .services import LambdaContext, Services, own_registry
from .stack_status import ResourceNow

logger = logging.getLogger(__name__)


def owner_of(event: CfnEvent) -> Owner:
    return Owner(event.stack_id, event.logical_resource_id)


def worst_case(
    event: CfnEvent, resolution: Resolution, attributes: Sequence[Attribute]
) -> ProtectionReport | None:
    """``Protection`` at its longest, to size the response before any tag is written (None when
    the properties do not set ``Protect``): every image in ECR refused with the longest reason
    when ``Protected`` is selected, else the longest summary (all but one refused)."""
    if protect_of(event.properties) is Protect.OFF:
        return None
    longest = ImageProtection(ProtectionState.DENIED, "x" * MAX_REASON_CHARS)
    in_ecr_names = [image.name for image in resolution.images if in_ecr(image)]
    spared = () if Attribute.PROTECTED in attributes else tuple(in_ecr_names[:1])
    return ProtectionReport(
        {
            image.name: (
                longest if image.name in in_ecr_names and image.name not in spared else _yes()
            )
            for image in resolution.images
        }
    )


def _yes() -> ImageProtection:
    return ImageProtection(ProtectionState.YES)


def go_forward(
    event: CfnEvent,
    resolution: Resolution,
    current: PhysicalId | None,
    *,
    services: Services,
    deadline: Deadline,
) -> ProtectionReport:
    """The set tagged for a Create or an Update going forward (``Protect`` set). Raises
    ``ProtectionRequiredError`` (with no tag of this request left) under ``Required``."""
    mode = protect_of(event.properties)
    if current is not None and current.pinned is Pinned.ALL and current.same_set(resolution):
        logger.info("Protection: the set is already tagged")
        return all_tagged(resolution)
    done = protect(owner_of(event), resolution, clients=services.clients, deadline=deadline)
    _count(done.report, services)
    if mode is Protect.REQUIRED and not done.report.complete:
        taken = release(
            [(pin.repository, pin.tag) for pin in done.written],
            clients=services.clients,
            deadline=deadline,
        )
        services.count("EcrCalls", taken.calls)
        raise ProtectionRequiredError(done.problems)
    return done.report


def for_rollback(
    event: CfnEvent,
    resolution: Resolution | None,
    current: PhysicalId | None,
    *,
    services: Services | None,
    deadline: Deadline,
) -> ProtectionReport | None:
    """A rollback's ``Protection``; None when the previous properties did not set ``Protect``.
    Without ``services`` (an answer that makes no call) only the id speaks."""
    if protect_of(event.properties) is Protect.OFF:
        return None
    if resolution is None:
        return ProtectionReport({})
    if current is not None and current.pinned is Pinned.ALL:
        return all_tagged(resolution)
    if services is None or current is None or not current.same_set(resolution):
        # Without a call, or a set resolved again rather than the recorded one (tags for it
        # would have no id to be released with): reported, not written.
        return _unverified(resolution)
    try:
        done: Protection = protect(
            owner_of(event), resolution, clients=services.clients, deadline=deadline
        )
    except Exception:  # a rollback never fails: protection is reported, not enforced
        logger.warning("Rollback: the set's protection tags could not be checked", exc_info=True)
        return _unverified(resolution)
    _count(done.report, services)
    return done.report


def _unverified(resolution: Resolution) -> ProtectionReport:
    unverified = ImageProtection(ProtectionState.DENIED, "not verified")
    return ProtectionReport(
        {
            image.name: unverified if in_ecr(image) else ImageProtection(ProtectionState.SKIPPED)
            for image in resolution.images
        }
    )


def on_delete(
    event: CfnEvent, context: LambdaContext, *, services: Services, deadline: Deadline
) -> None:
    """The id's set released, where it is this id's alone. Never raises."""
    try:
        _release_deleted(event, context, services=services, deadline=deadline)
    except Exception:  # a Delete must succeed: a tag left behind is logged, never fatal
        logger.warning("Delete: protection tags not released", exc_info=True)


def _release_deleted(
    event: CfnEvent, context: LambdaContext, *, services: Services, deadline: Deadline
) -> None:
    deleted = parse(event.physical_resource_id)
    if deleted is None or (protect_of(event.properties) is Protect.OFF and deleted.pinned is None):
        return  # nothing this id tagged: no call at all
    try:
        services.allowed_stacks.check(event.stack_id)
    except StackNotAllowedError:
        logger.warning("Delete: protection tags left to a stack allowed to use the resolver")
        return
    now = (
        services.resources.resource_now(
            event.stack_id, event.logical_resource_id, deadline=deadline
        )
        if services.resources is not None
        else None
    )
    if not releasable(event.physical_resource_id or "", now):
        logger.info("Delete: the set's protection tags stay", extra={"resource_now": now})
        return
    readable = salvage(event.properties, default_registry=own_registry(event, context))
    if readable.request is None:
        logger.warning("Delete: no image readable in the properties; protection tags stay")
        return
    owner = owner_of(event)
    targets = [
        (spec.ref.repository, owner.tag(spec.name, deleted.revision))
        for spec in readable.request.images
    ]
    clients = services.clients.with_roles(readable.request.roles)
    done = release(targets, clients=clients, deadline=deadline)
    services.count("EcrCalls", done.calls)
    logger.info(
        "Delete: protection tags released",
        extra={
            "removed": len(done.removed),
            "replaced": len(done.replaced),
            "kept": len(done.kept),
        },
    )


def releasable(deleted: str, now: ResourceNow | None) -> bool:
    """Whether the Delete of id ``deleted`` may release its set's tags, given what CloudFormation
    holds now: yes when the resource goes (its own id, or nothing), or lives on under an id of
    another set or one that does not protect this set; no when that id protects the same set, or
    nothing can be read."""
    if now is None:
        return False
    if now.physical_id is None or now.physical_id == deleted:
        return True
    mine, survivor = parse(deleted), parse(now.physical_id)
    if mine is None or survivor is None or survivor.revision != mine.revision:
        return True
    return survivor.pinned is None


def _count(report: ProtectionReport, services: Services) -> None:
    services.count("EcrCalls", report.ecr_calls)
    if report.refused:
        services.count("ImagesNotProtected", len(report.refused))
