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
    written = output_file.read_text() if output_file.exists() else ""
    outputs = dict(line.split("=", 1) for line in written.splitlines())
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
        parameter_overrides="GitSha=3f9a1c2e\nEnvType=dev",
        imports=f"TAK-Dev-BaseInfra-EcrArtifactsRepoArn={repository}",
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
