"""Where a response may go, and how a PUT is bounded."""

from __future__ import annotations

import pytest

from resolver.cloudformation.delivery import Target, target_for


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
