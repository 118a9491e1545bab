"""Run independent AWS calls concurrently under one ``Deadline``: the clock and the time limit.

Every ECR read the resolver makes fans out the same way: a few calls (one per repository, per
100 ids, per image scanned) that do not depend on each other. This is the one place that owns
the thread pool and the deadline, so no caller waits past the Lambda's remaining time. Jobs are
keyed (a repository, a chunk, an image), and every key gets an answer: the job's, or the caller's
``late`` value for one still running at the deadline. ``Report`` is what every such read returns:
the answers by key, and the calls they took.

Time comes from the deadline's ``Clock``, so waiting (``WaitSeconds``, scans in progress) is
tested with a fake clock instead of real sleeps, and so is the wall time lifecycle rules count
their days from.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar, cast

from ..values import frozen

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
L = TypeVar("L")

MAX_CONCURRENCY = 16  # calls in flight at once: well under ECR's quotas and botocore's pool


class Clock(Protocol):
    """``monotonic()`` seconds, ``sleep()`` and the UTC ``wall_time()``: ``time``'s, or a test's."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def wall_time(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wall_time(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()


@frozen
class Deadline:
    """A point in time on ``clock`` (``None``: no limit) that every call and wait respects."""

    at: float | None = None
    clock: Clock = SYSTEM_CLOCK

    @classmethod
    def after(cls, seconds: float, *, clock: Clock = SYSTEM_CLOCK) -> Deadline:
        return cls(clock.monotonic() + seconds, clock)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - self.clock.monotonic())

    def allows_sleep(self, seconds: float, *, then: float = 0.0) -> bool:
        """Whether sleeping ``seconds`` still leaves ``then`` seconds (for the calls after it)."""
        left = self.remaining()
        return left is None or seconds + then < left


NO_DEADLINE = Deadline()


@frozen
class Report(Generic[K, V]):
    """What a fanned-out read answered, key by key, and the AWS calls it took."""

    answers: Mapping[K, V]
    calls: int


def run_all(jobs: Mapping[K, Callable[[], T]], *, deadline: Deadline, late: L) -> dict[K, T | L]:
    """Each key's job answer; ``late`` for a job still running at the deadline.

    Without a limit, it waits as long as the jobs take (their own botocore timeouts still bound
    them). A job still running at the deadline is abandoned on a daemon thread: it can neither
    hold up the response nor keep a CLI process alive. An exception in a job is raised here, in
    the caller's thread.
    """
    answers: dict[K, T | L] = dict.fromkeys(jobs, late)
    if not jobs:
        return answers
    done: queue.Queue[tuple[K, T | None, BaseException | None]] = queue.Queue()
    slots = threading.BoundedSemaphore(MAX_CONCURRENCY)

    def run(key: K, job: Callable[[], T]) -> None:
        with slots:
            try:
                done.put((key, job(), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                done.put((key, None, exc))

    for number, (key, job) in enumerate(jobs.items()):
        threading.Thread(target=run, args=(key, job), daemon=True, name=f"aws-{number}").start()
    for _ in jobs:
        try:
            key, value, error = done.get(timeout=deadline.remaining())
        except queue.Empty:
            break
        if error is not None:
            raise error
        answers[key] = cast("T", value)
    return answers
