"""The construct's synth-time rules (cdk/lib/rules.ts) are a port of ``resolver.properties``:
cdk/test/property-rules.json holds the cases, with the core's messages. This side checks that the
core still gives exactly those (cdk/test/rules.test.ts checks that the port does), so a change to a
rule or a message in the core fails here until the table — and then the port — follow. Pure: no
Node.js needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import InvalidPropertyError
from resolver.properties import parse_request
from resolver.references import Registry

TABLE = json.loads((Path(__file__).parents[2] / "cdk" / "test" / "property-rules.json").read_text())
# The function's own registry, for bare repository names (the construct has none to check).
HOME = Registry("123456789012", "ap-southeast-2", "aws")


def error_of(properties: dict[str, Any]) -> str | None:
    try:
        parse_request(properties, default_registry=HOME)
    except InvalidPropertyError as error:
        return str(error)
    return None


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda case: case["name"])
def test_the_core_gives_the_tables_message(case: dict[str, Any]) -> None:
    assert error_of(case["properties"]) == case["error"]


@pytest.mark.parametrize("case", TABLE["deployTimeOnly"], ids=lambda case: case["name"])
def test_what_only_the_deploy_refuses(case: dict[str, Any]) -> None:
    # botocore's partition data decides these: the construct lets them through (rules.test.ts).
    assert error_of(case["properties"]) == case["error"]


def test_every_rule_has_a_case() -> None:
    errors = {case["error"].split(": ", 1)[0] for case in TABLE["cases"] if case["error"]}
    problems = " ".join(case["error"] for case in TABLE["cases"] if case["error"])
    for phrase in (
        "needs exactly one of Tag or Digest",
        "uses {version} but Version is empty",
        "is not a valid image tag",
        "is not an image digest",
        "is not a boolean",
        "is not an allowed value",
        "is not a valid image name",
        "images exceed the limit",
        "repositories exceed the limit",
        "registries (account and region pairs) exceed the limit",
        "is not a number of seconds",
        "over the limit of 256",
        "is not an attribute",
        "is not a platform",
        "is not an image reference",
        "is required when UsePreBuiltImages is false",
        "is not an IAM role ARN",
        "is not an STS external id",
        "is set without a RoleArn beside it",
        "partition, but image Api is in the aws-cn partition",
        "otherwise than Images.Api does (with the resolver's own credentials)",
        "with another ExternalId",
        "is not a signing profile ARN, Notation or Sigstore",
        "is not Name=sha256:...",
        "names no image of this resource",
        "is not a region",
        "and every Tag is exact",
        "and this Tag is exact",
        "differs between images of Version: latest",
        "is set beside a Reference",
        "has its own tag or digest",
        "which is not Amazon ECR",
        "with a port that is not one",
        "; a digest is sha256:",
    ):
        assert phrase in problems, phrase
    assert {"Images.Api.Repository", "Images.Api.Reference", "Images.Api.RoleArn"} <= errors
    assert {"Images.Api.ExternalId", "Images.Api.RequireSignature", "Images.Api.Order"} <= errors
    assert {"OnUnsigned", "OnLockMismatch", "Order", "Protect", "ExpectedDigests.Api"} <= errors
