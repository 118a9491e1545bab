from __future__ import annotations

import pytest

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
