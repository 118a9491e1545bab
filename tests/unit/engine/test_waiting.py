"""WaitSeconds: backoff, budget, deadline and coherent versions — on a fake clock."""

from __future__ import annotations

from collections.abc import Sequence

from resolver.engine.outcomes import Absent, Found, Round
from resolver.engine.waiting import wait_for_missing
from resolver.errors import ImageProblem
from resolver.model import (
    ImageSpec,
    ImageStatus,
    Observer,
    ResolveRequest,
    TagMatch,
    Waiting,
    WaitingFor,
)
from resolver.references import ImageRef, Registry, Repository

from ...fakes import FakeClock

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
DIGEST = "sha256:" + "a" * 64


def spec(name: str, match: TagMatch = TagMatch.EXACT) -> ImageSpec:
    tag = f"{name.lower()}-{{version}}" if match is TagMatch.LATEST_VERSION else f"{name}-1"
    return ImageSpec(name, ImageRef(REPO, tag=tag), match=match)


def missing(s: ImageSpec) -> Absent:
    return Absent(ImageStatus.TAG_NOT_FOUND, ref=s.ref)


def found(s: ImageSpec) -> Found:
    return Found(s.ref, DIGEST, DIGEST)


def first_round(specs: Sequence[ImageSpec], *, present: set[str]) -> Round:
    results = {s.name: found(s) if s.name in present else missing(s) for s in specs}
    return Round(results, calls=1, version=None)


class Lookups:
    """A ``look_up`` that finds images once the clock passes their arrival time."""

    def __init__(self, clock: FakeClock, arrivals: dict[str, float]) -> None:
        self.clock = clock
        self.arrivals = arrivals
        self.asked: list[list[str]] = []

    def __call__(self, specs: Sequence[ImageSpec]) -> Round:
        self.asked.append([s.name for s in specs])
        arrived = {n for n, at in self.arrivals.items() if self.clock.now >= at}
        return Round(
            {s.name: found(s) if s.name in arrived else missing(s) for s in specs},
            calls=1,
            version="v2",
        )


def wait(
    request: ResolveRequest,
    clock: FakeClock,
    lookups: Lookups,
    *,
    seconds: float | None = None,
    observer: Observer | None = None,
) -> Round:
    first = first_round(request.images, present={"Ok"})
    return wait_for_missing(
        request,
        first,
        look_up=lookups,
        deadline=clock.deadline(seconds),
        round_seconds=0.0,
        observer=observer,
    )


def test_backoff_within_the_budget_then_the_last_answer() -> None:
    clock = FakeClock(now=0.0)
    request = ResolveRequest((spec("Api"), spec("Ok")), wait_seconds=10)
    lookups = Lookups(clock, arrivals={})
    result = wait(request, clock, lookups)
    assert clock.slept == [2.0, 3.0, 4.5]  # 9.5 s; 6.75 s more would overrun 10
    assert lookups.asked == [["Api"]] * 3  # only the missing image is asked again
    assert result.outcomes["Api"] == missing(request.images[0])
    assert result.calls == 4


def test_the_observer_hears_each_wait_before_its_sleep() -> None:
    clock = FakeClock(now=0.0)
    request = ResolveRequest((spec("Api"), spec("Ok")), wait_seconds=10)
    heard: list[Waiting] = []

    def observer(event: Waiting) -> None:
        assert clock.slept == [] or sum(clock.slept) == event.slept  # before the sleep
        heard.append(event)

    wait(request, clock, Lookups(clock, arrivals={}), observer=observer)
    assert heard == [
        Waiting(images=("Api",), slept=slept, budget=10, reason=WaitingFor.PUSH)
        for slept in (0.0, 2.0, 5.0)
    ]


def test_stops_as_soon_as_everything_is_found() -> None:
    clock = FakeClock(now=0.0)
    request = ResolveRequest((spec("Api"), spec("Ok")), wait_seconds=60)
    result = wait(request, clock, Lookups(clock, arrivals={"Api": 4.0}))
    assert clock.slept == [2.0, 3.0]
    assert isinstance(result.outcomes["Api"], Found)
    assert isinstance(result.outcomes["Ok"], Found)


def test_no_wait_without_a_budget() -> None:
    clock = FakeClock()
    request = ResolveRequest((spec("Api"), spec("Ok")))
    wait(request, clock, Lookups(clock, arrivals={"Api": 0.0}))
    assert clock.slept == []


def test_the_deadline_leaves_room_for_one_more_round() -> None:
    clock = FakeClock(now=0.0)
    request = ResolveRequest((spec("Api"), spec("Ok")), wait_seconds=600)
    wait(request, clock, Lookups(clock, arrivals={}), seconds=8.0)
    # Each sleep leaves >= 1 s (twice the last round, at least 1 s) before the deadline.
    assert clock.slept == [2.0, 3.0]


def test_a_failed_round_ends_the_wait_with_the_last_definite_answer() -> None:
    clock = FakeClock(now=0.0)
    request = ResolveRequest((spec("Api"), spec("Ok")), wait_seconds=60)

    def fails(specs: Sequence[ImageSpec]) -> Round:
        return Round({"Api": ImageProblem("Api", "app:Api-1", "AccessDenied")}, 1, None)

    first = first_round(request.images, present={"Ok"})
    result = wait_for_missing(
        request, first, look_up=fails, deadline=clock.deadline(), round_seconds=0.0
    )
    assert clock.slept == [2.0]
    assert result == first


def test_latest_version_components_are_looked_for_together() -> None:
    clock = FakeClock(now=0.0)
    api, ev = spec("Api", TagMatch.LATEST_VERSION), spec("Ev", TagMatch.LATEST_VERSION)
    request = ResolveRequest((api, ev, spec("Ok")), wait_seconds=10)
    first = Round(
        {"Api": found(api), "Ev": missing(ev), "Ok": found(spec("Ok"))}, calls=1, version="v1"
    )
    lookups = Lookups(clock, arrivals={"Api": 0.0, "Ev": 2.0})
    result = wait_for_missing(
        request, first, look_up=lookups, deadline=clock.deadline(), round_seconds=0.0
    )
    assert lookups.asked == [["Api", "Ev"]]  # never half a version
    assert result.version == "v2"
