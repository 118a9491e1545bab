"""The built artifact, run the way Lambda runs it: the Runtime Interface Emulator from the SAM CLI
package, ``awslambdaric``, the ECR emulator and a response receiver, all on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit import sam
from devkit.ecr_emulator import running_emulator
from devkit.events import load_event
from devkit.receiver import ResponseReceiver
from devkit.rie import invoke, running_function
from devkit.seed import seed

from .conftest import require

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def function_url(built_function: Path) -> Iterator[tuple[str, ResponseReceiver]]:
    rie = require(sam.rie_binary)
    with running_emulator() as ecr, ResponseReceiver() as receiver:
        seed(ecr.client())
        seed(ecr.client("us-east-1"))  # the emulator's context puts the function in us-east-1
        environment = {**ecr.environment(), "IMAGE_RESOLVER_LOCAL": "true"}
        with running_function(built_function, rie=rie, environment=environment) as url:
            yield url, receiver


@pytest.mark.parametrize(
    ("name", "status"),
    [("create.json", "SUCCESS"), ("create-missing.json", "FAILED"), ("delete.json", "SUCCESS")],
)
def test_built_function_answers_cloudformation(
    function_url: tuple[str, ResponseReceiver], name: str, status: str
) -> None:
    url, receiver = function_url
    started = time.monotonic()
    invoke(url, load_event(name, response_url=receiver.url()))
    body = receiver.take(timeout=10).body
    assert body["Status"] == status, body["Reason"]
    # The resource's stable key: alone for a failed Create or a Delete, followed by the
    # resolved set for a Create that succeeded.
    assert body["PhysicalResourceId"].startswith("cloudtak-dev-Images-8de3296763")
    assert receiver.count() == 0
    if name == "create.json":
        assert body["Data"]["Api.Status"] == "Found"
        assert body["Data"]["Api.Uri"].startswith(
            "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/tak-dev-baseinfra-artifacts@sha256:"
        )
    if name == "delete.json":
        assert time.monotonic() - started < 1.0
