"""The fan-out: results in order, errors in the caller's thread, nothing waits past the deadline."""

from __future__ import annotations

import threading

import pytest

from resolver.engine.fanout import NO_DEADLINE, run_all

from ...fakes import FakeClock


def test_results_come_back_in_job_order() -> None:
    jobs = [lambda n=n: n * n for n in range(40)]  # more jobs than MAX_CONCURRENCY
    assert run_all(jobs, deadline=NO_DEADLINE) == [n * n for n in range(40)]


def test_no_jobs() -> None:
    assert run_all([], deadline=NO_DEADLINE) == []


def test_an_exception_in_a_job_is_raised_in_the_callers_thread() -> None:
    def boom() -> int:
        raise KeyError("job failed")

    with pytest.raises(KeyError, match="job failed"):
        run_all([lambda: 1, boom], deadline=NO_DEADLINE)


def test_a_job_still_running_at_the_deadline_is_abandoned_as_none() -> None:
    stuck = threading.Event()
    clock = FakeClock()
    done = run_all([lambda: "quick", lambda: stuck.wait(30)], deadline=clock.deadline(0.0))
    stuck.set()  # let the abandoned daemon thread finish
    # Whichever finished before the (already reached) deadline is kept; the stuck one is None.
    assert done[1] is None
    assert done[0] in ("quick", None)


def test_deadline_arithmetic_on_its_own_clock() -> None:
    clock = FakeClock(now=100.0)
    deadline = clock.deadline(10.0)
    assert deadline.remaining() == 10.0
    assert deadline.allows_sleep(4.0, then=5.0)
    assert not deadline.allows_sleep(4.0, then=6.0)
    clock.sleep(25.0)
    assert deadline.remaining() == 0.0
    assert NO_DEADLINE.remaining() is None
    assert NO_DEADLINE.allows_sleep(10_000.0)
