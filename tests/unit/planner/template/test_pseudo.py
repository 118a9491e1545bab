"""The AWS:: pseudo parameters."""

from __future__ import annotations

import pytest

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
