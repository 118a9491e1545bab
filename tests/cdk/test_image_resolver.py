"""``resolver_cdk.ImageResolver`` (the jsii construct, from Python), synthesized and read back
with ``aws_cdk.assertions``."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from .conftest import require_cdk

require_cdk()

import aws_cdk as cdk  # noqa: E402 - only once Node.js and aws-cdk-lib are known to be there
import ecr_image_resolver_cdk  # noqa: E402
from aws_cdk import aws_ecr as ecr  # noqa: E402
from aws_cdk import aws_ecs as ecs  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402

import resolver_cdk  # noqa: E402
from resolver import model  # noqa: E402
from resolver_cdk import (  # noqa: E402
    Image,
    ImageResolver,
    OnLockMismatch,
    OnMissing,
    OnRetentionRisk,
    OnRollbackTargetMissing,
    OnUnsigned,
    Protect,
    SignedBy,
    TagOrder,
)

TOKEN = "arn:aws:lambda:ap-southeast-2:123456789012:function:image-resolver-resolver"
REPO_ARN = "arn:aws:ecr:ap-southeast-2:123456789012:repository/tak-dev-baseinfra-artifacts"
HOST = "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com"
LOCAL = f"{HOST}/cdk-hnb659fds-container-assets"
LOCAL_API, LOCAL_EVENTS = f"{LOCAL}:api-local", f"{LOCAL}:events-local"
ENV = cdk.Environment(account="123456789012", region="ap-southeast-2")
FIXTURES = Path(__file__).parent / "fixtures"
ROLE = "arn:aws:iam::210987654321:role/image-reader"
PROFILE = "arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci_release"
DIGEST_API, DIGEST_EVENTS = f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"
LOCK = f"Api={DIGEST_API},Events={DIGEST_EVENTS}"  # as resolver plan --emit lock prints it


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Consumer", env=ENV)


def cloudtak(scope: cdk.Stack, **options: Any) -> ImageResolver:
    """The first user's shape: one repository, tags cloudtak-/events-<version>."""
    settings: dict[str, Any] = {"repository": REPO_ARN, "version": "3f9a1c2e", **options}
    return ImageResolver(
        scope,
        "Images",
        service_token=TOKEN,
        images={
            "Api": Image(tag="cloudtak-{version}", fallback=LOCAL_API),
            "Events": Image(tag="events-{version}", for_lambda=True, fallback=LOCAL_EVENTS),
        },
        **settings,
    )


def resolver_properties(template: Template) -> dict[str, Any]:
    (resource,) = template.find_resources("Custom::ImageResolver").values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def get_att(image: str, attribute: str = "Uri") -> dict[str, Any]:
    return {"Fn::GetAtt": [Match.string_like_regexp("^Images"), f"{image}.{attribute}"]}


@pytest.fixture(scope="module")
def consumer() -> Template:
    """A stack as the first user has it: ECS for the API, an image Lambda for events."""
    scope = stack()
    images = cloudtak(scope, use_prebuilt_images="false", on_missing=OnMissing.FALLBACK)
    repository = ecr.Repository.from_repository_arn(scope, "Artifacts", REPO_ARN)
    task = ecs.FargateTaskDefinition(scope, "Task")
    task.add_container(
        "api", image=images.container_image("Api", pull_from=[repository]), memory_limit_mib=512
    )
    own = ecr.Repository(scope, "Own")
    lambda_.DockerImageFunction(
        scope, "Events", code=images.docker_image_code("Events", pull_from=[own])
    )
    cdk.CfnOutput(scope, "Build", value=images.build_required)
    cdk.CfnOutput(scope, "Missing", value=images.missing_images)
    cdk.CfnOutput(scope, "Record", value=images.rollback_record)
    return Template.from_stack(scope)


