"""Validation: every bad input class gets a precise error; good input becomes typed values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from resolver.errors import InvalidPropertyError
from resolver.model import (
    DEFAULT_ATTRIBUTES,
    Attribute,
    ImageGates,
    OnMissing,
    OnRetentionRisk,
    OnUnsigned,
    OnVulnerable,
    ReferrerSignature,
    ReplicationWait,
    Severity,
    SignatureRequirement,
    TagMatch,
    TagOrder,
)
from resolver.properties import is_pattern, parse_request
from resolver.references import Registry

HOME = Registry("123456789012", "ap-southeast-2")
DIGEST = "sha256:" + "c" * 64


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:ap-southeast-2:123456789012:function:x",
        "ServiceTimeout": "300",
        "Repository": "tak-dev-baseinfra-artifacts",
        "Version": "3f9a1c2e",
        "Images": {"Api": {"Tag": "cloudtak-{version}"}},
    }
    base.update(overrides)
    return base


def test_minimal_request_defaults() -> None:
    request = parse_request(props(), default_registry=HOME)
    assert request.on_missing is OnMissing.FAIL
    assert request.use_prebuilt is True
    assert request.attributes == DEFAULT_ATTRIBUTES
    (api,) = request.images
    assert api.name == "Api"
    assert api.ref.tag == "cloudtak-3f9a1c2e"
    assert (
        api.ref.repository.uri
        == "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/tak-dev-baseinfra-artifacts"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        (" True ", True),
        ("", True),
        (None, True),
    ],
)
def test_use_prebuilt_images_is_a_strict_boolean(raw: Any, expected: bool) -> None:
    images = {"Api": {"Tag": "cloudtak-{version}", "Fallback": "repo/local:api"}}
    overrides: dict[str, Any] = {"Images": images}
    if raw is not None:
        overrides["UsePreBuiltImages"] = raw
    assert parse_request(props(**overrides), default_registry=HOME).use_prebuilt is expected


def test_per_image_values_and_empty_strings_mean_absent() -> None:
    request = parse_request(
        props(
            OnMissing="fallback",
            Attributes="Uri, tagUri",
            Images={
                "Api": {"Tag": "cloudtak-{version}", "Fallback": ""},
                "Data": {
                    "Repository": "arn:aws:ecr:us-west-2:210987654321:repository/team/etl",
                    "Tag": "data-x",
                },
                "Pinned": {"Repository": "other", "Digest": DIGEST, "Tag": ""},
            },
        ),
        default_registry=HOME,
    )
    assert request.on_missing is OnMissing.FALLBACK
    assert request.attributes == (Attribute.URI, Attribute.TAG_URI)
    api, data, pinned = request.images
    assert api.fallback is None
    assert data.ref.repository.registry == Registry("210987654321", "us-west-2")
    assert pinned.ref.digest == DIGEST
    assert pinned.ref.tag is None


# An artifacts account's repository and reader role, and two images of that account.
ARTIFACTS = "arn:aws:ecr:ap-southeast-2:210987654321:repository/shared/app"
READER = "arn:aws:iam::210987654321:role/ci/image-reader"
ONE_ACCOUNT = {
    "Api": {"Repository": ARTIFACTS, "Tag": "api-1", "RoleArn": READER},
    "Web": {"Repository": "arn:aws:ecr:us-west-2:210987654321:repository/web", "Tag": "w"},
}

# Each row: properties, the property path the error must name, and words of the fix.
BAD_INPUT = [
    (props(UsePreBuiltImages="yes"), "UsePreBuiltImages", 'Use "true" or "false"'),
    (props(UsePreBuiltImages="1"), "UsePreBuiltImages", 'Use "true" or "false"'),
    (props(OnMissing="Ignore"), "OnMissing", "Fail | Fallback | Report"),
    (props(Repositry="x"), "Repositry", "Did you mean Repository?"),
    (props(Images={"Api": {"tag": "x"}}), "Images.Api.tag", "Did you mean Tag?"),
    (
        props(Images={"Api": {"Tag": "x", "Arch": "arm64"}}),
        "Images.Api.Arch",
        "Valid: Repository, Tag",
    ),
    (props(Images={}), "Images", "non-empty map"),
    (props(Images="Api"), "Images", "non-empty map"),
    (props(Images={"api-server": {"Tag": "x"}}), "Images.api-server", "start with a letter"),
    (props(Images={"Api": "cloudtak-1"}), "Images.Api", "is not a map"),
    (props(Images={"Api": {}}), "Images.Api", "exactly one of Tag or Digest"),
    (
        props(Images={"Api": {"Tag": "a", "Digest": DIGEST}}),
        "Images.Api",
        "exactly one of Tag or Digest",
    ),
    (props(Images={"Api": {"Digest": "sha256:abc"}}), "Images.Api.Digest", "64 lower-case hex"),
    (props(Images={"Api": {"Tag": "-bad"}}), "Images.Api.Tag", "not starting with . or -"),
    (props(Images={"Api": {"Tag": "a" * 301}}), "Images.Api.Tag", "1-300 characters"),
    (props(Images={"Api": {"Tag": "api-{sha}"}}), "Images.Api.Tag", "Only {version} is supported"),
    (
        props(Version="", Images={"Api": {"Tag": "api-{version}"}}),
        "Images.Api.Tag",
        "Set the top-level Version",
    ),
    (props(Repository=""), "Images.Api.Repository", "default Repository at the top level"),
    (props(Repository="App"), "Repository", "Examples: team/app"),
    (
        props(Images={"Api": {"Tag": "x", "Repository": "arn:aws:ecr:bad"}}),
        "Images.Api.Repository",
        "Examples",
    ),
    (props(Attributes=["Uri", "Url"]), "Attributes", "Did you mean Uri?"),
    (props(Attributes={"Uri": 1}), "Attributes", "Give a list"),
    (props(Version=["a"]), "Version", "plain string"),
    (props(WaitSeconds="5m"), "WaitSeconds", "whole number from 0 to 900"),
    (props(WaitSeconds="²"), "WaitSeconds", "whole number from 0 to 900"),
    (props(WaitSeconds="9" * 5000), "WaitSeconds", "whole number from 0 to 900"),
    (props(**{"5": "x"}), "5", "Valid: UsePreBuiltImages"),
    (
        props(Images={"Api": {"Tag": "x", "Fallback": "not a uri"}}),
        "Images.Api.Fallback",
        "Give an image URI",
    ),
    (props(WaitSeconds="901"), "WaitSeconds", "whole number from 0 to 900"),
    (props(FailOnSeverity="SEVERE"), "FailOnSeverity", "CRITICAL | HIGH | MEDIUM | LOW"),
    (props(OnVulnerable="Warn"), "OnVulnerable", "Fail | Report"),
    (props(RequireScan="maybe"), "RequireScan", 'Use "true" or "false"'),
    (props(OnRetentionRisk="Warn"), "OnRetentionRisk", "Report | Fail"),
    (
        props(Images={"Api": {"Tag": "x", "OnRetentionRisk": "true"}}),
        "Images.Api.OnRetentionRisk",
        "Report | Fail",
    ),
    (
        props(Images={"Api": {"Tag": "x", "Platform": "linux"}}),
        "Images.Api.Platform",
        "os/arch[/variant]",
    ),
    (
        props(Images={"Api": {"Tag": "x", "Lambda": "yes"}}),
        "Images.Api.Lambda",
        'Use "true" or "false"',
    ),
    (props(Images={"Api": {"Tag": "api-{version}-*"}}), "Images.Api.Tag", "either a pattern"),
    (props(Images={"Api": {"Tag": "api-#*"}}), "Images.Api.Tag", "Patterns use tag characters"),
    (
        props(Version="latest", Images={"Api": {"Tag": "api-1"}}),
        "Version",
        'Write tags like "api-{version}"',
    ),
    (
        props(UsePreBuiltImages="false"),
        "Images.Api.Fallback",
        "required when UsePreBuiltImages is false",
    ),
    # Only "" means "not set": blanks and nulls are errors that say so.
    # These three were silently treated as unset.
    (props(UsePreBuiltImages=" "), "UsePreBuiltImages", 'is only whitespace. Give a value, or ""'),
    (props(OnMissing=None), "OnMissing", 'is null. Give a value, or ""'),
    (props(Attributes=[None]), "Attributes", 'is null. Give a value, or ""'),
    (props(Attributes=None), "Attributes", 'is null. Give a value, or ""'),
    (props(Attributes=["Uri", " "]), "Attributes", 'is only whitespace. Give a value, or ""'),
    (props(Attributes="Uri, ,Digest"), "Attributes", 'is only whitespace. Give a value, or ""'),
    (props(Repository="\t"), "Repository", 'is only whitespace. Give a value, or ""'),
    (props(Repository=None), "Repository", 'is null. Give a value, or ""'),
    (props(Version="  "), "Version", 'is only whitespace. Give a value, or ""'),
    (props(Revision=None), "Revision", 'is null. Give a value, or ""'),
    (props(WaitSeconds=" "), "WaitSeconds", 'is only whitespace. Give a value, or ""'),
    (props(RequireScan=None), "RequireScan", 'is null. Give a value, or ""'),
    (props(FailOnSeverity="\n"), "FailOnSeverity", 'is only whitespace. Give a value, or ""'),
    (props(Images=None), "Images", 'is null. Give a value, or ""'),
    (
        props(Images={"Api": {"Tag": " "}}),
        "Images.Api.Tag",
        'is only whitespace. Give a value, or ""',
    ),
    (props(Images={"Api": {"Tag": None}}), "Images.Api.Tag", 'is null. Give a value, or ""'),
    (
        props(Images={"Api": {"Tag": "x", "Fallback": None}}),
        "Images.Api.Fallback",
        'is null. Give a value, or ""',
    ),
    (
        props(Images={"Api": {"Tag": "x", "Lambda": " "}}),
        "Images.Api.Lambda",
        'is only whitespace. Give a value, or ""',
    ),
    (
        props(Images={"Api": {"Digest": DIGEST, "Repository": None}}),
        "Images.Api.Repository",
        'is null. Give a value, or ""',
    ),
    # Roles: the ARN, its partition, ExternalId beside it, one role per account.
    (props(RoleArn="image-reader"), "RoleArn", "Use arn:<partition>:iam::<12-digit account>"),
    (
        props(RoleArn="arn:aws:sts::210987654321:assumed-role/reader/me"),
        "RoleArn",
        "is not an IAM role ARN",
    ),
    (props(RoleArn="arn:aws:iam::2109:role/reader"), "RoleArn", "is not an IAM role ARN"),
    (
        props(RoleArn="arn:aws:iam::210987654321:role/" + "r" * 65),
        "RoleArn",
        "is not an IAM role ARN",
    ),
    (
        props(RoleArn="arn:aws-mars:iam::210987654321:role/reader"),
        "RoleArn",
        "names partition 'aws-mars', which the installed botocore does not know",
    ),
    (
        props(RoleArn="arn:aws-cn:iam::210987654321:role/reader"),
        "RoleArn",
        "is a role of the aws-cn partition, but the resolver runs in aws",
    ),
    (
        props(
            RoleArn=READER,
            Images={
                "Cn": {
                    "Repository": "arn:aws-cn:ecr:cn-north-1:210987654321:repository/app",
                    "Tag": "a",
                }
            },
        ),
        "RoleArn",
        "but image Cn is in the aws-cn partition (cn-north-1)",
    ),
    (props(ExternalId="tak-prod"), "ExternalId", "set RoleArn here too"),
    (
        props(RoleArn=READER, Images={"Api": {"Tag": "a", "ExternalId": "tak-prod"}}),
        "Images.Api.ExternalId",
        "set RoleArn here too",
    ),
    (props(RoleArn=READER, ExternalId="x"), "ExternalId", "2-1224 characters"),
    (props(RoleArn=READER, ExternalId="a b"), "ExternalId", "2-1224 characters"),
    (props(RoleArn=READER, ExternalId="x" * 1225), "ExternalId", "2-1224 characters"),
    (props(RoleArn=None), "RoleArn", 'is null. Give a value, or ""'),
    (
        props(Images=ONE_ACCOUNT),
        "Images.Web.RoleArn",
        "reads account 210987654321 otherwise than Images.Api does (through "
        f"{READER}). Images of one account are read through one role",
    ),
    (
        props(
            Images={
                "Api": {**ONE_ACCOUNT["Api"], "ExternalId": "one"},
                "Web": {**ONE_ACCOUNT["Web"], "RoleArn": READER, "ExternalId": "two"},
            }
        ),
        "Images.Web.RoleArn",
        f"(through {READER} with another ExternalId)",
    ),
    (
        props(Images={"Web": ONE_ACCOUNT["Web"], "Api": ONE_ACCOUNT["Api"]}),
        "Images.Api.RoleArn",
        "otherwise than Images.Web does (with the resolver's own credentials)",
    ),
    (props(RequireSignature="Cosign"), "RequireSignature", "and/or Notation or Sigstore"),
    (
        props(RequireSignature="arn:aws:signer:ap-southeast-2:123456789012:signing-profiles/x"),
        "RequireSignature",
        "/signing-profiles/<name>",
    ),
    (props(RequireSignature={"a": 1}), "RequireSignature", "Give a list"),
    (
        props(Images={"Api": {"Tag": "x", "RequireSignature": "gpg"}}),
        "Images.Api.RequireSignature",
        "Notation",
    ),
    (props(OnUnsigned="Warn"), "OnUnsigned", "Fail | Report"),
    (props(ExpectedDigests="Api"), "ExpectedDigests", "resolver plan --emit lock"),
    (props(ExpectedDigests="Api=sha256:abc"), "ExpectedDigests.Api", "64 lower-case hex"),
    (props(ExpectedDigests={"Api": None}), "ExpectedDigests.Api", "is null"),
    (props(ExpectedDigests=f"Web={DIGEST}"), "ExpectedDigests.Web", "Lock only these images (Api)"),
    (props(OnLockMismatch="Ignore"), "OnLockMismatch", "Fail | Report"),
    (props(WaitForReplication="us-west"), "WaitForReplication", "region names (us-west-2)"),
    (props(WaitForReplication="yes"), "WaitForReplication", "region names"),
    (props(Order="semantic"), "Order", "Pushed | Semver"),
    (props(Order="Semver"), "Order", "every Tag is exact"),
    (
        props(Images={"Api": {"Tag": "api-1", "Order": "Semver"}}),
        "Images.Api.Order",
        "use a pattern (api-*)",
    ),
    (
        props(
            Version="latest",
            Images={
                "Api": {"Tag": "api-{version}"},
                "Web": {"Tag": "web-{version}", "Order": "Semver"},
            },
        ),
        "Order",
        "Set Order once, at the top level",
    ),
]


@pytest.mark.parametrize(("properties", "path", "fix"), BAD_INPUT)
def test_bad_input_names_property_value_and_fix(
    properties: dict[str, Any], path: str, fix: str
) -> None:
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(properties, default_registry=HOME)
    error = caught.value
    assert error.prop == path
    assert str(error).startswith(f"{path}: ")
    assert fix in str(error)


def test_prebuilt_off_without_fallback_is_fine_when_only_reporting() -> None:
    request = parse_request(
        props(UsePreBuiltImages="false", OnMissing="Report"), default_registry=HOME
    )
    assert request.use_prebuilt is False


def test_bare_repository_names_need_the_callers_account() -> None:
    with pytest.raises(InvalidPropertyError, match="use the repository ARN or URI"):
        parse_request(props(), default_registry=None)


def test_discovery_platform_and_gate_properties() -> None:
    request = parse_request(
        props(
            Version="Latest",
            FailOnSeverity="high",
            OnVulnerable="Report",
            RequireScan="TRUE",
            ScanWaitSeconds="0",
            WaitSeconds="120",
            Images={
                "Api": {"Tag": "cloudtak-{version}", "Lambda": "true"},
                "Edge": {"Tag": "edge-*", "Platform": "linux/arm/v7", "FailOnSeverity": "CRITICAL"},
                "Pinned": {"Tag": "v1"},
            },
        ),
        default_registry=HOME,
    )
    api, edge, pinned = request.images
    assert request.version is None  # Version: latest is each {version} image's match
    assert (request.wait_seconds, request.scan_wait_seconds, request.require_scan) == (120, 0, True)
    assert request.on_vulnerable is OnVulnerable.REPORT
    assert (api.match, api.ref.tag, api.for_lambda) == (
        TagMatch.LATEST_VERSION,
        "cloudtak-{version}",
        True,
    )
    assert str(api.wanted_platform) == "linux/amd64"  # Lambda's default
    assert api.fail_on is Severity.HIGH  # inherited from the top level
    assert (edge.match, str(edge.wanted_platform), edge.fail_on) == (
        TagMatch.PATTERN,
        "linux/arm/v7",
        Severity.CRITICAL,
    )
    assert (pinned.match, pinned.wanted_platform) == (TagMatch.EXACT, None)
    assert request.scans_needed


@pytest.mark.parametrize(
    ("top", "own", "expected"),
    [
        (None, None, OnRetentionRisk.REPORT),  # the default: the verdict is only reported
        ("fail", None, OnRetentionRisk.FAIL),  # inherited, any case
        ("Fail", "Report", OnRetentionRisk.REPORT),  # an image's own wins
        (None, "FAIL", OnRetentionRisk.FAIL),
        ("", "", OnRetentionRisk.REPORT),  # '' from a parameter default: not set
    ],
)
def test_on_retention_risk_top_level_and_per_image(
    top: str | None, own: str | None, expected: OnRetentionRisk
) -> None:
    image: dict[str, Any] = {"Tag": "x"}
    if own is not None:
        image["OnRetentionRisk"] = own
    extra = {} if top is None else {"OnRetentionRisk": top}
    request = parse_request(props(Images={"Api": image}, **extra), default_registry=HOME)
    assert request.images[0].on_retention_risk is expected
    # A gate set anywhere is what makes the resolver read lifecycle policies at all.
    assert request.retention_needed is (expected is OnRetentionRisk.FAIL)


def test_selecting_retention_reads_policies_without_a_gate() -> None:
    request = parse_request(props(Attributes="Uri,Retention"), default_registry=HOME)
    assert request.attributes == (Attribute.URI, Attribute.RETENTION)
    assert request.retention_needed
    assert not parse_request(props(), default_registry=HOME).retention_needed


# --- is_pattern ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("cloudtak-*", True),
        ("v1.?", True),
        ("build-[0-9]", True),
        ("*", True),
        ("cloudtak-3f9a1c2e", False),
        ("v1.2.3_rc-1", False),
        ("latest", False),
    ],
)
def test_is_pattern(tag: str, expected: bool) -> None:
    assert is_pattern(tag) is expected


# --- text properties hold printable characters only ------------------------------------------

# A line break in Version once wrote a second GitHub step output (use-prebuilt-images=true).
UNPRINTABLE = {
    "\n": "000A",  # line feed
    "\r": "000D",  # carriage return
    "\x00": "0000",  # NUL
    "\x1b": "001B",  # escape (terminal control sequences)
    "\x85": "0085",  # C1 next line
    "\u2028": "2028",  # line separator
    "\u2029": "2029",  # paragraph separator
    "\u202e": "202E",  # right-to-left override (text that reads as something else)
    "\u200b": "200B",  # zero-width space
}


@pytest.mark.parametrize(("char", "code"), UNPRINTABLE.items())
@pytest.mark.parametrize(
    ("path", "build"),
    [
        ("Version", lambda text: props(Version=text)),
        ("Revision", lambda text: props(Revision=text)),
        ("Repository", lambda text: props(Repository=text)),
        ("Images.Api.Tag", lambda text: props(Images={"Api": {"Tag": text}})),
        ("Images.Api.Fallback", lambda text: props(Images={"Api": {"Tag": "x", "Fallback": text}})),
        ("Images.Api.Platform", lambda text: props(Images={"Api": {"Tag": "x", "Platform": text}})),
        ("OnMissing", lambda text: props(OnMissing=text)),
    ],
)
def test_text_properties_refuse_unprintable_characters(
    path: str, build: Callable[[str], dict[str, Any]], char: str, code: str
) -> None:
    text = f"3f9a{char}use-prebuilt-images=true"
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(build(text), default_registry=HOME)
    assert caught.value.prop == path
    message = str(caught.value)
    assert message.startswith(f"{path}: '3f9a")
    assert f"holds the unprintable character U+{code}. Text properties take printable" in message
    assert message.isprintable()  # the message itself echoes the value escaped


def test_surrounding_whitespace_is_still_trimmed_and_printable_text_kept() -> None:
    # A YAML block scalar (Version: |) ends in a line break: trimmed, as before.
    request = parse_request(
        props(Version="\t3f9a1c2e\n", Revision="build 7 é☃ (nightly)"), default_registry=HOME
    )
    assert request.version == "3f9a1c2e"
    assert request.images[0].ref.tag == "cloudtak-3f9a1c2e"


# --- strict values: only "" means "not set" ----------------------------------------------------


def test_a_null_is_echoed_as_null() -> None:
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(OnMissing=None), default_registry=HOME)
    assert str(caught.value).startswith("OnMissing: null is null.")


def test_the_empty_string_and_an_absent_property_still_mean_not_set() -> None:
    request = parse_request(
        props(
            UsePreBuiltImages="",
            OnMissing="",
            Attributes="",
            Revision="",
            WaitSeconds="",
            Images={"Api": {"Tag": "cloudtak-{version}", "Fallback": "", "Lambda": ""}},
        ),
        default_registry=HOME,
    )
    assert (request.use_prebuilt, request.on_missing, request.wait_seconds) == (
        True,
        OnMissing.FAIL,
        0,
    )
    assert request.attributes == DEFAULT_ATTRIBUTES
    assert parse_request(props(Attributes=[]), default_registry=HOME).attributes == (
        DEFAULT_ATTRIBUTES
    )


# --- limits ------------------------------------------------------------------------------------


def many_images(count: int, repository: Any = None) -> dict[str, Any]:
    """``count`` images; ``repository(i)`` gives image i its own repository."""
    images: dict[str, Any] = {}
    for i in range(count):
        image: dict[str, Any] = {"Tag": f"t{i}"}
        if repository is not None:
            image["Repository"] = repository(i)
        images[f"Image{i}"] = image
    return images


def test_500_images_are_accepted_and_501_name_the_limit() -> None:
    assert len(parse_request(props(Images=many_images(500)), default_registry=HOME).images) == 500
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(Images=many_images(501)), default_registry=HOME)
    assert str(caught.value) == (
        "Images: 501 images exceed the limit of 500 per resource. "
        "Split them over several Custom::ImageResolver resources."
    )


def test_100_repositories_are_accepted_and_101_name_the_limit() -> None:
    hundred = many_images(100, repository=lambda i: f"repo-{i}")
    assert len(parse_request(props(Images=hundred), default_registry=HOME).images) == 100
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(
            props(Images=many_images(101, repository=lambda i: f"repo-{i}")),
            default_registry=HOME,
        )
    assert str(caught.value).startswith(
        "Images: 101 repositories exceed the limit of 100 per resource."
    )


def registry_arn(i: int) -> str:
    return f"arn:aws:ecr:ap-southeast-2:{100000000000 + i}:repository/app"


def test_10_registries_are_accepted_and_11_name_the_limit() -> None:
    ten = many_images(10, repository=registry_arn)
    assert len(parse_request(props(Images=ten), default_registry=HOME).images) == 10
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(Images=many_images(11, repository=registry_arn)), default_registry=HOME)
    assert str(caught.value).startswith(
        "Images: 11 registries (account and region pairs) exceed the limit of 10 per resource."
    )


def test_image_names_up_to_64_characters() -> None:
    name = "A" + "b" * 63
    assert parse_request(props(Images={name: {"Tag": "x"}}), default_registry=HOME).images
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(Images={name + "c": {"Tag": "x"}}), default_registry=HOME)
    assert caught.value.prop == f"Images.{name}c"
    assert "is 65 characters, over the limit of 64 for an image name" in str(caught.value)


def test_revision_up_to_256_characters() -> None:
    assert parse_request(props(Revision="r" * 256), default_registry=HOME)
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(Revision="r" * 257), default_registry=HOME)
    assert "Revision: " in str(caught.value)
    assert "is 257 characters, over the limit of 256" in str(caught.value)


# --- regions -----------------------------------------------------------------------------------


class Catalog:
    """ECR regions as botocore would list them; records which partitions were asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ecr_regions(self, partition: str) -> frozenset[str]:
        self.asked.append(partition)
        return {
            "aws": frozenset({"ap-southeast-2", "us-east-1", "us-west-2"}),
            "aws-cn": frozenset({"cn-north-1"}),
        }.get(partition, frozenset())


