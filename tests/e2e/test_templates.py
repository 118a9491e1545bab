"""template.yaml and the examples lint clean, validate, and the function builds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devkit import sam

from .conftest import ROOT, require, tool

TEMPLATES = sorted(
    str(p.relative_to(ROOT)) for p in [ROOT / "template.yaml", *ROOT.glob("examples/*.yaml")]
)

pytestmark = pytest.mark.e2e


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_examples_exist() -> None:
    assert len(TEMPLATES) >= 3


@pytest.mark.parametrize("template", TEMPLATES)
def test_cfn_lint_is_clean(template: str) -> None:
    result = run(tool("cfn-lint"), template)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_sam_validate_lint() -> None:
    result = run(tool("sam"), "validate", "--lint", env=require(sam.runtime_env))
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_build_packages_only_the_function_and_its_dependencies(built_function: Path) -> None:
    assert (built_function / "resolver" / "app.py").is_file()
    assert (built_function / "crhelper").is_dir()
    assert (built_function / "aws_lambda_powertools").is_dir()
    # boto3 comes from the Lambda runtime; dev-only code never ships.
    for absent in ("boto3", "botocore", "moto", "devkit", "tests", "yaml"):
        assert not (built_function / absent).exists(), absent
    assert not (ROOT / ".aws-sam").exists()
