from __future__ import annotations

import pytest

from resolver import partitions
from resolver.references import ImageRef, InvalidReferenceError, Registry, parse_repository

HOME = Registry("123456789012", "ap-southeast-2")


@pytest.mark.parametrize(
    ("text", "account", "region", "partition", "name", "host"),
    [
        (
            "app",
            "123456789012",
            "ap-southeast-2",
            "aws",
            "app",
            "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com",
        ),
        ("team/etl-tasks", "123456789012", "ap-southeast-2", "aws", "team/etl-tasks", None),
        (
            "arn:aws:ecr:us-west-2:210987654321:repository/team/app",
            "210987654321",
            "us-west-2",
            "aws",
            "team/app",
            "210987654321.dkr.ecr.us-west-2.amazonaws.com",
        ),
        (
            "210987654321.dkr.ecr.eu-west-1.amazonaws.com/a/b/c",
            "210987654321",
            "eu-west-1",
            "aws",
            "a/b/c",
            None,
        ),
        (
            "arn:aws-cn:ecr:cn-north-1:210987654321:repository/app",
            "210987654321",
            "cn-north-1",
            "aws-cn",
            "app",
            "210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn",
        ),
        (
            "210987654321.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app",
            "210987654321",
            "cn-northwest-1",
            "aws-cn",
            "app",
            "210987654321.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
        ),
        (
            "arn:aws-us-gov:ecr:us-gov-west-1:210987654321:repository/app",
            "210987654321",
            "us-gov-west-1",
            "aws-us-gov",
            "app",
            None,
        ),
    ],
)
def test_repository_forms_parse_to_one_qualified_value(
    text: str, account: str, region: str, partition: str, name: str, host: str | None
) -> None:
    repo = parse_repository(text, default=HOME)
    assert (repo.registry.account_id, repo.registry.region, repo.registry.partition, repo.name) == (
        account,
        region,
        partition,
        name,
    )
    if host:
        assert repo.registry.host == host
    # ARN and URI forms round-trip to the same value.
    assert parse_repository(repo.arn, default=None) == repo
    assert parse_repository(repo.uri, default=None) == repo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:ecr:us-east-1:123:repository/app", "not an ECR repository ARN"),
        ("arn:aws:s3:::bucket", "not an ECR repository ARN"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest", "image URI, not a repository"),
        ("public.ecr.aws.amazonaws.com/app", "not an ECR repository URI"),
        ("app:latest", "looks like an image reference"),
        ("App", "which ECR does not allow"),
        ("a", "which ECR does not allow"),
        ("team//app", "which ECR does not allow"),
    ],
)
def test_bad_repository_references_say_what_was_expected(text: str, expected: str) -> None:
    with pytest.raises(InvalidReferenceError, match=expected):
        parse_repository(text, default=HOME)


def test_bare_name_without_a_known_account_is_an_error() -> None:
    with pytest.raises(InvalidReferenceError, match="use the repository ARN or URI"):
        parse_repository("app", default=None)


def test_registry_from_lambda_arn() -> None:
    arn = "arn:aws-cn:lambda:cn-north-1:210987654321:function:image-resolver"
    assert Registry.from_lambda_arn(arn) == Registry("210987654321", "cn-north-1", "aws-cn")
    assert Registry.from_lambda_arn("not-an-arn") is None


def test_image_ref_uris() -> None:
    repo = parse_repository("team/app", default=HOME)
    tagged = ImageRef(repo, tag="v1")
    assert tagged.tag_uri == "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/team/app:v1"
    assert tagged.pinned_uri("sha256:" + "a" * 64).endswith("/team/app@sha256:" + "a" * 64)
    assert ImageRef(repo, digest="sha256:" + "b" * 64).tag_uri == ""
    with pytest.raises(ValueError, match="exactly one"):
        ImageRef(repo, tag="v1", digest="sha256:" + "b" * 64)


# --- every partition botocore knows -------------------------------------------------------------

# Every real region botocore lists, in every partition (the longest names included).
REGIONS = [
    (region, partition.id)
    for partition in partitions.known()
    for region in sorted(partition.regions)
    if not region.endswith("-global")
]
LONGEST = max(len(region) for region, _ in REGIONS)