@pytest.mark.parametrize(
    "repository",
    [
        "arn:aws:ecr:xx-fake-9:123456789012:repository/app",
        "123456789012.dkr.ecr.zz-nowhere-1.amazonaws.com/app",
    ],
)
def test_a_region_without_ecr_in_its_partition_is_refused(repository: str) -> None:
    images = {"Api": {"Tag": "x", "Repository": repository}}
    with pytest.raises(InvalidPropertyError) as caught:
        parse_request(props(Images=images), default_registry=HOME, regions=Catalog())
    assert caught.value.prop == "Images.Api.Repository"
    assert "partition has no ECR endpoint" in str(caught.value)
    assert "Check the region" in str(caught.value)


@pytest.mark.parametrize(
    ("repository", "problem"),
    [
        ("arn:aws:ecr:cn-north-1:123456789012:repository/app", "in the aws-cn partition, not aws"),
        (
            "arn:aws-cn:ecr:us-west-2:123456789012:repository/app",
            "in the aws partition, not aws-cn",
        ),
    ],
)
def test_a_region_of_another_partition_is_refused_naming_its_partition(
    repository: str, problem: str
) -> None:
    # Refused when the reference is parsed, even where regions are not looked up (regions=None).
    images = {"Api": {"Tag": "x", "Repository": repository}}
    for regions in (Catalog(), None):
        with pytest.raises(InvalidPropertyError) as caught:
            parse_request(props(Images=images), default_registry=HOME, regions=regions)
        assert caught.value.prop == "Images.Api.Repository"
        assert problem in str(caught.value)


