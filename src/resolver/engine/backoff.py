"""Waiting between polls: one backoff, under a budget and the deadline, heard by an observer.

Images CI may still be pushing are waited for (``WaitSeconds``, ``waiting``), and so is ECR's own
work after a push (``ScanWaitSeconds``, ``gates``): scans, managed signatures, replication — all
the same way: sleep a first delay, then each next one ``factor`` times longer up to a ceiling,
for as long as something is still awaited, the time slept stays within the budget, and the
deadline leaves room for what comes after the sleep. Before each sleep the request's observer, if any, hears a ``Waiting``.

Sleeping goes through the deadline's clock, so tests wait on a fake one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from ..model import Observer, Waiting, WaitingFor
from ..values import frozen
from .fanout import Deadline

logger = logging.getLogger(__name__)


@frozen
class Backoff:
    """A delay schedule: ``first``, then ``factor`` times the last, never above ``ceiling``."""

    first: float
    ceiling: float
    factor: float = 1.5

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.ceiling)


SCHEDULES = {
    WaitingFor.PUSH: Backoff(first=2.0, ceiling=15.0),  # 2, 3, 4.5 … 15 s (README)
    WaitingFor.SCAN: Backoff(first=2.0, ceiling=10.0),
    WaitingFor.SIGNATURE: Backoff(first=2.0, ceiling=10.0),
    WaitingFor.REPLICATION: Backoff(first=2.0, ceiling=15.0),
}
_LOGGED = {
    WaitingFor.PUSH: "Waiting for missing images",
    WaitingFor.SCAN: "Waiting for scans in progress",
    WaitingFor.SIGNATURE: "Waiting for managed signing in progress",
    WaitingFor.REPLICATION: "Waiting for replication in progress",
}


class Pauses:
    """The sleeps of one wait: ask ``pause`` before each new round."""

    def __init__(
        self,
        reason: WaitingFor,
        *,
        budget: float,
        deadline: Deadline,
        observer: Observer | None = None,
    ) -> None:
        self._reason = reason
        self._budget = budget
        self._deadline = deadline
        self._observer = observer
        self._delays = SCHEDULES[reason].delays()
        self._delay = next(self._delays)
        self.slept = 0.0

    def pause(self, awaited: Sequence[str], *, then: float = 0.0) -> bool:
        """Sleep the next delay and answer True; or answer False, without sleeping, when nothing
        is ``awaited``, when the sleep would overrun the budget, or when it would leave less than
        ``then`` seconds (a round of calls) before the deadline."""
        delay = self._delay
        if (
            not awaited
            or self.slept + delay > self._budget
            or not self._deadline.allows_sleep(delay, then=then)
        ):
            return False
        logger.info(_LOGGED[self._reason], extra={"images": list(awaited), "seconds": delay})
        if self._observer is not None:
            self._observer(Waiting(tuple(awaited), self.slept, self._budget, self._reason))
        self._deadline.clock.sleep(delay)
        self.slept += delay
        self._delay = next(self._delays)
        return True
