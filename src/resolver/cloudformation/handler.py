"""The custom resource's core: a ``CfnEvent`` in, the ``CfnResponse`` to send out.

Pure of delivery and of crhelper. It never raises: an expected failure (``ResolverError``) becomes
its message, anything else a bug report that points at the log.

- **Create / Update** resolve the properties (``properties`` → ``engine``) and answer with an id
  that changes exactly when the resolved images do (``physical_id``), so a stack rollback that
  follows a replacement needs no call at all. An Update that changes the images first checks that
  the ones it replaces are still in ECR (``RollbackTarget``; ``OnRollbackTargetMissing``).
- **A rollback** (an Update while the stack is ``UPDATE_ROLLBACK_IN_PROGRESS``) answers the images
  recorded in the id again, exactly, and is never FAILED: whatever cannot be verified is logged
  and counted (``RollbackDegraded``), because a FAILED answer there leaves the stack in
  ``UPDATE_ROLLBACK_FAILED``.
- **Delete** never touches ECR and always succeeds: the resolver owns nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..engine import Deadline, enforce, resolve
from ..engine.ecr.clients import EcrClients
from ..errors import (
    InvalidPropertyError,
    ResolverError,
    RollbackTargetMissingError,
    StackNotAllowedError,
)
from ..model import (
    READY,
    OnMissing,
    OnRollbackTargetMissing,
    OnVulnerable,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
)
from ..properties import parse_request
from ..references import Registry
from .attributes import fitting_data
from .events import CfnEvent, RequestType
from .physical_id import PhysicalId, made_for, parse, physical_id_for, properties_hash
from .response import CfnResponse, Status
from .trust import StackPolicy

logger = logging.getLogger(__name__)

# Time kept back from the Lambda's remaining time for building and sending the response.
RESPONSE_RESERVE_SECONDS = 5.0


class LambdaContext(Protocol):
    """The parts of Lambda's context object the resolver reads."""

    invoked_function_arn: str
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class MetricsSink(Protocol):
    def add_metric(self, *, name: str, unit: Any, value: float) -> None: ...


class RollbackDetector(Protocol):
    def rolling_back(self, stack_id: str, *, deadline: Deadline) -> bool | None: ...


@dataclass(frozen=True)
class Services:
    """What ``handle`` talks to, made once per Lambda environment."""

    clients: EcrClients
    stacks: RollbackDetector  # a StackStatus in the Lambda
    metrics: MetricsSink | None = None
    allowed_stacks: StackPolicy = field(default_factory=StackPolicy)  # AllowedStackPrefixes

    def count(self, name: str, value: float = 1) -> None:
        if self.metrics is not None:
            self.metrics.add_metric(name=name, unit="Count", value=value)


def handle(event: CfnEvent, context: LambdaContext, *, services: Services) -> CfnResponse:
    try:
        return _handle(event, context, services=services)
    except Exception as exc:  # the last resort: whatever escaped is a bug, answered as one
        logger.exception("Unexpected error while answering")
        return CfnResponse.failed(event.reply_to, physical_id_for(event), _bug(exc, context))


def _handle(event: CfnEvent, context: LambdaContext, *, services: Services) -> CfnResponse:
    if event.request_type is RequestType.DELETE:
        return CfnResponse(Status.SUCCESS, physical_id_for(event), event.reply_to)
    try:
        services.allowed_stacks.check(event.stack_id)  # before any AWS call, DescribeStacks too
    except StackNotAllowedError as exc:
        return _refused(event, context, exc)
    seconds = context.get_remaining_time_in_millis() / 1000 - RESPONSE_RESERVE_SECONDS
    deadline = Deadline.after(seconds)
    # Validated before any AWS call: an invalid Create is answered without one. An Update may
    # be a rollback, which must never be FAILED, valid or not: the stack's status decides.
    checked = _validated(event, context, services=services)
    request = checked if isinstance(checked, ResolveRequest) else None
    if event.request_type is RequestType.UPDATE and _rolling_back(event, services, deadline):
        return _roll_back(event, context, services=services, deadline=deadline, request=request)
    if isinstance(checked, ResolverError):
        return _failed(event, checked)
    try:
        return _go_forward(event, checked, services=services, deadline=deadline, context=context)
    except ResolverError as exc:
        return _failed(event, exc)