def test_emits_the_custom_resource_with_a_service_timeout(consumer: Template) -> None:
    assert resolver_properties(consumer) == {
        "ServiceToken": TOKEN,
        "ServiceTimeout": "300",
        "Repository": REPO_ARN,
        "Version": "3f9a1c2e",
        "UsePreBuiltImages": "false",  # the string, parsed strictly: never a truthy "false"
        "OnMissing": "Fallback",
        "Images": {
            "Api": {"Tag": "cloudtak-{version}", "Fallback": LOCAL_API},
            "Events": {"Tag": "events-{version}", "Lambda": "true", "Fallback": LOCAL_EVENTS},
        },
    }


def test_the_template_is_the_one_0_2_0s_python_construct_made() -> None:
    # Upgrading to the jsii construct replaces nothing and updates nothing: same logical ids,
    # same properties (the fixture is what 0.2.0's resolver_cdk synthesized for this stack).
    scope = stack()
    images = ImageResolver(
        scope,
        "Images",
        service_token=TOKEN,
        repository=REPO_ARN,
        version="3f9a1c2e",
        images={
            "Api": Image(tag="cloudtak-{version}"),
            "Events": Image(tag="events-{version}", for_lambda=True),
        },
    )
    ecs.FargateTaskDefinition(scope, "Task").add_container(
        "api", image=images.container_image("Api"), memory_limit_mib=512
    )
    lambda_.DockerImageFunction(scope, "Events", code=images.docker_image_code("Events"))
    expected = json.loads((FIXTURES / "consumer-0.2.0.template.json").read_text())
    assert Template.from_stack(scope).to_json() == expected


def test_ecs_gets_the_whole_digest_pinned_uri_and_pull_rights(consumer: Template) -> None:
    consumer.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": [Match.object_like({"Image": get_att("Api")})]},
    )
    consumer.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["ecr:BatchGetImage"]),
                                "Resource": REPO_ARN,
                            }
                        ),
                        Match.object_like({"Action": "ecr:GetAuthorizationToken"}),
                    ]
                )
            }
        },
    )


def test_lambda_gets_the_uri_not_repo_colon_token(consumer: Template) -> None:
    # DockerImageCode.from_ecr(repo, tag_or_digest=<token>) would give "<repo>:<token>".
    consumer.has_resource_properties(
        "AWS::Lambda::Function", {"PackageType": "Image", "Code": {"ImageUri": get_att("Events")}}
    )
    # As DockerImageCode.from_ecr does: the repository lets Lambda's service principal pull.
    consumer.has_resource_properties(
        "AWS::ECR::Repository",
        {
            "RepositoryPolicyText": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": Match.array_with(["ecr:BatchGetImage"]),
                        }
                    )
                ]
            }
        },
    )


def test_summary_attributes(consumer: Template) -> None:
    outputs = consumer.find_outputs("*")
    assert outputs["Build"]["Value"]["Fn::GetAtt"][1] == "BuildRequired"
    assert outputs["Missing"]["Value"]["Fn::GetAtt"][1] == "MissingImages"
    assert outputs["Record"]["Value"]["Fn::GetAtt"][1] == "RollbackRecord"


def test_lambda_code_for_a_function_with_an_alias_that_follows_the_image() -> None:
    def version_logical_id(version: str) -> str:
        scope = stack()
        images = cloudtak(scope, version=version)
        function = lambda_.Function(
            scope,
            "Events",
            code=images.lambda_code("Events", cmd=["app.handler"]),
            handler=lambda_.Handler.FROM_IMAGE,
            runtime=lambda_.Runtime.FROM_IMAGE,
        )
        lambda_.Alias(scope, "Live", alias_name="live", version=function.current_version)
        template = Template.from_stack(scope)
        template.has_resource_properties(
            "AWS::Lambda::Function",
            {"Code": {"ImageUri": get_att("Events")}, "ImageConfig": {"Command": ["app.handler"]}},
        )
        (logical_id,) = template.find_resources("AWS::Lambda::Version")
        return logical_id

    # The image is the same Fn::GetAtt on every deploy: the version follows the properties.
    assert version_logical_id("3f9a1c2e") != version_logical_id("4e8b2d3f")


