from __future__ import annotations

import json

import pytest

from resolver.cloudformation.events import ReplyTo
from resolver.cloudformation.response import (
    MAX_BODY_BYTES,
    MAX_REASON_CHARS,
    CfnResponse,
    Status,
    encode,
)

REPLY_TO = ReplyTo(
    response_url="https://example.invalid/r",
    stack_id="arn:aws:cloudformation:ap-southeast-2:123456789012:stack/s/6f1c2a10",
    request_id="5d1f0c2e-0001",
    logical_resource_id="Images",
)


def response(**overrides: object) -> CfnResponse:
    fields: dict[str, object] = {
        "status": Status.SUCCESS,
        "physical_resource_id": "stack-Images-0123456789",
        "reply_to": REPLY_TO,
    }
    fields.update(overrides)
    return CfnResponse(**fields)  # type: ignore[arg-type]


def test_small_response_is_sent_as_is() -> None:
    body = json.loads(encode(response(data={"Api.Uri": "x"})))
    assert body["Status"] == "SUCCESS"
    assert body["Data"] == {"Api.Uri": "x"}
    assert body["StackId"] == REPLY_TO.stack_id
    assert body["RequestId"] == REPLY_TO.request_id
    assert body["LogicalResourceId"] == "Images"
    # Reason (required only on FAILED) and NoEcho (false by default) say nothing here: their
    # bytes are left to Data.
    assert set(body) == {
        "Status",
        "PhysicalResourceId",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "Data",
    }
    failed = json.loads(encode(CfnResponse.failed(REPLY_TO, "id", "why")))
    assert failed["Reason"] == "why" and "NoEcho" not in failed


def test_oversized_data_becomes_failed_with_a_reason_that_says_why() -> None:
    data = {f"Image{i}.Uri": "x" * 100 for i in range(60)}
    raw = encode(response(data=data))
    body = json.loads(raw)
    assert len(raw) <= MAX_BODY_BYTES
    assert body["Status"] == "FAILED"
    assert body["Data"] == {}
    assert "4096-byte limit" in body["Reason"]
    assert "Attributes" in body["Reason"]


@pytest.mark.parametrize("char", ["a", "é", '"', "\n", "\u2603"])
def test_long_reason_keeps_its_beginning_and_fits(char: str) -> None:
    reason = "START " + char * 9000 + " END"
    raw = encode(response(status=Status.FAILED, reason=reason))
    body = json.loads(raw)
    assert len(raw) <= MAX_BODY_BYTES
    assert body["Reason"].startswith("START ")
    assert body["Reason"].endswith("[truncated; the full reason is in the function's log]")
    assert " END" not in body["Reason"]
    assert len(body["Reason"]) <= MAX_REASON_CHARS
    # It uses the room there is: all 1,000 characters, or as many escaped ones as 4096 bytes hold.
    assert len(body["Reason"]) == MAX_REASON_CHARS or len(raw) > MAX_BODY_BYTES - 64


@pytest.mark.parametrize("length", [MAX_REASON_CHARS + 1, 2000, 4000])
def test_a_reason_that_would_fit_the_body_is_still_cut_to_1000_characters(length: int) -> None:
    reason = "Images.Api.Repository: " + "r" * length
    body = json.loads(encode(response(status=Status.FAILED, reason=reason)))
    assert len(body["Reason"]) == MAX_REASON_CHARS
    assert body["Reason"].startswith("Images.Api.Repository: rrr")
    assert body["Reason"].endswith("[truncated; the full reason is in the function's log]")


def test_a_reason_of_1000_characters_is_kept_whole() -> None:
    reason = "x" * MAX_REASON_CHARS
    assert json.loads(encode(response(status=Status.FAILED, reason=reason)))["Reason"] == reason
