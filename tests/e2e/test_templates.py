"""template.yaml and the examples lint clean, validate, and the function builds."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devkit import sam
from resolver.cloudformation import app, trust
from resolver.errors import TemplateError
from resolver.planner.template import PseudoParameters, load_template
from resolver.planner.template.intrinsics import Evaluator
from resolver.planner.template.parameters import Parameters

from .conftest import ROOT, require, tool

TEMPLATES = sorted(
    str(p.relative_to(ROOT))
    for p in [ROOT / "template.yaml", *ROOT.glob("examples/*.yaml"), *ROOT.glob("deploy/*.yaml")]
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
# The function's environment that parameters make (its own role's ARN exists only after deploy).
PARAMETER_VARIABLES = {
    name: value
    for name, value in FUNCTION["Environment"]["Variables"].items()
    if name != "IMAGE_RESOLVER_ROLE_ARN"
}


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
    variables = PARAMETER_VARIABLES
    given = evaluated(variables, AllowedStackPrefixes="tak-,x-")
    assert given[trust.ENVIRONMENT_VARIABLE] == "tak-,x-"
    assert evaluated(variables)[trust.ENVIRONMENT_VARIABLE] == ""
    assert evaluated(FUNCTION["EventInvokeConfig"]) == {"MaximumRetryAttempts": "0"}


@pytest.mark.parametrize("prefixes", ["tak-*", "tak-,*", "t?k", "tak_", "tak/x"])
def test_allowed_stack_prefixes_are_plain_stack_name_prefixes(prefixes: str) -> None:
    # They become DescribeStacks ARN patterns: a wildcard would widen what the role may read.
    with pytest.raises(TemplateError, match="AllowedPattern"):
        Parameters(TEMPLATE, {"AllowedStackPrefixes": prefixes})


# --- template.yaml's Rules, evaluated the way CloudFormation would ------------------------------
# Neither cfn-lint nor `sam validate` evaluates a Rules section (cfn-lint does not even flag a Ref
# to a missing parameter there), and no offline tool runs one, so this evaluates the rule
# functions as AWS documents them ("Rule functions", CloudFormation template reference): only
# those and Ref may appear, which is also what this checks.


# Rule function -> (fewest and most arguments, what it answers for them).
RULE_FUNCTIONS: dict[str, tuple[int, int, Callable[[list[Any]], bool]]] = {
    "Fn::And": (2, 10, all),
    "Fn::Or": (2, 10, any),
    "Fn::Not": (1, 1, lambda args: not args[0]),
    "Fn::Equals": (2, 2, lambda args: args[0] == args[1]),
    "Fn::Contains": (2, 2, lambda args: args[1] in args[0]),
    "Fn::EachMemberEquals": (2, 2, lambda args: all(item == args[1] for item in args[0])),
}


def _rule(node: Any, parameters: Parameters) -> Any:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return [_rule(item, parameters) for item in node]
    ((name, argument),) = node.items()
    if name == "Ref":
        return parameters.value(argument, "Rules", "Ref")
    assert name in RULE_FUNCTIONS, f"{name} is not one of the rule functions template.yaml may use"
    fewest, most, answer = RULE_FUNCTIONS[name]
    args = _rule(argument, parameters)
    assert fewest <= len(args) <= most, name
    return answer(args)


def refusals(**parameters: str) -> list[str]:
    """The AssertDescription of every rule assertion these parameter values fail."""
    given = Parameters(TEMPLATE, parameters)
    failed: list[str] = []
    for rule in TEMPLATE["Rules"].values():
        if "RuleCondition" in rule and not _rule(rule["RuleCondition"], given):
            continue
        failed += [
            a["AssertDescription"] for a in rule["Assertions"] if not _rule(a["Assert"], given)
        ]
    return failed


@pytest.mark.parametrize("prefixes", ["tak-,", ",tak-", "tak-,,cloudtak-", "tak-, ,cloudtak-"])
def test_a_blank_stack_prefix_entry_is_refused_at_deploy_time(prefixes: str) -> None:
    # It passes AllowedPattern, and the DescribeStacks grant would become every stack.
    Parameters(TEMPLATE, {"AllowedStackPrefixes": prefixes})
    assert allows(describe_stacks_statement(AllowedStackPrefixes=prefixes), STACK.format("x"))
    (refusal,) = refusals(AllowedStackPrefixes=prefixes)
    assert refusal.startswith('AllowedStackPrefixes has a blank entry (e.g. "tak-,")')


@pytest.mark.parametrize("prefixes", ["", ",", "tak-", "tak-,cloudtak-"])
def test_empty_or_real_stack_prefixes_deploy(prefixes: str) -> None:
    assert refusals(AllowedStackPrefixes=prefixes) == []


def test_the_runtime_reads_blank_entries_as_the_rules_do() -> None:
    # What the Rules let through, the function accepts; what they refuse, it refuses too.
    variables = PARAMETER_VARIABLES
    for prefixes in ("", ",", "tak-", "tak-,", "tak-,,x-"):
        environ = evaluated(variables, AllowedStackPrefixes=prefixes)
        policy = trust.StackPolicy.from_environment(environ)
        assert policy.blank_entry == bool(refusals(AllowedStackPrefixes=prefixes)), prefixes


# --- PullThroughCacheImport: only the cache repositories of this registry -----------------------

REPOSITORY = "arn:aws:ecr:ap-southeast-2:123456789012:repository/{}"
IMPORT_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository")


def role_statements(**parameters: str) -> list[dict[str, Any]]:
    role = TEMPLATE["Resources"]["ResolverRole"]["Properties"]
    # The logs policy names the log group's Arn, which exists only after deploy.
    read_and_import = [p for p in role["Policies"] if p.get("PolicyName") != "logs"]
    policies = evaluated(read_and_import, **parameters)
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def _matches(patterns: str | list[str], arn: str) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in listed)


def permitted(statements: list[dict[str, Any]], action: str, arn: str) -> bool:
    """IAM's verdict for ``action`` on ``arn``: some Allow covers it and no Deny does."""

    def covers(statement: dict[str, Any]) -> bool:
        actions = statement["Action"]
        if action not in (actions if isinstance(actions, list) else [actions]):
            return False
        if "NotResource" in statement:
            return not _matches(statement["NotResource"], arn)
        return _matches(statement["Resource"], arn)

    covering = [s for s in statements if covers(s)]
    return any(s["Effect"] == "Allow" for s in covering) and all(
        s["Effect"] != "Deny" for s in covering
    )


