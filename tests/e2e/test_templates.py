"""template.yaml and the examples lint clean, validate, and the function builds."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devkit import sam
from resolver.cloudformation import trust
from resolver.errors import TemplateError
from resolver.planner.template import PseudoParameters, load_template
from resolver.planner.template.intrinsics import Evaluator
from resolver.planner.template.parameters import Parameters

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


# --- template.yaml's hardening, evaluated the way CloudFormation would --------------------------

STACK = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/{}/6f1c2a10-cb6e-11ef-9a3c"


TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTION = TEMPLATE["Resources"]["ResolverFunction"]["Properties"]


def evaluated(node: Any, **parameters: str) -> Any:
    """A node of template.yaml, evaluated with ``parameters`` as in ap-southeast-2."""
    evaluator = Evaluator(
        TEMPLATE,
        parameters=Parameters(TEMPLATE, parameters),
        imports=lambda _name: None,
        pseudo=PseudoParameters.for_region("ap-southeast-2", account_id="123456789012"),
    )
    return evaluator.value(node, "template.yaml")


def describe_stacks_statement(**parameters: str) -> dict[str, Any]:
    role = TEMPLATE["Resources"]["ResolverRole"]["Properties"]
    (statement,) = (
        statement
        for policy in role["Policies"]
        # A policy behind Fn::If (the pull-through import) has no document at this level.
        for statement in policy.get("PolicyDocument", {}).get("Statement", [])
        if statement["Sid"] == "ReadStackStatus"
    )
    result: dict[str, Any] = evaluated(statement, **parameters)
    return result


def allows(statement: dict[str, Any], stack_id: str) -> bool:
    """IAM's wildcard match of ``stack_id`` against the statement's resources."""
    resources = statement["Resource"]
    patterns = resources if isinstance(resources, list) else [resources]
    return any(fnmatch.fnmatchcase(stack_id, pattern) for pattern in patterns)


def test_allowed_stack_prefixes_scope_describe_stacks_to_those_stacks() -> None:
    statement = describe_stacks_statement(AllowedStackPrefixes="tak-,cloudtak-")
    assert statement["Action"] == "cloudformation:DescribeStacks"
    assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "ap-southeast-2"}}
    assert allows(statement, STACK.format("tak-dev-app"))
    assert allows(statement, STACK.format("cloudtak-prod"))
    assert not allows(statement, STACK.format("other-app"))
    assert not allows(statement, STACK.format("x-tak-dev"))


def test_without_prefixes_describe_stacks_covers_this_accounts_stacks_in_this_region() -> None:
    statement = describe_stacks_statement()
    assert statement["Resource"] == ("arn:aws:cloudformation:ap-southeast-2:123456789012:stack/*/*")
    assert allows(statement, STACK.format("any-stack"))


def test_the_function_gets_the_prefixes_and_is_never_retried_by_lambda() -> None:
    variables = FUNCTION["Environment"]["Variables"]
    given = evaluated(variables, AllowedStackPrefixes="tak-,x-")
    assert given[trust.ENVIRONMENT_VARIABLE] == "tak-,x-"
    assert evaluated(variables)[trust.ENVIRONMENT_VARIABLE] == ""
    assert evaluated(FUNCTION["EventInvokeConfig"]) == {"MaximumRetryAttempts": "0"}


@pytest.mark.parametrize("prefixes", ["tak-*", "tak-,*", "t?k", "tak_", "tak/x"])
def test_allowed_stack_prefixes_are_plain_stack_name_prefixes(prefixes: str) -> None:
    # They become DescribeStacks ARN patterns: a wildcard would widen what the role may read.
    with pytest.raises(TemplateError, match="AllowedPattern"):
        Parameters(TEMPLATE, {"AllowedStackPrefixes": prefixes})
