"""Real parts over loopback HTTP: moto's ECR server, a fault/latency proxy in front of it, a
receiver standing in for CloudFormation's response bucket, and a CloudFormation stand-in that
answers DescribeStacks."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devkit.cloudformation import StatusServer
from devkit.ecr_emulator import EcrEmulator
from devkit.ecr_proxy import EcrProxy
from devkit.receiver import ResponseReceiver
from devkit.seed import seed
from resolver.engine.ecr.clients import EcrClients


@dataclass
class Ecr:
    emulator: EcrEmulator
    proxy: EcrProxy

    def client(self, region: str = "ap-southeast-2") -> Any:
        """A direct client to the emulator, for arranging state (not counted by the proxy)."""
        return self.emulator.client(region)

    def calls(self, operation: str = "BatchGetImage") -> int:
        return self.proxy.calls[operation]


@pytest.fixture(scope="session")
def ecr_servers() -> Iterator[tuple[EcrEmulator, EcrProxy]]:
    emulator = EcrEmulator().start()
    with EcrProxy(emulator.endpoint) as proxy:
        yield emulator, proxy
    emulator.stop()


@pytest.fixture(scope="session")
def status_server() -> Iterator[StatusServer]:
    with StatusServer() as server:
        yield server


@pytest.fixture
def stacks(status_server: StatusServer) -> Iterator[StatusServer]:
    """CloudFormation's DescribeStacks for the stacks a test adds, nothing stalled."""
    status_server.reset()
    yield status_server
    status_server.reset()


@pytest.fixture
def ecr(
    ecr_servers: tuple[EcrEmulator, EcrProxy],
    stacks: StatusServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Ecr:
    """A fresh, empty emulator reached through the proxy via botocore's standard endpoint setting,
    for ECR and for STS (the roles images are read through).

    CloudFormation's endpoint is the stand-in: the handler module keeps its clients for the whole
    session (as a warm Lambda does), so every test points it at the same server.
    """
    emulator, proxy = ecr_servers
    reset = urllib.request.Request(f"{emulator.endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=5).close()
    proxy.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", proxy.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", stacks.endpoint)
    return Ecr(emulator, proxy)


@pytest.fixture
def seeded(ecr: Ecr) -> Ecr:
    """The emulator holding the images of ``events/`` (``devkit.seed``), calls not yet counted."""
    seed(ecr.client())
    ecr.proxy.reset()
    return ecr


@pytest.fixture
def clients(ecr: Ecr) -> EcrClients:
    """Clients as the resolver makes them, in a fresh session that sees the test's endpoint."""
    return EcrClients(session=boto3.Session())


@pytest.fixture
def receiver() -> Iterator[ResponseReceiver]:
    with ResponseReceiver() as server:
        yield server
