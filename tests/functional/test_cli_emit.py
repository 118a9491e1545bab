"""``resolver plan --emit …`` and ``--summary-file``: what deploy commands and CI summaries take."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from devkit.ecr_emulator import manifest, push, set_signing_status
from devkit.events import load_event
from resolver.engine import enforce, resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.errors import LockMismatchError
from resolver.model import Resolution
from resolver.planner.exit_codes import ExitCode
from resolver.planner.template import (
    Parameters,
    PseudoParameters,
    evaluate_properties,
    find_resolver_resource,
    load_template,
)
from resolver.properties import parse_request
from resolver.references import Registry

from ..github import read_outputs
from .conftest import Ecr
from .test_cli import ROOT, all_found_spec, plan, with_missing_spec

CLOUDTAK = str(ROOT / "examples" / "cloudtak.yaml")
SIGNED_CLOUDTAK = str(ROOT / "examples" / "cloudtak-signed.yaml")
CLOUDTAK_IMPORT = (
    "TAK-Dev-BaseInfra-EcrArtifactsRepoArn="
    "arn:aws:ecr:ap-southeast-2:123456789012:repository/tak-dev-baseinfra-artifacts"
)


def test_cdk_context_when_every_image_exists(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = plan(seeded, "--spec", str(all_found_spec(tmp_path)), "--emit", "cdk-context")
    assert code == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out == (
        "--context usePreBuiltImages=true --context imageVersion=3f9a1c2e --context missingImages=\n"
    )
    assert "No build needed." in captured.err  # the report goes to stderr


def test_cdk_context_when_a_build_is_needed_with_the_first_users_keys(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--spec", str(with_missing_spec(tmp_path)), "--emit", "cdk-context",
        "--version-context", "cloudtakImageTag", "--version-context-format", "cloudtak-{version}",
        "--prebuilt-context", "prebuilt", "--revision-context", "imageRevision",
    ]  # fmt: skip
    assert plan(seeded, *args) == ExitCode.BUILD_NEEDED
    out = capsys.readouterr().out.split()
    assert out[:4] == [
        "--context", "prebuilt=false", "--context", "cloudtakImageTag=cloudtak-3f9a1c2e"
    ]  # fmt: skip
    assert out[4] == "--context" and out[5].startswith("imageRevision=") and len(out[5]) == 26


def test_cdk_context_leaves_out_a_version_there_is_none_of(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"Images": {"Pinned": {"Repository": "other-repo", "Tag": "v1"}}}))
    assert plan(seeded, "--spec", str(spec), "--emit", "cdk-context") == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out == "--context usePreBuiltImages=true --context missingImages=\n"
    assert "no version was resolved" in captured.err


def test_failed_plans_print_nothing_to_deploy_with(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = {**load_event("create.json")["ResourceProperties"], "OnMisssing": "Fail"}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(properties))
    for emit in ("cdk-context", "sam-overrides"):
        assert plan(seeded, "--spec", str(spec), "--emit", emit) == ExitCode.INVALID
        assert capsys.readouterr().out == ""


def test_sam_overrides_warn_when_the_template_lacks_the_parameter(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Parameters:\n  UsePreBuiltImages: {Type: String, Default: 'true'}\n"
        "Resources:\n  Images:\n    Type: Custom::ImageResolver\n    Properties:\n"
        "      ServiceToken: x\n      Repository: other-repo\n      Images: {Pinned: {Tag: v1}}\n"
    )
    assert plan(seeded, "--template", str(template), "--emit", "sam-overrides") == ExitCode.OK
    captured = capsys.readouterr()
    assert captured.out.startswith("UsePreBuiltImages=true ImageRevision=")
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "declares no parameter ImageRevision" in warnings[0]
    assert "sam deploy silently drops" in warnings[0] and "--revision-parameter" in warnings[0]


def test_the_cloudtak_example_declares_what_the_recipe_emits(
    seeded: Ecr, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--template", CLOUDTAK, "--import", CLOUDTAK_IMPORT,
        "--parameter-overrides", "GitSha=3f9a1c2e", "--emit", "sam-overrides",
    ]  # fmt: skip
    assert plan(seeded, *args) == ExitCode.BUILD_NEEDED  # pmtiles-3f9a1c2e is never seeded
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert captured.out.startswith("UsePreBuiltImages=false ImageRevision=")


def test_summary_file_gets_a_markdown_report(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    args = ["--spec", str(with_missing_spec(tmp_path)), "--output", "github"]
    assert plan(seeded, *args, "--summary-file", str(summary)) == ExitCode.BUILD_NEEDED
    assert read_outputs(capsys.readouterr().out)["build-required"] == "true"
    text = summary.read_text()
    assert text.startswith("earlier step\n### Image plan\n")  # appended, as GitHub expects
    assert "**Build needed**: `Pmtiles`." in text
    assert "| Pmtiles | tak-dev-baseinfra-artifacts | pmtiles-3f9a1c2e | TagNotFound |" in text


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.yaml")))
def test_every_example_declares_the_parameters_the_recipe_emits(example: str) -> None:
    template = load_template(ROOT / "examples" / example)
    assert {"UsePreBuiltImages", "ImageRevision"} <= set(template["Parameters"])
    _, resource = find_resolver_resource(template, logical_id=None)
    assert resource["Properties"]["Revision"] == {"Ref": "ImageRevision"}


# --- the lock, and the signature gate in the plan --------------------------------------------------

PROFILE = "arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci_release"


def test_emit_lock_prints_the_digests_the_plan_pinned(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan(seeded, "--spec", str(with_missing_spec(tmp_path)), "--emit", "lock") == (
        ExitCode.BUILD_NEEDED
    )
    captured = capsys.readouterr()
    lock = captured.out.strip()
    names = [pair.partition("=")[0] for pair in lock.split(",")]
    assert "Pmtiles" not in names and names  # only images found: a missing one has no digest
    assert all(pair.partition("=")[2].startswith("sha256:") for pair in lock.split(","))
    assert " " not in lock and '"' not in lock  # one CloudFormation String parameter, whole
    assert "Build needed" in captured.err  # the report goes to stderr
    # What the resource accepts: the same text, as ExpectedDigests.
    spec = load_event("create-missing.json")["ResourceProperties"]
    request = parse_request(
        {**spec, "ExpectedDigests": lock},
        default_registry=Registry("123456789012", "ap-southeast-2"),
    )
    assert {s.name for s in request.images if s.gates.expected_digest} == set(names)


def test_github_outputs_carry_the_lock(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        plan(seeded, "--spec", str(all_found_spec(tmp_path)), "--output", "github") == ExitCode.OK
    )
    outputs = read_outputs(capsys.readouterr().out)
    assert outputs["lock"].startswith("Api=sha256:") and outputs["lock"].count("=sha256:") == 4


def test_the_plan_ignores_a_stale_lock_and_never_waits_for_replication(
    seeded: Ecr, tmp_path: Path
) -> None:
    spec = load_event("create.json")["ResourceProperties"]
    stale = "Api=sha256:" + "0" * 64
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({**spec, "ExpectedDigests": stale, "WaitForReplication": "true"}))
    assert plan(seeded, "--spec", str(path)) == ExitCode.OK  # the plan makes the lock
    assert seeded.calls("DescribeImageReplicationStatus") == 0


def test_a_signature_gate_shows_its_column_and_blocks_with_5(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_event("create.json")["ResourceProperties"]
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({**spec, "RequireSignature": PROFILE}))
    digest = seeded.client().batch_get_image(
        repositoryName="tak-dev-baseinfra-artifacts", imageIds=[{"imageTag": "cloudtak-3f9a1c2e"}]
    )["images"][0]["imageId"]["imageDigest"]
    set_signing_status("tak-dev-baseinfra-artifacts", digest, PROFILE, "COMPLETE")
    assert plan(seeded, "--spec", str(path), "--color", "never") == ExitCode.GATE_BLOCKED
    captured = capsys.readouterr()
    header, *rows = captured.out.splitlines()
    assert header.split()[-1] == "SIGNATURE"
    assert "Signed: ci_release" in rows[0] and rows[0].startswith("Api")
    assert any(row.startswith("Events") and "Unsigned" in row for row in rows)
    assert "image(s) without a signature RequireSignature accepts" in captured.err


def test_the_signed_cloudtak_example_from_plan_to_deploy(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CI signs and pushes, plans, builds what is missing, plans again; the deploy gets the lock
    and deploys exactly those digests — and refuses once a tag moved after the plan."""
    repository = "tak-dev-baseinfra-artifacts"
    client = seeded.client()
    set_signing_status(
        repository, push(client, repository, "data-3f9a1c2e", manifest("d")), PROFILE, "COMPLETE"
    )
    for image in client.describe_images(repositoryName=repository)["imageDetails"]:
        set_signing_status(repository, image["imageDigest"], PROFILE, "COMPLETE")
    overrides = ["GitSha=3f9a1c2e", f"SigningProfileArn={PROFILE}"]
    args = [
        "--template", SIGNED_CLOUDTAK, "--import", CLOUDTAK_IMPORT, "--stack-name", "cloudtak-dev",
        "--parameter-overrides", *overrides, "--emit", "lock",
    ]  # fmt: skip
    assert plan(seeded, *args) == ExitCode.BUILD_NEEDED  # PmTiles is not pushed yet
    built = push(client, repository, "pmtiles-3f9a1c2e", manifest("pmtiles built in CI"))
    set_signing_status(repository, built, PROFILE, "COMPLETE")
    capsys.readouterr()
    assert plan(seeded, *args) == ExitCode.OK
    lock = capsys.readouterr().out.strip()
    assert f"PmTiles={built}" in lock.split(",")

    def deploy() -> Resolution:
        template = load_template(Path(SIGNED_CLOUDTAK))
        properties = evaluate_properties(
            template,
            "Images",
            parameters=Parameters(
                template, dict(o.split("=", 1) for o in [*overrides, f"ImageDigests={lock}"])
            ),
            imports=lambda _name: CLOUDTAK_IMPORT.partition("=")[2],
            pseudo=PseudoParameters.for_region(
                "ap-southeast-2", account_id="123456789012", stack_name="cloudtak-dev"
            ),
            skip={"ServiceToken"},
        )
        request = parse_request(
            properties, default_registry=Registry("123456789012", "ap-southeast-2")
        )
        return resolve(request, clients=EcrClients(session=boto3.Session()))

    enforce(deploy())  # planned equals deployed, every image signed
    # CI runs again and pushes the tag once more, signed: only the lock notices.
    _, again = seeded.emulator.move_tag(repository, "events-3f9a1c2e", manifest("pushed again"))
    set_signing_status(repository, again, PROFILE, "COMPLETE")
    with pytest.raises(LockMismatchError, match=r"^1 image\(s\) are not what the plan saw: Events"):
        enforce(deploy())
