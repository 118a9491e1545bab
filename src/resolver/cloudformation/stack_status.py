"""Is the consumer stack rolling back? Read from its status, within a small budget.

A rollback arrives as an Update carrying the previous properties; only the stack's status
(``UPDATE_ROLLBACK_IN_PROGRESS``) tells it from an ordinary Update. The read is one attempt with
short timeouts, run under at most ``BUDGET_SECONDS`` of the resource's deadline: a slow or
unreachable CloudFormation endpoint costs a few seconds, never the function's whole run. When
the status cannot be read the answer is ``None`` — the caller decides what "unknown" means.
"""

from __future__ import annotations

import logging
from functools import partial

from ..engine import Deadline
from ..engine.ecr.clients import EcrClients, bounded_config
from ..engine.fanout import run_all

logger = logging.getLogger(__name__)

ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"
BUDGET_SECONDS = 3.0
# One attempt: a retry would not fit the budget, and "unknown" is a safe answer.
_CONFIG = bounded_config(connect_timeout=1, read_timeout=2, max_attempts=1)


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