def test_the_rollback_and_retention_policies_reach_the_resource() -> None:
    scope = stack()
    images = cloudtak(
        scope,
        on_rollback_target_missing=OnRollbackTargetMissing.FAIL,
        on_retention_risk=OnRetentionRisk.FAIL,
    )
    sent = resolver_properties(Template.from_stack(scope))
    assert (sent["OnRollbackTargetMissing"], sent["OnRetentionRisk"]) == ("Fail", "Fail")
    assert scope.resolve(images.rollback_target)["Fn::GetAtt"][1] == "RollbackTarget"


def test_accessors_name_the_attribute_and_check_it_is_returned() -> None:
    scope = stack()
    images = cloudtak(scope, attributes=["Uri", "Tags"])
    assert scope.resolve(images.attr("Api", "Tags"))["Fn::GetAtt"][1] == "Api.Tags"
    assert scope.resolve(images.summary("RollbackTarget"))["Fn::GetAtt"][1] == "RollbackTarget"
    with pytest.raises(RuntimeError, match=r"Api.Digest is not returned: add 'Digest'"):
        images.digest("Api")
    with pytest.raises(RuntimeError, match=r"'Nope' is not one of this resolver's images"):
        images.uri("Nope")
    assert resolver_properties(Template.from_stack(scope))["Attributes"] == "Uri,Tags"


@pytest.mark.parametrize(
    ("given", "sent"), [(True, "true"), (False, "false"), ("FALSE", "false"), ("true", "true")]
)
def test_use_prebuilt_images_is_a_strict_boolean(given: bool | str, sent: str) -> None:
    scope = stack()
    cloudtak(scope, use_prebuilt_images=given)
    assert resolver_properties(Template.from_stack(scope))["UsePreBuiltImages"] == sent


def test_a_context_flag_that_is_not_a_boolean_fails_synth() -> None:
    with pytest.raises(RuntimeError, match=r"^UsePreBuiltImages: 'yes' is not a boolean"):
        cloudtak(stack(), use_prebuilt_images="yes")


def test_bad_properties_fail_synth_with_the_resolvers_own_message() -> None:
    with pytest.raises(RuntimeError, match=r"^Images.Api.Tag: 'cloudtak-\{version\}' uses"):
        ImageResolver(
            stack(),
            "Images",
            service_token=TOKEN,
            repository=REPO_ARN,
            images={"Api": Image(tag="cloudtak-{version}")},  # and no version
        )


def test_an_imported_repository_does_not_skip_validation() -> None:
    # 0.2.0 skipped every check when any value was a token, and every real consumer imports the
    # repository's ARN: an empty version synthesized and failed only in CloudFormation.
    with pytest.raises(RuntimeError, match=r"^Images.Api.Tag: 'cloudtak-\{version\}' uses"):
        ImageResolver(
            stack(),
            "Images",
            service_token=cdk.Fn.import_value("image-resolver-ServiceToken"),
            repository=cdk.Fn.import_value("TAK-Dev-BaseInfra-EcrArtifactsRepoArn"),
            version="",
            images={"Api": Image(tag="cloudtak-{version}")},
        )


def test_deploy_time_values_are_passed_through() -> None:
    scope = stack()
    version = cdk.CfnParameter(scope, "GitSha").value_as_string
    ImageResolver(
        scope,
        "Images",
        service_token=TOKEN,
        repository=REPO_ARN,
        version=version,
        use_prebuilt_images=cdk.CfnParameter(scope, "Prebuilt").value_as_string,
        images={"Api": Image(tag="cloudtak-{version}")},
    )
    properties = resolver_properties(Template.from_stack(scope))
    assert properties["Version"] == {"Ref": "GitSha"}
    assert properties["UsePreBuiltImages"] == {"Ref": "Prebuilt"}


def test_images_need_no_repository_to_grant_on() -> None:
    # Cross-account repositories: their owner's policy allows the pull, nothing to grant here.
    scope = stack()
    images = cloudtak(scope)
    ecs.FargateTaskDefinition(scope, "Task").add_container(
        "api", image=images.container_image("Api"), memory_limit_mib=512
    )
    lambda_.DockerImageFunction(scope, "Events", code=images.docker_image_code("Events"))
    template = Template.from_stack(scope)
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Code": {"ImageUri": get_att("Events")}}
    )
    template.resource_count_is("AWS::ECR::Repository", 0)
    template.resource_count_is("AWS::IAM::Policy", 0)  # no grant without a repository


