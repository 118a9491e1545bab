"""The CloudFormation custom resource: events in, exactly one response out.

A thin shell over the core: it reads the event, calls ``spec`` → ``resolve`` → ``enforce``, and
maps the outcome to ``Data`` or a FAILED ``Reason``. Delete never touches ECR and always succeeds:
the resolver owns nothing that would need cleaning up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .cfn_data import build_data
from .cfn_response import MAX_BODY_BYTES, CfnResponse, SendPolicy
from .crhelper_compat import BoundedCfnResource, physical_id_for
from .ecr_clients import EcrClients
from .errors import InvalidPropertyError, ResolverError
from .references import Registry
from .resolve import Resolution, enforce, resolve
from .spec import Attribute, OnVulnerable, ResolveRequest, parse_request

logger = logging.getLogger(__name__)

# Time kept back from the Lambda's remaining time for building and sending the response.
RESPONSE_RESERVE_SECONDS = 5.0


class MetricsSink(Protocol):
    def add_metric(self, *, name: str, unit: Any, value: float) -> None: ...


@dataclass(frozen=True)
class Settings:
    local: bool = False
    send_policy: SendPolicy = field(default_factory=SendPolicy)
    sink: Callable[[bytes], None] | None = None  # receive the response instead of sending it


class ImageResolverResource(BoundedCfnResource):
    """One instance per invocation: crhelper keeps per-request state on the object."""

    def __init__(
        self, *, clients: EcrClients, settings: Settings, metrics: MetricsSink | None = None
    ) -> None:
        super().__init__(local=settings.local, send_policy=settings.send_policy, sink=settings.sink)
        self._clients = clients
        self._metrics = metrics
        self._create_func = self._update_func = self._resolve
        self._delete_func = self._delete

    def _delete(self, event: dict[str, Any], context: Any) -> str:
        del context
        return physical_id_for(event)

    def _resolve(self, event: dict[str, Any], context: Any) -> str:
        physical_id = physical_id_for(event)
        try:
            request = parse_request(
                event.get("ResourceProperties") or {},
                default_registry=_own_registry(event, context),
            )
            if event.get("RequestType") == "Update" and self._rolling_back(event):
                request = for_rollback(request)
            deadline = (
                time.monotonic()
                + context.get_remaining_time_in_millis() / 1000
                - RESPONSE_RESERVE_SECONDS
            )
            resolution = resolve(request, clients=self._clients, deadline=deadline)
            self._record(resolution)
            enforce(resolution)
            self.Data = _checked_data(event, physical_id, resolution, request)
        except ResolverError as exc:
            # An expected, explained failure: no traceback, the message is the whole story.
            logger.warning("Resolution failed", extra={"reason": str(exc)})
            self._fail(str(exc))
        except Exception as exc:
            logger.exception("Unexpected error while resolving images")
            self._fail(
                f"Unexpected error in the image resolver ({type(exc).__name__}); see the function's "
                f"log for request {getattr(context, 'aws_request_id', '?')}."
            )
        return physical_id

    def _rolling_back(self, event: dict[str, Any]) -> bool:
        """Whether this Update is CloudFormation rolling a failed update back.

        The event cannot tell (a rollback is an Update with the previous properties); the
        stack's status can. Asked only on Update; if it cannot be read, assume not.
        """
        stack_id = str(event.get("StackId", ""))
        region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else ""
        if not region:
            return False
        try:
            cloudformation = self._clients.client("cloudformation", region)
            status = str(
                cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
            )
        except Exception as exc:  # noqa: BLE001 - any failure here means "carry on as usual"
            logger.warning(
                "Could not read the stack status", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return False
        return status == "UPDATE_ROLLBACK_IN_PROGRESS"

    def _fail(self, reason: str) -> None:
        self.Status = "FAILED"
        self.Reason = reason
        self.Data = {}

    def _record(self, resolution: Resolution) -> None:
        logger.info(
            "Resolved images",
            extra={
                "statuses": {image.name: image.status.value for image in resolution.images},
                "ecr_calls": resolution.ecr_calls,
            },
        )
        if self._metrics is not None:
            found = sum(not image.build_required for image in resolution.images)
            self._metrics.add_metric(name="ImagesFound", unit="Count", value=found)
            self._metrics.add_metric(
                name="ImagesMissing", unit="Count", value=len(resolution.missing)
            )
            self._metrics.add_metric(name="EcrCalls", unit="Count", value=resolution.ecr_calls)


def for_rollback(request: ResolveRequest) -> ResolveRequest:
    """A rollback returns to images that were deployed before: it must not wait for pushes, and
    new scan findings on those images must not block it (they are reported, not enforced)."""
    logger.info("Stack update is rolling back: vulnerability gate reports only, no waiting")
    return replace(request, on_vulnerable=OnVulnerable.REPORT, require_scan=False, wait_seconds=0)


def _own_registry(event: dict[str, Any], context: Any) -> Registry | None:
    """The function's account and region, for bare repository names."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    service_token = str((event.get("ResourceProperties") or {}).get("ServiceToken", ""))
    return Registry.from_lambda_arn(arn) or Registry.from_lambda_arn(service_token)


def _checked_data(
    event: dict[str, Any], physical_id: str, resolution: Resolution, request: ResolveRequest
) -> dict[str, str]:
    data = build_data(resolution, request.attributes)
    size = _body_size(event, physical_id, data)
    if size <= MAX_BODY_BYTES:
        return data
    uri_only = _body_size(event, physical_id, build_data(resolution, (Attribute.URI,)))
    selected = ", ".join(a.value for a in request.attributes)
    hint = (
        f"Attributes: [Uri] would need {uri_only} bytes"
        if uri_only <= MAX_BODY_BYTES
        else "even Attributes: [Uri] does not fit; split the images over several resources"
    )
    raise InvalidPropertyError(
        "Attributes",
        selected,
        f"makes the response {size} bytes for {len(resolution.images)} images, over "
        f"CloudFormation's {MAX_BODY_BYTES}-byte limit",
        f"Select fewer attributes ({hint}).",
    )


def _body_size(event: dict[str, Any], physical_id: str, data: dict[str, str]) -> int:
    return len(
        CfnResponse(
            status="SUCCESS",
            physical_resource_id=physical_id,
            stack_id=str(event.get("StackId", "")),
            request_id=str(event.get("RequestId", "")),
            logical_resource_id=str(event.get("LogicalResourceId", "")),
            data=data,
        ).encode()
    )
