"""Read a consumer template as CloudFormation does: YAML with short-form tags, or JSON.

Also the small readers every other part of the evaluator shares: a template section, a literal
scalar as CloudFormation hands it to a custom resource, and "did you mean" hints.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from ...errors import TemplateError, clip, shown


class _Refused(yaml.MarkedYAMLError):
    """A YAML feature CloudFormation does not support (its "template formats" page: aliases,
    hash merges), refused at its position with the fix."""

    def __init__(self, problem: str, mark: object, *, fix: str) -> None:
        # The pure-Python loader this subclasses marks positions with yaml.Mark.
        super().__init__(
            problem=problem, problem_mark=mark if isinstance(mark, yaml.Mark) else None
        )
        self.fix = fix


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form tags (registered below).

    Scalars follow YAML 1.1, as CloudFormation documents for its own parser (``yes`` is a
    boolean), except timestamps: CloudFormation does not support that type, so ``2024-01-01``
    stays text. Duplicate keys are rejected: CloudFormation refuses them, while PyYAML would
    silently keep the last one. So are aliases and hash merges, which CloudFormation refuses.
    """

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # An alias repeats its anchor's node, and aliases of aliases double at each step: a few
        # hundred bytes can stand for gigabytes once walked. The first one is refused while the
        # document is being composed, before any value is built.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(
                f"found the alias *{clip(event.anchor or '')}, and CloudFormation does not "
                "allow YAML aliases",
                event.start_mark,
                fix="Write the value out where it is used (or use a parameter or a mapping).",
            )
        return super().compose_node(parent, index)


def _check_keys(node: yaml.MappingNode) -> None:
    """No key twice and no merge key ("<<"), as CloudFormation reads a map."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        if key_node.tag.endswith(":merge"):
            raise _Refused(
                "found a hash merge (<<), and CloudFormation does not support YAML merge keys",
                key_node.start_mark,
                fix="Write the merged keys out in the map.",
            )
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {echoed(key_node.value)}", key_node.start_mark
            )
        seen.add(key_node.value)


def _construct_map(loader: _TemplateLoader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
    _check_keys(node)
    yield from loader.construct_yaml_map(node)


def _construct_text(loader: _TemplateLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


def _construct_tagged(loader: _TemplateLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)  # a YAML node has no fourth kind
    _check_keys(node)
    return loader.construct_mapping(node, deep=True)


def _construct_short_form(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> Any:
    """``!Name value`` -> the long form ``{"Fn::Name": value}`` (``Ref``/``Condition`` bare)."""
    value = _construct_tagged(loader, node)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # "!GetAtt A.B.C" is resource A, attribute "B.C": the split is at the first dot.
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
_TemplateLoader.add_multi_constructor("!", _construct_short_form)


class _DuplicateKeyError(ValueError):
    """Raised inside ``json.loads``: it has no line numbers to give, so only the key is named."""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _too_deep(path: Path) -> TemplateError:
    return TemplateError(
        str(path),
        "nests values too deeply to read",
        fix="Flatten the deepest lists and maps; CloudFormation templates rarely nest beyond "
        "a few dozen levels.",
    )


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except RecursionError as exc:
        raise _too_deep(path) from exc
    except _DuplicateKeyError as exc:
        raise TemplateError(
            str(path),
            f"duplicate key {echoed(exc.args[0])}",
            fix="CloudFormation rejects it; keep one.",
        ) from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"{path} line {exc.lineno} column {exc.colno}",
            f"not valid JSON: {exc.msg}",
            fix="Fix the syntax (cfn-lint shows the same position).",
        ) from exc


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError as exc:
        raise _too_deep(path) from exc
    except _Refused as exc:
        raise TemplateError(_position(path, exc), str(exc.problem), fix=exc.fix) from exc
    except yaml.YAMLError as exc:
        where = _position(path, exc)
        problem = getattr(exc, "problem", None) or str(exc)
        fix = "Fix the syntax (cfn-lint shows the same position)."
        if "'<tag>'" in problem:
            # The classic: "!ImportValue !Sub ..." puts two tags on one value.
            fix = "A value takes one short-form tag: write the outer one long, e.g. "
            fix += '"Fn::ImportValue: !Sub ...".'
        raise TemplateError(where, f"not valid YAML: {problem}", fix=fix) from exc


def _position(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"{path} line {mark.line + 1}" if mark is not None else str(path)


def read_document(path: Path, *, what: str, option: str) -> Any:
    """A YAML (short-form tags become long form) or JSON file, read as CloudFormation reads a
    template: the planner's one YAML reader, for templates and spec files alike."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(
            str(path), f"cannot read the {what} ({exc})", fix=f"Check the {option} path."
        ) from exc
    # JSON is nearly YAML, but PyYAML rejects the tab indentation common in JSON files.
    return _parse_json(text, path) if text.lstrip().startswith("{") else _parse_yaml(text, path)


def load_template(path: Path) -> dict[str, Any]:
    """Read a CloudFormation/SAM template, YAML or JSON."""
    document = read_document(path, what="template", option="--template")
    if not isinstance(document, dict):
        raise TemplateError(
            str(path),
            "is not a CloudFormation template (its top level is not a map)",
            fix="Point --template at the template file.",
        )
    return document


def section(template: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = template.get(name)
    if value is None:  # absent, or an empty "Conditions:" line
        return {}
    if not isinstance(value, dict):
        raise TemplateError(name, "must be a map", fix=f"Write {name} as Name: definition entries.")
    return value


def echoed(value: object) -> str:
    """A template value as an error message shows it: clipped, and null as YAML writes it."""
    return "null" if value is None else shown(value)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {echoed(close[0])}?)" if close else ""


def scalar_text(value: object, where: str) -> str:
    """A literal scalar as CloudFormation hands it to a custom resource: always a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: a bool is an int, and CloudFormation says "true"
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        raise TemplateError(
            where, "null values are not allowed in templates", fix="Give a value or remove the key."
        )
    raise TemplateError(
        where, f"unsupported value {echoed(value)}", fix="Use a string, number or boolean."
    )
