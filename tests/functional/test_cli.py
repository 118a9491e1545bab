"""``resolver plan`` and ``resolver invoke`` against the ECR emulator over HTTP."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.events import EVENTS_DIR, load_event
from devkit.receiver import ResponseReceiver
from devkit.seed import EXAMPLE_IMAGES, seed_examples
from resolver.planner.cli import main
from resolver.planner.exit_codes import ExitCode

from ..github import read_outputs
from .conftest import Ecr

EXIT_OK, EXIT_INVALID = ExitCode.OK, ExitCode.INVALID
EXIT_BUILD_NEEDED, EXIT_LOOKUP_FAILED = ExitCode.BUILD_NEEDED, ExitCode.LOOKUP_FAILED

ROOT = Path(__file__).resolve().parents[2]


def spec_file(tmp_path: Path, properties: dict[str, Any]) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(properties))
    return path


def all_found_spec(tmp_path: Path) -> Path:
    return spec_file(tmp_path, load_event("create.json")["ResourceProperties"])


def with_missing_spec(tmp_path: Path) -> Path:
    return spec_file(tmp_path, load_event("create-missing.json")["ResourceProperties"])


def plan(ecr: Ecr, *args: str) -> int:
    return main(["plan", "--endpoint-url", ecr.proxy.endpoint, *args])


def test_all_found_exits_0_with_a_table(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan(seeded, "--spec", str(all_found_spec(tmp_path))) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "IMAGE",
        "REPOSITORY",
        "TAG",
        "/",
        "DIGEST",
        "STATUS",
        "DIGEST",
        "BUILD",
    ]
    assert "4 of 4 images found" in out
    assert "No build needed." in out
    assert "\033[" not in out  # no colour when not a terminal
    assert seeded.calls() == 3


def test_missing_image_exits_3(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        plan(seeded, "--spec", str(with_missing_spec(tmp_path)), "--color", "always")
        == EXIT_BUILD_NEEDED
    )
    out = capsys.readouterr().out
    pmtiles = next(line for line in out.splitlines() if line.startswith("Pmtiles"))
    assert "TagNotFound" in pmtiles
    assert "\033[33m" in out
    assert "Build needed: Pmtiles." in out


def test_json_output_schema(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        plan(seeded, "--spec", str(with_missing_spec(tmp_path)), "--output", "json")
        == EXIT_BUILD_NEEDED
    )
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {
        "schemaVersion",
        "buildRequired",
        "missingImages",
        "revision",
        "version",
        "ecrCalls",
        "rollbackTarget",
        "responseBytes",
        "rollbackRecord",
        "lock",
        "images",
    }
    assert document["version"] == "3f9a1c2e"
    assert document["schemaVersion"] == 1
    assert document["buildRequired"] is True
    assert document["missingImages"] == ["Pmtiles"]
    assert len(document["revision"]) == 12
    # Three BatchGetImage calls, and the missing image's second look (two DescribeImages for
    # archived and restoring images of its repository, one DescribePullThroughCacheRules).
    assert document["ecrCalls"] == 3 + 2 + 1
    fields = {
        "name",
        "repository",
        "registryId",
        "region",
        "tag",
        "digest",
        "status",
        "buildRequired",
        "uri",
        "tagUri",
        "detail",
        "platforms",
        "findings",
        "retention",
        "role",
        "signature",
        "tagMutability",
    }
    images = {image["name"]: image for image in document["images"]}
    assert all(set(image) == fields for image in images.values())
    assert images["Api"]["status"] == "Found"
    assert images["Api"]["uri"].endswith("@" + images["Api"]["digest"])
    assert images["Pmtiles"] == {
        "name": "Pmtiles",
        "repository": "tak-dev-baseinfra-artifacts",
        "registryId": "123456789012",
        "region": "ap-southeast-2",
        "tag": "pmtiles-3f9a1c2e",
        "digest": None,
        "status": "TagNotFound",
        "buildRequired": True,
        "uri": None,
        "tagUri": "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/tak-dev-baseinfra-artifacts:pmtiles-3f9a1c2e",
        "detail": None,
        "platforms": [],
        "findings": None,
        "retention": None,
        "role": None,  # read with the caller's own credentials
        "signature": None,
        "tagMutability": None,
    }
    assert images["Pinned"]["tag"] is None
    assert images["Pinned"]["digest"].startswith("sha256:")
    assert images["Data"]["repository"] == "team/etl-tasks"


def test_retention_column_and_the_retention_gate_exit_code(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = load_event("create.json")["ResourceProperties"]
    properties["Attributes"] = ["Uri", "Retention"]
    assert plan(seeded, "--spec", str(spec_file(tmp_path, properties))) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[-1] == "RETENTION"
    api = next(line for line in out if line.startswith("Api "))
    assert api.split()[-1] == "Limited"
    # devkit.seed's policy keeps 5 cloudtak-* images: the reason goes under the table.
    assert "  Api: Limited: rule 1 keeps the 5 newest cloudtak-* images; this is #1 of 1" in out
    assert seeded.calls("GetLifecyclePolicy") == 3  # the three repositories of found images

    # Five newer cloudtak-* images later, the pinned one is #6 of 6: the gate stops the deploy.
    client = seeded.client()
    for n in range(5):
        digest = push(
            client, "tak-dev-baseinfra-artifacts", f"cloudtak-newer{n}", manifest(f"n{n}")
        )
        seeded.emulator.set_pushed_at(
            "tak-dev-baseinfra-artifacts", digest, datetime.now(UTC) + timedelta(minutes=n + 1)
        )
    properties["Images"]["Api"]["OnRetentionRisk"] = "Fail"
    assert plan(seeded, "--spec", str(spec_file(tmp_path, properties))) == ExitCode.RETENTION_RISK
    captured = capsys.readouterr()
    assert "Api: Expiring: rule 1 keeps the 5 newest cloudtak-* images; this is #6 of 6" in (
        captured.out
    )
    assert captured.err.startswith(
        "resolver: 1 image(s) would not outlive the repository's lifecycle policy: Api ("
    )


def test_github_outputs(seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        plan(seeded, "--spec", str(with_missing_spec(tmp_path)), "--output", "github")
        == EXIT_BUILD_NEEDED
    )
    outputs = read_outputs(capsys.readouterr().out)
    assert list(outputs) == [
        "build-required",
        "use-prebuilt-images",
        "missing-images",
        "revision",
        "version",
        "lock",
    ]
    assert outputs["build-required"] == "true"
    assert outputs["use-prebuilt-images"] == "false"
    assert outputs["missing-images"] == "Pmtiles"
    assert len(outputs["revision"]) == 12


def test_sam_overrides_carry_the_revision_the_resource_returns(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        plan(seeded, "--spec", str(all_found_spec(tmp_path)), "--emit", "sam-overrides") == EXIT_OK
    )
    captured = capsys.readouterr()
    assert "No build needed." in captured.err  # the report goes to stderr
    overrides = captured.out.strip()
    assert overrides.startswith("UsePreBuiltImages=true ImageRevision=")

    assert (
        main(["invoke", str(EVENTS_DIR / "create.json"), "--endpoint-url", seeded.proxy.endpoint])
        == EXIT_OK
    )
    response = json.loads(capsys.readouterr().out)
    assert overrides == f"UsePreBuiltImages=true ImageRevision={response['Data']['Revision']}"


def test_sam_override_names_are_configurable(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--emit",
        "sam-overrides",
        "--prebuilt-parameter",
        "Prebuilt",
        "--revision-parameter",
        "Rev",
    ]
    assert plan(seeded, "--spec", str(with_missing_spec(tmp_path)), *args) == EXIT_BUILD_NEEDED
    assert capsys.readouterr().out.startswith("Prebuilt=false Rev=")


def test_invalid_input_exits_2_with_one_line(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = {**load_event("create.json")["ResourceProperties"], "OnMisssing": "Fail"}
    assert plan(seeded, "--spec", str(spec_file(tmp_path, properties))) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith(
        "resolver: OnMisssing: 'Fail' is not a known property. Did you mean OnMissing? Valid: "
    )
    assert err.count("\n") == 1
    assert seeded.calls() == 0


def test_lookup_errors_exit_4(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded.proxy.fail_next("BatchGetImage", Fault("AccessDeniedException", "no ecr:BatchGetImage"))
    assert plan(seeded, "--spec", str(all_found_spec(tmp_path))) == EXIT_LOOKUP_FAILED
    err = capsys.readouterr().err
    assert "AccessDeniedException: no ecr:BatchGetImage" in err
    assert "Traceback" not in err


def test_account_comes_from_sts_unless_given(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = {
        "Repository": "tak-dev-baseinfra-artifacts",
        "Images": {"Api": {"Tag": "cloudtak-3f9a1c2e"}},
    }
    spec = str(spec_file(tmp_path, properties))
    assert plan(seeded, "--spec", spec, "--output", "json") == EXIT_OK
    assert (
        json.loads(capsys.readouterr().out)["images"][0]["registryId"] == "123456789012"
    )  # moto's STS
    assert (
        plan(seeded, "--spec", spec, "--output", "json", "--account-id", "210987654321") == EXIT_OK
    )
    assert json.loads(capsys.readouterr().out)["images"][0]["uri"].startswith(
        "210987654321.dkr.ecr."
    )


def seed_example_images(ecr: Ecr, repository: str, tags: list[str]) -> None:
    client = ecr.client()
    ensure_repository(client, repository)
    for tag in tags:
        push(client, repository, tag, manifest(f"{repository}:{tag}"))


def test_plan_the_cloudtak_example_with_samconfig_and_imports(
    ecr: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_example_images(
        ecr,
        "tak-prod-baseinfra-artifacts",
        ["cloudtak-0badc0de", "events-0badc0de", "data-0badc0de"],
    )
    config = tmp_path / "samconfig.toml"
    config.write_text(
        'version = 0.1\n[prod.deploy.parameters]\nparameter_overrides = "EnvType=prod StackNameComponent=Prod GitSha=0badc0de"\n'
    )
    repo_arn = "arn:aws:ecr:ap-southeast-2:123456789012:repository/tak-prod-baseinfra-artifacts"
    args = [
        "--template", str(ROOT / "examples" / "cloudtak.yaml"),
        "--config-file", str(config), "--config-env", "prod",
        "--import", f"TAK-Prod-BaseInfra-EcrArtifactsRepoArn={repo_arn}",
        "--output", "json",
    ]  # fmt: skip
    assert plan(ecr, *args) == EXIT_BUILD_NEEDED
    document = json.loads(capsys.readouterr().out)
    assert document["missingImages"] == ["PmTiles"]
    assert {i["name"]: i["tag"] for i in document["images"]} == {
        "CloudTak": "cloudtak-0badc0de",
        "Events": "events-0badc0de",
        "PmTiles": "pmtiles-0badc0de",
        "Data": "data-0badc0de",
    }
    # An explicit override beats samconfig.
    assert plan(ecr, *args, "--parameter-overrides", "GitSha=00000000") == EXIT_BUILD_NEEDED
    assert json.loads(capsys.readouterr().out)["missingImages"] == [
        "CloudTak",
        "Events",
        "PmTiles",
        "Data",
    ]


EXAMPLES = EXAMPLE_IMAGES


def test_every_example_is_planned() -> None:
    # The CloudTAK examples have their own tests (here, and in test_cli_emit.py for the signed one).
    planned = set(EXAMPLES) | {"cloudtak.yaml", "cloudtak-signed.yaml"}
    assert planned == {p.name for p in (ROOT / "examples").glob("*.yaml")}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_plan_each_example(ecr: Ecr, example: str, capsys: pytest.CaptureFixture[str]) -> None:
    overrides, images = EXAMPLES[example]
    seed_examples(ecr.client)
    template = str(ROOT / "examples" / example)
    args = ["--template", template, "--parameter-overrides", *overrides, "--output", "json"]
    assert plan(ecr, *args) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert {(i["region"], i["repository"], i["tag"]) for i in document["images"]} == set(images)
    assert all(i["status"] == "Found" for i in document["images"])


def test_unevaluable_template_values_are_errors_naming_the_intrinsic(
    ecr: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Repo: {Type: AWS::ECR::Repository}\n  Images:\n    Type: Custom::ImageResolver\n"
        "    Properties:\n      ServiceToken: x\n      Repository: !GetAtt Repo.Arn\n"
        "      Images: {Api: {Tag: v1}}\n"
    )
    assert plan(ecr, "--template", str(template)) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "Images.Properties.Repository: Fn::GetAtt" in err


def test_invoke_prints_the_response_and_sends_nothing(
    seeded: Ecr, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["invoke", str(EVENTS_DIR / "create-missing.json"), "--endpoint-url", seeded.proxy.endpoint]
    )
    assert code == 6 and ExitCode(code) is ExitCode.RESOURCE_FAILED  # not 1, which means a bug
    body = json.loads(capsys.readouterr().out)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("1 image is missing from ECR: Pmtiles")


def test_console_script_and_module_entry_point() -> None:
    script = Path(sys.executable).parent / "resolver"
    assert subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=True
    ).stdout.startswith("resolver ")
    result = subprocess.run(
        [sys.executable, "-m", "resolver", "plan", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "exit codes:\n  0  every image was found\n  3  at least one image is missing" in (
        result.stdout
    )


def test_plan_ignores_the_templates_wait_unless_asked(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the system clock's, which waits use
    properties = {**load_event("create-missing.json")["ResourceProperties"], "WaitSeconds": "600"}
    spec = str(spec_file(tmp_path, properties))
    assert plan(seeded, "--spec", spec) == EXIT_BUILD_NEEDED
    assert slept == []
    capsys.readouterr()
    assert plan(seeded, "--spec", spec, "--wait", "5") == EXIT_BUILD_NEEDED
    assert slept == [2.0, 3.0]  # 5 s of backoff, then the answer
    said = [line for line in capsys.readouterr().err.splitlines() if "still waiting" in line]
    assert said == [
        "resolver: still waiting for Pmtiles (0 s of 5 s)",
        "resolver: still waiting for Pmtiles (2 s of 5 s)",
    ]


def test_invoke_rejects_a_misspelled_request_type_in_one_line(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {**load_event("create.json"), "RequestType": "Crete"}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["invoke", str(path), "--endpoint-url", seeded.proxy.endpoint]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith(f"resolver: EVENT: '{path}' is not usable: ")
    assert "Crete" in err and err.count("\n") == 1 and "Traceback" not in err
    assert seeded.calls() == 0


def test_invoke_needs_no_response_url(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event("create.json")
    del event["ResponseURL"]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["invoke", str(path), "--endpoint-url", seeded.proxy.endpoint]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["Status"] == "SUCCESS"


def test_the_region_may_come_from_aws_region_alone(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # boto3 reads AWS_DEFAULT_REGION only; Lambda and many CI setups export AWS_REGION.
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert plan(seeded, "--spec", str(all_found_spec(tmp_path))) == EXIT_OK
    monkeypatch.delenv("AWS_REGION")
    assert plan(seeded, "--spec", str(all_found_spec(tmp_path))) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "--region: (absent) is not set. Pass --region, or set AWS_DEFAULT_REGION" in err


def test_a_region_typo_is_named_before_any_call(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--spec", str(all_found_spec(tmp_path)), "--region", "ap-southest-2"]
    assert plan(seeded, *args) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith("resolver: --region: 'ap-southest-2' is not an AWS region. ")
    assert "Did you mean ap-southeast-2?" in err
    assert "Repository" not in err and seeded.calls() == 0


def test_an_endpoint_without_a_scheme_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", "--spec", str(all_found_spec(tmp_path)), "--endpoint-url", "127.0.0.1:5000"]
    assert main(args) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "--endpoint-url: '127.0.0.1:5000' is not an http:// or https:// URL" in err
    assert "--endpoint-url http://127.0.0.1:5000" in err and "credentials" not in err


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_silent_endpoint_is_bounded_and_announced(
    silent_endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resolver.planner.aws as cli_aws

    # The real bounds (3 attempts, 10 s to answer) scaled down to keep the test short.
    monkeypatch.setattr(cli_aws, "READ_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(cli_aws, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(cli_aws, "SLOW_CALL_NOTICE_SECONDS", 0.5)
    started = time.monotonic()
    args = ["--spec", str(all_found_spec(tmp_path)), "--account-id", "123456789012"]
    assert main(["plan", "--endpoint-url", silent_endpoint, *args]) == EXIT_LOOKUP_FAILED
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert f"resolver: waiting for ECR ({silent_endpoint}); no answer yet" in err
    assert "ReadTimeoutError" in err
    assert elapsed < 10  # botocore's defaults would sit here for a minute


def test_plan_checks_the_deployed_stacks_way_back(
    seeded: Ecr,
    stacks: StatusServer,
    receiver: ResponseReceiver,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from resolver.cloudformation.app import handler

    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    properties = load_event("create.json")["ResourceProperties"]
    spec = str(spec_file(tmp_path, properties))
    # Endpoints from the environment: ECR through the proxy, CloudFormation the stand-in.
    args = ["plan", "--spec", spec, "--account-id", "123456789012", "--output", "json"]

    assert main([*args, "--stack-name", "consumer"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["rollbackTarget"] == (
        "Unknown: stack consumer has no resource Images yet"
    )

    stack = stacks.add(Stack(handler=handler, receiver=receiver))
    assert stack.create(properties) == "CREATE_COMPLETE"
    capsys.readouterr()  # the handler's own log lines
    assert main([*args, "--stack-name", "consumer"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["rollbackTarget"] == "Ready"

    deployed = stack.attributes()["Api.Digest"]
    seeded.client().batch_delete_image(
        repositoryName="tak-dev-baseinfra-artifacts", imageIds=[{"imageDigest": deployed}]
    )
    push(seeded.client(), "tak-dev-baseinfra-artifacts", "cloudtak-3f9a1c2e", manifest("rebuilt"))
    assert main([*args[:-2], "--stack-name", "consumer"]) == EXIT_OK
    table = capsys.readouterr().out
    assert "Rollback target (the images deployed now): Missing: Api" in table
    assert main(args) == EXIT_OK  # without --stack-name nothing is asked of CloudFormation
    assert json.loads(capsys.readouterr().out)["rollbackTarget"] is None


STACK_NAMED_TEMPLATE = """
Resources:
  Images:
    Type: Custom::ImageResolver
    Properties:
      ServiceToken: x
      Repository: tak-dev-baseinfra-artifacts
      Images:
        Api: {Tag: !Sub "${AWS::StackName}-api"}
