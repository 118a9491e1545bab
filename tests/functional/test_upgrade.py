"""Stacks 0.2.0 created keep updating, rolling back and deleting cleanly with this version.

Each fixture in ``tests/fixtures/v0.2.0`` is what CloudFormation recorded when the real 0.2.0
Lambda answered a Create (``python -m devkit.legacy`` regenerates them from git): its properties,
PhysicalResourceId and attributes. The same images are pushed again here (their digests follow
from the manifests), and this version's handler is driven by the CloudFormation stand-in over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devkit.cloudformation import Resource, Stack, StatusServer
from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.legacy import FIXTURES, REPOSITORY
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.app import handler
from resolver.cloudformation.physical_id import RecordKind, parse

from .conftest import Ecr

NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(params=NAMES)
def legacy(
    request: pytest.FixtureRequest,
    ecr: Ecr,
    stacks: StatusServer,
    receiver: ResponseReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """A stack holding the resource as 0.2.0 created it, its images in ECR again."""
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    recorded = fixture(request.param)
    ensure_repository(ecr.client(), REPOSITORY)
    for tag, seed in recorded["pushed"].items():
        push(ecr.client(), REPOSITORY, tag, manifest(seed))
    stack = Stack(handler=handler, receiver=receiver, name="cloudtak-dev")
    stack.stack_id = recorded["stackId"]
    stack.resource = Resource(
        recorded["properties"], recorded["physicalResourceId"], recorded["attributes"]
    )
    stack.status = "CREATE_COMPLETE"
    yield stacks.add(stack), recorded


def test_the_fixtures_are_what_0_2_0_answered() -> None:
    assert NAMES == [
        "exact-tags",
        "pattern-and-digest",
        "revision-with-a-newline",
        "too-many-to-record",
    ]
    for name in NAMES:
        recorded = fixture(name)
        assert recorded["release"] == "516e726"
        assert ":r1:" in recorded["physicalResourceId"]
        assert "RollbackRecord" not in recorded["attributes"]  # 0.2.0 had no such attribute


def test_an_update_moves_to_this_versions_id_and_the_old_one_is_deleted_cleanly(
    legacy: tuple[Stack, dict[str, Any]], ecr: Ecr
) -> None:
    stack, recorded = legacy
    for tag in recorded["pushed"]:
        ecr.emulator.move_tag(REPOSITORY, tag, manifest(f"{tag}:rebuilt"))
    mark = len(stack.calls)
    assert stack.update({**recorded["properties"], "Revision": "after the upgrade"}) == (
        "UPDATE_COMPLETE"
    )
    update, cleanup = stack.calls_since(mark)
    assert update.status == "SUCCESS"
    assert update.answer["PhysicalResourceId"] != recorded["physicalResourceId"]
    assert parse(update.answer["PhysicalResourceId"]) is not None
    assert set(recorded["attributes"]) <= set(stack.attributes())  # every old key is still there
    assert (cleanup.request_type, cleanup.status) == ("Delete", "SUCCESS")
    assert cleanup.event["PhysicalResourceId"] == recorded["physicalResourceId"]


def test_a_failed_update_rolls_back_to_what_0_2_0_deployed(
    legacy: tuple[Stack, dict[str, Any]], ecr: Ecr
) -> None:
    stack, recorded = legacy
    exact = parse(recorded["physicalResourceId"])
    assert exact is not None
    if exact.kind is RecordKind.FULL:  # where 0.2.0 recorded the set, the tags may move on
        for tag in recorded["pushed"]:
            ecr.emulator.move_tag(REPOSITORY, tag, manifest(f"{tag}:rebuilt"))
    images = {**recorded["properties"]["Images"], "Extra": {"Tag": "never-pushed"}}
    mark = len(stack.calls)
    assert stack.update({**recorded["properties"], "Images": images}) == (
        "UPDATE_ROLLBACK_COMPLETE"
    )
    update, back = stack.calls_since(mark)
    assert update.status == "FAILED"
    assert back.event["PhysicalResourceId"] == recorded["physicalResourceId"]
    assert (back.status, back.answer["PhysicalResourceId"]) == (
        "SUCCESS",
        recorded["physicalResourceId"],
    )
    after = stack.attributes()
    assert {key: after[key] for key in recorded["attributes"]} == recorded["attributes"]


def test_a_stack_delete_succeeds(legacy: tuple[Stack, dict[str, Any]]) -> None:
    stack, recorded = legacy
    assert stack.delete() == "DELETE_COMPLETE"
    assert stack.calls[-1].event["PhysicalResourceId"] == recorded["physicalResourceId"]
