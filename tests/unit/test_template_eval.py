"""Offline evaluation of the resolver resource's properties, as CloudFormation delivers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import ResolverError
from resolver.template_eval import (
    PseudoParameters,
    ResourceNotCreatedError,
    TemplateError,
    evaluate_properties,
    find_resolver_resource,
    load_template,
    merge_parameters,
    parse_overrides,
    read_samconfig_overrides,
)

TEMPLATES = Path(__file__).parent / "templates"
PSEUDO = PseudoParameters(account_id="111122223333", region="ap-southeast-2", stack_name="tak")
REPO_ARN = "arn:aws:ecr:ap-southeast-2:111122223333:repository/"
EXPORTS = {
    "image-resolver-ServiceToken": "arn:aws:lambda:ap-southeast-2:111122223333:function:resolver",
    "TAK-dev-BaseInfra-EcrArtifactsRepoArn": REPO_ARN + "tak-dev-baseinfra-artifacts",
    "TAK-prod-BaseInfra-EcrArtifactsRepoArn": REPO_ARN + "tak-prod-baseinfra-artifacts",
}

# One template for the expression tables: the resolver resource's property "Value" holds the
# expression under test (one line of YAML, substituted for VALUE).
TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  GitSha: {Type: String, Default: 3f9a1c2e}
  Names: {Type: CommaDelimitedList, Default: "api, data,pmtiles"}
  Count: {Type: Number, Default: 2}
  Secret: {Type: String}
  Latest: {Type: "AWS::SSM::Parameter::Value<String>", Default: /images/latest}
Mappings:
  Regions:
    ap-southeast-2: {Suffix: syd, Zones: [a, b]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [Condition: IsProd]
  ProdInSydney: !And [Condition: IsProd, !Equals [!Ref AWS::Region, ap-southeast-2]]
  DevOrTwo: !Or [Condition: IsDev, !Equals [!Ref Count, 3]]
  CountIsTwo: !Equals [!Ref Count, 2]
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  Images:
    Type: Custom::ImageResolver
    Properties:
      Value: VALUE
"""


