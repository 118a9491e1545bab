"""Test doubles shared by unit and functional tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from resolver.engine import Deadline


@dataclass
class FakeClock:
    """Time that passes only when slept: each sleep is recorded, never waited, and may run a
    hook (CI pushing an image meanwhile, say). Its wall time starts at ``wall`` (by default the
    real time it was made, so that it agrees with the emulator's push times) and moves with it."""

    now: float = 1_000.0
    slept: list[float] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None
    wall: datetime = field(default_factory=lambda: datetime.now(UTC))

    def monotonic(self) -> float:
        return self.now

    def wall_time(self) -> datetime:
        return self.wall + timedelta(seconds=sum(self.slept))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)

    def deadline(self, seconds: float | None = None) -> Deadline:
        """A deadline on this clock, ``seconds`` from now (None: no limit)."""
        return Deadline(None if seconds is None else self.now + seconds, self)


def never_sleeps(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep of {seconds} s")


def answered_by_request(
    client: Any, operation: str, answer: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Answer ``client``'s ``operation`` calls with ``answer(request)``, recording each request.

    For calls made concurrently: a Stubber's queue hands its answers out in whatever order the
    threads reach it. Parameters are still validated against the service model, as sent. An
    answer with an ``Error`` (``{"Error": {"Code": ..., "Message": ...}}``) is raised as ECR's
    error would be.
    """
    asked: list[dict[str, Any]] = []
    lock = threading.Lock()

    def respond(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params["body"])
        with lock:
            asked.append(request)
        parsed = answer(request)
        return AWSResponse("", 400 if "Error" in parsed else 200, HTTPHeaders(), None), parsed

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-call.{service}.{operation}", respond)
    return asked
