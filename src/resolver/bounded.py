"""Run independent AWS calls concurrently, under one deadline.

Every ECR read the resolver makes fans out the same way: a few calls (one per repository, per
100 ids, per image scanned) that do not depend on each other. This is the one place that owns
the thread pool and the deadline, so no caller waits past the Lambda's remaining time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")

MAX_CONCURRENCY = 16


def run_all(jobs: Sequence[Callable[[], T]], *, deadline: float | None) -> list[T | None]:
    """Each job's result, in order; ``None`` for a job still running at ``deadline``.

    ``deadline`` is a ``time.monotonic()`` value; ``None`` waits as long as the jobs take (their
    own botocore timeouts still bound them). Unfinished jobs are abandoned, not joined.
    """
    if not jobs:
        return []
    pool = ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(jobs)))
    try:
        futures = [pool.submit(job) for job in jobs]
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        wait(futures, timeout=timeout)
        return [future.result() if future.done() else None for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
