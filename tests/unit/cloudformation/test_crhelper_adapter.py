"""The crhelper adapter: crhelper's dispatch and timer, our single bounded answer.

Driven only through its public interface (``CrhelperAdapter(handle=..., send=...).run``); no test
reads or writes crhelper's attributes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib.metadata import version

import boto3
import pytest

from resolver.cloudformation.crhelper_adapter import (
    CRHELPER_VERSION,
    TIMEOUT_MARGIN_SECONDS,
    CrhelperAdapter,
)
from resolver.cloudformation.events import CfnEvent, ReplyTo, RequestType
from resolver.cloudformation.response import CfnResponse, Status

REPLY_TO = ReplyTo(
    "http://127.0.0.1:9/r",
    "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/s/6f1c2a10",
    "r-1",
    "Images",
)
EVENT = CfnEvent(RequestType.CREATE, REPLY_TO, properties={})


@dataclass
class Context:
    """A Lambda context whose remaining time does not run down: the timer's delay is fixed."""

    remaining_seconds: float = 60.0
    invoked_function_arn: str = "arn:aws:lambda:ap-southeast-2:123456789012:function:f"
    aws_request_id: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


@dataclass
class Recorder:
    """``send``: records each answer; may hold delivery until released."""

    answers: list[CfnResponse] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hold: bool = False
    sent: threading.Event = field(default_factory=threading.Event)

    def __call__(self, event: CfnEvent, response: CfnResponse, seconds: float) -> None:
        assert event is EVENT
        assert seconds > 0
        self.sent.set()
        if self.hold:
            self.release.wait(5)
        self.answers.append(response)


def success(event: CfnEvent, context: object) -> CfnResponse:
    return CfnResponse(Status.SUCCESS, "the-id", event.reply_to, data={"Api.Uri": "x"})


def test_crhelper_is_the_version_the_workarounds_were_written_for() -> None:
    assert version("crhelper") == CRHELPER_VERSION


def test_construction_builds_no_aws_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a client was created")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3.Session, "client", refuse)
    CrhelperAdapter(handle=success, send=Recorder())


@pytest.mark.parametrize("request_type", list(RequestType))
def test_the_handles_response_is_sent_once_whatever_the_request_type(
    request_type: RequestType,
) -> None:
    event = CfnEvent(request_type, REPLY_TO, properties={}, physical_resource_id="the-id")
    answers: list[CfnResponse] = []

    def send(sent: CfnEvent, response: CfnResponse, seconds: float) -> None:
        assert sent is event
        answers.append(response)

    CrhelperAdapter(handle=success, send=send).run(event, Context())
    assert [(a.status, a.data) for a in answers] == [(Status.SUCCESS, {"Api.Uri": "x"})]


def test_the_timer_answers_failed_and_the_late_answer_is_dropped() -> None:
    recorder = Recorder()

    def slow(event: CfnEvent, context: object) -> CfnResponse:
        recorder.sent.wait(5)  # "work" until the timer has answered
        return success(event, context)

    # The timer fires TIMEOUT_MARGIN_SECONDS before the end: 0.1 s from now.
    context = Context(remaining_seconds=TIMEOUT_MARGIN_SECONDS + 0.1)
    CrhelperAdapter(handle=slow, send=recorder).run(EVENT, context)
    assert len(recorder.answers) == 1
    (answer,) = recorder.answers
    assert answer.status is Status.FAILED
    assert "ran out of time" in answer.reason
    assert answer.physical_resource_id == "s-Images-" + answer.physical_resource_id.split("-")[-1]


def test_run_returns_only_after_an_answer_in_flight_is_delivered() -> None:
    recorder = Recorder(hold=True)

    def slow(event: CfnEvent, context: object) -> CfnResponse:
        recorder.sent.wait(5)  # the timer's answer is now on the wire, held there
        threading.Timer(0.2, recorder.release.set).start()
        return success(event, context)

    context = Context(remaining_seconds=TIMEOUT_MARGIN_SECONDS + 0.1)
    CrhelperAdapter(handle=slow, send=recorder).run(EVENT, context)
    # Had run() returned at once, Lambda would freeze the environment mid-PUT.
    assert [a.status for a in recorder.answers] == [Status.FAILED]


def test_an_exception_escaping_handle_is_a_failed_answer_without_its_message() -> None:
    recorder = Recorder()

    def broken(event: CfnEvent, context: object) -> CfnResponse:
        raise RuntimeError("secret internals")

    CrhelperAdapter(handle=broken, send=recorder).run(EVENT, Context())
    (answer,) = recorder.answers
    assert answer.status is Status.FAILED
    assert "secret internals" not in answer.reason
    assert "see the function's log" in answer.reason
    assert answer.physical_resource_id.startswith("s-Images-")