def _validated(
    event: CfnEvent, context: LambdaContext, *, services: Services
) -> ResolveRequest | ResolverError:
    """The request, or why there is none."""
    registry = _own_registry(event, context)
    try:
        return parse_request(event.properties, default_registry=registry, regions=services.clients)
    except ResolverError as invalid:
        return invalid


def _failed(event: CfnEvent, error: ResolverError) -> CfnResponse:
    # An expected, explained failure: no traceback, the message is the whole story.
    logger.warning("Resolution failed", extra={"reason": str(error)})
    return CfnResponse.failed(event.reply_to, physical_id_for(event), str(error))


def timeout_answer(event: CfnEvent, context: LambdaContext) -> CfnResponse | None:
    """What to answer when the function is about to time out, if not the plain FAILED.

    A rollback must not fail, timeout included. With no time left to ask the stack, an Update
    whose properties are the ones its id was made from is answered from the id's record, without
    ECR. Anything else: None (the caller answers FAILED).
    """
    answer = _from_record(event, context)
    if answer is not None:
        logger.warning("Out of time during what looks like a rollback: answered from the id")
    return answer


def _refused(event: CfnEvent, context: LambdaContext, exc: StackNotAllowedError) -> CfnResponse:
    """A stack outside AllowedStackPrefixes gets nothing read for it. Only what looks like a
    rollback is still answered — from the id alone, which tells the stack nothing it did not
    hold already — because a FAILED rollback would strand the stack."""
    answer = _from_record(event, context)
    if answer is not None:
        logger.warning(
            "Stack not allowed: a rollback answered from the id", extra={"reason": str(exc)}
        )
        return answer
    logger.warning("Stack not allowed", extra={"reason": str(exc)})
    return CfnResponse.failed(event.reply_to, physical_id_for(event), str(exc))


def _from_record(event: CfnEvent, context: LambdaContext) -> CfnResponse | None:
    """The id's recorded images, without any AWS call, for an Update that returns to the
    properties its id was made from (what a rollback sends); None for anything else."""
    current = _returning_to(event)
    if current is None:
        return None
    try:
        request = parse_request(event.properties, default_registry=_own_registry(event, context))
    except ResolverError:
        return None
    replayed = current.replayed(request)
    if replayed is None:
        return None
    return _success(event, replayed.resolution, request, physical_id=physical_id_for(event))


def _returning_to(event: CfnEvent) -> PhysicalId | None:
    """The id of an Update that returns to the properties the id was made from."""
    current = parse(event.physical_resource_id)
    if (
        event.request_type is RequestType.UPDATE
        and current is not None
        and current.properties_hash == properties_hash(event.properties)
    ):
        return current
    return None


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
    made = made_for(event, resolution)
    target, answer_id = READY, str(made)
    if event.request_type is RequestType.UPDATE:
        current = parse(event.physical_resource_id)
        if current is not None and current.same_set(made):
            answer_id = physical_id_for(event)  # the same set: no replacement, no stray Delete
        else:
            target = _rollback_target(event, current, context, services=services, deadline=deadline)
            _judge(target, request.on_rollback_target_missing)
    return _success(event, resolution, request, physical_id=answer_id, rollback_target=target)


def _rollback_target(
    event: CfnEvent,
    current: PhysicalId | None,
    context: LambdaContext,
    *,
    services: Services,
    deadline: Deadline,
) -> RollbackTarget:
    """Are the images this Update replaces — the ones a failure would return to — still there?"""
    if current is None:
        return _unknown("the deployed images were not recorded (an earlier version made the id)")
    try:
        old = parse_request(
            event.old_properties or {}, default_registry=_own_registry(event, context)
        )
    except ResolverError:
        return _unknown("the previous properties no longer validate")
    recorded = current.recorded(old)
    if recorded is None:
        return _unknown("the deployed images are not recorded in the id (too many to carry)")
    from ..engine.replay import rollback_target  # noqa: PLC0415 - only when images change

    target, calls = rollback_target(old, recorded, clients=services.clients, deadline=deadline)
    services.count("EcrCalls", calls)
    return target


def _judge(target: RollbackTarget, policy: OnRollbackTargetMissing) -> None:
    if target.state is RollbackState.READY:
        logger.info("Rollback target ready")
        return
    logger.warning("Rollback target not ready", extra={"rollback_target": target.summary()})
    if target.state is RollbackState.MISSING and policy is OnRollbackTargetMissing.FAIL:
        raise RollbackTargetMissingError(target.missing)


def _unknown(reason: str) -> RollbackTarget:
    return RollbackTarget(RollbackState.UNKNOWN, reason=reason)


