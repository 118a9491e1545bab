"""The AWS:: pseudo parameters."""

from __future__ import annotations

from resolver.planner.template import (
    PseudoParameters,
)


def test_pseudo_parameters_for_a_china_region() -> None:
    pseudo = PseudoParameters.for_region("cn-north-1", account_id="111122223333")
    assert (pseudo.partition, pseudo.url_suffix) == ("aws-cn", "amazonaws.com.cn")
    assert pseudo.values()["AWS::StackId"].startswith(
        "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/stack/"
    )
    assert PseudoParameters.for_region("eu-west-1").partition == "aws"
