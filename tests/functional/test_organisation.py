"""Every account of an organisation: deploy/stackset.yaml deployed by a service-managed StackSet
to an OU of two workload accounts, the reader role (deploy/reader-role.yaml) in the artifacts
account, and one consumer template, written once, deployed in each account against its own
resolver. On one moto server over HTTP (devkit.organisation says where moto is corrected); the
resolver itself runs here, in each account's credentials."""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import REGION, ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.organisation import CODE_KEY, Organisation
from devkit.receiver import ResponseReceiver
from devkit.stackset import DEFAULT_EXPORT, ROOT, TARGET, rendered
from resolver.planner.template import load_template

from .conftest import Ecr

ARTIFACTS = "210987654321"
BUCKETS = "org-artifacts"


def document_of(policy: Any) -> Any:
    """A policy document as IAM answers it: a map (botocore decodes IAM's URL-encoded JSON); moto
    answers a policy CloudFormation gave it as the text of Python's repr of the map."""
    return ast.literal_eval(policy) if isinstance(policy, str) else policy


@pytest.fixture
def organisation(ecr: Ecr, monkeypatch: pytest.MonkeyPatch) -> Organisation:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    organisation = Organisation.create(ecr.emulator, accounts=2)
    organisation.publish_code(BUCKETS)
    return organisation


@pytest.fixture
def reader(ecr: Ecr, organisation: Organisation) -> dict[str, Any]:
    """deploy/reader-role.yaml in the artifacts account, trusting the organisation's resolvers:
    the role's ARN and its trust policy as IAM holds it."""
    cloudformation = ecr.emulator.client_of("cloudformation", account=ARTIFACTS)
    cloudformation.create_stack(
        StackName="image-reader",
        TemplateBody=(ROOT / "deploy" / "reader-role.yaml").read_text(),
        Parameters=[{"ParameterKey": "OrganizationId", "ParameterValue": organisation.id}],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName="image-reader")["Stacks"]
    arn = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "RoleArn")
    iam = ecr.emulator.client_of("iam", account=ARTIFACTS)
    role = iam.get_role(RoleName=arn.rpartition("/")[2])["Role"]
    trust = document_of(role["AssumeRolePolicyDocument"])
    # CloudFormation drops an AWS::NoValue list item (the NamedRoles statement, without
    # TrustedRoles); moto keeps it as a null.
    return {"arn": arn, "trust": [statement for statement in trust["Statement"] if statement]}


@pytest.fixture
def deployed(organisation: Organisation, reader: dict[str, Any]) -> Organisation:
    organisation.deploy_stackset(
        TARGET.read_text(),
        {"CodeBucketPrefix": BUCKETS, "CodeKey": CODE_KEY, "AssumableRoleArns": reader["arn"]},
    )
    return organisation


@pytest.fixture
def consumers(
    ecr: Ecr, deployed: Organisation, stacks: StatusServer, receiver: ResponseReceiver
) -> Iterator[dict[str, Stack]]:
    """The same consumer stack in each workload account, its resolver that account's function."""
    made = {}
    for account in deployed.accounts:
        token = deployed.exports(account)[DEFAULT_EXPORT]
        handler = deployed.resolver_in(account, function_arn=token)
        made[account] = stacks.add(
            Stack(handler=handler, receiver=receiver, account=account, service_token=token)
        )
    yield made


def consumer_template(reader_arn: str) -> dict[str, Any]:
    """What a workload team writes once (ServiceToken: !ImportValue image-resolver-ServiceToken,
    which the Stack driver fills in): the platform's image from the artifacts account, through
    the reader role, and the team's own image from its own account's registry."""
    return {
        "Images": {
            "Platform": {
                "Repository": f"arn:aws:ecr:{REGION}:{ARTIFACTS}:repository/platform/agent",
                "Tag": "v7",
                "RoleArn": reader_arn,
            },
            "Own": {"Repository": "team/app", "Tag": "release"},
        }
    }


