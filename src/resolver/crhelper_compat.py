"""crhelper 2.0.12, minus its faults. The one place we work around that library.

We keep crhelper's dispatch (Create/Update/Delete to a function, any exception to FAILED) and its
"answer before the Lambda times out" timer. We replace:

* ``__init__``: crhelper builds ``lambda``, ``events`` and ``logs`` clients (~85 ms of cold start)
  for a polling feature we never use, and resets the root logger. We set its state ourselves and
  leave logging to Powertools.
* ``_send``: crhelper's sender retries forever (a stack then waits for the Lambda to time out),
  always uses HTTPS, cuts a long ``Reason`` to its *tail* and ignores the 4096-byte limit. Ours
  answers exactly once, bounded in time, keeps the reason's beginning, and refuses non-AWS URLs.
* ``_wait_for_cwlogs``: crhelper sleeps 120 s before answering a Delete; we answer at once.
* ``generate_physical_id``: crhelper makes a random id after a failed Create; ours is derived from
  the stack and logical id so every answer for a resource carries the same id.
* ``_set_timeout``: crhelper answers FAILED 0.5 s before the timeout, too little for a bounded PUT
  to complete; we keep the idea with a margin that fits one attempt.

crhelper's private API is relied on, so the version is pinned exactly (``src/requirements.txt``,
``pyproject.toml``) and ``tests/unit/test_crhelper_compat.py`` fails if it changes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource

from .cfn_response import CfnResponse, SendPolicy, deliver, fit

CRHELPER_VERSION = "2.0.12"
Handler = Callable[[dict[str, Any], Any], str]
TIMEOUT_MARGIN_SECONDS = 2.5

_REQUIRED_EVENT_KEYS = ("RequestType", "StackId", "RequestId", "LogicalResourceId")

# crhelper logs the whole event, pre-signed ResponseURL included, at DEBUG.
logging.getLogger("crhelper").setLevel(logging.WARNING)


class BoundedCfnResource(CfnResource):
    """A ``CfnResource`` that builds no clients, never sleeps, and answers exactly once."""

    def __init__(
        self,
        *,
        local: bool,
        send_policy: SendPolicy | None = None,
        sink: Callable[[bytes], None] | None = None,
    ) -> None:
        # CfnResource.__init__ is skipped on purpose (see the module docstring); these are the
        # attributes its request path reads.
        self._sleep_on_delete = 0
        self._create_func: Handler | None = None
        self._update_func: Handler | None = None
        self._delete_func: Handler | None = None
        self._poll_create_func = self._poll_update_func = self._poll_delete_func = None
        self._timer: threading.Timer | None = None
        self._init_failed = None
        self._json_logging = False
        self._send_response = False
        self._polling_interval = 0
        self.Status = self.Reason = self.PhysicalResourceId = ""
        self.StackId = self.RequestId = self.LogicalResourceId = ""
        self.Data: dict[str, str] = {}
        self.NoEcho = False
        self._event: dict[str, Any] = {}
        self._context: Any = None
        self._response_url = ""
        self._sam_local = local
        self._ssl_verify = None
        self._local = local
        self._send_policy = send_policy or SendPolicy()
        self._sink = sink  # takes the body instead of sending it (``resolver invoke``)
        self._sent = False
        self._send_lock = threading.Lock()
        self._delivered = threading.Event()

    def _crhelper_init(self, event: Any, context: Any) -> bool:
        """Answer a malformed event instead of failing on its first missing key.

        crhelper reads StackId, RequestId... before it reads ResponseURL, so without this a
        KeyError would leave the response URL unset and the stack waiting.
        """
        if not isinstance(event, dict):
            return False
        self._event, self._context = event, context
        self._response_url = str(event.get("ResponseURL", ""))
        missing = [key for key in _REQUIRED_EVENT_KEYS if not event.get(key)]
        if missing:
            self.StackId = str(event.get("StackId", ""))
            self.RequestId = str(event.get("RequestId", ""))
            self.LogicalResourceId = str(event.get("LogicalResourceId", ""))
            self._send("FAILED", f"Malformed CloudFormation event: no {', '.join(missing)}.")
            return False
        # crhelper's stub file leaves out its private methods.
        return bool(super()._crhelper_init(event, context))  # type: ignore[misc]

    def _log_setup(self, event: Any, context: Any) -> None:
        """Logging belongs to the Lambda's Powertools logger, not to crhelper."""

    def _wait_for_cwlogs(self, sleep: Any = None) -> None:
        """Answer Delete at once."""

    def generate_physical_id(self, event: dict[str, Any]) -> str:
        return physical_id_for(event)

    def _set_timeout(self) -> None:
        seconds = self._context.get_remaining_time_in_millis() / 1000.0 - TIMEOUT_MARGIN_SECONDS
        self._timer = threading.Timer(max(0.0, seconds), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _timeout(self) -> None:
        self._send(
            "FAILED",
            "The image resolver ran out of time before it could finish. Retry the deployment; if "
            "it keeps happening, raise the resolver function's Timeout.",
        )

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        with self._send_lock:
            already_sent = self._sent
            self._sent = True
        if already_sent:
            # The timer's FAILED may still be on the wire: returning now would let Lambda freeze
            # the environment mid-PUT. Wait for it, within the time left.
            self._delivered.wait(timeout=max(0.0, self._remaining_seconds() - 0.2))
            return
        try:
            self._deliver(status, reason)
        finally:
            self._delivered.set()

    def _deliver(self, status: str | None, reason: str) -> None:
        response = CfnResponse(
            status=status or self.Status or "FAILED",
            reason=reason if status else str(self.Reason),
            physical_resource_id=str(self.PhysicalResourceId or physical_id_for(self._event)),
            stack_id=self.StackId,
            request_id=self.RequestId,
            logical_resource_id=self.LogicalResourceId,
            data={} if status == "FAILED" else self.Data,
        )
        if self._sink is not None:
            self._sink(fit(response))
            return
        remaining = self._remaining_seconds()
        deliver(
            self._response_url,
            fit(response),
            local=self._local,
            policy=self._send_policy,
            deadline=time.monotonic() + max(0.5, remaining - 0.2),
        )

    def _remaining_seconds(self) -> float:
        try:
            return float(self._context.get_remaining_time_in_millis()) / 1000.0
        except AttributeError:
            return 10.0


def physical_id_for(event: dict[str, Any]) -> str:
    """A stable id for one resource: the same on Create (even a failed one), Update and Delete."""
    if event.get("PhysicalResourceId"):
        return str(event["PhysicalResourceId"])
    stack_id = str(event.get("StackId", ""))
    logical_id = str(event.get("LogicalResourceId", "Resource"))
    stack_name = stack_id.split("/")[1] if stack_id.count("/") >= 2 else "stack"
    digest = hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:10]
    return f"{stack_name}-{logical_id}-{digest}"[:1024]
