"""``WaitSeconds``: poll for missing images, because CI may still be pushing them.

The budget counts the time slept; each sleep also leaves room for another round of calls before
the deadline. A round that fails (a timeout, say) ends the wait with the last definite answer
rather than turning it into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..errors import LookupFailedError
from ..model import ImageResult, ImageSpec, ResolveRequest, TagMatch
from .fanout import Deadline
from .lookup import Round

logger = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 15.0

LookUp = Callable[[Sequence[ImageSpec]], Round]


def wait_for_missing(
    request: ResolveRequest,
    first: Round,
    *,
    look_up: LookUp,
    deadline: Deadline,
    round_seconds: float,
) -> Round:
    """Look for missing images again, with backoff, until they are found or time is up."""
    latest = first
    slept, delay = 0.0, FIRST_DELAY_SECONDS
    clock = deadline.clock
    while True:
        waiting = _waiting(request, latest.results)
        reserve = max(1.0, 2 * round_seconds)
        if (
            not waiting
            or slept + delay > request.wait_seconds
            or not deadline.allows_sleep(delay, then=reserve)
        ):
            return latest
        logger.info("Waiting for missing images", extra={"images": [s.name for s in waiting]})
        clock.sleep(delay)
        slept, delay = slept + delay, min(delay * 1.5, MAX_DELAY_SECONDS)
        started = clock.monotonic()
        try:
            again = look_up(waiting)
        except LookupFailedError as exc:
            logger.warning("Stopped waiting: ECR did not answer", extra={"reason": str(exc)})
            return latest
        round_seconds = clock.monotonic() - started
        chose_version = any(spec.match is TagMatch.LATEST_VERSION for spec in waiting)
        latest = Round(
            results={**latest.results, **again.results},
            calls=latest.calls + again.calls,
            version=again.version if chose_version else latest.version,
        )


def _waiting(request: ResolveRequest, results: dict[str, ImageResult]) -> list[ImageSpec]:
    """The images to look for again. ``Version: latest`` images are looked for together, so a
    newly complete version is used for all of them, never half."""
    missing = {spec.name for spec in request.images if results[spec.name].build_required}
    latest = {spec.name for spec in request.images if spec.match is TagMatch.LATEST_VERSION}
    if missing & latest:
        missing |= latest
    return [spec for spec in request.images if spec.name in missing]
