"""The one place ECR clients are made: lazily, per region, with bounded retries and timeouts.

The endpoint is left to botocore's own settings (``AWS_ENDPOINT_URL_ECR`` / ``AWS_ENDPOINT_URL``),
so the same code talks to AWS, to the local emulator of ``make demo`` and to any tester's emulator.

It also says which regions have ECR (``ecr_regions``), from the same session's endpoint data:
validation asks before any client exists, and the first client then reuses what was loaded; and
``timed`` logs how long a call took, the one measure of ECR's latency the function keeps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

from ... import __version__

# Standard retry mode: exponential backoff with jitter on throttling and transient errors, with
# a retry quota. The caller's deadline (the Lambda's remaining time) bounds the total wait.
DEFAULT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},  # first try + 4 retries
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=16,
    user_agent_extra=f"ecr-image-resolver/{__version__}",
)


def bounded_config(*, connect_timeout: int, read_timeout: int, max_attempts: int) -> Config:
    """A ``Config`` with other bounds, for callers someone watches (the CLI): merged with
    ``EcrClients``' own, or used alone for another service's client."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )


class EcrClients:
    """Hands out one ECR client per region, created on first use (thread-safe).

    An explicit ``client`` wins over everything (tests, botocore ``Stubber``); otherwise clients
    come from ``session`` (default: a new boto3 session on first use) with ``config``.
    """

    def __init__(
        self,
        *,
        session: boto3.Session | None = None,
        config: Config | None = None,
        client: Any | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self._session = session
        self._config = DEFAULT_CONFIG.merge(config) if config else DEFAULT_CONFIG
        self._client = client
        # None leaves the endpoint to botocore's settings (AWS_ENDPOINT_URL_ECR, config files);
        # the CLI's --endpoint-url is the only caller that sets it.
        self._endpoint_url = endpoint_url
        self._by_region: dict[tuple[str, str], Any] = {}
        self._regions: dict[str, frozenset[str]] = {}
        # boto3 sessions are not thread-safe while creating clients.
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        """The session clients come from, for callers that need another service's client."""
        with self._lock:
            if self._session is None:
                self._session = boto3.Session()
            return self._session

    def for_region(self, region: str) -> Any:
        """The ECR client for ``region``."""
        if self._client is not None:
            return self._client
        return self.client("ecr", region, config=self._config)

    def client(self, service: str, region: str, *, config: Config) -> Any:
        """A client of ``service`` in ``region`` (made on first use, then kept), from the same
        session and endpoint setting as the ECR clients: the one cache of clients there is."""
        make: Any = self.session.client  # typed per service name; this one takes any
        with self._lock:
            if (service, region) not in self._by_region:
                self._by_region[(service, region)] = make(
                    service, region_name=region, config=config, endpoint_url=self._endpoint_url
                )
            return self._by_region[(service, region)]

    def ecr_regions(self, partition: str) -> frozenset[str]:
        """The regions of ``partition`` where botocore knows an ECR endpoint.

        Read from botocore's bundled endpoint data (no AWS call), once per partition. The data is
        loaded into the session that makes the clients, so a client made afterwards costs no more
        than it would have.
        """
        session = self.session
        with self._lock:
            if partition not in self._regions:
                known = session.get_available_regions("ecr", partition_name=partition)
                self._regions[partition] = frozenset(known)
            return self._regions[partition]


@contextmanager
def timed(logger: logging.Logger, operation: str, **fields: object) -> Iterator[dict[str, object]]:
    """Log ``operation`` at DEBUG when the block ends, however it ends, with its duration and
    ``fields`` — which the block may add to (pages read, say)."""
    started = time.perf_counter()
    try:
        yield fields
    finally:
        elapsed = round((time.perf_counter() - started) * 1000)
        logger.debug(operation, extra={**fields, "ms": elapsed})
