"""crhelper 2.0.12, minus its faults: the only module that touches crhelper.

We keep crhelper's dispatch (Create/Update/Delete to a function, any exception to FAILED) and its
"answer before the Lambda times out" timer, and give it a typed ``CfnEvent`` and a ``handle``
function that returns the whole ``CfnResponse``. We replace:

* ``__init__``: crhelper builds ``lambda``, ``events`` and ``logs`` clients (~85 ms of cold start)
  for a polling feature we never use, and resets the root logger. We set its state ourselves and
  leave logging to Powertools.
* ``_send``: crhelper's sender retries forever (a stack then waits for the Lambda to time out),
  always uses HTTPS, cuts a long ``Reason`` to its *tail* and ignores the 4096-byte limit. Ours
  hands the response to ``send`` exactly once (``delivery`` bounds it and keeps the reason's
  beginning).
* ``_wait_for_cwlogs``: crhelper sleeps 120 s before answering a Delete; we answer at once.
* ``generate_physical_id``: crhelper makes a random id after a failed Create; ours is the
  resource's stable id (``physical_id``).
* ``_set_timeout``: crhelper answers FAILED 0.5 s before the timeout, too little for a bounded PUT
  to complete; we keep the idea with a margin that fits one attempt.
* The event: crhelper reads its private ``CrHelperData`` / ``CrHelperPoll`` keys from it (polling
  state a caller could forge to get any Data answered back). It gets only the documented fields.

crhelper's private API is relied on, so the version is pinned exactly (``pyproject.toml``, the
Lambda's lock file) and ``tests/unit/cloudformation/test_crhelper_adapter.py`` fails if it changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource

from .events import CfnEvent
from .physical_id import physical_id_for
from .response import CfnResponse

CRHELPER_VERSION = "2.0.12"
TIMEOUT_MARGIN_SECONDS = 2.5
TIMED_OUT_REASON = (
    "The image resolver ran out of time before it could finish. Retry the deployment; if it "
    "keeps happening, raise the resolver function's Timeout."
)
BUG_REASON = "Unexpected error in the image resolver; see the function's log."

Handle = Callable[[CfnEvent, Any], CfnResponse]
# Delivers a response to the event's ResponseURL within the given seconds.
Send = Callable[[CfnEvent, CfnResponse, float], None]
# What to answer instead of a plain FAILED when time runs out (a rollback must not fail).
OnTimeout = Callable[[CfnEvent, Any], "CfnResponse | None"]

logger = logging.getLogger(__name__)
# crhelper logs the whole event, pre-signed ResponseURL included, at DEBUG.
logging.getLogger("crhelper").setLevel(logging.WARNING)


class CrhelperAdapter(CfnResource):
    """Runs ``handle`` for one event under crhelper, and sends exactly one answer.

    One instance per invocation: crhelper keeps per-request state on the object.
    """

    def __init__(self, *, handle: Handle, send: Send, on_timeout: OnTimeout | None = None) -> None:
        # CfnResource.__init__ is skipped on purpose (see the module docstring). Its request path
        # (__call__ → _crhelper_init, _poll_enabled, _get_func, _wrap_function, _cfn_response)
        # reads these before setting anything; it sets the response fields itself, and what only
        # the replaced methods read (logging, polling, sleeping, its sender) is left out.
        self._create_func = self._update_func = self._delete_func = self._dispatch
        self._poll_create_func = self._poll_update_func = self._poll_delete_func = None
        self._timer: threading.Timer | None = None
        self._init_failed = None
        self._context: Any = None  # set by _crhelper_init; read by the timeout guard below
        self._handle = handle
        self._deliver = send
        self._on_timeout = on_timeout
        self._typed: CfnEvent | None = None
        self._response: CfnResponse | None = None
        self._sent = False
        self._send_lock = threading.Lock()
        self._delivered = threading.Event()

    def run(self, event: CfnEvent, context: Any) -> None:
        """Answer ``event``; returns once the answer is delivered (or delivery gave up)."""
        self._typed = event
        reply = event.reply_to
        crhelper_view = {
            "RequestType": event.request_type.value,
            "StackId": reply.stack_id,
            "RequestId": reply.request_id,
            "LogicalResourceId": reply.logical_resource_id,
            "ResponseURL": reply.response_url,
        }
        if event.physical_resource_id:
            crhelper_view["PhysicalResourceId"] = event.physical_resource_id
        self(crhelper_view, context)

    def _dispatch(self, event: dict[str, Any], context: Any) -> str:
        del event  # crhelper's dict view; ``handle`` reads the typed event
        self._response = self._handle(self._event_or_fail(), context)
        return self._response.physical_resource_id

    def _log_setup(self, event: Any, context: Any) -> None:
        """Logging belongs to the Lambda's Powertools logger, not to crhelper."""

    def _wait_for_cwlogs(self, sleep: Any = None) -> None:
        """Answer Delete at once."""

    def generate_physical_id(self, event: dict[str, Any]) -> str:
        return physical_id_for(self._event_or_fail())

    def _set_timeout(self) -> None:
        seconds = self._remaining_seconds() - TIMEOUT_MARGIN_SECONDS
        self._timer = threading.Timer(max(0.0, seconds), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _timeout(self) -> None:
        event = self._event_or_fail()
        answer = None
        if self._on_timeout is not None:
            try:
                answer = self._on_timeout(event, self._context)
            except Exception:
                logger.exception("The timeout answer failed")
        self._answer(answer or _failure(event, TIMED_OUT_REASON))

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        """crhelper's last step: our response, or FAILED when crhelper itself caught an error
        (``handle`` never raises, so that is a bug; the raw message goes to the log only)."""
        if status is None and self._response is not None:
            self._answer(self._response)
            return
        logger.error("crhelper reported an error", extra={"reason": reason or self.Reason})
        self._answer(_failure(self._event_or_fail(), BUG_REASON))

    def _answer(self, response: CfnResponse) -> None:
        with self._send_lock:
            already_sent = self._sent
            self._sent = True
        if already_sent:
            # The timer's FAILED may still be on the wire: returning now would let Lambda freeze
            # the environment mid-PUT. Wait for it, within the time left.
            self._delivered.wait(timeout=max(0.0, self._remaining_seconds() - 0.2))
            return
        try:
            self._deliver(
                self._event_or_fail(), response, max(0.5, self._remaining_seconds() - 0.2)
            )
        finally:
            self._delivered.set()

    def _event_or_fail(self) -> CfnEvent:
        if self._typed is None:
            raise RuntimeError("CrhelperAdapter is driven through run(), not called directly")
        return self._typed

    def _remaining_seconds(self) -> float:
        try:
            return float(self._context.get_remaining_time_in_millis()) / 1000.0
        except AttributeError:
            return 10.0


def _failure(event: CfnEvent, reason: str) -> CfnResponse:
    return CfnResponse.failed(event.reply_to, physical_id_for(event), reason)