def test_known_regions_pass_and_the_callers_own_region_is_never_looked_up() -> None:
    catalog = Catalog()
    own = parse_request(props(), default_registry=HOME, regions=catalog)
    assert own.images[0].ref.repository.registry == HOME
    assert catalog.asked == []  # no endpoint data loaded for the common case
    other = {"Api": {"Tag": "x", "Repository": "arn:aws:ecr:us-west-2:210987654321:repository/ab"}}
    parse_request(props(Images=other), default_registry=HOME, regions=catalog)
    assert catalog.asked == ["aws"]


def test_a_5000_character_repository_gives_a_short_reason() -> None:
    for repository in ("a" * 5000, f"arn:aws:ecr:us-west-2:123456789012:repository/{'a' * 5000}"):
        with pytest.raises(InvalidPropertyError) as caught:
            parse_request(props(Repository=repository), default_registry=HOME)
        assert len(str(caught.value)) < 400, str(caught.value)


# --- salvage: what a rollback can still read ---------------------------------------------------


def test_salvage_leaves_out_each_property_or_image_that_no_longer_validates() -> None:
    from resolver.properties import salvage

    salvaged = salvage(
        {
            "Repository": "app",
            "OnMissing": "Sometimes",  # an invalid top-level value: its default instead
            "Renamed": "x",  # unknown now
            "Images": {
                "Api": {"Tag": "api-1", "Legacy": "y"},  # the unknown key goes, the image stays
                "Web": {"Tag": "web 1"},  # an invalid tag: the image goes
                "bad name": {"Tag": "x"},
                "Fn": {"Digest": "sha256:" + "a" * 64},
            },
        },
        default_registry=HOME,
    )
    assert salvaged.request is not None
    assert [spec.name for spec in salvaged.request.images] == ["Api", "Fn"]
    assert salvaged.names == ("Api", "Web", "bad name", "Fn")
    assert len(salvaged.dropped) == 6  # Web: its Tag, then the image without one
    assert any(error.startswith("OnMissing:") for error in salvaged.dropped)


