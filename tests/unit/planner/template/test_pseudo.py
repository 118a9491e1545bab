"""The AWS:: pseudo parameters."""

from __future__ import annotations

import pytest

from resolver.errors import TemplateError
from resolver.planner.template import (
    PseudoParameters,
)
from resolver.planner.template.pseudo import Unknown, check_stack_name


def test_pseudo_parameters_for_a_china_region() -> None:
    pseudo = PseudoParameters.for_region("cn-north-1", account_id="111122223333")
    assert (pseudo.partition, pseudo.url_suffix) == ("aws-cn", "amazonaws.com.cn")
    assert PseudoParameters.for_region("eu-west-1").partition == "aws"


def test_the_stack_name_is_the_given_one_and_unknown_without_one() -> None:
    named = PseudoParameters.for_region("ap-southeast-2", stack_name="tak-prod").values()
    assert named["AWS::StackName"] == "tak-prod"
    unnamed = PseudoParameters.for_region("ap-southeast-2").values()
    assert isinstance(unnamed["AWS::StackName"], Unknown)
    # Its UUID is drawn at create time: never known offline, named or not.
    assert isinstance(named["AWS::StackId"], Unknown)


@pytest.mark.parametrize("name", ["tak-prod", "T", "a" * 128])
def test_stack_names_cloudformation_accepts(name: str) -> None:
    assert check_stack_name(name, "--stack-name") == name


@pytest.mark.parametrize("name", ["", "1tak", "tak_prod", "tak prod", "a" * 129, None])
def test_stack_names_cloudformation_refuses(name: str | None) -> None:
    with pytest.raises(TemplateError, match=r"^--stack-name: .* is not a stack name"):
        check_stack_name(name, "--stack-name")


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("us-gov-east-1", "aws-us-gov", "amazonaws.com"),
        ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
        ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
        ("eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"),
        ("us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"),
        ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"),
        ("xx-fake-1", "aws", "amazonaws.com"),  # botocore's default for a region it cannot place
    ],
)
def test_partition_and_url_suffix_come_from_botocores_partition_data(
    region: str, partition: str, suffix: str
) -> None:
    values = PseudoParameters.for_region(region).values()
    assert (values["AWS::Partition"], values["AWS::URLSuffix"]) == (partition, suffix)
