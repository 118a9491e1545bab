"""Images in other accounts, read through roles: three accounts on one moto server over HTTP.

moto maps an assumed role's credentials to the role's account, so the artifacts account's
registry answers only to them; STS goes through the counting proxy (``AWS_ENDPOINT_URL_STS``), so
AssumeRole calls are counted on the wire. moto does not evaluate trust policies: a refused trust
is the proxy's fault, served as STS serves it (403 AccessDenied, XML), aimed at one role.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import ACCOUNT_ID, ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.app import handler
from resolver.planner.cli import main
from resolver.planner.exit_codes import ExitCode

from .conftest import Ecr

ARTIFACTS = "210987654321"  # the shared artifacts account: images pushed by CI
TOOLS = "333344445555"  # another team's registry, with its own reader role
READER = f"arn:aws:iam::{ARTIFACTS}:role/ci/image-reader"
TOOLS_READER = f"arn:aws:iam::{TOOLS}:role/tools-reader"
LOCAL, SOURCE = "ap-southeast-2", "us-west-2"  # the workload's region; where CI pushes first


def repository(account: str, name: str, region: str = LOCAL) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def pushed(ecr: Ecr, account: str, name: str, tag: str, *, region: str = LOCAL) -> str:
    """Push ``name:tag`` into ``account``'s registry (its content derived from all three, so
    every registry holds different digests); returns the digest."""
    client = ecr.emulator.client(region, account=account)
    ensure_repository(client, name)
    return push(client, name, tag, manifest(f"{account}/{region}/{name}:{tag}"))


@pytest.fixture
def stack(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    yield stacks.add(Stack(handler=handler, receiver=receiver, name="tak-prod"))


@pytest.fixture
def registries(ecr: Ecr) -> dict[str, str]:
    """The artifacts account's app in the workload's region (a replica) and in CI's, the tools
    account's image, and one in the function's own account: each a different digest."""
    digests = {
        "Api": pushed(ecr, ARTIFACTS, "shared/app", "api-1"),
        "Worker": pushed(ecr, ARTIFACTS, "shared/app", "worker-1"),
        "Source": pushed(ecr, ARTIFACTS, "shared/app", "api-1", region=SOURCE),
        "Tools": pushed(ecr, TOOLS, "tools/cli", "v2"),
        "Local": pushed(ecr, ACCOUNT_ID, "local/app", "api-1"),
    }
    ecr.proxy.reset()
    return digests


def mixed(**top: Any) -> dict[str, Any]:
    """One resource, four registries in three accounts, a role per account that needs one."""
    return {
        "RoleArn": READER,
        **top,
        "Images": {
            "Api": {"Repository": repository(ARTIFACTS, "shared/app"), "Tag": "api-1"},
            "Worker": {"Repository": repository(ARTIFACTS, "shared/app"), "Tag": "worker-1"},
            "Source": {"Repository": repository(ARTIFACTS, "shared/app", SOURCE), "Tag": "api-1"},
            "Tools": {
                "Repository": repository(TOOLS, "tools/cli"),
                "Tag": "v2",
                "RoleArn": TOOLS_READER,
                "ExternalId": "tak-prod",
            },
        },
    }


def uri(account: str, name: str, digest: str, region: str = LOCAL) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{name}@{digest}"


def test_images_in_other_accounts_are_read_through_their_roles(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    assert stack.create(mixed()) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Api.Uri"] == uri(ARTIFACTS, "shared/app", registries["Api"])
    assert data["Worker.Uri"] == uri(ARTIFACTS, "shared/app", registries["Worker"])
    assert data["Source.Uri"] == uri(ARTIFACTS, "shared/app", registries["Source"], SOURCE)
    assert data["Tools.Uri"] == uri(TOOLS, "tools/cli", registries["Tools"])
    # One AssumeRole per role, however many images, repositories and regions it reads.
    assert ecr.calls("AssumeRole") == 2
    assert ecr.calls("BatchGetImage") == 3  # a repository per registry
    # Who asked, as each role's account sees it in CloudTrail: the stack and the logical id.
    assert ecr.emulator.role_sessions(ARTIFACTS) == [(READER, "tak-prod.Images", None)]
    assert ecr.emulator.role_sessions(TOOLS) == [(TOOLS_READER, "tak-prod.Images", "tak-prod")]


def test_without_the_role_the_same_images_are_not_readable(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    """The role is what reads them: with the function's own credentials, the artifacts
    account's registry holds nothing for it (moto: RepositoryNotFound)."""
    properties = mixed(RoleArn="", OnMissing="Report")
    del properties["Images"]["Tools"]
    assert stack.create(properties) == "CREATE_COMPLETE"
    assert stack.attributes()["Api.Status"] == "RepositoryNotFound"
    assert ecr.calls("AssumeRole") == 0