def test_salvage_of_nothing_readable_still_names_the_images() -> None:
    from resolver.properties import salvage

    nothing = salvage({"Images": {"Api": {"Tag": "x y"}}}, default_registry=HOME)
    assert (nothing.request, nothing.names) == (None, ("Api",))
    garbage = salvage({"Images": "garbage"}, default_registry=HOME)
    assert (garbage.request, garbage.names) == (None, ())


# --- roles: RoleArn and ExternalId, one role per account ------------------------------------------


def test_a_role_is_parsed_once_and_an_images_own_wins() -> None:
    request = parse_request(
        props(
            Repository=ARTIFACTS,
            RoleArn=READER,
            ExternalId="tak-prod",
            Images={
                "Api": {"Tag": "api-1"},
                "Eu": {
                    "Repository": "arn:aws:ecr:eu-west-1:333344445555:repository/app",
                    "Tag": "api-1",
                    "RoleArn": "arn:aws:iam::333344445555:role/reader",
                },
            },
        ),
        default_registry=HOME,
    )
    api, eu = request.images
    assert api.role is not None and eu.role is not None
    assert (api.role.arn, api.role.account_id, api.role.partition) == (
        READER,
        "210987654321",
        "aws",
    )
    assert api.role.external_id == "tak-prod"
    assert "tak-prod" not in repr(api.role)  # kept out of logs
    assert eu.role.arn == "arn:aws:iam::333344445555:role/reader"
    assert eu.role.external_id is None  # an ExternalId goes with the RoleArn beside it
    assert request.roles == {"210987654321": api.role, "333344445555": eu.role}


