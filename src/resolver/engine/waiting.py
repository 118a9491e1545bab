"""``WaitSeconds``: poll for missing images, because CI may still be pushing them.

The budget counts the time slept; each sleep also leaves room for another round of calls before
the deadline (``backoff``). A round ECR cannot fully answer (a timeout, say) ends the wait with
the last definite answer rather than turning it into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..model import ImageSpec, Observer, ResolveRequest, TagMatch, WaitingFor
from .backoff import Pauses
from .fanout import Deadline
from .outcomes import Round

logger = logging.getLogger(__name__)

LookUp = Callable[[Sequence[ImageSpec]], Round]


def wait_for_missing(  # noqa: PLR0913 - keyword-only after the first two: no mix-ups
    request: ResolveRequest,
    first: Round,
    *,
    look_up: LookUp,
    deadline: Deadline,
    round_seconds: float,
    observer: Observer | None = None,
) -> Round:
    """Look for missing images again, with backoff, until they are found or time is up.

    ``observer`` hears a ``Waiting`` (the images, seconds slept of ``WaitSeconds``) before each
    sleep; ``round_seconds`` is how long the first round took (the reserve kept for the next).
    """
    latest = first
    pauses = Pauses(
        WaitingFor.PUSH, budget=request.wait_seconds, deadline=deadline, observer=observer
    )
    clock = deadline.clock
    while True:
        waiting = _waiting(request, latest)
        names = [spec.name for spec in waiting]
        if not pauses.pause(names, then=max(1.0, 2 * round_seconds)):
            return latest
        started = clock.monotonic()
        again = look_up(waiting)
        if again.failed:
            reasons = [f"{problem.name}: {problem.detail}" for problem in again.failed]
            logger.warning("Stopped waiting: ECR did not answer", extra={"reasons": reasons})
            return latest
        round_seconds = clock.monotonic() - started
        chose_version = any(spec.match is TagMatch.LATEST_VERSION for spec in waiting)
        latest = Round(
            outcomes={**latest.outcomes, **again.outcomes},
            calls=latest.calls + again.calls,
            version=again.version if chose_version else latest.version,
        )


def _waiting(request: ResolveRequest, latest: Round) -> list[ImageSpec]:
    """The images to look for again. ``Version: latest`` images are looked for together, so a
    newly complete version is used for all of them, never half."""
    missing = set(latest.missing)
    versioned = {spec.name for spec in request.images if spec.match is TagMatch.LATEST_VERSION}
    if missing & versioned:
        missing |= versioned
    return [spec for spec in request.images if spec.name in missing]