def write(tmp_path: Path, text: str, name: str = "template.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def evaluate(template: dict[str, Any], **parameters: str) -> dict[str, Any]:
    return evaluate_properties(
        template, "Images", parameters=parameters, imports=EXPORTS.get, pseudo=PSEUDO
    )


def value_of(tmp_path: Path, expression: str, **parameters: str) -> Any:
    template = load_template(write(tmp_path, TEMPLATE.replace("VALUE", expression)))
    return evaluate(template, **parameters).get("Value", "<removed>")


# --- the whole consumer template --------------------------------------------------------------


def test_consumer_template_evaluates_as_cloudformation_delivers_it() -> None:
    template = load_template(TEMPLATES / "consumer.yaml")
    logical_id, _ = find_resolver_resource(template)
    properties = evaluate_properties(
        template,
        logical_id,
        parameters={"GitSha": "3f9a1c2e", "LocalImage": "team/local:pmtiles"},
        imports=EXPORTS.get,
        pseudo=PSEUDO,
    )
    assert properties == {
        "ServiceToken": EXPORTS["image-resolver-ServiceToken"],
        "ServiceTimeout": "300",
        "UsePreBuiltImages": "true",
        "OnMissing": "Fail",
        "Repository": EXPORTS["TAK-dev-BaseInfra-EcrArtifactsRepoArn"],
        "Version": "3f9a1c2e",
        "Revision": "1",
        "Attributes": ["Uri", "Digest"],
        "Images": {
            "Api": {"Tag": "cloudtak-{version}"},
            "Data": {
                "Repository": "111122223333.dkr.ecr.ap-southeast-2.amazonaws.com/team/etl",
                "Tag": "data-3f9a1c2e",
            },
            "Pmtiles": {"Tag": "pmtiles-{version}", "Fallback": "team/local:pmtiles"},
        },
    }


def test_skip_leaves_properties_out_unevaluated() -> None:
    template = load_template(TEMPLATES / "consumer.yaml")
    properties = evaluate_properties(
        template,
        "Images",
        parameters={"GitSha": "3f9a1c2e"},
        imports={"TAK-dev-BaseInfra-EcrArtifactsRepoArn": "repo"}.get,  # no ServiceToken export
        pseudo=PSEUDO,
        skip={"ServiceToken"},
    )
    assert "ServiceToken" not in properties
    assert properties["Repository"] == "repo"


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


def test_pseudo_parameters_for_a_china_region() -> None:
    pseudo = PseudoParameters.for_region("cn-north-1", account_id="111122223333")
    assert (pseudo.partition, pseudo.url_suffix) == ("aws-cn", "amazonaws.com.cn")
    assert pseudo.values()["AWS::StackId"].startswith(
        "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/stack/"
    )
    assert PseudoParameters.for_region("eu-west-1").partition == "aws"


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
        ("!Ref Latest", "Ref", "aws ssm get-parameter --name /images/latest"),
        ("!Ref Nope", "Ref", "'Nope' is not a parameter"),
        ("!Ref Enb", "Ref", "did you mean 'Env'?"),
        ("!Ref AWS::Regoin", "Ref", "did you mean 'AWS::Region'?"),
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


def test_a_resource_whose_condition_is_false_is_not_created(tmp_path: Path) -> None:
    text = TEMPLATE.replace(
        "    Type: Custom::ImageResolver\n",
        "    Type: Custom::ImageResolver\n    Condition: IsProd\n",
    )
    template = load_template(write(tmp_path, text.replace("VALUE", "x")))
    with pytest.raises(ResourceNotCreatedError, match="would not create Images"):
        evaluate(template)
    assert evaluate(template, Env="prod") == {"Value": "x"}


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
    parameters = merge_parameters(template, samconfig=samconfig, overrides=overrides)
    assert evaluate(template, **parameters)["Value"] == expected


def test_samconfig_values_for_other_templates_are_dropped_like_sam_does() -> None:
    template = {"Parameters": {"Env": {"Type": "String"}}}
    merged = merge_parameters(template, samconfig={"Env": "dev", "LogLevel": "INFO"}, overrides={})
    assert merged == {"Env": "dev"}


def test_an_override_for_no_parameter_is_a_typo() -> None:
    template = {"Parameters": {"GitSha": {"Type": "String"}}}
    with pytest.raises(TemplateError, match=r"'GitSah' is not a parameter .*did you mean 'GitSha'"):
        merge_parameters(template, samconfig={}, overrides={"GitSah": "x"})


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


def test_ssm_parameter_cannot_be_evaluated_even_with_an_override(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="reads SSM parameter '/other'"):
        value_of(tmp_path, "!Ref Latest", Latest="/other")


# --- overrides and samconfig --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["Env=dev"], {"Env": "dev"}),
        (["Env=dev", "GitSha=3f9a1c2e"], {"Env": "dev", "GitSha": "3f9a1c2e"}),
        (["LocalImage=team/app:a b"], {"LocalImage": "team/app:a b"}),
        (["Url=https://x/?a=b"], {"Url": "https://x/?a=b"}),  # split at the first "=" only
        (["Empty="], {"Empty": ""}),
        (["ParameterKey=Env,ParameterValue=prod"], {"Env": "prod"}),
        (["ParameterKey=List,ParameterValue=a,b"], {"List": "a,b"}),
        (["Env=dev", "Env=prod"], {"Env": "prod"}),  # the later one wins
        ([], {}),
    ],
)
def test_parse_overrides(items: list[str], expected: dict[str, str]) -> None:
    assert parse_overrides(items) == expected


@pytest.mark.parametrize(
    "item", ["Env", "=dev", "my-param=x", "Env dev", "ParameterKey=my-key,ParameterValue=x"]
)
def test_parse_overrides_rejects_malformed_items(item: str) -> None:
    with pytest.raises(TemplateError, match=r"^--parameter-overrides: .* is not Name=value"):
        parse_overrides([item])


SAMCONFIG = """
version = 0.1

[default.global.parameters]
stack_name = "tak"
parameter_overrides = "Env=dev Shared=global"

[default.deploy.parameters]
parameter_overrides = 'Env="prod" LocalImage="team/app:a b" ParameterKey=GitSha,ParameterValue=3f9a'

[dev.deploy.parameters]
parameter_overrides = ["Env=dev", "LocalImage='x y'", "A=1 B=2"]

[staging.global.parameters]
parameter_overrides = "Env=staging"

[bare.deploy.parameters]
capabilities = "CAPABILITY_IAM"
"""


