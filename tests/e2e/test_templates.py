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


def test_sam_build_packages_only_what_the_function_runs(built_function: Path) -> None:
    package = built_function / "resolver"
    assert (package / "cloudformation" / "app.py").is_file()
    assert (built_function / "crhelper").is_dir()
    assert (built_function / "aws_lambda_powertools").is_dir()
    # The planner (and the PyYAML it needs) never ships; boto3 comes from the Lambda runtime.
    assert not (package / "planner").exists()
    assert not (package / "__main__.py").exists()
    for absent in ("boto3", "botocore", "yaml", "moto", "devkit", "tests"):
        assert not (built_function / absent).exists(), absent
    shipped = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    source = {
        p.relative_to(sam.ROOT / "src" / "resolver").as_posix()
        for p in (sam.ROOT / "src" / "resolver").rglob("*.py")
    }
    assert shipped == {p for p in source if not p.startswith("planner/") and p != "__main__.py"}


def test_the_build_ships_bytecode_for_the_runtime(built_function: Path) -> None:
    if not sam.runtime_python_found():
        pytest.skip(f"no python{sam.RUNTIME} here: the build ships sources only")
    tag = f"cpython-{sam.RUNTIME.replace('.', '')}"
    for module in (built_function / "resolver").rglob("*.py"):
        compiled = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        assert compiled.is_file(), module


def test_the_build_leaves_the_checkout_alone(built_function: Path, aws_sam_before: bool) -> None:
    # sam build went to a temporary folder: a user's own .aws-sam is neither made nor needed.
    assert (ROOT / ".aws-sam").exists() is aws_sam_before
