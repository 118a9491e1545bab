"""One backoff for every wait: the schedules, the budget, the deadline's reserve, the observer."""

from __future__ import annotations

from itertools import islice

import pytest

from resolver.engine.backoff import SCHEDULES, Backoff, Pauses
from resolver.model import Waiting, WaitingFor

from ...fakes import FakeClock


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (WaitingFor.PUSH, [2.0, 3.0, 4.5, 6.75, 10.125, 15.0, 15.0]),  # the README's schedule
        (WaitingFor.SCAN, [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]),
    ],
)
def test_each_wait_keeps_its_first_delay_factor_and_ceiling(
    reason: WaitingFor, expected: list[float]
) -> None:
    assert list(islice(SCHEDULES[reason].delays(), len(expected))) == expected


def test_a_schedule_of_its_own() -> None:
    assert list(islice(Backoff(first=1.0, ceiling=5.0, factor=2.0).delays(), 5)) == [
        1.0,
        2.0,
        4.0,
        5.0,
        5.0,
    ]


def test_sleeps_while_something_is_awaited_and_the_budget_allows() -> None:
    clock = FakeClock(now=0.0)
    pauses = Pauses(WaitingFor.PUSH, budget=10, deadline=clock.deadline())
    assert [pauses.pause(["Api"]) for _ in range(4)] == [True, True, True, False]
    assert clock.slept == [2.0, 3.0, 4.5]  # 9.5 s; 6.75 s more would overrun 10
    assert pauses.slept == 9.5


def test_nothing_awaited_is_no_sleep() -> None:
    clock = FakeClock(now=0.0)
    assert not Pauses(WaitingFor.SCAN, budget=60, deadline=clock.deadline()).pause([])
    assert clock.slept == []


def test_a_zero_budget_never_sleeps() -> None:
    clock = FakeClock(now=0.0)
    assert not Pauses(WaitingFor.SCAN, budget=0, deadline=clock.deadline()).pause(["Api"])
    assert clock.slept == []


def test_each_sleep_leaves_the_reserve_before_the_deadline() -> None:
    clock = FakeClock(now=0.0)
    pauses = Pauses(WaitingFor.PUSH, budget=600, deadline=clock.deadline(8.0))
    assert pauses.pause(["Api"], then=1.0)  # 2 s, 6 s left
    assert pauses.pause(["Api"], then=1.0)  # 3 s, 3 s left
    assert not pauses.pause(["Api"], then=1.0)  # 4.5 s would not leave 1 s
    assert clock.slept == [2.0, 3.0]


def test_the_observer_hears_what_is_awaited_before_each_sleep() -> None:
    clock = FakeClock(now=0.0)
    heard: list[Waiting] = []
    pauses = Pauses(WaitingFor.SCAN, budget=5, deadline=clock.deadline(), observer=heard.append)
    pauses.pause(["Api", "Web"])
    pauses.pause(["Web"])
    pauses.pause(["Web"])  # 4.5 s more would overrun 5: no sleep, nothing heard
    assert heard == [
        Waiting(("Api", "Web"), slept=0.0, budget=5, reason=WaitingFor.SCAN),
        Waiting(("Web",), slept=2.0, budget=5, reason=WaitingFor.SCAN),
    ]