@pytest.mark.parametrize(
    ("env", "command", "expected"),
    [
        # string form, shlex-quoted; the command's section replaces [global]'s whole value
        ("default", "deploy", {"Env": "prod", "LocalImage": "team/app:a b", "GitSha": "3f9a"}),
        ("default", "build", {"Env": "dev", "Shared": "global"}),  # only [global] has them
        ("dev", "deploy", {"Env": "dev", "LocalImage": "x y", "A": "1", "B": "2"}),  # list form
        ("staging", "deploy", {"Env": "staging"}),
        ("bare", "deploy", {}),
    ],
)  # fmt: skip
def test_read_samconfig_overrides(
    tmp_path: Path, env: str, command: str, expected: dict[str, str]
) -> None:
    path = write(tmp_path, SAMCONFIG, "samconfig.toml")
    assert read_samconfig_overrides(path, env=env, command=command) == expected


def test_samconfig_yaml_is_read_too(tmp_path: Path) -> None:
    text = "version: 0.1\ndev:\n  deploy:\n    parameters:\n      parameter_overrides: Env=dev\n"
    path = write(tmp_path, text, "samconfig.yaml")
    assert read_samconfig_overrides(path, env="dev") == {"Env": "dev"}


def test_the_project_samconfig_reads() -> None:
    path = Path(__file__).parents[2] / "samconfig.toml"
    assert read_samconfig_overrides(path, env="prod") == {
        "LogLevel": "INFO",
        "LogRetentionDays": "90",
    }


@pytest.mark.parametrize(
    ("text", "env", "says"),
    [
        (SAMCONFIG, "prodd", "has no environment 'prodd' (it has: bare, default, dev, staging)"),
        ("[dev.deploy.parameters]\nparameter_overrides = 'Env=\"dev'\n", "dev", "cannot be split"),
        ("[dev.deploy.parameters]\nparameter_overrides = 'Env dev'\n", "dev", "is not Name=value"),
        ("[dev.deploy.parameters]\nparameter_overrides = 3\n", "dev", "must be a string or a list"),
        ("[dev.deploy\n", "dev", "cannot read the SAM config"),
    ],
)
def test_samconfig_errors(tmp_path: Path, text: str, env: str, says: str) -> None:
    path = write(tmp_path, text, "samconfig.toml")
    with pytest.raises(TemplateError) as caught:
        read_samconfig_overrides(path, env=env)
    assert str(caught.value).startswith(str(path))
    assert says in str(caught.value)


def test_samconfig_override_error_names_the_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[dev.deploy.parameters]\nparameter_overrides = 'Env dev'\n", "s.toml")
    with pytest.raises(TemplateError, match=r"\[dev\.deploy\.parameters\] parameter_overrides"):
        read_samconfig_overrides(path, env="dev")


