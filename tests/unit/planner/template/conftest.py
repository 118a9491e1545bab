"""Shared fixtures for the template evaluator's tests: one expression template, evaluated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver.planner.template import (
    Parameters,
    PseudoParameters,
    evaluate_properties,
    load_template,
)

TEMPLATES = Path(__file__).parent
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


def evaluate(
    template: dict[str, Any], pseudo: PseudoParameters = PSEUDO, /, **parameters: str
) -> dict[str, Any]:
    return evaluate_properties(
        template,
        "Images",
        parameters=Parameters(template, parameters),
        imports=EXPORTS.get,
        pseudo=pseudo,
    )


def value_of(tmp_path: Path, expression: str, **parameters: str) -> Any:
    template = load_template(write(tmp_path, TEMPLATE.replace("VALUE", expression)))
    return evaluate(template, **parameters).get("Value", "<removed>")