# Each enum's keyword argument, its CloudFormation property, and what else it needs to be valid.
ENUMS: dict[type[Enum], tuple[str, str, dict[str, Any]]] = {
    model.OnMissing: ("on_missing", "OnMissing", {}),
    model.OnVulnerable: ("on_vulnerable", "OnVulnerable", {}),
    model.OnRetentionRisk: ("on_retention_risk", "OnRetentionRisk", {}),
    model.OnRollbackTargetMissing: ("on_rollback_target_missing", "OnRollbackTargetMissing", {}),
    model.Severity: ("fail_on_severity", "FailOnSeverity", {}),
    model.OnUnsigned: ("on_unsigned", "OnUnsigned", {}),
    model.OnLockMismatch: ("on_lock_mismatch", "OnLockMismatch", {}),
    model.TagOrder: ("order", "Order", {"version": "latest"}),  # only where there is a choice
    model.Protect: ("protect", "Protect", {}),
}


@pytest.mark.parametrize(
    ("ours", "core"),
    [
        (resolver_cdk.OnMissing, model.OnMissing),
        (resolver_cdk.OnVulnerable, model.OnVulnerable),
        (resolver_cdk.OnRetentionRisk, model.OnRetentionRisk),
        (resolver_cdk.OnRollbackTargetMissing, model.OnRollbackTargetMissing),
        (resolver_cdk.Severity, model.Severity),
        (resolver_cdk.OnUnsigned, model.OnUnsigned),
        (resolver_cdk.OnLockMismatch, model.OnLockMismatch),
        (resolver_cdk.TagOrder, model.TagOrder),
        (resolver_cdk.Protect, model.Protect),
    ],
)
def test_the_constructs_enums_are_the_cores(ours: type[Enum], core: type[Enum]) -> None:
    # Same members, and each reaches the template as the core's value.
    assert [member.name for member in ours] == [member.name for member in core]
    kwarg, key, needs = ENUMS[core]
    for member in core:
        scope = stack()
        cloudtak(scope, **needs, **{kwarg: ours[member.name]})
        assert resolver_properties(Template.from_stack(scope))[key] == member.value


def test_signed_by_names_the_cores_referrer_signatures() -> None:
    assert [SignedBy.NOTATION.value, SignedBy.SIGSTORE.value] == [
        kind.value for kind in model.ReferrerSignature
    ]


def test_resolver_cdk_exports_the_whole_package() -> None:
    public = {name for name in dir(ecr_image_resolver_cdk) if not name.startswith("_")}
    assert set(resolver_cdk.__all__) == public


def test_roles_gates_and_protection_reach_the_resource() -> None:
    scope = stack()
    cloudtak(
        scope,
        role_arn=ROLE,
        external_id="tak-prod",
        require_signature=[SignedBy.signer_profile(PROFILE), SignedBy.NOTATION],
        on_unsigned=OnUnsigned.REPORT,
        expected_digests=LOCK,
        on_lock_mismatch=OnLockMismatch.REPORT,
        wait_for_replication=["us-west-2", "eu-west-1"],
        protect=Protect.BEST_EFFORT,
    )
    sent = resolver_properties(Template.from_stack(scope))
    assert {key: sent[key] for key in sent if key not in ("Images", "Repository", "Version")} == {
        "ServiceToken": TOKEN,
        "ServiceTimeout": "300",
        "UsePreBuiltImages": "true",
        "OnMissing": "Fail",
        "RoleArn": ROLE,
        "ExternalId": "tak-prod",
        "RequireSignature": f"{PROFILE},Notation",
        "OnUnsigned": "Report",
        "ExpectedDigests": LOCK,
        "OnLockMismatch": "Report",
        "WaitForReplication": "us-west-2,eu-west-1",
        "Protect": "BestEffort",
    }


