"""Loading templates: short-form tags, JSON, and errors that name the file and line."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import ResolverError, TemplateError
from resolver.planner.template import (
    load_template,
)

from .conftest import EXPORTS, evaluate, write

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


# --- hostile templates: refused as bad input, before any work they ask for ------------------------

# A sub-1 KB "billion laughs" under the resolver's properties: each level names the one before
# nine times, so walking level i visits 9**i strings (9**9 ≈ 387 million at the last).
ALIAS_BOMB = (
    "Resources:\n  Images:\n    Type: Custom::ImageResolver\n    Properties:\n"
    '      L0: &l0 ["lol"]\n'
    + "".join(f"      L{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    + "      Images: *l9\n"
)


def test_an_alias_bomb_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 1024
    path = write(tmp_path, ALIAS_BOMB)
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError) as caught:
            load_template(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith(
        f"{path} line 6: found the alias *l0, and CloudFormation does not allow YAML aliases. "
        "Write the value out"
    )
    assert peak < 1_000_000  # bytes: bounded by the file, never by what it would expand to


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Base: &base {a: 1}\nOther: *base\n", r"line 2: found the alias \*base"),
        ("Other:\n  <<: {a: 1}\n  b: 2\n", r"line 2: found a hash merge \(<<\)"),
    ],
)
def test_aliases_and_hash_merges_are_refused_as_cloudformation_does(
    tmp_path: Path, text: str, says: str
) -> None:
    with pytest.raises(TemplateError, match=says):
        load_template(write(tmp_path, text))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("t.yaml", "A: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("t.yaml", "A:\n" + "".join("  " * i + "- \n" for i in range(1, 1500))),
        ("t.json", '{"A": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_deep_nesting_is_a_template_error(tmp_path: Path, name: str, text: str) -> None:
    with pytest.raises(TemplateError, match=r"t\.(yaml|json): nests values too deeply to read"):
        load_template(write(tmp_path, text, name))


def test_echoed_values_are_clipped(tmp_path: Path) -> None:
    text = f"Resources:\n  A: {{Type: x}}\n  A: {'x' * 10_000}\n"
    with pytest.raises(TemplateError) as caught:
        load_template(write(tmp_path, text))
    assert "duplicate key 'A'" in str(caught.value)
    huge = "k" * 10_000
    with pytest.raises(TemplateError) as caught:
        load_template(write(tmp_path, f'{{"{huge}": 1, "{huge}": 2}}', "t.json"))
    message = str(caught.value)
    assert len(message) < 500 and "kkk..." in message