# --- rollback: never FAILED --------------------------------------------------------------------


def _rolling_back(event: CfnEvent, services: Services, deadline: Deadline) -> bool:
    """The stack's status says. If it cannot be read (throttled, or a stack in another account
    that the function may not describe), an Update that returns to the properties its id was
    made from is taken for a rollback, and said so. Judging by the record instead would take
    nearly every forward Update for a rollback and silently keep the old images."""
    status = services.stacks.rolling_back(event.stack_id, deadline=deadline)
    if status is not None:
        return status
    guess = _returning_to(event) is not None
    logger.warning(
        "Stack status unknown: judged by the properties",
        extra={"taken_for": "a rollback" if guess else "an ordinary update"},
    )
    return guess


def _roll_back(
    event: CfnEvent,
    context: LambdaContext,
    *,
    services: Services,
    deadline: Deadline,
    request: ResolveRequest | None = None,
) -> CfnResponse:
    """The previous images again, exactly where recorded; SUCCESS whatever happens.

    Without a ``request`` (the properties failed validation), they are read again without the
    checks that need the runtime (a region botocore does not know): they were deployed once.
    """
    services.count("Rollbacks")
    physical_id = physical_id_for(event)  # a rollback keeps the id it was sent
    try:
        if request is None:
            request = parse_request(
                event.properties, default_registry=_own_registry(event, context)
            )
        resolution, unverified = _previous(event, request, services=services, deadline=deadline)
        try:
            response = _success(event, resolution, request, physical_id=physical_id)
        except InvalidPropertyError:
            # Descriptions read again (more tags, more findings) outgrew the response: the
            # images the record chose, undescribed, still fit as they did when deployed.
            current = parse(event.physical_resource_id)
            undescribed = current.replayed(request) if current else None
            if undescribed is None:
                raise
            resolution, unverified = undescribed.resolution, list(undescribed.unverified)
            response = _success(event, resolution, request, physical_id=physical_id)
    except Exception as exc:
        logger.warning("Rollback answered without attributes", exc_info=exc)
        unverified = [f"everything ({type(exc).__name__}: {exc})"]
        response = CfnResponse(Status.SUCCESS, physical_id, event.reply_to)
    if unverified:
        logger.warning("Rollback answered without verifying", extra={"unverified": unverified})
        services.count("RollbackDegraded")
    return response


def _previous(
    event: CfnEvent, request: ResolveRequest, *, services: Services, deadline: Deadline
) -> tuple[Resolution, list[str]]:
    from ..engine.replay import replay  # noqa: PLC0415 - rollbacks only

    current = parse(event.physical_resource_id)
    recorded = current.recorded(request) if current else None
    if current is not None and recorded is not None:
        replayed = replay(
            request, recorded, version=current.version, clients=services.clients, deadline=deadline
        )
        return replayed.resolution, list(replayed.unverified)
    # Not recorded (an id from an earlier version, or too many images): resolve the previous
    # properties again, reporting rather than enforcing, and say that it is not exact.
    lenient = replace(
        request,
        on_missing=OnMissing.REPORT if request.on_missing is OnMissing.FAIL else request.on_missing,
        on_vulnerable=OnVulnerable.REPORT,
        require_scan=False,
        wait_seconds=0,
    )
    resolution = resolve(lenient, clients=services.clients, deadline=deadline)
    return resolution, ["the previous images were not recorded in the id: resolved again"]


# --- shared ------------------------------------------------------------------------------------


def _success(
    event: CfnEvent,
    resolution: Resolution,
    request: ResolveRequest,
    *,
    physical_id: str,
    rollback_target: RollbackTarget = READY,
) -> CfnResponse:
    success = CfnResponse(Status.SUCCESS, physical_id, event.reply_to)
    data = fitting_data(
        resolution,
        request.attributes,
        rollback_target=rollback_target,
        size_with=lambda data: replace(success, data=data).size(),
    )
    return replace(success, data=data)


def _own_registry(event: CfnEvent, context: LambdaContext) -> Registry | None:
    """The function's account and region, for bare repository names."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    return Registry.from_lambda_arn(arn) or Registry.from_lambda_arn(event.service_token)


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


def _bug(exc: Exception, context: LambdaContext) -> str:
    return (
        f"Unexpected error in the image resolver ({type(exc).__name__}); see the function's "
        f"log for request {getattr(context, 'aws_request_id', '?')}."
    )