@pytest.mark.parametrize(("region", "partition"), REGIONS)
def test_every_region_of_every_partition_parses_in_every_form(region: str, partition: str) -> None:
    suffix = partitions.dns_suffix(partition)
    host = f"210987654321.dkr.ecr.{region}.{suffix}"
    for text in (
        f"arn:{partition}:ecr:{region}:210987654321:repository/team/app",
        f"{host}/team/app",
        f"https://{host}/team/app",
        f"210987654321.dkr.ecr-fips.{region}.{suffix}/team/app",
    ):
        repo = parse_repository(text, default=None)
        assert repo.registry == Registry("210987654321", region, partition), text
        assert repo.uri == f"{host}/team/app"
        assert repo.arn == f"arn:{partition}:ecr:{region}:210987654321:repository/team/app"


def test_the_longest_region_names_are_among_them() -> None:
    longest = {region for region, _ in REGIONS if len(region) == LONGEST}
    assert len("us-isof-south-1") <= LONGEST
    for region in longest:
        home = Registry("123456789012", region, partitions.partition_of_region(region))
        assert parse_repository("app", default=home).registry.host.startswith(
            f"123456789012.dkr.ecr.{region}."
        )


@pytest.mark.parametrize(
    ("text", "partition", "host"),
    [
        (
            "arn:aws-iso:ecr:us-iso-east-1:210987654321:repository/app",
            "aws-iso",
            "210987654321.dkr.ecr.us-iso-east-1.c2s.ic.gov",
        ),
        (
            "210987654321.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app",
            "aws-iso-b",
            "210987654321.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
        ),
        (
            "arn:aws-eusc:ecr:eusc-de-east-1:210987654321:repository/app",
            "aws-eusc",
            "210987654321.dkr.ecr.eusc-de-east-1.amazonaws.eu",
        ),
        (
            "210987654321.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app",
            "aws-us-gov",
            "210987654321.dkr.ecr.us-gov-west-1.amazonaws.com",
        ),
    ],
)
def test_iso_sovereign_and_fips_registries(text: str, partition: str, host: str) -> None:
    repo = parse_repository(text, default=None)
    assert (repo.registry.partition, repo.registry.host) == (partition, host)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "arn:aws-xx:ecr:us-east-1:210987654321:repository/app",
            "names partition 'aws-xx', which the installed botocore does not know (it knows "
            "aws, aws-cn, ",
        ),
        (
            "arn:aws:ecr:cn-north-1:210987654321:repository/app",
            "names region cn-north-1, which is in the aws-cn partition, not aws",
        ),
        (
            "arn:aws-iso:ecr:us-isob-east-1:210987654321:repository/app",
            "names region us-isob-east-1, which is in the aws-iso-b partition, not aws-iso",
        ),
        (
            "210987654321.dkr.ecr.cn-north-1.amazonaws.com/app",
            "names region cn-north-1 of the aws-cn partition, whose registry hosts end in "
            ".amazonaws.com.cn, not .amazonaws.com",
        ),
        (
            "210987654321.dkr.ecr.eusc-de-east-1.amazonaws.com/app",
            "names region eusc-de-east-1 of the aws-eusc partition, whose registry hosts end in "
            ".amazonaws.eu, not .amazonaws.com",
        ),
        (
            "210987654321.dkr.ecr.us-east-1.evil.example/app",
            "names region us-east-1 of the aws partition, whose registry hosts end in "
            ".amazonaws.com, not .evil.example",
        ),
        ("210987654321.dkr.ecr.xx-fake-1.evil.example/app", "is not an ECR repository URI"),
    ],
)
def test_a_partition_or_host_that_does_not_fit_is_refused_saying_why(
    text: str, expected: str
) -> None:
    with pytest.raises(InvalidReferenceError) as raised:
        parse_repository(text, default=HOME)
    assert str(raised.value).startswith(expected)


def test_a_region_no_partition_claims_is_left_to_the_endpoint_check() -> None:
    # properties.py refuses it with the partition's ECR regions listed: only the shape is read here.
    repo = parse_repository("arn:aws:ecr:xx-fake-1:210987654321:repository/app", default=None)
    assert repo.registry == Registry("210987654321", "xx-fake-1", "aws")


@pytest.mark.parametrize(
    ("arn", "registry"),
    [
        (
            "arn:aws-iso-f:lambda:us-isof-south-1:210987654321:function:r",
            Registry("210987654321", "us-isof-south-1", "aws-iso-f"),
        ),
        (
            "arn:aws-eusc:lambda:eusc-de-east-1:210987654321:function:r",
            Registry("210987654321", "eusc-de-east-1", "aws-eusc"),
        ),
        ("arn:aws-xx:lambda:us-east-1:210987654321:function:r", None),
        ("arn:aws:lambda:cn-north-1:210987654321:function:r", None),
    ],
)
def test_the_functions_own_registry_in_any_partition(arn: str, registry: Registry | None) -> None:
    assert Registry.from_lambda_arn(arn) == registry