def test_the_lock_as_a_map_and_replication_everywhere() -> None:
    scope = stack()
    cloudtak(scope, expected_digests={"Api": DIGEST_API}, wait_for_replication=True)
    sent = resolver_properties(Template.from_stack(scope))
    assert (sent["ExpectedDigests"], sent["WaitForReplication"]) == ({"Api": DIGEST_API}, "true")


def test_per_image_reference_role_signature_and_order() -> None:
    scope = stack()
    ImageResolver(
        scope,
        "Images",
        service_token=TOKEN,
        version="latest",
        order=TagOrder.SEMVER,
        images={
            "Api": Image(reference=f"{HOST}/app:api-{{version}}"),
            "Tools": Image(
                reference="arn:aws:ecr:ap-southeast-2:333344445555:repository/tools/agent",
                tag="agent-*",
                order=TagOrder.PUSHED,
                role_arn="arn:aws:iam::333344445555:role/tools-reader",
                external_id="tak-prod",
                require_signature=[SignedBy.SIGSTORE],
            ),
        },
    )
    sent = resolver_properties(Template.from_stack(scope))
    assert sent["Order"] == "Semver"
    assert sent["Images"] == {
        "Api": {"Reference": f"{HOST}/app:api-{{version}}"},
        "Tools": {
            "Reference": "arn:aws:ecr:ap-southeast-2:333344445555:repository/tools/agent",
            "Tag": "agent-*",
            "Order": "Pushed",
            "RoleArn": "arn:aws:iam::333344445555:role/tools-reader",
            "ExternalId": "tak-prod",
            "RequireSignature": "Sigstore",
        },
    }


def test_the_accessors_of_the_gates_and_of_protection() -> None:
    scope = stack()
    images = cloudtak(
        scope,
        protect=Protect.REQUIRED,
        attributes=["Uri", "Signature", "TagMutability", "Protected"],
    )

    def attribute(value: str) -> str:
        name: str = scope.resolve(value)["Fn::GetAtt"][1]
        return name

    assert attribute(images.signature("Api")) == "Api.Signature"
    assert attribute(images.tag_mutability("Events")) == "Events.TagMutability"
    assert attribute(images.protection_of("Api")) == "Api.Protected"
    assert attribute(images.protection) == "Protection"
    with pytest.raises(RuntimeError, match=r"'Protection' is returned only by a resolver that"):
        _ = cloudtak(stack()).protection


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"external_id": "tak-prod"}, r"^ExternalId: 'tak-prod' is set without a RoleArn beside"),
        ({"role_arn": "image-reader"}, r"^RoleArn: 'image-reader' is not an IAM role ARN"),
        (
            {"require_signature": [SignedBy.signer_profile("ci_release")]},
            r"^RequireSignature: 'ci_release' is not a signing profile ARN, Notation or Sigstore",
        ),
        (
            {"expected_digests": f"Web={DIGEST_API}"},
            r"^ExpectedDigests.Web: 'Web' names no image of this resource",
        ),
        ({"wait_for_replication": ["us-west"]}, r"^WaitForReplication: 'us-west' is not a region"),
        ({"order": TagOrder.SEMVER}, r"^Order: 'Semver' orders the candidates of patterns"),
    ],
)
def test_bad_gates_and_roles_fail_synth(options: dict[str, Any], message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        cloudtak(stack(), **options)


def test_roles_and_protection_need_no_grant_in_the_consumer_stack() -> None:
    # The resolver's own stack grants sts:AssumeRole (AssumableRoleArns) and the tagging
    # (EnableProtection): nothing here.
    scope = stack()
    images = cloudtak(scope, role_arn=ROLE, protect=Protect.REQUIRED)
    ecs.FargateTaskDefinition(scope, "Task").add_container(
        "api", image=images.container_image("Api"), memory_limit_mib=512
    )
    lambda_.DockerImageFunction(scope, "Events", code=images.docker_image_code("Events"))
    Template.from_stack(scope).resource_count_is("AWS::IAM::Policy", 0)
