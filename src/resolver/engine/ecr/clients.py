"""The one place ECR clients are made: lazily, per registry, with bounded retries and timeouts.

A registry is read with the caller's own credentials (one client per region, kept for the
process) or, when its account has a ``RoleArn``, through that role (``roles``: assumed once per
invocation, its clients kept for the invocation only).

The endpoint is left to botocore's own settings (``AWS_ENDPOINT_URL_ECR`` / ``AWS_ENDPOINT_URL``),
so the same code talks to AWS, to the local emulator of ``make demo`` and to any tester's emulator.

It also says which regions have ECR (``ecr_regions``), from the same session's endpoint data:
validation asks before any client exists, and the first client then reuses what was loaded; and
``timed`` logs how long a call took, the one measure of ECR's latency the function keeps.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ... import __version__, partitions
from ...model import AssumedRole
from ...references import Registry
from .roles import DEFAULT_SESSION_NAME, RoleSessions, regional_sts

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


class _Shared:
    """What every view of one ``EcrClients`` shares for as long as it lives (a warm Lambda's
    whole life): the session of the caller's own credentials, and what is made from it."""

    def __init__(self, session: boto3.Session | None, caller: str | None) -> None:
        self.session = session
        self.caller = caller
        self.clients: dict[tuple[str, str], Any] = {}
        self.regions: dict[str, frozenset[str]] = {}
        # boto3 sessions are not thread-safe while creating clients.
        self.lock = threading.Lock()


@dataclass
class _Invocation:
    """What one invocation assumed: the roles' sessions and their ECR clients, per region."""

    sessions: RoleSessions
    clients: dict[tuple[AssumedRole, str], Any] = field(default_factory=dict)


class EcrClients:
    """Hands out the ECR client for a registry, created on first use (thread-safe).

    A registry whose account has a role (``with_roles``) is read through that role, assumed once
    per invocation (``roles``); every other registry with the caller's own credentials, whose
    clients are made once per region and kept. The rest of the engine asks for a registry's
    client and never sees a role.

    An explicit ``client`` wins over everything (tests, botocore ``Stubber``); otherwise clients
    come from ``session`` (default: a new boto3 session on first use) with ``config``. ``caller``
    names the caller's own principal in the words of a trust policy (the function's role ARN),
    for a refused AssumeRole; without it STS is asked who the caller is, then.
    """

    def __init__(
        self,
        *,
        session: boto3.Session | None = None,
        config: Config | None = None,
        client: Any | None = None,
        endpoint_url: str | None = None,
        caller: str | None = None,
    ) -> None:
        self._shared = _Shared(session, caller)
        self._config = DEFAULT_CONFIG.merge(config) if config else DEFAULT_CONFIG
        self._client = client
        # None leaves the endpoint to botocore's settings (AWS_ENDPOINT_URL_ECR, config files);
        # the CLI's --endpoint-url is the only caller that sets it.
        self._endpoint_url = endpoint_url
        self._roles: Mapping[str, AssumedRole] = {}  # by account id
        self._invocation: _Invocation | None = None

    # --- views ------------------------------------------------------------------------------

    def for_invocation(self, *, session_name: str) -> EcrClients:
        """A view for one invocation: the roles it assumes are kept by it alone, under
        ``session_name`` (``roles.session_name``), and forgotten with it."""
        view = copy.copy(self)
        view._roles = {}
        view._invocation = _Invocation(
            RoleSessions(sts=self._sts, name=session_name, caller=self._caller)
        )
        return view

    def with_roles(self, roles: Mapping[str, AssumedRole]) -> EcrClients:
        """A view that reads each account of ``roles`` through its role, sharing this view's
        assumed roles (a view made outside ``for_invocation`` keeps its own)."""
        shared = self._invocation is not None or not roles
        view = copy.copy(self if shared else self.for_invocation(session_name=DEFAULT_SESSION_NAME))
        view._roles = dict(roles)
        return view

    # --- clients ----------------------------------------------------------------------------

    @property
    def session(self) -> boto3.Session:
        """The session clients come from, for callers that need another service's client."""
        with self._shared.lock:
            if self._shared.session is None:
                self._shared.session = boto3.Session()
            return self._shared.session

    def for_registry(self, registry: Registry) -> Any:
        """The ECR client for ``registry``: through its account's role, if it has one.

        Raises ``RoleUnavailableError`` when that role could not be assumed (an ECR read turns
        it into the image's failure, like any other answer it could not get)."""
        if self._client is not None:
            return self._client
        role = self._roles.get(registry.account_id)
        if role is None or self._invocation is None:
            return self.client("ecr", registry.region, config=self._config)
        credentials = self._invocation.sessions.credentials(role)
        make: Any = self.session.client
        key = (role, registry.region)
        with self._shared.lock:
            if key not in self._invocation.clients:
                self._invocation.clients[key] = make(
                    "ecr",
                    region_name=registry.region,
                    config=self._config,
                    endpoint_url=self._endpoint_url,
                    **credentials.as_client_arguments(),
                )
            return self._invocation.clients[key]

    def client(self, service: str, region: str, *, config: Config) -> Any:
        """A client of ``service`` in ``region`` with the caller's own credentials (made on first
        use, then kept), from the same session and endpoint setting as the ECR clients: the one
        cache of such clients there is."""
        make: Any = self.session.client  # typed per service name; this one takes any
        with self._shared.lock:
            if (service, region) not in self._shared.clients:
                self._shared.clients[(service, region)] = make(
                    service, region_name=region, config=config, endpoint_url=self._endpoint_url
                )
            return self._shared.clients[(service, region)]

    def ecr_regions(self, partition: str) -> frozenset[str]:
        """The regions of ``partition`` where botocore knows an ECR endpoint.

        Read from botocore's bundled endpoint data (no AWS call), once per partition. The data is
        loaded into the session that makes the clients, so a client made afterwards costs no more
        than it would have.
        """
        session = self.session
        with self._shared.lock:
            if partition not in self._shared.regions:
                known = session.get_available_regions("ecr", partition_name=partition)
                self._shared.regions[partition] = frozenset(known)
            return self._shared.regions[partition]

    # --- STS, for the roles -------------------------------------------------------------------

    def _sts(self) -> Any:
        """STS in the caller's own region, through that region's endpoint (``roles``)."""
        session = self.session
        region = session.region_name or "us-east-1"  # botocore's own choice without a region
        make: Any = session.client
        with self._shared.lock:
            if ("sts", region) not in self._shared.clients:
                self._shared.clients[("sts", region)] = regional_sts(
                    partial(make, "sts", region_name=region, config=self._config),
                    region,
                    partitions.dns_suffix(partitions.partition_of_region(region)),
                    endpoint_url=self._endpoint_url,
                )
            return self._shared.clients[("sts", region)]

    def _caller(self) -> str:
        """The caller's own principal, for a refused AssumeRole: as given, else STS's answer."""
        if self._shared.caller is None:
            try:
                arn = str(self._sts().get_caller_identity()["Arn"])
            except (ClientError, BotoCoreError) as exc:
                return f"the caller's own principal (STS would not say which: {exc})"
            self._shared.caller = arn
        return self._shared.caller


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
