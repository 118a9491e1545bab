"""Parameter values: precedence, constraints, and what needs a value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from resolver.errors import TemplateError
from resolver.planner.template import (
    Parameters,
    load_template,
)

from .conftest import TEMPLATE, evaluate, value_of, write

# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("samconfig", "overrides", "expected"),
    [
        ({}, {}, "3f9a1c2e"),  # the template's Default
        ({"GitSha": "aaaaaaaa"}, {}, "aaaaaaaa"),  # samconfig beats the Default
        ({"GitSha": "aaaaaaaa"}, {"GitSha": "bbbbbbbb"}, "bbbbbbbb"),  # overrides beat both
        ({}, {"GitSha": "bbbbbbbb"}, "bbbbbbbb"),
    ],
)
def test_parameter_precedence(
    tmp_path: Path, samconfig: dict[str, str], overrides: dict[str, str], expected: str
) -> None:
    template = load_template(write(tmp_path, TEMPLATE.replace("VALUE", "!Ref GitSha")))
    parameters = Parameters(template, overrides, samconfig=samconfig)
    assert parameters.value("GitSha", "Value", "Ref") == expected


def test_samconfig_values_for_other_templates_are_dropped_like_sam_does() -> None:
    template = {"Parameters": {"Env": {"Type": "String"}}}
    parameters = Parameters(template, {}, samconfig={"Env": "dev", "LogLevel": "INFO"})
    assert list(parameters) == ["Env"]
    assert parameters.value("Env", "Value", "Ref") == "dev"


def test_an_override_for_no_parameter_is_a_typo() -> None:
    template = {"Parameters": {"GitSha": {"Type": "String"}}}
    with pytest.raises(TemplateError, match=r"'GitSah' is not a parameter .*did you mean 'GitSha'"):
        Parameters(template, {"GitSah": "x"}, given_by="--parameter-overrides")


def test_evaluate_rejects_values_for_undeclared_parameters(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"^Parameters: 'Stage' is not a parameter"):
        value_of(tmp_path, "x", Stage="dev")


@pytest.mark.parametrize(
    ("declaration", "value", "says"),
    [
        ("{Type: String, AllowedValues: [dev, prod]}", "qa",
         "'qa' is not one of the AllowedValues (dev, prod)"),
        ("{Type: String, AllowedValues: [dev, prod], ConstraintDescription: dev or prod}", "qa",
         "(dev or prod)"),
        ("{Type: String, AllowedPattern: '[0-9a-f]{8}'}", "3f9a1c2e0",
         "does not match the AllowedPattern"),
        ("{Type: String, MinLength: 3}", "ab", "shorter than MinLength 3"),
        ("{Type: String, MaxLength: 3}", "abcd", "longer than MaxLength 3"),
        ("{Type: Number}", "twelve", "'twelve' is not a number"),
        ("{Type: Number}", "nan", "is not a number"),
        ("{Type: Number, MinValue: 1, MaxValue: 10}", "0", "below MinValue 1"),
        ("{Type: Number, MinValue: 1, MaxValue: 10}", "11", "above MaxValue 10"),
        ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a, c",
         "'c' is not one of the AllowedValues"),
        ("{Type: String, Default: qa, AllowedValues: [dev, prod]}", None, "'qa' is not one of"),
    ],
)  # fmt: skip
def test_parameter_constraints_are_enforced(
    tmp_path: Path, declaration: str, value: str | None, says: str
) -> None:
    text = f"Parameters:\n  P: {declaration}\n" + TEMPLATE.split("Parameters:\n", 1)[1]
    template = load_template(write(tmp_path, text.replace("VALUE", "!Ref P")))
    given = {} if value is None else {"P": value}
    with pytest.raises(TemplateError) as caught:
        evaluate(template, **given)
    message = str(caught.value)
    assert message.startswith("Parameters.P: "), message
    assert says in message
    assert "--parameter-overrides P=<value>" in message


@pytest.mark.parametrize(
    ("declaration", "value", "expected"),
    [
        ("{Type: String, AllowedPattern: '[0-9a-f]{8}'}", "3f9a1c2e", "3f9a1c2e"),
        ("{Type: Number, MinValue: 1, MaxValue: 10}", "10", "10"),
        ("{Type: Number}", "1.5", "1.5"),
        ("{Type: 'List<Number>'}", "1, 2", ["1", "2"]),
        ("{Type: CommaDelimitedList, AllowedValues: [a, b]}", "a,b", ["a", "b"]),
        ("{Type: String, AllowedValues: [true, false]}", "true", "true"),
    ],
)  # fmt: skip
def test_valid_parameter_values_pass(
    tmp_path: Path, declaration: str, value: str, expected: Any
) -> None:
    text = f"Parameters:\n  P: {declaration}\n" + TEMPLATE.split("Parameters:\n", 1)[1]
    template = load_template(write(tmp_path, text.replace("VALUE", "!Ref P")))
    assert evaluate(template, P=value)["Value"] == expected


def test_an_unreferenced_parameter_needs_no_value(tmp_path: Path) -> None:
    # "Secret" has no Default and no value; the resource never reads it, so planning works.
    assert value_of(tmp_path, "!Ref Env") == "dev"


def test_missing_parameter_says_how_to_pass_it(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        value_of(tmp_path, "!Ref Secret")
    assert str(caught.value) == (
        "Images.Properties.Value: Ref: parameter Secret has no value: the template gives no "
        "Default and none was passed. Pass it with --parameter-overrides Secret=<value> "
        "(or parameter_overrides in samconfig)."
    )


def test_an_ssm_parameter_without_an_ssm_reader_says_so(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="AWS::SSM::Parameter::Value<String> and the planner"):
        value_of(tmp_path, "!Ref Latest", Latest="/other")


def test_an_ssm_parameter_is_the_value_of_the_parameter_it_names() -> None:
    template = {
        "Parameters": {
            "Tag": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/images/tag"},
            "Tags": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/images/all"},
        }
    }
    published = {"/images/tag": "api-3f9a1c2e", "/images/other": "api-1", "/images/all": "a, b"}
    parameters = Parameters(template, {"Tag": "/images/other"})
    assert parameters.value("Tag", "w", "Ref", ssm=published.__getitem__) == "api-1"
    assert parameters.value("Tags", "w", "Ref", ssm=published.__getitem__) == ["a", "b"]
