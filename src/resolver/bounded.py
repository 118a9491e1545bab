"""Run independent AWS calls concurrently, under one deadline.

Every ECR read the resolver makes fans out the same way: a few calls (one per repository, per
100 ids, per image scanned) that do not depend on each other. This is the one place that owns
the thread pool and the deadline, so no caller waits past the Lambda's remaining time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_CONCURRENCY = 16  # calls in flight at once: well under ECR's quotas and botocore's pool


def run_all(jobs: Sequence[Callable[[], T]], *, deadline: float | None) -> list[T | None]:
    """Each job's result, in order; ``None`` for a job still running at ``deadline``.

    ``deadline`` is a ``time.monotonic()`` value; ``None`` waits as long as the jobs take (their
    own botocore timeouts still bound them). A job still running at the deadline is abandoned on
    a daemon thread: it can neither hold up the response nor keep a CLI process alive. An
    exception in a job is raised here, in the caller's thread.
    """
    if not jobs:
        return []
    done: queue.Queue[tuple[int, T | None, BaseException | None]] = queue.Queue()
    slots = threading.BoundedSemaphore(MAX_CONCURRENCY)

    def run(index: int, job: Callable[[], T]) -> None:
        with slots:
            try:
                done.put((index, job(), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                done.put((index, None, exc))

    for index, job in enumerate(jobs):
        threading.Thread(target=run, args=(index, job), daemon=True, name=f"ecr-{index}").start()
    results: list[T | None] = [None] * len(jobs)
    for _ in jobs:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            index, value, error = done.get(timeout=timeout)
        except queue.Empty:
            break
        if error is not None:
            raise error
        results[index] = value
    return results
