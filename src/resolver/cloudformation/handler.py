"""The custom resource's core: a ``CfnEvent`` in, the ``CfnResponse`` to send out.

Pure of delivery and of crhelper: it reads the event, runs ``properties`` → ``engine`` →
``attributes``, and maps the outcome to ``Data`` or a FAILED ``Reason``. It never raises: an
expected failure (``ResolverError``) becomes its message, anything else a bug report that points
at the log. Delete never touches ECR and always succeeds: the resolver owns nothing that would
need cleaning up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..engine import Deadline, enforce, resolve
from ..engine.ecr.clients import EcrClients
from ..errors import ResolverError
from ..model import OnVulnerable, Resolution, ResolveRequest
from ..properties import parse_request
from ..references import Registry
from .attributes import fitting_data
from .events import CfnEvent, RequestType
from .physical_id import physical_id_for
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
    def rolling_back(self, stack_id: str) -> bool: ...


@dataclass(frozen=True)
class Services:
    """What ``handle`` talks to, made once per Lambda environment."""

    clients: EcrClients
    stacks: RollbackDetector  # a StackStatus in the Lambda
    metrics: MetricsSink | None = None
    allowed_stacks: StackPolicy = field(default_factory=StackPolicy)  # AllowedStackPrefixes


def handle(event: CfnEvent, context: LambdaContext, *, services: Services) -> CfnResponse:
    physical_id = physical_id_for(event)
    if event.request_type is RequestType.DELETE:
        return CfnResponse(Status.SUCCESS, physical_id, event.reply_to)
    try:
        services.allowed_stacks.check(event.stack_id)  # before any AWS call, DescribeStacks too
        request = parse_request(
            event.properties,
            default_registry=_own_registry(event, context),
            regions=services.clients,
        )
        if event.request_type is RequestType.UPDATE and services.stacks.rolling_back(
            event.stack_id
        ):
            request = for_rollback(request)
        seconds = context.get_remaining_time_in_millis() / 1000 - RESPONSE_RESERVE_SECONDS
        resolution = resolve(request, clients=services.clients, deadline=Deadline.after(seconds))
        _record(resolution, services.metrics)
        enforce(resolution)
        success = CfnResponse(Status.SUCCESS, physical_id, event.reply_to)
        data = fitting_data(
            resolution,
            request.attributes,
            size_with=lambda data: replace(success, data=data).size(),
        )
        return replace(success, data=data)
    except ResolverError as exc:
        # An expected, explained failure: no traceback, the message is the whole story.
        logger.warning("Resolution failed", extra={"reason": str(exc)})
        return CfnResponse.failed(event.reply_to, physical_id, str(exc))
    except Exception as exc:
        logger.exception("Unexpected error while resolving images")
        return CfnResponse.failed(
            event.reply_to,
            physical_id,
            f"Unexpected error in the image resolver ({type(exc).__name__}); see the function's "
            f"log for request {getattr(context, 'aws_request_id', '?')}.",
        )


def for_rollback(request: ResolveRequest) -> ResolveRequest:
    """A rollback returns to images that were deployed before: it must not wait for pushes, and
    new scan findings on those images must not block it (they are reported, not enforced)."""
    logger.info("Stack update is rolling back: vulnerability gate reports only, no waiting")
    return replace(request, on_vulnerable=OnVulnerable.REPORT, require_scan=False, wait_seconds=0)


def _own_registry(event: CfnEvent, context: LambdaContext) -> Registry | None:
    """The function's account and region, for bare repository names."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    return Registry.from_lambda_arn(arn) or Registry.from_lambda_arn(event.service_token)


def _record(resolution: Resolution, metrics: MetricsSink | None) -> None:
    logger.info(
        "Resolved images",
        extra={
            "statuses": {image.name: image.status.value for image in resolution.images},
            "ecr_calls": resolution.ecr_calls,
        },
    )
    if metrics is not None:
        found = sum(not image.build_required for image in resolution.images)
        metrics.add_metric(name="ImagesFound", unit="Count", value=found)
        metrics.add_metric(name="ImagesMissing", unit="Count", value=len(resolution.missing))
        metrics.add_metric(name="EcrCalls", unit="Count", value=resolution.ecr_calls)