"""


@pytest.fixture
def stack_named(ecr: Ecr, tmp_path: Path) -> Path:
    """A template whose tag is its stack's name, and the image of the stack tak-prod."""
    seed_example_images(ecr, "tak-dev-baseinfra-artifacts", ["tak-prod-api"])
    template = tmp_path / "template.yaml"
    template.write_text(STACK_NAMED_TEMPLATE)
    return template


def test_the_stack_name_is_what_aws_stackname_evaluates_to(
    ecr: Ecr, stack_named: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--template", str(stack_named), "--output", "json", "--account-id", "123456789012"]
    assert plan(ecr, *args, "--stack-name", "tak-prod") == EXIT_OK
    (image,) = json.loads(capsys.readouterr().out)["images"]
    assert (image["tag"], image["status"]) == ("tak-prod-api", "Found")

    # Without a name the plan says so, rather than guess one and call the image missing.
    assert plan(ecr, *args) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "AWS::StackName: the stack's name is not known to the plan. Pass --stack-name" in err
    assert ecr.calls() == 1


def test_samconfigs_stack_name_is_the_default(
    ecr: Ecr, stack_named: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack_named.parent / "samconfig.toml").write_text(
        'version = 0.1\n[prod.deploy.parameters]\nstack_name = "tak-prod"\n'
    )
    args = ["--template", str(stack_named), "--config-env", "prod", "--output", "json"]
    assert plan(ecr, *args) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["images"][0]["tag"] == "tak-prod-api"
    # --stack-name wins, as it does for sam deploy.
    assert plan(ecr, *args, "--stack-name", "tak-dev") == EXIT_BUILD_NEEDED
    assert json.loads(capsys.readouterr().out)["images"][0]["tag"] == "tak-dev-api"


def test_an_invalid_stack_name_is_named_before_any_call(
    ecr: Ecr, stack_named: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan(ecr, "--template", str(stack_named), "--stack-name", "tak_prod") == EXIT_INVALID
    assert capsys.readouterr().err.startswith("resolver: --stack-name: 'tak_prod' is not a stack")
    assert ecr.calls() == 0


def invoke(ecr: Ecr, event: str, *args: str) -> int:
    return main(["invoke", str(EVENTS_DIR / event), "--endpoint-url", ecr.proxy.endpoint, *args])


def test_invoke_applies_the_allowed_stack_prefixes_as_the_function_does(
    seeded: Ecr, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # events/create.json comes from the stack cloudtak-dev.
    assert invoke(seeded, "create.json", "--allowed-stack-prefixes", "tak-") == (
        ExitCode.RESOURCE_FAILED
    )
    reason = json.loads(capsys.readouterr().out)["Reason"]
    assert reason.startswith("Stack 'cloudtak-dev' may not use this image resolver")
    assert seeded.calls() == 0

    # The function's own environment variable is read too, and the option overrides it.
    monkeypatch.setenv("IMAGE_RESOLVER_ALLOWED_STACK_PREFIXES", "tak-,other-")
    assert invoke(seeded, "create.json") == ExitCode.RESOURCE_FAILED
    capsys.readouterr()
    assert seeded.calls() == 0
    assert invoke(seeded, "create.json", "--allowed-stack-prefixes", "cloudtak-") == EXIT_OK
    assert json.loads(capsys.readouterr().out)["Status"] == "SUCCESS"


# --- the response budget: the plan fails exactly when the Create would ---------------------------


def found_images_spec(ecr: Ecr, tmp_path: Path, count: int) -> Path:
    """``count`` images of the first user's repository, each pushed, named like Api or Pmtiles."""
    repository = "tak-dev-baseinfra-artifacts"
    ensure_repository(ecr.client(), repository)
    images = {}
    for number in range(count):
        tag = f"i{number:03d}-3f9a1c2e"
        with contextlib.suppress(Exception):  # pushed by an earlier count already
            push(ecr.client(), repository, tag, manifest(tag))
        images[f"I{number:03d}x"] = {"Tag": tag}
    return spec_file(tmp_path, {"Repository": repository, "Attributes": "Uri", "Images": images})


def created_by_the_function(spec: Path, receiver: ResponseReceiver) -> dict[str, Any]:
    """What the Lambda answers a Create of the spec's properties, for stack cloudtak-dev."""
    from devkit.lambda_context import LambdaContext
    from resolver.cloudformation.app import handler

    event = load_event("create.json")
    event["ResourceProperties"] = {
        "ServiceToken": event["ServiceToken"],
        **yaml.safe_load(spec.read_text()),
    }
    event["ResponseURL"] = receiver.url("create")
    handler(event, LambdaContext())
    return receiver.take(timeout=10).body


def test_the_plan_fails_for_size_exactly_when_the_create_would(
    seeded: Ecr,
    tmp_path: Path,
    receiver: ResponseReceiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """22 images with [Uri] fit, 23 do not (README: the response budget): the plan and the
    function size the response with the same code, so CI is never green for a deploy that the
    size alone would fail. Before, the plan said "No build needed", exit 0, for both."""
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    for count, fits in ((22, True), (23, False)):
        spec = found_images_spec(seeded, tmp_path, count)
        code = plan(seeded, "--spec", str(spec), "--stack-name", "cloudtak-dev", "--output", "json")
        out, err = capsys.readouterr()
        created = created_by_the_function(spec, receiver)
        if fits:
            assert (code, created["Status"]) == (EXIT_OK, "SUCCESS")
            forecast = json.loads(out)
            assert forecast["responseBytes"] == len(json.dumps(created, separators=(",", ":")))
            assert forecast["rollbackRecord"] == created["Data"]["RollbackRecord"] == "Dropped"
        else:
            assert (code, created["Status"]) == (EXIT_INVALID, "FAILED")
            assert err.strip().splitlines()[-1] == f"resolver: {created['Reason']}"


def test_without_a_stack_name_the_longest_is_assumed_and_said(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan(seeded, "--spec", str(found_images_spec(seeded, tmp_path, 3))) == EXIT_OK
    out = capsys.readouterr().out
    assert "(for a 128-character stack name: pass --stack-name); rollback record Full." in out


# --- parameters CI publishes to SSM ---------------------------------------------------------------


def test_an_ssm_parameter_is_read_as_cloudformation_reads_it(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CI publishes the version to SSM; the template takes it through an
    AWS::SSM::Parameter::Value<String> parameter. The plan reads the parameter, as the deploy
    will, rather than refusing it."""
    ssm = boto3.client(
        "ssm",
        region_name="ap-southeast-2",
        endpoint_url=seeded.emulator.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm.put_parameter(Name="/cloudtak/image-version", Value="3f9a1c2e", Type="String")
    template = tmp_path / "template.yaml"
    template.write_text(
        yaml.safe_dump(
            {
                "Parameters": {
                    "ImageVersion": {
                        "Type": "AWS::SSM::Parameter::Value<String>",
                        "Default": "/cloudtak/image-version",
                    }
                },
                "Resources": {
                    "Images": {
                        "Type": "Custom::ImageResolver",
                        "Properties": {
                            "ServiceToken": "arn:aws:lambda:ap-southeast-2:123456789012:function:r",
                            "Repository": "tak-dev-baseinfra-artifacts",
                            "Version": {"Ref": "ImageVersion"},
                            "Images": {"Api": {"Tag": "cloudtak-{version}"}},
                        },
                    }
                },
            }
        )
    )
    assert plan(seeded, "--template", str(template), "--output", "json") == EXIT_OK
    assert json.loads(capsys.readouterr().out)["version"] == "3f9a1c2e"
    missing = str(template).replace("template.yaml", "other.yaml")
    Path(missing).write_text(template.read_text().replace("/cloudtak/image-version", "/nope"))
    assert plan(seeded, "--template", missing) == EXIT_INVALID
    assert "SSM parameter /nope: does not exist" in capsys.readouterr().err


def test_a_function_sam_build_would_rebuild_is_warned_about(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from resolver.planner.template import load_template

    template = load_template(ROOT / "examples" / "consumer-ecs-lambda.yaml")
    functions = [
        name
        for name, body in template["Resources"].items()
        if body.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    ]
    for name in functions:
        template["Resources"][name]["Metadata"] = {"Dockerfile": "Dockerfile", "DockerContext": "."}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    plan(seeded, "--template", str(path), "--parameter-overrides", "ImageVersion=1a2b3c4d")
    err = capsys.readouterr().err
    assert functions and all(f"warning: {name} takes its image from" in err for name in functions)
