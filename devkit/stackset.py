"""``python -m devkit.stackset``: writes deploy/stackset.yaml, template.yaml for CloudFormation
StackSets (README, "Every account of an organisation").

StackSets with service-managed permissions — an organisation or OU as the target, automatic
deployment to accounts that join it — refuse templates that use macros, the ``AWS::Serverless``
transform included (CreateStackSet API reference, ``Capabilities``). So the organisation's
template is plain CloudFormation, made from template.yaml, the one source of the function, its
role, its parameters and their rules:

- ``AWS::Serverless::Function`` becomes ``AWS::Lambda::Function`` (and its ``EventInvokeConfig``
  an ``AWS::Lambda::EventInvokeConfig``), its code the zip of ``sam build`` in a bucket per region,
  ``<CodeBucketPrefix>-<region>`` (Lambda reads code only from a bucket in its own region);
- the function is named by CloudFormation: a stack instance is named ``StackSet-<set>-<uuid>``,
  too long for ``<stack>-resolver`` within Lambda's 64 characters (``FunctionNaming`` goes);
- the role is created under the IAM path ``/image-resolver/``, so one trust policy in the
  artifacts account admits every account's function role (``aws:PrincipalArn``
  ``arn:aws:iam::*:role/image-resolver/*`` with ``aws:PrincipalOrgID``);
- the ServiceToken is exported as ``ExportName`` (default ``image-resolver-ServiceToken``), the
  same in every account, so a workload template written once imports it everywhere.

A property of the function this does not know is an error: a new SAM property in template.yaml
must be translated here, never dropped. A test checks deploy/stackset.yaml is this output.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

from resolver.planner.template import load_template

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "template.yaml"
TARGET = ROOT / "deploy" / "stackset.yaml"

FUNCTION = "ResolverFunction"
ROLE = "ResolverRole"
ROLE_PATH = "/image-resolver/"
DEFAULT_EXPORT = "image-resolver-ServiceToken"

HEADER = """\
# GENERATED from template.yaml by `python -m devkit.stackset`: edit template.yaml, then run it.
# Plain CloudFormation for StackSets with service-managed permissions, which refuse the
# AWS::Serverless transform: the reasons for each statement are template.yaml's comments.
# README, "Every account of an organisation": packaging the code, the bucket policy, the
# StackSet, and the trust policy of the reader role.
"""

# What AWS::Lambda::Function takes as SAM's function gives it.
_SAME = (
    "Description",
    "Handler",
    "Runtime",
    "Architectures",
    "MemorySize",
    "Timeout",
    "Role",
    "LoggingConfig",
    "Environment",
)
# Handled below, or (FunctionName) replaced by the name CloudFormation makes.
_TRANSLATED = frozenset({"CodeUri", "EventInvokeConfig", "FunctionName"})

NEW_PARAMETERS: dict[str, Any] = {
    "CodeBucketPrefix": {
        "Type": "String",
        "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$",
        "ConstraintDescription": "An S3 bucket name prefix: lower case, digits, dots, hyphens.",
        "Description": (
            "Buckets holding the function's code, one per region: <CodeBucketPrefix>-<region> "
            "(e.g. my-org-artifacts-ap-southeast-2), readable by the organisation's accounts."
        ),
    },
    "CodeKey": {
        "Type": "String",
        "AllowedPattern": "^[A-Za-z0-9!_.*'()/-]+\\.zip$",
        "ConstraintDescription": "The object key of the zip, e.g. image-resolver/0.3.0.zip.",
        "Description": "The key of the function's zip (of sam build's output) in every bucket.",
    },
    "ExportName": {
        "Type": "String",
        "Default": DEFAULT_EXPORT,
        "AllowedPattern": "^[A-Za-z0-9:-]{1,255}$",
        "Description": (
            "The export of the ServiceToken: the same name in every account and region, so "
            "consumer templates import it with one !ImportValue."
        ),
    },
}


class UntranslatedError(ValueError):
    """template.yaml uses something this translation does not know."""


def stackset_template(source: dict[str, Any]) -> dict[str, Any]:
    """``source`` (template.yaml, loaded) as the plain-CloudFormation StackSets template."""
    template = copy.deepcopy(source)
    template.pop("Transform", None)
    template["Description"] = "(StackSets) " + str(template.get("Description", "")).strip()
    _metadata(template)
    _parameters(template)
    resources = template["Resources"]
    function = resources[FUNCTION]
    if function.get("Type") != "AWS::Serverless::Function":
        raise UntranslatedError(f"{FUNCTION} is not an AWS::Serverless::Function")
    resources[FUNCTION] = _function(function["Properties"])
    retries = function["Properties"].get("EventInvokeConfig")
    if retries is not None:
        resources[f"{FUNCTION}EventInvokeConfig"] = {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {"FunctionName": {"Ref": FUNCTION}, "Qualifier": "$LATEST", **retries},
        }
    resources[ROLE]["Properties"]["Path"] = ROLE_PATH
    template["Outputs"]["ServiceToken"]["Export"] = {"Name": {"Ref": "ExportName"}}
    unknown = [
        name
        for name, resource in resources.items()
        if str(resource.get("Type", "")).startswith("AWS::Serverless::")
    ]
    if unknown:
        raise UntranslatedError(f"SAM resources this does not translate: {', '.join(unknown)}")
    return template


def _function(sam: dict[str, Any]) -> dict[str, Any]:
    unknown = set(sam) - set(_SAME) - _TRANSLATED
    if unknown:
        raise UntranslatedError(
            f"{FUNCTION} has properties this does not translate: {', '.join(sorted(unknown))}"
        )
    properties = {name: sam[name] for name in _SAME if name in sam}
    properties["Code"] = {
        "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
        "S3Key": {"Ref": "CodeKey"},
    }
    return {"Type": "AWS::Lambda::Function", "Properties": properties}


def _parameters(template: dict[str, Any]) -> None:
    """``FunctionNaming`` goes (see the module's docstring); the code and export come in."""
    template["Parameters"].pop("FunctionNaming", None)
    template.get("Conditions", {}).pop("FunctionNamedAfterStack", None)
    template["Parameters"].update(NEW_PARAMETERS)


def _metadata(template: dict[str, Any]) -> None:
    metadata = template.get("Metadata", {})
    metadata.pop("AWS::ServerlessRepo::Application", None)
    groups = metadata.get("AWS::CloudFormation::Interface", {}).get("ParameterGroups", [])
    for group in groups:
        group["Parameters"] = [p for p in group["Parameters"] if p != "FunctionNaming"]
    groups.insert(0, {"Label": {"default": "Organisation"}, "Parameters": list(NEW_PARAMETERS)})


def rendered(source: Path = SOURCE) -> str:
    """The StackSets template's text, as deploy/stackset.yaml holds it."""
    body = yaml.safe_dump(
        stackset_template(load_template(source)), sort_keys=False, width=100, allow_unicode=True
    )
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = rendered()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        return 0 if current == text else 1
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