def test_without_a_role_nothing_is_assumed() -> None:
    request = parse_request(props(RoleArn="", ExternalId=""), default_registry=HOME)
    assert request.images[0].role is None
    assert request.roles == {}


def test_a_role_in_china_for_a_function_in_china() -> None:
    home = Registry("123456789012", "cn-north-1", "aws-cn")
    request = parse_request(
        props(RoleArn="arn:aws-cn:iam::210987654321:role/reader"), default_registry=home
    )
    assert request.images[0].role is not None
    assert request.images[0].role.partition == "aws-cn"


def test_a_role_arn_is_trimmed_like_any_text() -> None:
    request = parse_request(props(RoleArn=f" {READER} "), default_registry=HOME)
    assert request.images[0].role is not None
    assert request.images[0].role.arn == READER


def test_one_role_may_serve_several_accounts_and_regions() -> None:
    """The role is per account; one role may read several accounts (through their repository
    policies) and every region of each."""
    images = {
        "Api": {"Repository": ARTIFACTS, "Tag": "a"},
        "Eu": {
            "Repository": "arn:aws:ecr:eu-west-1:210987654321:repository/shared/app",
            "Tag": "a",
        },
        "Other": {"Repository": "arn:aws:ecr:eu-west-1:333344445555:repository/xy", "Tag": "a"},
    }
    request = parse_request(props(RoleArn=READER, Images=images), default_registry=HOME)
    assert {role.arn for role in request.roles.values()} == {READER}
    assert set(request.roles) == {"210987654321", "333344445555"}