# --- loading: short-form tags, JSON, errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_value", "long_form"),
    [
        ("!Ref Env", {"Ref": "Env"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!GetAtt Images.Api.Uri", {"Fn::GetAtt": ["Images", "Api.Uri"]}),  # first dot only
        ("!GetAtt [Images, Api.Uri]", {"Fn::GetAtt": ["Images", "Api.Uri"]}),
        ("!Sub 'a-${Env}'", {"Fn::Sub": "a-${Env}"}),
        ("!Join [-, [a, b]]", {"Fn::Join": ["-", ["a", "b"]]}),
        ("!Select [0, [a]]", {"Fn::Select": [0, ["a"]]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
        ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
        ("!And [!Condition C, !Condition D]",
         {"Fn::And": [{"Condition": "C"}, {"Condition": "D"}]}),
        ("!Or [!Condition C, !Condition D]", {"Fn::Or": [{"Condition": "C"}, {"Condition": "D"}]}),
        ("!FindInMap [M, a, b]", {"Fn::FindInMap": ["M", "a", "b"]}),
        ("!Base64 text", {"Fn::Base64": "text"}),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
        ("!Cidr [10.0.0.0/16, 2, 8]", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}),
        ("!ImportValue {Fn::Sub: 'TAK-${Env}'}", {"Fn::ImportValue": {"Fn::Sub": "TAK-${Env}"}}),
        ("!ImportValue {'Fn::Sub': 'x'}", {"Fn::ImportValue": {"Fn::Sub": "x"}}),
        ("!Anything {a: 1}", {"Fn::Anything": {"a": 1}}),
    ],
)  # fmt: skip
def test_short_form_tags_become_long_form(
    tmp_path: Path, yaml_value: str, long_form: dict[str, Any]
) -> None:
    template = load_template(
        write(tmp_path, f"Resources:\n  X:\n    Properties:\n      V: {yaml_value}\n")
    )
    assert template["Resources"]["X"]["Properties"]["V"] == long_form


def test_json_templates_evaluate_like_yaml(tmp_path: Path) -> None:
    template = {
        "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "Images": {
                "Type": "Custom::ImageResolver",
                "Properties": {
                    "ServiceTimeout": 300,
                    "UsePreBuiltImages": False,
                    "Repository": {
                        "Fn::ImportValue": {"Fn::Sub": "TAK-${Env}-BaseInfra-EcrArtifactsRepoArn"}
                    },
                    "Images": {"Api": {"Tag": {"Fn::Sub": "cloudtak-{version}"}}},
                },
            }
        },
    }
    loaded = load_template(write(tmp_path, json.dumps(template, indent=2), "template.json"))
    assert evaluate(loaded) == {
        "ServiceTimeout": "300",
        "UsePreBuiltImages": "false",
        "Repository": EXPORTS["TAK-dev-BaseInfra-EcrArtifactsRepoArn"],
        "Images": {"Api": {"Tag": "cloudtak-{version}"}},
    }


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("t.yaml", "Resources:\n  A: [1\n", r"^.*t\.yaml line 3: not valid YAML"),
        ("t.yaml", "Resources:\n  A: 1\n  A: 2\n", r"t\.yaml line 3: .*duplicate key 'A'"),
        ("t.yaml", "A: !ImportValue !Sub 'x-${Env}'\n", r"line 1: .*write the outer one long"),
        ("t.yaml", "A: !!python/object:os.system x\n", r"t\.yaml line 1: not valid YAML"),
        ("t.yaml", "- a list\n", r"is not a CloudFormation template"),
        ("t.yaml", "", r"is not a CloudFormation template"),
        ("t.json", '{\n  "Resources": {,}\n}', r"t\.json line 2 column 17: not valid JSON"),
        ("t.json", '{"A": 1, "A": 2}', r"t\.json: duplicate key 'A'"),
    ],
)  # fmt: skip
def test_load_errors_name_the_file_and_line(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    with pytest.raises(TemplateError, match=says):
        load_template(write(tmp_path, text, name))


def test_a_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read the template"):
        load_template(tmp_path / "absent.yaml")


def test_template_errors_are_resolver_errors() -> None:
    assert issubclass(TemplateError, ResolverError)


# --- finding the resource ----------------------------------------------------------------------

RESOLVER = {"Type": "Custom::ImageResolver", "Properties": {}}
FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {}}


def test_finds_the_only_resolver_resource() -> None:
    template = {"Resources": {"Fn": FUNCTION, "Images": RESOLVER}}
    assert find_resolver_resource(template, logical_id=None) == ("Images", RESOLVER)


def test_finds_the_named_one_among_several() -> None:
    template = {"Resources": {"Images": RESOLVER, "More": RESOLVER}}
    assert find_resolver_resource(template, logical_id="More") == ("More", RESOLVER)


@pytest.mark.parametrize(
    ("resources", "logical_id", "says"),
    [
        ({"Fn": FUNCTION}, None, r"^Resources: no resource of type Custom::ImageResolver"),
        ({}, None, r"^Resources: no resource of type Custom::ImageResolver"),
        ({"Images": RESOLVER, "More": RESOLVER}, None,
         r"2 resources of type Custom::ImageResolver \(Images, More\).*--resource Images"),
        ({"Images": RESOLVER}, "Imagse",
         r"^Resources\.Imagse: no such resource \(did you mean 'Images'\?\)"),
        ({"Images": RESOLVER, "Fn": FUNCTION}, "Fn",
         r"^Resources\.Fn: is of type 'AWS::Lambda::Function', not Custom::ImageResolver"),
    ],
)  # fmt: skip
def test_resource_discovery_errors(
    resources: dict[str, Any], logical_id: str | None, says: str
) -> None:
    with pytest.raises(TemplateError, match=says):
        find_resolver_resource({"Resources": resources}, logical_id=logical_id)


def test_evaluate_refuses_a_resource_of_another_type() -> None:
    template = {"Resources": {"Images": RESOLVER, "Fn": FUNCTION}}
    with pytest.raises(TemplateError, match="not Custom::ImageResolver"):
        evaluate_properties(template, "Fn", parameters={}, imports=EXPORTS.get, pseudo=PSEUDO)
