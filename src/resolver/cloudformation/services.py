"""What the custom resource talks to, made once per Lambda environment, and what it reads of
Lambda's context object."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Protocol

from ..engine import Deadline
from ..engine.ecr.clients import EcrClients
from ..engine.ecr.roles import session_name
from ..references import Registry
from ..values import frozen
from .events import CfnEvent
from .stack_status import ResourceNow
from .trust import StackPolicy, stack_name


class LambdaContext(Protocol):
    """The parts of Lambda's context object the resolver reads."""

    invoked_function_arn: str
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class MetricsSink(Protocol):
    def add_metric(self, *, name: str, unit: Any, value: float) -> None: ...


class RollbackDetector(Protocol):
    def rolling_back(self, stack_id: str, *, deadline: Deadline) -> bool | None: ...


class ResourceReader(Protocol):
    def resource_now(
        self, stack_id: str, logical_id: str, *, deadline: Deadline
    ) -> ResourceNow | None: ...


@frozen
class Services:
    """What ``handle`` talks to, made once per Lambda environment."""

    clients: EcrClients
    stacks: RollbackDetector  # a StackStatus in the Lambda
    metrics: MetricsSink | None = None
    allowed_stacks: StackPolicy = field(default_factory=StackPolicy)  # AllowedStackPrefixes
    resources: ResourceReader | None = None  # a StackStatus in the Lambda: Delete + Protect

    def count(self, name: str, value: float = 1) -> None:
        if self.metrics is not None:
            self.metrics.add_metric(name=name, unit="Count", value=value)


def own_registry(event: CfnEvent, context: LambdaContext) -> Registry | None:
    """The function's account and region, for bare repository names."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    return Registry.from_lambda_arn(arn) or Registry.from_lambda_arn(event.service_token)


def role_session_name(event: CfnEvent) -> str:
    """The RoleSessionName of the roles a request assumes: the stack and logical id that asked,
    so the role's account sees them in CloudTrail (bounded to STS's rules)."""
    return session_name(stack_name(event.stack_id) or "", event.logical_resource_id)