def test_what_ci_vouched_for_becomes_each_images_gates() -> None:
    profile = "arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci_release"
    request = parse_request(
        props(
            RequireSignature=f"{profile}, notation",
            OnUnsigned="report",
            ExpectedDigests=f"Api={DIGEST}",
            WaitForReplication=["us-west-2", "eu-west-1", "us-west-2"],
            Order="semver",
            Images={
                "Api": {"Tag": "cloudtak-{version}"},
                "Tools": {"Tag": "tools-*", "RequireSignature": ["Sigstore"]},
            },
        ),
        default_registry=HOME,
    )
    api, tools = request.images
    assert api.gates == ImageGates(
        signature=SignatureRequirement((profile,), (ReferrerSignature.NOTATION,)),
        on_unsigned=OnUnsigned.REPORT,
        expected_digest=DIGEST,
        replication=ReplicationWait(("us-west-2", "eu-west-1")),
    )
    assert tools.gates.signature == SignatureRequirement(referrers=(ReferrerSignature.SIGSTORE,))
    assert tools.gates.expected_digest is None
    assert (api.order, tools.order) == (TagOrder.PUSHED, TagOrder.SEMVER)  # exact tags: no order


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", ReplicationWait()), (True, ReplicationWait()), ("false", None), ("", None)],
)
def test_wait_for_replication_everywhere_or_nowhere(
    raw: Any, expected: ReplicationWait | None
) -> None:
    (api,) = parse_request(props(WaitForReplication=raw), default_registry=HOME).images
    assert api.gates.replication == expected


