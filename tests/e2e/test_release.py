"""One version in one place; the Serverless Application Repository listing; safe function names."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import resolver
from resolver.planner.template import PseudoParameters, load_template
from resolver.planner.template.intrinsics import Evaluator
from resolver.planner.template.parameters import Parameters

from .conftest import ROOT

pytestmark = pytest.mark.e2e

TEMPLATE = load_template(ROOT / "template.yaml")
SAR = TEMPLATE["Metadata"]["AWS::ServerlessRepo::Application"]
SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?"


def test_the_version_is_written_once_and_everything_agrees() -> None:
    assert re.fullmatch(SEMVER, resolver.__version__)
    assert SAR["SemanticVersion"] == resolver.__version__
    top = re.search(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert top is not None and top.group(1) == resolver.__version__
    # pyproject.toml reads it (hatch): the installed distribution carries the same version.
    assert version("ecr-image-resolver") == resolver.__version__
    assert 'version = "' not in (ROOT / "pyproject.toml").read_text().split("[project]")[1][:400]


def test_the_listing_has_every_field_the_repository_requires() -> None:
    # docs.aws.amazon.com/serverless-application-model: "Metadata section properties"
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", SAR["Name"])
    assert 1 <= len(SAR["Description"]) <= 256
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", SAR["Author"])
    assert len(SAR["Author"]) <= 127
    # Required to make the application public: a license and a semantic version.
    assert SAR["SpdxLicenseId"] == "Apache-2.0"
    assert "Apache License" in (ROOT / SAR["LicenseUrl"]).read_text()
    assert (ROOT / SAR["ReadmeUrl"]).read_text().startswith("# ")
    assert len(SAR["Labels"]) <= 10
    assert all(re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label) for label in SAR["Labels"])
    # Intrinsic functions are not supported in this metadata.
    assert all(isinstance(value, str | list) for value in SAR.values())


def _function_name(*, stack_name: str, naming: str | None) -> Any:
    given = {} if naming is None else {"FunctionNaming": naming}
    evaluator = Evaluator(
        TEMPLATE,
        parameters=Parameters(TEMPLATE, given),
        imports=lambda _: None,
        pseudo=PseudoParameters.for_region("ap-southeast-2", stack_name=stack_name),
    )
    node = TEMPLATE["Resources"]["ResolverFunction"]["Properties"]["FunctionName"]
    return evaluator.value({"FunctionName": node}, "FunctionName").get("FunctionName")


def test_existing_stacks_keep_their_function_name() -> None:
    # An upgrade that renamed the function would replace it and change the exported ServiceToken.
    assert _function_name(stack_name="image-resolver-prod", naming=None) == (
        "image-resolver-prod-resolver"
    )


def test_long_stack_names_can_have_a_generated_name() -> None:
    nested = "cloudtak-production-environment-ImageResolverApp-1A2B3C4D5E6F7"
    assert len(_function_name(stack_name=nested, naming="StackName")) > 64  # Lambda's limit
    assert _function_name(stack_name=nested, naming="Generated") is None  # CloudFormation names it
    assert TEMPLATE["Parameters"]["FunctionNaming"]["AllowedValues"] == ["StackName", "Generated"]


def test_the_log_group_does_not_depend_on_the_function_name() -> None:
    function = TEMPLATE["Resources"]["ResolverFunction"]["Properties"]
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "ResolverLogGroup"}}


def test_license_is_the_apache_2_text() -> None:
    text = Path(ROOT / "LICENSE").read_text()
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
