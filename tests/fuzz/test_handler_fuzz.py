"""The Lambda handler against 2,500 generated bad events (``cases``, fixed seed).

For every case: nothing escapes the handler; exactly one answer (none when the event names no
ResponseURL); the answer fits CloudFormation's 4096 bytes; invalid input is FAILED with a readable
Reason (one line, at most 1,000 characters, no traceback) that names what was broken, and makes
no ECR call (an Update asks only the stack's status: a rollback must never be FAILED, valid
properties or not); a Delete succeeds within a second. Most cases run in-process, recording what the
handler hands to ``deliver``; a sample also goes over HTTP to the local response receiver.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from devkit.lambda_context import LambdaContext
from devkit.receiver import ResponseReceiver
from resolver.cloudformation import app
from resolver.cloudformation.events import PHYSICAL_ID_LIMIT
from resolver.cloudformation.response import MAX_BODY_BYTES, MAX_REASON_CHARS
from resolver.cloudformation.stack_status import StackStatus
from resolver.engine.ecr.clients import EcrClients
from resolver.references import Registry

from .cases import Case, Expect, cases, with_url

CASES = list(cases())
HTTP_SAMPLE = CASES[::25]  # every kind of case, over the wire too


def test_the_suite_is_big_and_fixed() -> None:
    assert len(CASES) >= 2_000
    assert {case.expect for case in CASES} == set(Expect)
    assert [case.label for case in cases()] == [
        case.label for case in CASES
    ]  # same seed, same cases


@dataclass
class Answers:
    """What the handler hands to ``deliver``, per invocation."""

    bodies: list[bytes] = field(default_factory=list)

    def deliver(self, url: str, body: bytes, **_: Any) -> bool:
        self.bodies.append(body)
        return True


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Answers]:
    recorded = Answers()
    monkeypatch.setattr(app, "deliver", recorded.deliver)
    yield recorded


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any ECR call is recorded and fails the invocation; the stack's status (asked on Update
    only) says "not rolling back", so an invalid Update is answered as invalid."""
    calls: list[str] = []

    def ecr(self: EcrClients, registry: Registry) -> Any:
        calls.append(f"ecr:{registry.region}")
        raise AssertionError("an ECR client was asked for")

    def describe_stacks(self: StackStatus, stack_id: str, *, deadline: Any) -> bool:
        return False

    monkeypatch.setattr(EcrClients, "for_registry", ecr)
    monkeypatch.setattr(StackStatus, "rolling_back", describe_stacks)
    return calls


def check(case: Case, bodies: list[bytes], seconds: float) -> list[str]:
    """What is wrong with the answers to ``case`` (empty: nothing)."""
    if case.expect is Expect.NO_ANSWER:
        return [f"{len(bodies)} answers to an event without a ResponseURL"] if bodies else []
    if len(bodies) != 1:
        return [f"{len(bodies)} answers"]
    raw = bodies[0]
    body = json.loads(raw)
    reason = body.get("Reason", "")  # required on FAILED only: checked below
    problems = _shape_problems(raw, body)
    if body["Status"] != case.expect.value:
        problems.append(f"{body['Status']}: {reason[:200]!r}")
    if case.expect is Expect.SUCCESS and seconds >= 1.0:
        problems.append(f"Delete took {seconds:.2f} s")
    if case.expect is Expect.FAILED:
        if not 0 < len(reason) <= MAX_REASON_CHARS:
            problems.append(f"a Reason of {len(reason)} characters")
        if "\n" in reason or "Traceback" in reason or "Unexpected error" in reason:
            problems.append(f"not a readable reason: {reason[:200]!r}")
        if not reason.startswith(case.names):
            problems.append(f"Reason {reason[:120]!r} does not start with {case.names[0][:60]!r}")
    return problems


def _shape_problems(raw: bytes, body: dict[str, Any]) -> list[str]:
    """What no answer may be: over 4096 bytes (id and Data together), an id over 1,024
    characters, a FAILED without a Reason."""
    problems = []
    if len(raw) > MAX_BODY_BYTES:
        problems.append(f"{len(raw)} bytes")
    if len(body["PhysicalResourceId"]) > PHYSICAL_ID_LIMIT:
        problems.append(f"a PhysicalResourceId of {len(body['PhysicalResourceId'])} characters")
    if body["Status"] == "FAILED" and "Reason" not in body:
        problems.append("FAILED without a Reason")
    return problems


def test_every_case_gets_the_answer_it_must_in_process(answers: Answers, no_aws: list[str]) -> None:
    failures: dict[str, list[str]] = {}
    context = LambdaContext()
    for case in CASES:
        answers.bodies.clear()
        started = time.monotonic()
        try:
            app.handler(case.event, context)
        except BaseException as exc:  # noqa: BLE001 - the point: nothing may escape
            failures[case.label] = [f"escaped: {type(exc).__name__}: {exc}"[:300]]
            continue
        problems = check(case, answers.bodies, time.monotonic() - started)
        if problems:
            failures[case.label] = problems
    assert no_aws == []
    shown = dict(list(failures.items())[:15])
    assert not failures, f"{len(failures)} of {len(CASES)} cases failed, e.g. {shown}"


def test_a_sample_gets_the_same_answers_over_http(
    monkeypatch: pytest.MonkeyPatch, no_aws: list[str]
) -> None:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    failures: dict[str, list[str]] = {}
    with ResponseReceiver() as receiver:
        for case in HTTP_SAMPLE:
            sent = case if case.expect is Expect.NO_ANSWER else with_url(case, receiver.url())
            started = time.monotonic()
            app.handler(sent.event, LambdaContext())
            seconds = time.monotonic() - started
            bodies = []
            while receiver.count():
                bodies.append(receiver.take(timeout=0).raw)
            problems = check(case, bodies, seconds)
            if problems:
                failures[case.label] = problems
    assert no_aws == []
    assert len(HTTP_SAMPLE) >= 100
    assert not failures, failures