def test_the_lock_arrives_as_a_map_a_list_or_one_string() -> None:
    for raw in ({"Api": DIGEST}, [f"Api={DIGEST}"], f" Api = {DIGEST} "):
        (api,) = parse_request(props(ExpectedDigests=raw), default_registry=HOME).images
        assert api.gates.expected_digest == DIGEST


def test_nothing_asked_leaves_no_gates() -> None:
    (api,) = parse_request(props(), default_registry=HOME).images
    assert api.gates == ImageGates()


# --- Reference: a whole image reference, parsed once --------------------------------------------

ECR_HOST = "210987654321.dkr.ecr.us-west-2.amazonaws.com"


@pytest.mark.parametrize(
    ("reference", "extra", "expected"),
    [
        ("app:api-1", {}, ("123456789012", "ap-southeast-2", "app", "api-1", None)),
        (
            f"{ECR_HOST}/team/app:api-1",
            {},
            ("210987654321", "us-west-2", "team/app", "api-1", None),
        ),
        (
            f"{ECR_HOST}:443/team/app:api-1",
            {},
            ("210987654321", "us-west-2", "team/app", "api-1", None),
        ),
        (f"app@{DIGEST}", {}, ("123456789012", "ap-southeast-2", "app", None, DIGEST)),
        (f"app:api-1@{DIGEST}", {}, ("123456789012", "ap-southeast-2", "app", None, DIGEST)),
        (
            "arn:aws:ecr:us-west-2:210987654321:repository/team/app",
            {"Tag": "api-1"},
            ("210987654321", "us-west-2", "team/app", "api-1", None),
        ),
        ("app", {"Digest": DIGEST}, ("123456789012", "ap-southeast-2", "app", None, DIGEST)),
        ("app:api-{version}", {}, ("123456789012", "ap-southeast-2", "app", "api-3f9a1c2e", None)),
    ],
)
def test_a_reference_adopts_an_image_uri_as_ecs_and_lambda_take_it(
    reference: str, extra: dict[str, str], expected: tuple[str, ...]
) -> None:
    images = {"Api": {"Reference": reference, **extra}}
    (api,) = parse_request(props(Images=images, Version="3f9a1c2e"), default_registry=HOME).images
    repo = api.ref.repository
    assert (
        repo.registry.account_id,
        repo.registry.region,
        repo.name,
        api.ref.tag,
        api.ref.digest,
    ) == expected