@pytest.mark.parametrize("action", IMPORT_ACTIONS)
def test_pull_through_import_is_granted_on_the_cache_prefixes_of_this_registry_only(
    action: str,
) -> None:
    statements = role_statements(
        PullThroughCacheImport="true", PullThroughCachePrefixes="docker-hub,quay"
    )
    assert permitted(statements, action, REPOSITORY.format("docker-hub/library/nginx"))
    assert permitted(statements, action, REPOSITORY.format("quay/prometheus/node-exporter"))
    for arn in (
        REPOSITORY.format("app"),  # not a cache repository
        REPOSITORY.format("docker-hubx/library/nginx"),
        REPOSITORY.format("team/docker-hub/x"),
        "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/library/nginx",
        "arn:aws:ecr:ap-southeast-2:210987654321:repository/docker-hub/library/nginx",
        "arn:aws-cn:ecr:ap-southeast-2:123456789012:repository/docker-hub/library/nginx",
    ):
        assert not permitted(statements, action, arn), arn


def test_without_pull_through_import_nothing_may_be_created_or_imported() -> None:
    statements = role_statements(PullThroughCachePrefixes="docker-hub")
    for action in IMPORT_ACTIONS:
        assert not permitted(statements, action, REPOSITORY.format("docker-hub/library/nginx"))
    # The reads stay as they were: every repository of the account.
    assert permitted(statements, "ecr:BatchGetImage", REPOSITORY.format("docker-hub/x"))


@pytest.mark.parametrize("prefixes", ["", ",", "docker-hub,"])
def test_pull_through_import_without_prefixes_is_refused_at_deploy_time(prefixes: str) -> None:
    (refusal,) = refusals(PullThroughCacheImport="true", PullThroughCachePrefixes=prefixes)
    assert refusal.startswith("PullThroughCacheImport=true needs PullThroughCachePrefixes")
    assert refusals(PullThroughCacheImport="false", PullThroughCachePrefixes=prefixes) == []


