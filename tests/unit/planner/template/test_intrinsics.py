"""Each intrinsic the planner evaluates, and the ones it refuses, with the path and the function named."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import TemplateError
from resolver.planner.template import (
    PseudoParameters,
    load_template,
)

from .conftest import EXPORTS, TEMPLATE, evaluate, value_of, write

# --- each supported intrinsic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "parameters", "expected"),
    [
        # Ref: parameters (given, else Default) and pseudo parameters
        ("!Ref Env", {}, "dev"),
        ("!Ref Env", {"Env": "prod"}, "prod"),
        ("!Ref Count", {}, "2"),  # Number stays a string
        ("!Ref Names", {}, ["api", "data", "pmtiles"]),  # CommaDelimitedList, members trimmed
        ("!Ref Names", {"Names": "x"}, ["x"]),
        ("!Ref AWS::AccountId", {}, "111122223333"),
        ("!Ref AWS::Region", {}, "ap-southeast-2"),
        ("!Ref AWS::Partition", {}, "aws"),
        ("!Ref AWS::URLSuffix", {}, "amazonaws.com"),
        ("!Ref AWS::StackName", {}, "tak"),
        ("!Ref AWS::NotificationARNs", {}, []),
        ("{Ref: Env}", {}, "dev"),  # long form
        # Fn::Sub
        ("!Sub '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/team/${Env}'", {},
         "111122223333.dkr.ecr.ap-southeast-2.amazonaws.com/team/dev"),
        ("!Sub 'cloudtak-${GitSha}-{version}'", {}, "cloudtak-3f9a1c2e-{version}"),
        ("!Sub '{version}'", {}, "{version}"),
        ("!Sub '${!Literal}-${Env}'", {}, "${Literal}-dev"),
        ("!Sub ['${Prefix}-${Env}', {Prefix: !Select [0, !Ref Names]}]", {}, "api-dev"),
        ("!Sub ['${Env}', {Env: from-the-map}]", {}, "from-the-map"),
        ("{Fn::Sub: 'plain'}", {}, "plain"),
        # Fn::Join
        ("!Join ['-', [data, !Ref GitSha]]", {}, "data-3f9a1c2e"),
        ("!Join [':', !Ref Names]", {}, "api:data:pmtiles"),
        ("!Join ['', [a, !If [IsProd, b, !Ref AWS::NoValue], c]]", {}, "ac"),
        ("!Join [',', []]", {}, ""),
        # Fn::Select
        ("!Select [1, !Ref Names]", {}, "data"),
        ("!Select ['0', [x, y]]", {}, "x"),
        ("!Select [!Ref Count, !Ref Names]", {}, "pmtiles"),
        # Fn::Split
        ("!Split ['/', team/etl]", {}, ["team", "etl"]),
        ("!Select [1, !Split ['-', !Sub 'cloudtak-${GitSha}']]", {}, "3f9a1c2e"),
        # Fn::If (conditions built from Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)
        ("!If [IsProd, big, small]", {}, "small"),
        ("!If [IsProd, big, small]", {"Env": "prod"}, "big"),
        ("!If [IsDev, dev, other]", {"Env": "prod"}, "other"),
        ("!If [ProdInSydney, one, other]", {"Env": "prod"}, "one"),
        ("!If [ProdInSydney, one, other]", {}, "other"),
        ("!If [DevOrTwo, one, other]", {"Env": "prod", "Count": "3"}, "one"),
        ("!If [DevOrTwo, one, other]", {"Env": "prod"}, "other"),
        ("!If [CountIsTwo, one, other]", {}, "one"),  # 2 in YAML equals the string "2"
        ("!If [IsProd, !GetAtt Bucket.Arn, safe]", {}, "safe"),  # the other branch is not run
        ("!If [IsProd, x, !Ref AWS::NoValue]", {}, "<removed>"),
        # Fn::ImportValue
        ("!ImportValue image-resolver-ServiceToken", {}, EXPORTS["image-resolver-ServiceToken"]),
        ("!ImportValue {Fn::Sub: 'TAK-${Env}-BaseInfra-EcrArtifactsRepoArn'}", {"Env": "prod"},
         EXPORTS["TAK-prod-BaseInfra-EcrArtifactsRepoArn"]),
        ("{Fn::ImportValue: !Sub 'TAK-${Env}-BaseInfra-EcrArtifactsRepoArn'}", {},
         EXPORTS["TAK-dev-BaseInfra-EcrArtifactsRepoArn"]),
        # Fn::FindInMap
        ("!FindInMap [Regions, !Ref AWS::Region, Suffix]", {}, "syd"),
        ("!FindInMap [Regions, ap-southeast-2, Zones]", {}, ["a", "b"]),
        # literal scalars arrive as strings; maps and lists recurse
        ("300", {}, "300"),
        ("true", {}, "true"),
        ("1.5", {}, "1.5"),
        ("2024-01-01", {}, "2024-01-01"),
        ("[1, false, !Ref Env]", {}, ["1", "false", "dev"]),
        ("{A: 1, B: {C: !Ref Env}}", {}, {"A": "1", "B": {"C": "dev"}}),
    ],
)  # fmt: skip
def test_supported_intrinsics(
    tmp_path: Path, expression: str, parameters: dict[str, str], expected: Any
) -> None:
    assert value_of(tmp_path, expression, **parameters) == expected


def test_no_value_removes_map_keys_and_list_items(tmp_path: Path) -> None:
    expression = (
        "{Keep: k, Drop: !Ref AWS::NoValue, List: [a, !If [IsProd, b, !Ref AWS::NoValue], c]}"
    )
    assert value_of(tmp_path, expression) == {"Keep": "k", "List": ["a", "c"]}


# --- everything that cannot be known offline ---------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "intrinsic", "says"),
    [
        ("!GetAtt Bucket.Arn", "Fn::GetAtt", "Bucket.Arn is a resource attribute"),
        ("!GetAtt [Bucket, Arn]", "Fn::GetAtt", "Bucket.Arn is a resource attribute"),
        ("{Fn::GetAtt: [Bucket, Arn]}", "Fn::GetAtt", "exists only after deploy"),
        ("!Ref Bucket", "Ref", "Bucket is a resource: its Ref is a physical id"),
        ("!Sub '${Bucket.Arn}/x'", "Fn::Sub", "${Bucket.Arn} is an Fn::GetAtt"),
        ("!Sub '${Bucket}'", "Fn::Sub", "Bucket is a resource"),
        ("!GetAZs ''", "Fn::GetAZs", "availability zones"),
        ("!Cidr [10.0.0.0/16, 2, 8]", "Fn::Cidr", "does not compute address blocks"),
        ("!Base64 text", "Fn::Base64", "an image property wants plain text"),
        ("{Fn::Transform: {Name: Macro}}", "Fn::Transform", "macros run inside CloudFormation"),
        ("!Length [a, b]", "Fn::Length", "AWS::LanguageExtensions"),
        ("!Unheard [a]", "Fn::Unheard", "the planner does not evaluate Fn::Unheard"),
        ("!Equals [a, b]", "Fn::Equals", "only work in the template's Conditions section"),
        ("!ImportValue missing-export", "Fn::ImportValue", "--import missing-export=<value>"),
        ("!Ref Secret", "Ref", "--parameter-overrides Secret=<value>"),
        ("!Sub 'x-${Secret}'", "Fn::Sub", "parameter Secret has no value"),
        ("!Ref Latest", "Ref", "the planner reads no SSM here"),
        ("!Ref Nope", "Ref", "'Nope' is not a parameter"),
        ("!Ref Enb", "Ref", "did you mean 'Env'?"),
        ("!Ref AWS::Regoin", "Ref", "did you mean 'AWS::Region'?"),
        ("!Ref AWS::StackId", "Ref", "AWS::StackId: the stack id holds a UUID"),
        ("!Sub 'x-${AWS::StackId}'", "Fn::Sub", "no plan can know it"),
        ("!Sub '${Names}'", "Fn::Sub", "Fn::Sub substitutes strings only"),
        ("!Sub '${AWS::NoValue}'", "Fn::Sub", "AWS::NoValue"),
        ("!Select [5, !Ref Names]", "Fn::Select", "index '5' is out of range"),
        ("!Select [-1, [a]]", "Fn::Select", "out of range"),
        ("!Select [0, a]", "Fn::Select", "expects a list of strings"),
        ("!Join ['-', a, b]", "Fn::Join", "expects [delimiter, [values]]"),
        ("!Join ['-', [[a]]]", "Fn::Join", "expects a list of strings"),
        ("!Split ['', abc]", "Fn::Split", "the delimiter is empty"),
        ("!If [Missing, a, b]", "Fn::If", "no condition 'Missing'"),
        ("!If [IsProd, a]", "Fn::If", "expects [condition name"),
        ("!FindInMap [Regions, eu-west-1, Suffix]", "Fn::FindInMap", "has no key 'eu-west-1'"),
        ("!FindInMap [Regions, ap-southeast-2, Suffix, Default]", "Fn::FindInMap", "expects"),
        ("{Fn::ImportValue: !Ref Names}", "Fn::ImportValue", "expects a string here, got a list"),
        ("!ImportValue [!Join ['-', [a, b]]]", "Fn::ImportValue", "expects a string here"),
    ],
)
def test_unsupported_and_broken_constructs_name_the_path_and_the_function(
    tmp_path: Path, expression: str, intrinsic: str, says: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        value_of(tmp_path, expression)
    message = str(caught.value)
    assert message.startswith(f"Images.Properties.Value: {intrinsic}: "), message
    assert says in message
    assert caught.value.intrinsic == intrinsic


@pytest.mark.parametrize(
    ("properties", "where"),
    [
        (
            "Images: {Api: {Tag: !GetAtt Bucket.Arn}}",
            "Images.Properties.Images.Api.Tag: Fn::GetAtt",
        ),
        ("Attributes: [Uri, !GetAtt Bucket.Arn]", "Images.Properties.Attributes[1]: Fn::GetAtt"),
        ("Repository: !ImportValue {Fn::Sub: '${Bucket.Arn}'}", "Images.Properties.Repository:"),
    ],
)
def test_errors_name_the_nested_property_path(tmp_path: Path, properties: str, where: str) -> None:
    text = TEMPLATE.replace("Value: VALUE", properties)
    with pytest.raises(TemplateError, match=r"^" + where.replace("[", r"\[")):
        evaluate(load_template(write(tmp_path, text)))


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("~", "null values are not allowed"),
        ("{Ref: Env, Other: x}", "Ref must be the only key of its map"),
    ],
)
def test_malformed_values(tmp_path: Path, expression: str, says: str) -> None:
    with pytest.raises(TemplateError, match=says):
        value_of(tmp_path, expression)


def test_a_condition_error_names_the_condition(tmp_path: Path) -> None:
    text = TEMPLATE.replace("IsProd: !Equals [!Ref Env, prod]", "IsProd: !Equals [!Ref Secret, x]")
    with pytest.raises(TemplateError, match=r"^Conditions\.IsProd: Ref: parameter Secret"):
        evaluate(load_template(write(tmp_path, text.replace("VALUE", "!If [IsProd, a, b]"))))


def test_a_condition_cycle_is_reported(tmp_path: Path) -> None:
    text = TEMPLATE.replace("IsProd: !Equals [!Ref Env, prod]", "IsProd: !Not [Condition: IsDev]")
    with pytest.raises(TemplateError, match=r"IsProd -> IsDev -> IsProd"):
        evaluate(load_template(write(tmp_path, text.replace("VALUE", "!If [IsProd, a, b]"))))


def test_a_condition_must_be_a_condition_function(tmp_path: Path) -> None:
    text = TEMPLATE.replace("IsProd: !Equals [!Ref Env, prod]", "IsProd: !Ref Env")
    with pytest.raises(TemplateError, match=r"^Conditions\.IsProd: Ref: is not a condition"):
        evaluate(load_template(write(tmp_path, text.replace("VALUE", "!If [IsProd, a, b]"))))


def test_the_stack_name_is_never_guessed(tmp_path: Path) -> None:
    template = load_template(
        write(tmp_path, TEMPLATE.replace("VALUE", "!Sub '${AWS::StackName}-api'"))
    )
    unnamed = PseudoParameters.for_region("ap-southeast-2", account_id="111122223333")
    with pytest.raises(TemplateError) as caught:
        evaluate(template, unnamed)
    assert str(caught.value).startswith(
        "Images.Properties.Value: Fn::Sub: AWS::StackName: the stack's name is not known to the plan. "
        "Pass --stack-name, or set stack_name in samconfig"
    )
    named = replace(unnamed, stack_name="tak-prod")
    assert evaluate(template, named) == {"Value": "tak-prod-api"}


@pytest.mark.parametrize(
    ("expression", "parameters", "clipped"),
    [
        (f"!Ref {'N' * 5000}", {}, "'NNN"),
        (f"!Select [0, {'x' * 5000}]", {}, "got 'xxx"),
        (f"!FindInMap [Regions, {'k' * 5000}, Suffix]", {}, "no key 'kkk"),
        ("!Ref Env", {"Env": "e" * 5000}, "'eee"),  # AllowedValues [dev, prod]
        (f"{{Ref: Env, {'o' * 1000}: x}}", {}, "found Ref, ooo"),
    ],
)
def test_errors_clip_the_values_they_echo(
    tmp_path: Path, expression: str, parameters: dict[str, str], clipped: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        value_of(tmp_path, expression, **parameters)
    message = str(caught.value)
    assert clipped in message
    assert len(message) < 1000 and "..." in message
