"""Reading whether a stack is rolling back: one bounded attempt, "unknown" when it cannot."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from resolver.cloudformation.stack_status import StackStatus
from resolver.engine import Deadline
from resolver.engine.ecr.clients import EcrClients

STACK = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/consumer/6f1c2a10"


@pytest.fixture
def stubbed() -> Iterator[tuple[StackStatus, Stubber]]:
    clients = EcrClients(session=boto3.Session())
    reader = StackStatus(clients=clients)
    # The one it will use, stubbed: the shared cache hands the same client out again.
    client = clients.client("cloudformation", "ap-southeast-2", config=Config())
    with Stubber(client) as stubber:
        yield reader, stubber


def answer(status: str) -> dict[str, object]:
    return {
        "Stacks": [
            {
                "StackName": "consumer",
                "StackId": STACK,
                "CreationTime": "2026-11-26T08:15:00Z",
                "StackStatus": status,
            }
        ]
    }


@pytest.mark.parametrize(
    ("status", "rolling_back"),
    [("UPDATE_ROLLBACK_IN_PROGRESS", True), ("UPDATE_IN_PROGRESS", False)],
)
def test_the_status_decides(
    stubbed: tuple[StackStatus, Stubber], status: str, rolling_back: bool
) -> None:
    reader, stubber = stubbed
    stubber.add_response("describe_stacks", answer(status), {"StackName": STACK})
    assert reader.rolling_back(STACK, deadline=Deadline.after(10)) is rolling_back


def test_an_error_is_unknown_not_false(stubbed: tuple[StackStatus, Stubber]) -> None:
    reader, stubber = stubbed
    stubber.add_client_error("describe_stacks", "AccessDenied", "not allowed")
    assert reader.rolling_back(STACK, deadline=Deadline.after(10)) is None


def test_no_time_left_is_unknown_without_a_call(stubbed: tuple[StackStatus, Stubber]) -> None:
    reader, _ = stubbed  # no answer queued: a call would fail the stubber
    assert reader.rolling_back(STACK, deadline=Deadline.after(0)) is None


def test_a_stack_id_without_a_region_is_unknown() -> None:
    reader = StackStatus(clients=EcrClients(session=boto3.Session()))
    assert reader.rolling_back("not-an-arn", deadline=Deadline.after(10)) is None