@pytest.mark.parametrize("prefixes", ["docker-hub", "docker-hub,quay", "ecr-public/nginx", "k8s"])
def test_pull_through_cache_prefixes_deploy(prefixes: str) -> None:
    assert refusals(PullThroughCacheImport="true", PullThroughCachePrefixes=prefixes) == []


@pytest.mark.parametrize("prefixes", ["*", "docker-hub/*", "docker?hub", "ROOT", "Docker", "a/"])
def test_pull_through_cache_prefixes_are_plain_repository_prefixes(prefixes: str) -> None:
    # They become ARN patterns: a wildcard would widen what the role may create.
    with pytest.raises(TemplateError, match="AllowedPattern"):
        Parameters(TEMPLATE, {"PullThroughCachePrefixes": prefixes})


# --- AssumableRoleArns: sts:AssumeRole on exactly the roles listed -----------------------------

READER_ROLE = "arn:aws:iam::210987654321:role/ci/image-reader"


def test_without_assumable_roles_nothing_may_be_assumed() -> None:
    statements = role_statements()
    assert not [s for s in statements if s["Action"] == "sts:AssumeRole"]
    assert not permitted(statements, "sts:AssumeRole", READER_ROLE)


def test_the_function_may_assume_exactly_the_roles_listed() -> None:
    tools = "arn:aws:iam::333344445555:role/tools-reader"
    statements = role_statements(AssumableRoleArns=f"{READER_ROLE},{tools}")
    assert permitted(statements, "sts:AssumeRole", READER_ROLE)
    assert permitted(statements, "sts:AssumeRole", tools)
    for other in (
        "arn:aws:iam::210987654321:role/ci/image-writer",
        "arn:aws:iam::210987654321:role/ci/image-reader-admin",
        "arn:aws:iam::210987654321:role/image-reader",
        "arn:aws:iam::123456789012:role/ci/image-reader",
    ):
        assert not permitted(statements, "sts:AssumeRole", other), other


@pytest.mark.parametrize(
    "arns",
    [
        "*",
        "arn:aws:iam::210987654321:role/*",
        "arn:aws:iam::*:role/image-reader",
        "arn:aws:iam::210987654321:role/image-?eader",
        "image-reader",
        "arn:aws:iam::2109:role/image-reader",
        "arn:aws:sts::210987654321:assumed-role/image-reader/x",
    ],
)
def test_assumable_roles_are_whole_role_arns_without_wildcards(arns: str) -> None:
    with pytest.raises(TemplateError, match="AllowedPattern"):
        Parameters(TEMPLATE, {"AssumableRoleArns": arns})


@pytest.mark.parametrize(
    "arns", [f"{READER_ROLE},", f",{READER_ROLE}", f"{READER_ROLE},,{READER_ROLE}"]
)
def test_a_blank_assumable_role_is_refused_at_deploy_time(arns: str) -> None:
    (refusal,) = refusals(AssumableRoleArns=arns)
    assert refusal.startswith("AssumableRoleArns has a blank entry")


@pytest.mark.parametrize("arns", ["", ",", READER_ROLE])
def test_no_role_or_real_roles_deploy(arns: str) -> None:
    assert refusals(AssumableRoleArns=arns) == []


def test_the_function_is_told_its_own_role_for_its_refusals() -> None:
    variables = FUNCTION["Environment"]["Variables"]
    assert variables[app.ROLE_VARIABLE] == {"Fn::GetAtt": ["ResolverRole", "Arn"]}


# --- deploy/stackset.yaml: the function as SAM itself would make it ----------------------------

