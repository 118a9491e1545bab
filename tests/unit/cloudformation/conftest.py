"""ECR for the handler's unit tests: a client answered by botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def stubber() -> Iterator[Stubber]:
    client = boto3.Session().client("ecr", region_name="ap-southeast-2")
    with Stubber(client) as stub:
        stub.client = client
        yield stub
