from __future__ import annotations

import json

import pytest

from resolver.cfn_response import MAX_BODY_BYTES, CfnResponse, Target, fit, target_for


def response(**overrides: object) -> CfnResponse:
    fields: dict[str, object] = {
        "status": "SUCCESS",
        "physical_resource_id": "stack-Images-0123456789",
        "stack_id": "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/s/6f1c2a10",
        "request_id": "5d1f0c2e-0001",
        "logical_resource_id": "Images",
    }
    fields.update(overrides)
    return CfnResponse(**fields)  # type: ignore[arg-type]


def test_small_response_is_sent_as_is() -> None:
    body = json.loads(fit(response(data={"Api.Uri": "x"})))
    assert body["Status"] == "SUCCESS"
    assert body["Data"] == {"Api.Uri": "x"}
    assert set(body) == {
        "Status",
        "Reason",
        "PhysicalResourceId",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "NoEcho",
        "Data",
    }


def test_oversized_data_becomes_failed_with_a_reason_that_says_why() -> None:
    data = {f"Image{i}.Uri": "x" * 100 for i in range(60)}
    raw = fit(response(data=data))
    body = json.loads(raw)
    assert len(raw) <= MAX_BODY_BYTES
    assert body["Status"] == "FAILED"
    assert body["Data"] == {}
    assert "4096-byte limit" in body["Reason"]
    assert "Attributes" in body["Reason"]


@pytest.mark.parametrize("char", ["a", "é", '"', "\n", "\u2603"])
def test_long_reason_keeps_its_beginning_and_fits(char: str) -> None:
    reason = "START " + char * 9000 + " END"
    raw = fit(response(status="FAILED", reason=reason))
    body = json.loads(raw)
    assert len(raw) <= MAX_BODY_BYTES
    assert body["Reason"].startswith("START ")
    assert body["Reason"].endswith("[truncated; the full reason is in the function's log]")
    assert " END" not in body["Reason"]
    # It uses the room there is rather than cutting to a tiny fixed size.
    assert len(raw) > MAX_BODY_BYTES - 64


@pytest.mark.parametrize(
    ("url", "local", "target"),
    [
        (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig",
            False,
            Target.SEND,
        ),
        (
            "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x",
            False,
            Target.SEND,
        ),
        (
            "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
            False,
            Target.REFUSE,
        ),
        ("https://evil.example.com/x", False, Target.REFUSE),
        (
            "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/x",
            False,
            Target.SEND,
        ),
        ("https://my-own-bucket.s3.amazonaws.com/x", False, Target.REFUSE),
        ("https://my-alb-1234.us-east-1.elb.amazonaws.com/x", False, Target.REFUSE),
        (
            "https://cloudformation-custom-resource-response-x.execute-api.us-east-1.amazonaws.com/",
            False,
            Target.REFUSE,
        ),
        ("https://amazonaws.com.evil.example/x", False, Target.REFUSE),
        ("http://127.0.0.1:8080/r", False, Target.REFUSE),
        ("http://127.0.0.1:8080/r", True, Target.SEND),
        ("http://[::1]:8080/r", True, Target.SEND),
        ("http://localhost:8080/r", True, Target.SEND),
        (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
            True,
            Target.PRINT,
        ),
        ("http://10.0.0.1/r", True, Target.PRINT),
        ("", True, Target.PRINT),
        ("", False, Target.REFUSE),
    ],
)
def test_response_url_policy(url: str, local: bool, target: Target) -> None:
    assert target_for(url, local=local) is target