def test_roles_are_assumed_once_per_invocation_and_never_kept(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    """Every stage reads through the role — lookups, metadata, scans, lifecycle policies — with
    one AssumeRole per role; the next invocation (the same warm function) assumes again."""
    described = mixed(Attributes="Uri,Digest,Status,Findings,PushedAt,Tags,Retention")
    assert stack.create(described) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Api.Tags"] == "api-1"
    assert data["Tools.Findings"] == "NotScanned"  # read through the tools role: an answer
    assert data["Api.Retention"] == "Safe"
    assert ecr.calls("DescribeImageScanFindings") == 4
    assert ecr.calls("GetLifecyclePolicy") == 3
    assert ecr.calls("AssumeRole") == 2
    assert stack.update({**described, "Revision": "again"}) == "UPDATE_COMPLETE"
    assert ecr.calls("AssumeRole") == 4  # cached within an invocation only


def test_an_images_own_role_mixes_with_the_functions_credentials(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    properties = mixed(RoleArn="")
    properties["Images"] = {
        "Api": {**properties["Images"]["Api"], "RoleArn": READER},
        "Tools": properties["Images"]["Tools"],
        "Local": {"Repository": "local/app", "Tag": "api-1"},
    }
    assert stack.create(properties) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Local.Uri"] == uri(ACCOUNT_ID, "local/app", registries["Local"])
    assert data["Api.Uri"] == uri(ARTIFACTS, "shared/app", registries["Api"])
    assert ecr.calls("AssumeRole") == 2


def test_a_refused_trust_names_the_role_the_caller_and_the_fix(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    """AssumeRole refused: each of the role's images is a lookup failure — never missing, never
    "build needed" — and the other role's images are unaffected; STS is asked once."""
    refusal = Fault("AccessDenied", "not authorized to perform: sts:AssumeRole", 403, when=READER)
    ecr.proxy.fail_next("AssumeRole", refusal)
    assert stack.create(mixed(OnMissing="Fallback")) == "ROLLBACK_COMPLETE"
    reason = stack.calls[0].answer["Reason"]
    assert reason.startswith("ECR lookup failed for 3 image(s): Api (shared/app:api-1 in ")
    assert (
        f"AccessDenied: sts:AssumeRole on {READER} was refused: its trust policy must allow "
        "arn:aws:sts::123456789012:user/moto, whose own policy must allow sts:AssumeRole on the "
        "role (for the function: its stack's AssumableRoleArns)"
    ) in reason
    assert "These images were not reported as missing" in reason
    assert ecr.calls("AssumeRole") == 2  # the refused role once, the tools role once
    assert ecr.calls("BatchGetImage") == 1  # only the tools registry was read


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (
            Fault("ExpiredToken", "The security token included in the request is expired"),
            "was refused: the credentials asking have expired; renew them",
        ),
        (
            Fault("RegionDisabledException", "STS is not activated in this region", 403),
            f"was refused: STS is deactivated in {LOCAL} for the caller's account; activate it",
        ),
        (
            Fault("MalformedPolicyDocument", "x" * 500),
            "failed: " + "x" * 157 + "...",
        ),
    ],
    ids=["expired", "region-disabled", "other"],
)
def test_sts_refusals_are_named_never_missing(
    stack: Stack, ecr: Ecr, registries: dict[str, str], fault: Fault, said: str
) -> None:
    ecr.proxy.fail_next("AssumeRole", fault)
    properties = mixed(OnMissing="Report")
    del properties["Images"]["Tools"]
    assert stack.create(properties) == "ROLLBACK_COMPLETE"
    reason = stack.calls[0].answer["Reason"]
    assert f"{fault.code}: sts:AssumeRole on {READER} {said}" in reason
    assert "missing" not in reason.split("These images")[0]


def test_a_rollback_through_a_refused_role_still_succeeds(
    stack: Stack, ecr: Ecr, registries: dict[str, str]
) -> None:
    assert stack.create(mixed()) == "CREATE_COMPLETE"
    before = stack.attributes()
    pushed(ecr, ARTIFACTS, "shared/app", "api-2")
    refused = Fault("AccessDenied", "trust policy changed", 403, when=READER)
    ecr.proxy.fail_next("AssumeRole", refused, refused)  # the Update, then its rollback
    forward = mixed()
    forward["Images"]["Api"]["Tag"] = "api-2"
    assert stack.update(forward) == "UPDATE_ROLLBACK_COMPLETE"
    update, rollback = stack.calls[-2:]
    assert update.status == "FAILED" and "sts:AssumeRole" in update.answer["Reason"]
    assert rollback.stack_status == "UPDATE_ROLLBACK_IN_PROGRESS"
    assert rollback.status == "SUCCESS"
    assert stack.attributes() == before


def test_the_plan_reports_which_role_read_each_image(
    ecr: Ecr, registries: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = mixed()
    properties["Images"]["Local"] = {
        "Repository": "local/app",
        "Tag": "api-1",
        "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/local-reader",
    }
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(properties))
    args = ["plan", "--endpoint-url", ecr.proxy.endpoint, "--spec", str(spec)]
    assert main([*args, "--output", "json"]) == ExitCode.OK
    images = {image["name"]: image for image in json.loads(capsys.readouterr().out)["images"]}
    assert images["Api"]["role"] == READER
    assert images["Tools"]["role"] == TOOLS_READER
    assert images["Api"]["digest"] == registries["Api"]
    assert ecr.calls("AssumeRole") == 3  # three roles, each once
    (session,) = {name for _, name, _ in ecr.emulator.role_sessions(ARTIFACTS)}
    assert session.startswith("resolver-plan-")

    properties["Images"]["Local"] = {"Repository": "local/app", "Tag": "api-1"}
    properties["RoleArn"] = ""
    properties["Images"]["Api"]["RoleArn"] = READER
    del properties["Images"]["Worker"], properties["Images"]["Source"]
    spec.write_text(yaml.safe_dump(properties))
    assert main([*args, "--output", "json"]) == ExitCode.OK
    images = {image["name"]: image for image in json.loads(capsys.readouterr().out)["images"]}
    assert images["Local"]["role"] is None  # the caller's own credentials
    assert main(args) == ExitCode.OK
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "IMAGE", "REPOSITORY", "TAG", "/", "DIGEST", "STATUS", "DIGEST", "BUILD", "ROLE"
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in table[1:4]}
    assert rows["Tools"][-1] == TOOLS_READER
    assert rows["Local"][-1] == "no"  # no role: the column is blank


def test_resolver_invoke_assumes_the_role_as_the_function_would(
    ecr: Ecr,
    registries: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    event = json.loads((Path(__file__).parents[2] / "events" / "create.json").read_text())
    event["ResourceProperties"] = {"ServiceToken": event["ServiceToken"], **mixed()}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["invoke", str(path), "--endpoint-url", ecr.proxy.endpoint]) == ExitCode.OK
    body = json.loads(capsys.readouterr().out)
    assert body["Data"]["Tools.Uri"] == uri(TOOLS, "tools/cli", registries["Tools"])
    assert ecr.calls("AssumeRole") == 2
    assert [name for _, name, _ in ecr.emulator.role_sessions(TOOLS)] == ["cloudtak-dev.Images"]