def test_the_stackset_template_is_template_yaml_made_plain() -> None:
    """deploy/stackset.yaml is generated; a change to template.yaml must be carried over
    (python -m devkit.stackset), never forgotten."""
    assert TARGET.read_text() == rendered(), "regenerate: python -m devkit.stackset"
    template = load_template(TARGET)
    assert "Transform" not in template  # service-managed StackSets refuse macros
    assert not [r for r in template["Resources"].values() if "Serverless" in r["Type"]]


def test_each_account_gets_its_resolver_exported_under_one_name(
    ecr: Ecr, deployed: Organisation, reader: dict[str, Any]
) -> None:
    for account in deployed.accounts:
        token = deployed.exports(account)[DEFAULT_EXPORT]
        assert token.startswith(f"arn:aws:lambda:{REGION}:{account}:function:")
        configuration = deployed.function(account, token)
        role = configuration["Role"]
        assert role.startswith(f"arn:aws:iam::{account}:role/image-resolver/")
        assert configuration["Environment"]["Variables"]["IMAGE_RESOLVER_ROLE_ARN"] == role
        # The reader role's trust policy admits this function role, and only through the
        # organisation (IAM's ArnLike is a wildcard match).
        (statement,) = reader["trust"]
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"aws:PrincipalOrgID": deployed.id}
        assert fnmatch.fnmatchcase(role, condition["ArnLike"]["aws:PrincipalArn"])
        # The function may assume exactly the reader role.
        iam = ecr.emulator.client_of("iam", account=account)
        name = role.rpartition("/")[2]
        policy = iam.get_role_policy(RoleName=name, PolicyName="assume-reader-roles")
        assert document_of(policy["PolicyDocument"])["Statement"] == [
            {
                "Sid": "AssumeReaderRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": [reader["arn"]],
            }
        ]


def test_one_consumer_template_deploys_in_every_account(
    ecr: Ecr, reader: dict[str, Any], consumers: dict[str, Stack]
) -> None:
    artifacts = ecr.emulator.client(account=ARTIFACTS)
    ensure_repository(artifacts, "platform/agent")
    platform = push(artifacts, "platform/agent", "v7", manifest("agent:v7"))
    own = {}
    for account in consumers:
        client = ecr.emulator.client(account=account)
        ensure_repository(client, "team/app")
        own[account] = push(client, "team/app", "release", manifest(f"app:{account}"))
    ecr.proxy.reset()
    template = consumer_template(reader["arn"])
    for account, stack in consumers.items():
        assert stack.create(template) == "CREATE_COMPLETE", stack.calls[-1].answer
        data = stack.attributes()
        host = f"dkr.ecr.{REGION}.amazonaws.com"
        assert data["Platform.Uri"] == f"{ARTIFACTS}.{host}/platform/agent@{platform}"
        assert data["Own.Uri"] == f"{account}.{host}/team/app@{own[account]}"
    # Each account's function assumed the reader role once, named after the consumer stack.
    assert ecr.calls("AssumeRole") == 2
    sessions = ecr.emulator.role_sessions(ARTIFACTS)
    assert [(arn, name) for arn, name, _ in sessions] == [(reader["arn"], "consumer.Images")] * 2


def test_a_refusal_names_that_accounts_function_role(
    ecr: Ecr, reader: dict[str, Any], consumers: dict[str, Stack]
) -> None:
    account, stack = next(iter(consumers.items()))
    ecr.proxy.fail_next("AssumeRole", Fault("AccessDenied", "not in the trust policy", 403))
    template = consumer_template(reader["arn"])
    del template["Images"]["Own"]
    assert stack.create(template) == "ROLLBACK_COMPLETE"
    reason = stack.calls[0].answer["Reason"]
    assert f"its trust policy must allow arn:aws:iam::{account}:role/image-resolver/" in reason
