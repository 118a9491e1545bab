"""ECR for engine unit tests: a real client answered by botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from resolver.engine.ecr.clients import EcrClients


@pytest.fixture
def ecr() -> Iterator[tuple[EcrClients, Stubber]]:
    """Clients whose every call must have been queued on the stubber, and all of them used."""
    client = boto3.Session().client("ecr", region_name="ap-southeast-2")
    with Stubber(client) as stubber:
        yield EcrClients(client=client), stubber
        stubber.assert_no_pending_responses()
