"""The custom resource's core: a ``CfnEvent`` in, the ``CfnResponse`` to send out.

Pure of delivery and of crhelper. It never raises: an expected failure (``ResolverError``) becomes
its message, anything else a bug report that points at the log.

- **Create / Update** resolve the properties (``properties`` → ``engine``) and answer with an id
  that changes whenever the properties or the resolved images do (``physical_id``), so a stack
  rollback that follows needs no call at all. The answer and its id share 4,096 bytes
  (``budget``). An Update that changes the images first checks that the ones it replaces are
  still in ECR (``RollbackTarget``; ``OnRollbackTargetMissing``).
- **A rollback** (an Update while the stack is ``UPDATE_ROLLBACK_IN_PROGRESS``) answers the images
  recorded in the id again, and is never FAILED (``rollback``).
- **Delete** always succeeds, and touches ECR only to release the protection tags its id's set
  carries (``Protect``; ``protection``).
- **Protect** tags a forward answer's set once the answer is decided (``protection``).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..engine import Deadline, enforce, resolve
from ..errors import (
    ResolverError,
    RollbackTargetMissingError,
    StackNotAllowedError,
    StackPrefixesMisconfiguredError,
)
from ..model import (
    READY,
    ImageStatus,
    OnRollbackTargetMissing,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
)
from ..properties import parse_request
from . import protection
from .budget import forward_answer
from .events import CfnEvent, RequestType
from .physical_id import PhysicalId, RecordKind, parse, physical_id_for
from .response import CfnResponse, Status
from .services import LambdaContext, Services, own_registry, role_session_name

logger = logging.getLogger(__name__)

# Time kept back from the Lambda's remaining time for building and sending the response.
RESPONSE_RESERVE_SECONDS = 5.0


def handle(event: CfnEvent, context: LambdaContext, *, services: Services) -> CfnResponse:
    try:
        return _handle(event, context, services=services)
    except Exception as exc:  # the last resort: whatever escaped is a bug, answered as one
        logger.exception("Unexpected error while answering")
        return CfnResponse.failed(event.reply_to, physical_id_for(event), _bug(exc, context))


def _handle(event: CfnEvent, context: LambdaContext, *, services: Services) -> CfnResponse:
    # Roles are assumed at most once for this request, and forgotten after it.
    invocation = services.clients.for_invocation(session_name=role_session_name(event))
    services = replace(services, clients=invocation)
    if event.request_type is RequestType.DELETE:
        deadline = Deadline.after(_seconds_left(context))
        protection.on_delete(event, context, services=services, deadline=deadline)
        return CfnResponse(Status.SUCCESS, physical_id_for(event), event.reply_to)
    misconfigured: StackPrefixesMisconfiguredError | None = None
    try:
        services.allowed_stacks.check(event.stack_id)  # before any AWS call, DescribeStacks too
    except StackPrefixesMisconfiguredError as exc:
        # A stack the real prefixes admit, while the owner fixes the list: it goes no further
        # forward, but its rollback is answered in full, as it would be for an allowed stack.
        misconfigured = exc
    except StackNotAllowedError as exc:
        return _refused(event, context, exc)
    deadline = Deadline.after(_seconds_left(context))
    # An Update may be a rollback, which must never be FAILED, valid or not: the stack's status
    # decides, before the properties are judged.
    if event.request_type is RequestType.UPDATE and _rolling_back(event, services, deadline):
        from .rollback import roll_back  # noqa: PLC0415 - rollbacks only: not on a Create's path

        return roll_back(event, context, services=services, deadline=deadline)
    try:
        if misconfigured is not None:
            raise misconfigured
        # Validated before any AWS call: an invalid Create is answered without one.
        request = parse_request(
            event.properties,
            default_registry=own_registry(event, context),
            regions=services.clients,
        )
        return _go_forward(event, request, services=services, deadline=deadline, context=context)
    except ResolverError as exc:
        # An expected, explained failure: no traceback, the message is the whole story.
        logger.warning("Resolution failed", extra={"reason": str(exc)})
        return CfnResponse.failed(event.reply_to, physical_id_for(event), str(exc))


def _seconds_left(context: LambdaContext) -> float:
    return context.get_remaining_time_in_millis() / 1000 - RESPONSE_RESERVE_SECONDS


def timeout_answer(event: CfnEvent, context: LambdaContext) -> CfnResponse | None:
    """What to answer when the function is about to time out, if not the plain FAILED.

    A rollback must not fail, timeout included. With no time left to ask the stack, an Update
    whose properties are the ones its id was made from — what a rollback sends — is answered from
    the id's record, without ECR. Anything else: None (the caller answers FAILED).
    """
    from .rollback import from_record  # noqa: PLC0415 - not on a Create's path

    answer = from_record(event, context)
    if answer is not None:
        logger.warning("Out of time during what looks like a rollback: answered from the id")
    return answer


def _refused(event: CfnEvent, context: LambdaContext, exc: StackNotAllowedError) -> CfnResponse:
    """A stack outside AllowedStackPrefixes gets nothing read for it. Only what looks like a
    rollback is still answered — from the id alone, which tells the stack nothing it did not
    hold already — because a FAILED rollback would strand the stack."""
    from .rollback import from_record  # noqa: PLC0415 - not on a Create's path

    answer = from_record(event, context)
    if answer is not None:
        logger.warning(
            "Stack not allowed: a rollback answered from the id", extra={"reason": str(exc)}
        )
        return answer
    logger.warning("Stack not allowed", extra={"reason": str(exc)})
    return CfnResponse.failed(event.reply_to, physical_id_for(event), str(exc))


def _rolling_back(event: CfnEvent, services: Services, deadline: Deadline) -> bool:
    """The stack's status says. If it cannot be read (throttled, or a stack in another account
    that the function may not describe), the properties do: every forward Update gets a new id
    (``physical_id``), so an Update sent to an id made from exactly its properties is the rollback
    of this resource's own failed Update (or changes only ServiceToken/ServiceTimeout, where the
    record is the answer too)."""
    status = services.stacks.rolling_back(event.stack_id, deadline=deadline)
    if status is not None:
        return status
    current = parse(event.physical_resource_id)
    guess = current is not None and current.made_from(event.properties)
    logger.warning(
        "Stack status unknown: judged by the properties",
        extra={"taken_for": "a rollback" if guess else "an ordinary update"},
    )
    return guess


# --- forward: Create, and an Update that is not a rollback -----------------------------------


def _go_forward(
    event: CfnEvent,
    request: ResolveRequest,
    *,
    services: Services,
    deadline: Deadline,
    context: LambdaContext,
) -> CfnResponse:
    resolution = resolve(request, clients=services.clients, deadline=deadline)
    _record(resolution, services)
    enforce(resolution)
    target = READY
    current = parse(event.physical_resource_id)
    if event.request_type is RequestType.UPDATE and not (
        current is not None and current.same_set(resolution)
    ):
        target = _rollback_target(event, current, context, services=services, deadline=deadline)
        _judge(target, request.on_rollback_target_missing)
    # With Protect, sized with Protection at its longest (None without): a response too large
    # fails here, before any tag is written; the one sent after tagging is no larger.
    worst = protection.worst_case(event, resolution, request.attributes)
    answer = forward_answer(
        event, resolution, request.attributes, rollback_target=target, protection=worst
    )
    if worst is not None:
        writer = replace(services, clients=services.clients.with_roles(request.roles))
        tagged = protection.go_forward(
            event, resolution, current, services=writer, deadline=deadline
        )
        answer = forward_answer(
            event, resolution, request.attributes, rollback_target=target, protection=tagged
        )
    if answer.record is not RecordKind.FULL:
        logger.warning(
            "The rollback record did not fit the response whole",
            extra={"rollback_record": answer.record.value, "images": len(resolution.images)},
        )
        services.count(f"RollbackRecord{answer.record.value}")
    return answer.response


def _rollback_target(
    event: CfnEvent,
    current: PhysicalId | None,
    context: LambdaContext,
    *,
    services: Services,
    deadline: Deadline,
) -> RollbackTarget:
    """Are the images this Update replaces — the ones a failure would return to — still there?"""
    try:
        old = parse_request(
            event.old_properties or {}, default_registry=own_registry(event, context)
        )
    except ResolverError:
        return RollbackTarget(
            RollbackState.UNKNOWN, reason="the previous properties no longer validate"
        )
    from .rollback import rollback_target  # noqa: PLC0415 - Updates that move on only

    target, calls = rollback_target(current, old, clients=services.clients, deadline=deadline)
    services.count("EcrCalls", calls)
    return target


def _judge(target: RollbackTarget, policy: OnRollbackTargetMissing) -> None:
    if target.state is RollbackState.READY:
        logger.info("Rollback target ready")
        return
    logger.warning("Rollback target not ready", extra={"rollback_target": target.summary()})
    if target.state is RollbackState.MISSING and policy is OnRollbackTargetMissing.FAIL:
        raise RollbackTargetMissingError(target.missing)


def _record(resolution: Resolution, services: Services) -> None:
    logger.info(
        "Resolved images",
        extra={
            "statuses": {image.name: image.status.value for image in resolution.images},
            "ecr_calls": resolution.ecr_calls,
        },
    )
    services.count("ImagesFound", sum(not image.build_required for image in resolution.images))
    services.count("ImagesMissing", len(resolution.missing))
    services.count("EcrCalls", resolution.ecr_calls)
    for status in _VOUCHING_STATUSES:  # refused by a gate: failed below, or reported here
        names = [image.name for image in resolution.images if image.status is status]
        if names:
            logger.warning(f"Images {status.value}", extra={"images": names})
            services.count(f"Images{status.value}", len(names))


_VOUCHING_STATUSES = (ImageStatus.UNSIGNED, ImageStatus.LOCK_MISMATCH, ImageStatus.NOT_REPLICATED)


def _bug(exc: Exception, context: LambdaContext) -> str:
    return (
        f"Unexpected error in the image resolver ({type(exc).__name__}); see the function's "
        f"log for request {getattr(context, 'aws_request_id', '?')}."
    )
