"""The GitHub Action: action.yml's wiring, and the script it runs, against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from devkit.ecr_proxy import Fault
from devkit.events import load_event

from ..github import read_outputs
from .conftest import Ecr

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCRIPT = ROOT / "action" / "plan.sh"
PLAN_STEP = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "plan")


def _env_name(input_name: str) -> str:
    return "INPUT_" + input_name.upper().replace("-", "_")


def test_every_input_reaches_the_script_and_every_variable_is_an_input() -> None:
    assert ACTION["runs"]["using"] == "composite"
    mapped = PLAN_STEP["env"]
    assert mapped == {_env_name(name): f"${{{{ inputs.{name} }}}}" for name in ACTION["inputs"]}
    used = set(re.findall(r"INPUT_[A-Z_]+", SCRIPT.read_text()))
    assert used == set(mapped)


def test_the_outputs_are_the_ones_the_cli_writes() -> None:
    outputs = ACTION["outputs"]
    assert set(outputs) == {
        "build-required",
        "use-prebuilt-images",
        "missing-images",
        "revision",
        "version",
        "lock",
    }
    for name, output in outputs.items():
        assert output["value"] == f"${{{{ steps.plan.outputs.{name} }}}}"


def run_action(
    tmp_path: Path, ecr: Ecr, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """The step as GitHub runs it: inputs as INPUT_*, outputs and summary in files."""
    output_file, summary_file = tmp_path / "output", tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "INPUT_ENDPOINT_URL": ecr.proxy.endpoint,
        **{_env_name(name.replace("_", "-")): value for name, value in inputs.items()},
    }
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    outputs = read_outputs(output_file.read_text() if output_file.exists() else "")
    return result, outputs, summary_file.read_text() if summary_file.exists() else ""


def spec(tmp_path: Path, properties: dict[str, Any]) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(properties))
    return str(path)


def test_all_found(seeded: Ecr, tmp_path: Path) -> None:
    properties = load_event("create.json")["ResourceProperties"]
    result, outputs, summary = run_action(tmp_path, seeded, spec=spec(tmp_path, properties))
    assert result.returncode == 0, result.stderr
    assert outputs["build-required"] == "false"
    assert outputs["use-prebuilt-images"] == "true"
    assert outputs["missing-images"] == ""
    assert outputs["version"] == "3f9a1c2e" and len(outputs["revision"]) == 12
    assert [pair.partition("=")[0] for pair in outputs["lock"].split(",")] == [
        "Api", "Events", "Data", "Pinned"
    ]  # fmt: skip
    assert "**No build needed**" in summary and "| Api | tak-dev-baseinfra-artifacts |" in summary


def test_a_build_needed_is_an_answer_not_a_failure(seeded: Ecr, tmp_path: Path) -> None:
    properties = load_event("create-missing.json")["ResourceProperties"]
    result, outputs, summary = run_action(tmp_path, seeded, spec=spec(tmp_path, properties))
    assert result.returncode == 0, result.stderr  # exit 3 from the CLI: the job goes on
    assert (outputs["build-required"], outputs["use-prebuilt-images"]) == ("true", "false")
    assert outputs["missing-images"] == "Pmtiles"
    assert "**Build needed**: `Pmtiles`" in summary


def test_a_template_with_overrides_and_imports(seeded: Ecr, tmp_path: Path) -> None:
    repository = "arn:aws:ecr:ap-southeast-2:123456789012:repository/tak-dev-baseinfra-artifacts"
    result, outputs, _ = run_action(
        tmp_path,
        seeded,
        template=str(ROOT / "examples" / "cloudtak.yaml"),
        # Spaces and new lines separate words; sam's long form is a word too.
        parameter_overrides="GitSha=3f9a1c2e EnvType=dev\n"
        "ParameterKey=StackNameComponent,ParameterValue=Dev",
        imports=f"TAK-Dev-BaseInfra-EcrArtifactsRepoArn={repository} Unused-Export=x",
        region="ap-southeast-2",
    )
    assert result.returncode == 0, result.stderr
    assert outputs["missing-images"] == "PmTiles,Data"  # data- is in team/etl-tasks in the events


def test_invalid_input_fails_the_step_with_exit_2(seeded: Ecr, tmp_path: Path) -> None:
    properties = {**load_event("create.json")["ResourceProperties"], "OnMisssing": "Fail"}
    result, outputs, summary = run_action(tmp_path, seeded, spec=spec(tmp_path, properties))
    assert result.returncode == 2
    assert outputs == {}
    assert "::error title=ECR image plan::resolver: OnMisssing: 'Fail' is not a known property" in (
        result.stdout
    )
    assert summary.startswith("### Image plan failed (exit 2)")
    assert seeded.calls() == 0


def test_an_aws_failure_stops_the_job_never_reports_missing(seeded: Ecr, tmp_path: Path) -> None:
    seeded.proxy.fail_next("BatchGetImage", *[Fault("AccessDeniedException", "denied")] * 3)
    properties = load_event("create.json")["ResourceProperties"]
    result, outputs, summary = run_action(tmp_path, seeded, spec=spec(tmp_path, properties))
    assert result.returncode == 4
    assert "build-required" not in outputs
    assert "AccessDeniedException" in summary


def test_template_and_spec_together_are_refused(seeded: Ecr, tmp_path: Path) -> None:
    result, _, summary = run_action(tmp_path, seeded, template="t.yaml", spec="s.yaml")
    assert result.returncode == 2
    assert "give the input template or spec, not both" in summary


@pytest.mark.parametrize("name", ["template", "spec"])
def test_paths_are_relative_to_the_workspace(seeded: Ecr, tmp_path: Path, name: str) -> None:
    # GitHub runs the step in the workspace; a missing file is invalid input (2), not a crash.
    result, _, _ = run_action(tmp_path, seeded, **{name: "does-not-exist.yaml"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_an_argparse_error_fails_the_step_with_its_own_message(seeded: Ecr, tmp_path: Path) -> None:
    properties = load_event("create.json")["ResourceProperties"]
    result, outputs, summary = run_action(
        tmp_path, seeded, spec=spec(tmp_path, properties), wait="soon"
    )
    assert result.returncode == 2
    assert outputs == {}
    expected = "resolver plan: error: argument --wait: 'soon' is not a number of seconds"
    assert f"::error title=ECR image plan::{expected}" in result.stdout
    assert expected in summary
    assert seeded.calls() == 0


@pytest.mark.parametrize(
    ("inputs", "word"),
    [
        ({"parameter_overrides": "GitSha=3f9a1c2e --endpoint-url=https://elsewhere"},
         "--endpoint-url=https://elsewhere"),
        ({"parameter_overrides": "--endpoint-url https://elsewhere"}, "--endpoint-url"),
        ({"imports": "--endpoint-url=https://elsewhere"}, "--endpoint-url=https://elsewhere"),
        ({"imports": "Name=1 https://elsewhere"}, "https://elsewhere"),
    ],
)  # fmt: skip
def test_only_name_value_words_reach_the_cli(
    seeded: Ecr, tmp_path: Path, inputs: dict[str, str], word: str
) -> None:
    # A word read as an option would send the plan's signed calls to another host.
    template = str(ROOT / "examples" / "cloudtak.yaml")
    result, outputs, _ = run_action(tmp_path, seeded, template=template, **inputs)
    assert result.returncode == 2
    assert outputs == {}
    (name,) = (name.replace("_", "-") for name in inputs)
    assert f"::error title=ECR image plan::input {name}: '{word}' is not Name=Value" in (
        result.stdout
    )
    assert seeded.proxy.calls.total() == 0


def test_the_error_annotation_escapes_what_github_would_decode(seeded: Ecr, tmp_path: Path) -> None:
    # GitHub decodes %25, %0D and %0A in a workflow command's message.
    template = str(ROOT / "examples" / "cloudtak.yaml")
    result, _, summary = run_action(tmp_path, seeded, template=template, imports="50%0A")
    assert result.returncode == 2
    assert "::error title=ECR image plan::input imports: '50%250A' is not Name=Value" in (
        result.stdout
    )
    assert "input imports: '50%0A' is not Name=Value" in summary


def test_an_input_is_its_options_value_whatever_it_holds(seeded: Ecr, tmp_path: Path) -> None:
    template = str(ROOT / "examples" / "cloudtak.yaml")
    result, _, _ = run_action(
        tmp_path, seeded, template=template, resource="--endpoint-url=https://elsewhere"
    )
    assert result.returncode == 2
    assert (
        "::error title=ECR image plan::resolver: Resources.--endpoint-url=https://elsewhere: "
        in (result.stdout)
    )
    assert seeded.proxy.calls.total() == 0


def test_a_version_with_a_line_break_cannot_set_another_output(seeded: Ecr, tmp_path: Path) -> None:
    # Tags that do not use {version}: the version is only reported, and a missing image means
    # use-prebuilt-images=false — unless a line break in Version writes a later "true".
    properties = {
        "Repository": "tak-dev-baseinfra-artifacts",
        "Version": "3f9a1c2e\nuse-prebuilt-images=true",
        "Images": {"Api": {"Tag": "cloudtak-3f9a1c2e"}, "Pmtiles": {"Tag": "pmtiles-3f9a1c2e"}},
    }
    result, outputs, summary = run_action(tmp_path, seeded, spec=spec(tmp_path, properties))
    assert result.returncode == 2
    assert "use-prebuilt-images" not in outputs
    assert "Version: '3f9a1c2e\\nuse-prebuilt-images=true' holds the unprintable character " in (
        summary
    )
    assert seeded.calls() == 0
