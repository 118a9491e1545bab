"""Partitions come from botocore's partition data, loaded once, on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.loaders import create_loader

from resolver import partitions

# What botocore itself says (its data file, read independently of the module under test).
BOTOCORE = create_loader().load_data("partitions")["partitions"]
# Every real region botocore lists, with its partition: the "<partition>-global" entries are
# botocore's pseudo-regions for global endpoints, never a registry's region.
LISTED = [
    (region, entry["id"])
    for entry in BOTOCORE
    for region in entry["regions"]
    if not region.endswith("-global")
]


def test_every_partition_botocore_knows_is_known_in_its_order() -> None:
    assert [p.id for p in partitions.known()] == [entry["id"] for entry in BOTOCORE]
    assert {p.id: p.dns_suffix for p in partitions.known()} == {
        entry["id"]: entry["outputs"]["dnsSuffix"] for entry in BOTOCORE
    }


@pytest.mark.parametrize(
    ("partition", "suffix"),
    [
        ("aws", "amazonaws.com"),
        ("aws-cn", "amazonaws.com.cn"),
        ("aws-us-gov", "amazonaws.com"),
        ("aws-iso", "c2s.ic.gov"),
        ("aws-iso-b", "sc2s.sgov.gov"),
        ("aws-iso-e", "cloud.adc-e.uk"),
        ("aws-iso-f", "csp.hci.ic.gov"),
        ("aws-eusc", "amazonaws.eu"),
    ],
)
def test_the_partitions_the_resolver_was_asked_for_and_their_dns_suffixes(
    partition: str, suffix: str
) -> None:
    assert partitions.dns_suffix(partition) == suffix


@pytest.mark.parametrize(("region", "partition"), LISTED)
def test_every_listed_region_belongs_to_its_partition(region: str, partition: str) -> None:
    assert partitions.partition_of_region(region) == partition


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        # Not (yet) listed, but matched by the partition's regionRegex, as botocore matches them.
        ("ap-southeast-99", "aws"),
        ("cn-southwest-2", "aws-cn"),
        ("us-gov-north-7", "aws-us-gov"),
        ("us-iso-north-3", "aws-iso"),
        ("us-isob-southwest-12", "aws-iso-b"),
        ("eu-isoe-north-2", "aws-iso-e"),
        ("us-isof-southeast-10", "aws-iso-f"),
        ("eusc-de-west-2", "aws-eusc"),
    ],
)
def test_regions_botocore_does_not_list_yet_follow_the_partitions_region_regex(
    region: str, partition: str
) -> None:
    assert partitions.partition_of_region(region) == partition


@pytest.mark.parametrize("region", ["xx-fake-1", "eusc-fr-east-1", "us-east-1\n", ""])
def test_a_region_no_partition_claims_gets_botocores_default(region: str) -> None:
    assert partitions.of_region(region) is None
    assert partitions.partition_of_region(region) == "aws"


def test_an_unknown_partition_is_refused_naming_the_known_ones() -> None:
    assert partitions.named("aws-xx") is None
    with pytest.raises(LookupError) as raised:
        partitions.dns_suffix("aws-xx")
    assert str(raised.value) == (
        f"unknown partition 'aws-xx' (botocore knows {', '.join(e['id'] for e in BOTOCORE)})"
    )


def test_the_data_is_read_on_first_use_not_at_import() -> None:
    # Import is the Lambda's cold start, and `resolver --help` must not import botocore at all.
    code = (
        "import sys\n"
        "import resolver.partitions, resolver.references, resolver.cloudformation.delivery\n"
        "print(resolver.partitions.known.cache_info().currsize)\n"
        "import resolver.partitions as p\n"
        "p.partition_of_region('ap-southeast-2'); p.dns_suffix('aws')\n"
        "print(p.known.cache_info().misses)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["0", "1"]  # nothing at import, then one load for any number of questions
    alone = "import sys, resolver.partitions; print('botocore' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", alone], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