@pytest.mark.parametrize(
    ("image", "path", "problem"),
    [
        (
            {"Reference": "docker.io/library/nginx:1"},
            "Images.Api.Reference",
            "which is not Amazon ECR",
        ),
        ({"Reference": "ghcr.io/org/app:1"}, "Images.Api.Reference", "which is not Amazon ECR"),
        ({"Reference": "localhost:5000/app:1"}, "Images.Api.Reference", "which is not Amazon ECR"),
        ({"Reference": "app@sha256:abc"}, "Images.Api.Reference", "a digest is sha256:"),
        (
            {"Reference": "app:api-1", "Tag": "api-2"},
            "Images.Api.Reference",
            "Tag or Digest is set beside it",
        ),
        (
            {"Reference": "app:api-1", "Repository": "other"},
            "Images.Api.Repository",
            "names the repository already",
        ),
        ({"Reference": "app"}, "Images.Api", "needs exactly one of Tag or Digest"),
        ({"Reference": "app:bad tag"}, "Images.Api.Reference", "is not a valid image tag"),
    ],
)
def test_a_reference_that_cannot_be_adopted_says_why(
    image: dict[str, str], path: str, problem: str
) -> None:
    with pytest.raises(InvalidPropertyError) as refused:
        parse_request(props(Repository="", Images={"Api": image}), default_registry=HOME)
    assert refused.value.prop == path
    assert problem in str(refused.value)
