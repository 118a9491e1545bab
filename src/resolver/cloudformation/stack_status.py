"""Is the consumer stack rolling back? Read from its status, since the event cannot tell.

A rollback is an Update carrying the previous properties; only the stack's status
(``UPDATE_ROLLBACK_IN_PROGRESS``) distinguishes it from an ordinary Update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3

from ..engine.ecr.clients import DEFAULT_CONFIG

logger = logging.getLogger(__name__)

ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"


class StackStatus:
    """Reads a stack's status with a CloudFormation client made on first use, per region."""

    def __init__(
        self, *, session: Callable[[], boto3.Session], endpoint_url: str | None = None
    ) -> None:
        self._session = session
        self._endpoint_url = endpoint_url  # None: botocore's settings (AWS_ENDPOINT_URL_...)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def rolling_back(self, stack_id: str) -> bool:
        """Whether ``stack_id`` is rolling an update back; if it cannot be read, assume not."""
        region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else ""
        if not region:
            return False
        try:
            answer = self._client(region).describe_stacks(StackName=stack_id)
            status = str(answer["Stacks"][0]["StackStatus"])
        except Exception as exc:  # noqa: BLE001 - any failure here means "carry on as usual"
            logger.warning(
                "Could not read the stack status", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            return False
        return status == ROLLING_BACK

    def _client(self, region: str) -> Any:
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._session().client(
                    "cloudformation",
                    region_name=region,
                    config=DEFAULT_CONFIG,
                    endpoint_url=self._endpoint_url,
                )
            return self._clients[region]
