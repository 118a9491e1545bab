"""Is the consumer stack rolling back? Which id does CloudFormation now hold for a resource?
Read within a small budget.

A rollback arrives as an Update carrying the previous properties; only the stack's status
(``UPDATE_ROLLBACK_IN_PROGRESS``) tells it from an ordinary Update. The read is one attempt with
short timeouts, run under at most ``BUDGET_SECONDS`` of the resource's deadline: a slow or
unreachable CloudFormation endpoint costs a few seconds, never the function's whole run. When
the status cannot be read the answer is ``None`` — the caller decides what "unknown" means.

The resource's current id (``DescribeStackResource``) tells a Delete whether it removes the
resource or one id of a replacement that lives on (protection keeps the tags of a set that the
surviving id shares).
"""

from __future__ import annotations

import logging
from functools import partial

from ..engine import Deadline
from ..engine.ecr.clients import EcrClients, bounded_config
from ..engine.fanout import run_all
from ..values import frozen

logger = logging.getLogger(__name__)

ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"
BUDGET_SECONDS = 3.0
# One attempt: a retry would not fit the budget, and "unknown" is a safe answer.
_CONFIG = bounded_config(connect_timeout=1, read_timeout=2, max_attempts=1)


@frozen
class ResourceNow:
    """A resource as CloudFormation holds it now: its physical id, or None when it (or its
    stack) no longer exists."""

    physical_id: str | None


class StackStatus:
    """Reads a stack's status with a CloudFormation client from ``clients`` (made on first use,
    per region, beside the ECR clients)."""

    def __init__(self, *, clients: EcrClients) -> None:
        self._clients = clients

    def rolling_back(self, stack_id: str, *, deadline: Deadline) -> bool | None:
        """Whether ``stack_id`` is rolling an update back; None when that cannot be read."""
        region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else ""
        if not region:
            return None
        left = deadline.remaining()
        budget = Deadline.after(BUDGET_SECONDS if left is None else min(BUDGET_SECONDS, left))
        jobs = {stack_id: partial(self._status, region, stack_id)}
        status = run_all(jobs, deadline=budget, late=None)[stack_id]
        if status is None:
            logger.warning(
                "Could not read the stack status in time", extra={"budget_s": BUDGET_SECONDS}
            )
            return None
        return status == ROLLING_BACK

    def _status(self, region: str, stack_id: str) -> str | None:
        try:
            client = self._clients.client("cloudformation", region, config=_CONFIG)
            answer = client.describe_stacks(StackName=stack_id)
            return str(answer["Stacks"][0]["StackStatus"])
        except Exception as exc:  # noqa: BLE001 - any failure means "unknown", said once here
            logger.warning(
                "Could not read the stack status", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return None

    def resource_now(
        self, stack_id: str, logical_id: str, *, deadline: Deadline
    ) -> ResourceNow | None:
        """What CloudFormation holds for ``logical_id`` now; None when that cannot be read."""
        region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else ""
        if not region:
            return None
        left = deadline.remaining()
        budget = Deadline.after(BUDGET_SECONDS if left is None else min(BUDGET_SECONDS, left))
        job = partial(self._resource, region, stack_id, logical_id)
        return run_all({logical_id: job}, deadline=budget, late=None)[logical_id]

    def _resource(self, region: str, stack_id: str, logical_id: str) -> ResourceNow | None:
        try:
            client = self._clients.client("cloudformation", region, config=_CONFIG)
            answer = client.describe_stack_resource(
                StackName=stack_id, LogicalResourceId=logical_id
            )
            return ResourceNow(str(answer["StackResourceDetail"]["PhysicalResourceId"]))
        except Exception as exc:  # noqa: BLE001 - any failure means "unknown", said once here
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "ValidationError":  # CloudFormation's "does not exist", stack or resource
                return ResourceNow(None)
            logger.warning(
                "Could not read the resource", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return None
