"""Finding the resolver resource and evaluating its properties as CloudFormation delivers them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import ResourceNotCreatedError, TemplateError
from resolver.planner.template import (
    Parameters,
    evaluate_properties,
    find_resolver_resource,
    load_template,
)

from .conftest import EXPORTS, PSEUDO, TEMPLATE, TEMPLATES, evaluate, write

# --- the whole consumer template --------------------------------------------------------------


def test_consumer_template_evaluates_as_cloudformation_delivers_it() -> None:
    template = load_template(TEMPLATES / "consumer.yaml")
    logical_id, _ = find_resolver_resource(template)
    properties = evaluate_properties(
        template,
        logical_id,
        parameters=Parameters(template, {"GitSha": "3f9a1c2e", "LocalImage": "team/local:pmtiles"}),
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
        parameters=Parameters(template, {"GitSha": "3f9a1c2e"}),
        imports={"TAK-dev-BaseInfra-EcrArtifactsRepoArn": "repo"}.get,  # no ServiceToken export
        pseudo=PSEUDO,
        skip={"ServiceToken"},
    )
    assert "ServiceToken" not in properties
    assert properties["Repository"] == "repo"


def test_a_resource_whose_condition_is_false_is_not_created(tmp_path: Path) -> None:
    text = TEMPLATE.replace(
        "    Type: Custom::ImageResolver\n",
        "    Type: Custom::ImageResolver\n    Condition: IsProd\n",
    )
    template = load_template(write(tmp_path, text.replace("VALUE", "x")))
    with pytest.raises(ResourceNotCreatedError, match="would not create Images"):
        evaluate(template)
    assert evaluate(template, Env="prod") == {"Value": "x"}


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
        evaluate_properties(
            template, "Fn", parameters=Parameters(template, {}), imports=EXPORTS.get, pseudo=PSEUDO
        )


# --- hostile nesting: a template error (exit 2), never a crash ---------------------------------


def _resolver_with(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Resources": {"Images": {**RESOLVER, "Properties": properties, **extra}}}


def _deep(depth: int, wrap: Callable[[Any], Any], leaf: Any) -> Any:
    node = leaf
    for _ in range(depth):
        node = wrap(node)
    return node


@pytest.mark.parametrize(
    "template",
    [
        _resolver_with({"Value": _deep(5000, lambda node: {"Fn::Join": ["", [node]]}, "x")}),
        _resolver_with({"Value": _deep(5000, lambda node: {"Nested": node}, "x")}),
        {
            **_resolver_with({"Value": "x"}, Condition="Deep"),
            "Conditions": {
                "Deep": _deep(5000, lambda node: {"Fn::Not": [node]}, {"Fn::Equals": ["a", "b"]})
            },
        },
    ],
)
def test_nesting_too_deep_to_evaluate_is_a_template_error(template: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match=r"^Images: nests functions or values too deeply"):
        evaluate(template)


def test_image_functions_sam_build_would_rebuild_are_named() -> None:
    """SAM CLI builds an image function whose Metadata has Dockerfile and DockerContext (unless
    SkipBuild) and writes the build over ImageUri: the resolver's pinned URI would be lost."""
    from resolver.planner.template import rebuilt_by_sam

    dockerfile = {"Dockerfile": "Dockerfile", "DockerContext": "./fn"}
    pinned = {"Fn::GetAtt": ["Images", "Fn.Uri"]}

    def function(metadata: dict[str, Any], **properties: Any) -> dict[str, Any]:
        return {"Type": "AWS::Serverless::Function", "Metadata": metadata, "Properties": properties}

    template = {
        "Resources": {
            "Images": {"Type": "Custom::ImageResolver"},
            "Rebuilt": function(dockerfile, PackageType="Image", ImageUri=pinned),
            "Sub": function(
                dockerfile, PackageType="Image", ImageUri={"Fn::Sub": "${Images.Fn.Uri}"}
            ),
            "Skipped": function({**dockerfile, "SkipBuild": True}, ImageUri=pinned),
            "NoContext": function({"Dockerfile": "Dockerfile"}, ImageUri=pinned),
            "Other": function(dockerfile, ImageUri="123456789012.dkr.ecr.x.amazonaws.com/a:b"),
            "Plain": {
                "Type": "AWS::Lambda::Function",
                "Metadata": dockerfile,
                "Properties": {"Code": {"ImageUri": {"Fn::GetAtt": "Images.Fn.Uri"}}},
            },
        }
    }
    assert rebuilt_by_sam(template, "Images") == ["Rebuilt", "Sub", "Plain"]