SAM_TRANSLATION = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1]).read())
template["Resources"]["ResolverFunction"]["Properties"]["CodeUri"] = "s3://code/resolver.zip"
resources = transform(template, {}, NoManagedPolicies())["Resources"]
print(json.dumps({k: v for k, v in resources.items() if v["Type"].startswith("AWS::Lambda::")}))
"""


def sam_translated() -> dict[str, Any]:
    python = Path(tool("sam")).parent / "python"  # the SAM CLI's virtualenv has the translator
    result = run(
        str(python),
        "-c",
        SAM_TRANSLATION,
        "template.yaml",
        env={**os.environ, "AWS_DEFAULT_REGION": "ap-southeast-2"},
    )
    assert result.returncode == 0, result.stderr
    translated: dict[str, Any] = json.loads(result.stdout)
    return translated


def test_the_stackset_function_is_what_sam_makes_of_template_yaml() -> None:
    """The StackSets template translates the function by hand (StackSets refuse the transform):
    the SAM translator's own output, less what differs on purpose — the code's location, the name
    (CloudFormation's), SAM's tag and empty DestinationConfig — must be it."""
    sam_made = sam_translated()
    ours = load_template(ROOT / "deploy" / "stackset.yaml")["Resources"]
    assert set(sam_made) == {"ResolverFunction", "ResolverFunctionEventInvokeConfig"}
    function = dict(sam_made["ResolverFunction"]["Properties"])
    for differs in ("Code", "FunctionName", "Tags"):
        function.pop(differs)
    expected = {k: v for k, v in ours["ResolverFunction"]["Properties"].items() if k != "Code"}
    assert function == expected
    retries = dict(sam_made["ResolverFunctionEventInvokeConfig"]["Properties"])
    assert retries.pop("DestinationConfig") == {}
    assert retries == ours["ResolverFunctionEventInvokeConfig"]["Properties"]


# --- SupplyChainChecks: the signing, replication and repository reads only when granted -----------

SUPPLY_CHAIN_ACTIONS = (
    "ecr:DescribeImageSigningStatus",
    "ecr:DescribeImageReplicationStatus",
    "ecr:DescribeRepositories",
)


@pytest.mark.parametrize("action", SUPPLY_CHAIN_ACTIONS)
def test_supply_chain_reads_are_granted_only_when_asked(action: str) -> None:
    assert not permitted(role_statements(), action, REPOSITORY.format("app"))
    granted = role_statements(SupplyChainChecks="true")
    assert permitted(granted, action, REPOSITORY.format("app"))
    narrowed = role_statements(SupplyChainChecks="true", RepositoryArns=REPOSITORY.format("team/*"))
    assert permitted(narrowed, action, REPOSITORY.format("team/app"))
    assert not permitted(narrowed, action, REPOSITORY.format("other"))


def test_listing_referrers_needs_no_grant_of_its_own() -> None:
    # ListImageReferrers is authorized by ecr:BatchGetImage (service authorization reference):
    # there is no ecr:ListImageReferrers action to grant.
    statements = role_statements()
    assert permitted(statements, "ecr:BatchGetImage", REPOSITORY.format("app"))
    assert not any(
        "ecr:ListImageReferrers" in str(s["Action"])
        for s in role_statements(SupplyChainChecks="true")
    )


# --- EnableProtection: tags on the repositories read, stack resources of the allowed stacks ------

PROTECT_ACTIONS = ("ecr:PutImage", "ecr:BatchDeleteImage")


def test_without_protection_the_role_writes_nothing() -> None:
    statements = role_statements()
    for action in (*PROTECT_ACTIONS, "cloudformation:DescribeStackResource"):
        assert not permitted(statements, action, REPOSITORY.format("app")), action
        assert not permitted(statements, action, STACK.format("tak-dev")), action


@pytest.mark.parametrize("action", PROTECT_ACTIONS)
def test_protection_writes_tags_only_where_the_resolver_reads(action: str) -> None:
    everywhere = role_statements(EnableProtection="true")
    assert permitted(everywhere, action, REPOSITORY.format("team/app"))
    assert permitted(everywhere, action, "arn:aws:ecr:us-east-1:123456789012:repository/x")
    assert not permitted(everywhere, action, "arn:aws:ecr:us-east-1:210987654321:repository/x")
    listed = role_statements(EnableProtection="true", RepositoryArns=REPOSITORY.format("team/*"))
    assert permitted(listed, action, REPOSITORY.format("team/app"))
    assert not permitted(listed, action, REPOSITORY.format("other"))


def test_protection_reads_stack_resources_of_the_allowed_stacks_only() -> None:
    statements = role_statements(EnableProtection="true", AllowedStackPrefixes="tak-")
    (statement,) = [s for s in statements if s.get("Sid") == "ReadStackResource"]
    assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "ap-southeast-2"}}
    assert permitted(statements, "cloudformation:DescribeStackResource", STACK.format("tak-dev"))
    assert not permitted(statements, "cloudformation:DescribeStackResource", STACK.format("x"))
