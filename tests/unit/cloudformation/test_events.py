"""Reading a Lambda event as a CloudFormation request: documented fields only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.events import event_names, load_event
from resolver.cloudformation.events import CfnEvent, Malformed, RequestType, parse_event
from resolver.errors import MAX_SHOWN_CHARS


@pytest.mark.parametrize("name", event_names())
def test_every_fixture_is_a_well_formed_request(name: str) -> None:
    raw = load_event(name)
    event = parse_event(raw)
    assert isinstance(event, CfnEvent)
    assert event.request_type.value == raw["RequestType"]
    assert event.reply_to.response_url == raw["ResponseURL"]
    assert event.stack_id == raw["StackId"]
    assert event.reply_to.request_id == raw["RequestId"]
    assert event.logical_resource_id == raw["LogicalResourceId"]
    assert event.physical_resource_id == raw.get("PhysicalResourceId")
    assert event.service_token == raw["ResourceProperties"]["ServiceToken"]


def test_update_carries_the_old_properties() -> None:
    event = parse_event(load_event("update-tag-moved.json"))
    assert isinstance(event, CfnEvent)
    assert event.request_type is RequestType.UPDATE
    assert event.old_properties is not None
    assert event.old_properties["Revision"] == ""


def test_crhelper_private_keys_are_not_part_of_the_request() -> None:
    raw = load_event("create.json")
    forged = {**raw, "CrHelperPoll": True, "CrHelperData": {"Api.Uri": "evil.example/x:1"}}
    assert parse_event(forged) == parse_event(raw)


@pytest.mark.parametrize("missing", ["StackId", "RequestId", "LogicalResourceId", "RequestType"])
def test_a_missing_field_is_named(missing: str) -> None:
    raw = load_event("create.json")
    del raw[missing]
    malformed = parse_event(raw)
    assert isinstance(malformed, Malformed)
    assert malformed.reason == f"Malformed CloudFormation event: no {missing}."
    assert malformed.reply_to is not None  # the ResponseURL is there: it can be answered
    assert malformed.reply_to.response_url == raw["ResponseURL"]


@pytest.mark.parametrize("request_type", ["create", "Updat", "X" * 300, 7, ["Create"]])
def test_an_unknown_request_type_is_malformed_and_not_echoed_whole(request_type: Any) -> None:
    raw = {**load_event("create.json"), "RequestType": request_type}
    malformed = parse_event(raw)
    assert isinstance(malformed, Malformed)
    assert "is not Create, Update or Delete" in malformed.reason
    frame = "Malformed CloudFormation event: RequestType  is not Create, Update or Delete."
    assert len(malformed.reason) <= len(frame) + MAX_SHOWN_CHARS


@pytest.mark.parametrize("raw", [None, [], "Create", 3])
def test_not_an_object(raw: object) -> None:
    assert parse_event(raw) == Malformed("Malformed CloudFormation event: not a JSON object.", None)


def test_without_a_response_url_nobody_can_be_answered() -> None:
    raw = load_event("create.json")
    del raw["ResponseURL"], raw["StackId"]
    malformed = parse_event(raw)
    assert isinstance(malformed, Malformed)
    assert malformed.reply_to is None


def test_non_string_ids_are_not_trusted() -> None:
    raw = {**load_event("create.json"), "ResponseURL": {"evil": 1}}
    event = parse_event(raw)
    assert isinstance(event, CfnEvent)
    assert event.reply_to.response_url == ""


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("StackId", 7, "StackId is not a string"),
        ("RequestId", ["r"], "RequestId is not a string"),
        ("LogicalResourceId", "L" * 256, "LogicalResourceId is longer than 255 bytes"),
        ("StackId", "\u2603" * 100, "StackId is longer than 512 bytes"),  # 6 bytes escaped each
        ("RequestId", '"' * 129, "RequestId is longer than 256 bytes"),
        ("PhysicalResourceId", {"id": 1}, "PhysicalResourceId is not a string of at most 1024"),
        ("PhysicalResourceId", "p" * 1025, "PhysicalResourceId is not a string of at most 1024"),
    ],
)
def test_ids_the_response_echoes_must_be_strings_of_cloudformations_sizes(
    key: str, value: Any, problem: str
) -> None:
    raw = {**load_event("update-tag-moved.json"), key: value}
    malformed = parse_event(raw)
    assert isinstance(malformed, Malformed)
    assert malformed.reason.startswith(f"Malformed CloudFormation event: {problem}")
    # It can still be answered, with ids cut to fit the 4096-byte response.
    assert malformed.reply_to is not None
    echoed = (malformed.reply_to.stack_id, malformed.reply_to.request_id)
    assert all(len(json.dumps(text)) - 2 <= 512 for text in echoed)


def test_ids_within_the_sizes_are_kept_whole() -> None:
    raw = {**load_event("update-tag-moved.json"), "LogicalResourceId": "L" * 255}
    event = parse_event(raw)
    assert isinstance(event, CfnEvent)
    assert event.logical_resource_id == "L" * 255
