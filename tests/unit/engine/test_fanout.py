"""The fan-out: results in order, errors in the caller's thread, nothing waits past the deadline."""

from __future__ import annotations

import threading

import pytest

from resolver.engine.fanout import NO_DEADLINE, run_all

from ...fakes import FakeClock


def test_results_come_back_in_job_order() -> None:
    jobs = {n: lambda n=n: n * n for n in range(40)}  # more jobs than MAX_CONCURRENCY
    assert list(run_all(jobs, deadline=NO_DEADLINE, late=None).values()) == [
        n * n for n in range(40)
    ]


def test_no_jobs() -> None:
    assert run_all({}, deadline=NO_DEADLINE, late=None) == {}


def test_an_exception_in_a_job_is_raised_in_the_callers_thread() -> None:
    def boom() -> int:
        raise KeyError("job failed")

    with pytest.raises(KeyError, match="job failed"):
        run_all({"one": lambda: 1, "boom": boom}, deadline=NO_DEADLINE, late=None)


def test_a_job_still_running_at_the_deadline_is_abandoned_as_none() -> None:
    stuck = threading.Event()
    clock = FakeClock()
    jobs = {0: lambda: "quick", 1: lambda: stuck.wait(30)}
    done = run_all(jobs, deadline=clock.deadline(0.0), late=None)
    stuck.set()  # let the abandoned daemon thread finish
    # Whichever finished before the (already reached) deadline is kept; the stuck one is None.
    assert done[1] is None
    assert done[0] in ("quick", None)


def test_every_key_is_answered_by_its_job_or_the_late_value() -> None:
    stuck = threading.Event()
    jobs = {"quick": lambda: "answer", "stuck": lambda: stuck.wait(30) and "never"}
    done = run_all(jobs, deadline=FakeClock().deadline(0.0), late="late")
    stuck.set()
    assert set(done) == {"quick", "stuck"}
    assert done["stuck"] == "late"
    assert done["quick"] in ("answer", "late")


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
