"""Evaluate a ``Custom::ImageResolver`` resource's properties offline, as CloudFormation would.

``resolver plan`` checks a consumer's images before the deploy, so it must see exactly the strings
the Lambda will receive. This module reads the consumer's template (YAML with short-form tags, or
JSON), finds the resolver resource and evaluates what is knowable before a deploy: parameters,
pseudo parameters, conditions, mappings, exports (through a callable) and the string functions.
Whatever only CloudFormation knows at deploy time — resource ids and attributes, availability
zones, macros, SSM-backed parameters — is a ``TemplateError`` naming the property and the
function: a planner that guesses would approve images the deploy never asks for.

Pure: no AWS calls and no module state; the CLI supplies the pseudo parameters and the export
lookup.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import shlex
import tomllib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from .errors import ResolverError

RESOURCE_TYPE: Final = "Custom::ImageResolver"


class TemplateError(ResolverError):
    """A template, parameter or configuration problem that stops offline evaluation.

    ``where`` is a property path (``Images.Properties.Images.Api.Tag``), a template section
    (``Parameters.Env``), a file position (``template.yaml line 12``) or a command-line option.
    """

    def __init__(self, where: str, problem: str, *, fix: str = "", intrinsic: str = "") -> None:
        self.where = where
        self.problem = problem
        self.fix = fix
        self.intrinsic = intrinsic
        head = f"{where}: {intrinsic}: " if intrinsic else f"{where}: "
        super().__init__(f"{head}{problem}. {fix}".strip())


class ResourceNotCreatedError(TemplateError):
    """The resource's own ``Condition`` is false: CloudFormation would not create it.

    A distinct type so the CLI can report "nothing to plan" instead of a failure.
    """


# --- pseudo parameters ------------------------------------------------------------------------

# Region prefix -> (partition, URL suffix); everything else is the commercial partition.
_PARTITIONS: Final = (
    ("cn-", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-", "aws-us-gov", "amazonaws.com"),
)


@dataclass(frozen=True)
class PseudoParameters:
    """Values of the ``AWS::*`` pseudo parameters.

    The defaults are placeholders; image URIs are often built from ``AWS::AccountId`` and
    ``AWS::Region``, so the CLI should pass the real ones (``for_region`` derives the rest).
    """

    account_id: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: str = "stack"
    url_suffix: str = "amazonaws.com"
    stack_id: str = ""  # empty: derived from the fields above with a placeholder stack UUID

    @classmethod
    def for_region(
        cls, region: str, *, account_id: str = "123456789012", stack_name: str = "stack"
    ) -> PseudoParameters:
        """Pseudo parameters for ``region``, with its partition and URL suffix (China differs)."""
        partition, suffix = "aws", "amazonaws.com"
        for prefix, known_partition, known_suffix in _PARTITIONS:
            if region.startswith(prefix):
                partition, suffix = known_partition, known_suffix
        return cls(
            account_id=account_id,
            region=region,
            partition=partition,
            stack_name=stack_name,
            url_suffix=suffix,
        )

    def values(self) -> dict[str, Any]:
        """Name -> value, as ``Ref`` sees them."""
        stack_id = self.stack_id or (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}"
            f":stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
        )
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }


class _NoValue:
    """``AWS::NoValue``: removes the map key or list item that holds it."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()


# --- loading ----------------------------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form tags (registered below).

    Scalars follow YAML 1.1, as CloudFormation documents for its own parser (``yes`` is a
    boolean), except timestamps: CloudFormation does not support that type, so ``2024-01-01``
    stays text. Duplicate keys are rejected: CloudFormation refuses them, while PyYAML would
    silently keep the last one.
    """


def _reject_duplicate_keys(node: yaml.MappingNode) -> None:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            continue
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
            )
        seen.add(key_node.value)


def _construct_map(loader: _TemplateLoader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
    _reject_duplicate_keys(node)
    yield from loader.construct_yaml_map(node)


def _construct_text(loader: _TemplateLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


def _construct_tagged(loader: _TemplateLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)  # a YAML node has no fourth kind
    _reject_duplicate_keys(node)
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


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except _DuplicateKeyError as exc:
        raise TemplateError(
            str(path), f"duplicate key {exc.args[0]!r}", fix="CloudFormation rejects it; keep one."
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
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path} line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        fix = "Fix the syntax (cfn-lint shows the same position)."
        if "'<tag>'" in problem:
            # The classic: "!ImportValue !Sub ..." puts two tags on one value.
            fix = "A value takes one short-form tag: write the outer one long, e.g. "
            fix += '"Fn::ImportValue: !Sub ...".'
        raise TemplateError(where, f"not valid YAML: {problem}", fix=fix) from exc


def load_template(path: Path) -> dict[str, Any]:
    """Read a CloudFormation/SAM template, YAML (short-form tags become long form) or JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(
            str(path), f"cannot read the template ({exc})", fix="Check the --template path."
        ) from exc
    # JSON is nearly YAML, but PyYAML rejects the tab indentation common in JSON files.
    document = _parse_json(text, path) if text.lstrip().startswith("{") else _parse_yaml(text, path)
    if not isinstance(document, dict):
        raise TemplateError(
            str(path),
            "is not a CloudFormation template (its top level is not a map)",
            fix="Point --template at the template file.",
        )
    return document


# --- template sections and resources ------------------------------------------------------------


def _section(template: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = template.get(name)
    if value is None:  # absent, or an empty "Conditions:" line
        return {}
    if not isinstance(value, dict):
        raise TemplateError(name, "must be a map", fix=f"Write {name} as Name: definition entries.")
    return value


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resource_type(body: object) -> object:
    return body.get("Type") if isinstance(body, dict) else None


def _named_resource(resources: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    body = resources.get(logical_id)
    if body is None:
        ours = [name for name, found in resources.items() if _resource_type(found) == RESOURCE_TYPE]
        raise TemplateError(
            f"Resources.{logical_id}",
            f"no such resource{_did_you_mean(logical_id, resources)}",
            fix=f"Resources of type {RESOURCE_TYPE}: {', '.join(ours) or 'none'}.",
        )
    if not isinstance(body, dict) or body.get("Type") != RESOURCE_TYPE:
        raise TemplateError(
            f"Resources.{logical_id}",
            f"is of type {_resource_type(body)!r}, not {RESOURCE_TYPE}",
            fix="Name the image resolver resource with --resource.",
        )
    return body


def find_resolver_resource(
    template: Mapping[str, Any], *, logical_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The ``Custom::ImageResolver`` resource: the named one, else the only one there is."""
    resources = _section(template, "Resources")
    if logical_id is not None:
        return logical_id, _named_resource(resources, logical_id)
    ours = [name for name, body in resources.items() if _resource_type(body) == RESOURCE_TYPE]
    if not ours:
        raise TemplateError(
            "Resources",
            f"no resource of type {RESOURCE_TYPE}",
            fix="Point --template at the consumer template that declares it.",
        )
    if len(ours) > 1:
        raise TemplateError(
            "Resources",
            f"{len(ours)} resources of type {RESOURCE_TYPE} ({', '.join(ours)})",
            fix=f"Choose one with --resource, e.g. --resource {ours[0]}.",
        )
    return ours[0], resources[ours[0]]


# --- parameters -------------------------------------------------------------------------------


def _scalar_text(value: object, where: str) -> str:
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
        where, f"unsupported value {value!r}", fix="Use a string, number or boolean."
    )


@dataclass(frozen=True)
class _Parameter:
    name: str
    declaration: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.declaration.get("Type", "String"))

    @property
    def is_list(self) -> bool:
        return self.type == "CommaDelimitedList" or self.type.startswith("List<")

    @property
    def is_number(self) -> bool:
        return self.type in ("Number", "List<Number>")

    @property
    def from_ssm(self) -> bool:
        return self.type.startswith("AWS::SSM::Parameter::Value<")


def _declarations(template: Mapping[str, Any]) -> dict[str, _Parameter]:
    declared: dict[str, _Parameter] = {}
    for name, declaration in _section(template, "Parameters").items():
        if not isinstance(declaration, dict):
            raise TemplateError(
                f"Parameters.{name}", "must be a map", fix="Give it at least a Type."
            )
        declared[str(name)] = _Parameter(str(name), declaration)
    return declared


def _reject_unknown(
    given: Mapping[str, str], declared: Mapping[str, _Parameter], *, source: str
) -> None:
    # CloudFormation refuses a value for a parameter the template lacks; here it is usually a typo
    # that would otherwise silently fall back to the Default.
    unknown = sorted(set(given) - set(declared))
    if unknown:
        hint = _did_you_mean(unknown[0], declared)
        raise TemplateError(
            source,
            f"{unknown[0]!r} is not a parameter of this template{hint}",
            fix=f"The template declares: {', '.join(declared) or 'no parameters'}.",
        )


def _split_list(value: str) -> list[str]:
    # CloudFormation trims the spaces around each member of a list parameter.
    return [item.strip() for item in value.split(",")]


def _violated_allowed_values(param: _Parameter, item: str) -> str | None:
    allowed = param.declaration.get("AllowedValues")
    if allowed is None:
        return None
    where = f"Parameters.{param.name}.AllowedValues"
    texts = [_scalar_text(value, where) for value in allowed] if isinstance(allowed, list) else []
    return None if item in texts else f"is not one of the AllowedValues ({', '.join(texts)})"


def _violated_allowed_pattern(param: _Parameter, item: str) -> str | None:
    pattern = param.declaration.get("AllowedPattern")
    if pattern is None:
        return None
    try:
        matched = re.fullmatch(str(pattern), item)  # CloudFormation matches the whole value
    except re.error as exc:
        raise TemplateError(
            f"Parameters.{param.name}.AllowedPattern",
            f"is not a valid regular expression ({exc})",
            fix="Fix the pattern.",
        ) from exc
    return None if matched else f"does not match the AllowedPattern {pattern!r}"


def _limit(param: _Parameter, key: str) -> float | None:
    """A numeric constraint (``MinLength``, ``MaxValue``...), or None when not declared."""
    raw = param.declaration.get(key)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise TemplateError(
            f"Parameters.{param.name}.{key}", f"{raw!r} is not a number", fix="Fix the template."
        ) from exc


def _violated_length(param: _Parameter, item: str) -> str | None:
    low, high = _limit(param, "MinLength"), _limit(param, "MaxLength")
    if low is not None and len(item) < low:
        return f"is shorter than MinLength {low:g}"
    if high is not None and len(item) > high:
        return f"is longer than MaxLength {high:g}"
    return None


def _violated_number(param: _Parameter, item: str) -> str | None:
    if not param.is_number:
        return None
    try:
        number = float(item)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return "is not a number"
    low, high = _limit(param, "MinValue"), _limit(param, "MaxValue")
    if low is not None and number < low:
        return f"is below MinValue {low:g}"
    if high is not None and number > high:
        return f"is above MaxValue {high:g}"
    return None


_RULES: Final = (
    _violated_allowed_values,
    _violated_allowed_pattern,
    _violated_length,
    _violated_number,
)


def _validate(param: _Parameter, value: str) -> None:
    """Apply the declared constraints, to each member of a list parameter."""
    for item in _split_list(value) if param.is_list else [value]:
        for rule in _RULES:
            problem = rule(param, item)
            if problem is None:
                continue
            described = param.declaration.get("ConstraintDescription")
            raise TemplateError(
                f"Parameters.{param.name}",
                f"{item!r} {problem}" + (f" ({described})" if described else ""),
                fix=f"Pass a valid value with --parameter-overrides {param.name}=<value>.",
            )


class _Parameters:
    """Each parameter's value as CloudFormation would use it: the given one, else its Default.

    A parameter without any value is only an error when the resource actually refers to it:
    the planner evaluates one resource, and demanding, say, a database password it never reads
    would push users into putting secrets on CI command lines.
    """

    def __init__(self, template: Mapping[str, Any], given: Mapping[str, str]) -> None:
        self._declared = _declarations(template)
        _reject_unknown(given, self._declared, source="Parameters")
        self._values: dict[str, str] = {}
        for name, param in self._declared.items():
            default = param.declaration.get("Default")
            if name in given:
                self._values[name] = given[name]
            elif default is not None:
                self._values[name] = _scalar_text(default, f"Parameters.{name}.Default")
        for name, value in self._values.items():
            if not self._declared[name].from_ssm:  # an SSM type's value is a parameter name
                _validate(self._declared[name], value)

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def value(self, name: str, where: str, intrinsic: str) -> str | list[str]:
        param = self._declared[name]
        if param.from_ssm:
            ssm_name = self._values.get(name, "<name>")
            raise TemplateError(
                where,
                f"parameter {name} has type {param.type}: CloudFormation reads SSM parameter "
                f"{ssm_name!r} at deploy time, which the planner cannot do offline",
                intrinsic=intrinsic,
                fix=f"Resolve it yourself (aws ssm get-parameter --name {ssm_name}) and plan a "
                f"copy of the template where {name} is a String, passing that value with "
                f"--parameter-overrides {name}=<value>.",
            )
        if name not in self._values:
            raise TemplateError(
                where,
                f"parameter {name} has no value: the template gives no Default and none was passed",
                intrinsic=intrinsic,
                fix=f"Pass it with --parameter-overrides {name}=<value> "
                "(or parameter_overrides in samconfig).",
            )
        raw = self._values[name]
        return _split_list(raw) if param.is_list else raw


def merge_parameters(
    template: Mapping[str, Any], *, samconfig: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, str]:
    """Parameter values by precedence: explicit overrides, then samconfig (Defaults come last).

    Like ``sam deploy``, samconfig values for parameters this template lacks are dropped — one
    samconfig often serves several templates — but an explicit override naming no parameter is
    a typo, and an error. On an existing stack ``sam deploy`` keeps a parameter's *previous*
    value when nothing overrides it, not its Default; the planner cannot see previous values,
    so CI should pass every parameter that differs from its Default.
    """
    declared = _declarations(template)
    _reject_unknown(overrides, declared, source="--parameter-overrides")
    merged = {name: value for name, value in samconfig.items() if name in declared}
    merged.update(overrides)
    return merged


# --- overrides and samconfig ------------------------------------------------------------------

_PARAMETER_NAME: Final = re.compile(r"[A-Za-z0-9]+")
_SAM_LONG_FORM: Final = re.compile(r"ParameterKey=([^,]*),ParameterValue=(.*)", re.DOTALL)


def _parse_override(item: str, source: str) -> tuple[str, str]:
    long_form = _SAM_LONG_FORM.fullmatch(item)
    if long_form:
        key, value = long_form.group(1), long_form.group(2)
    else:
        key, _, value = item.partition("=")
    if "=" not in item or not _PARAMETER_NAME.fullmatch(key):
        raise TemplateError(
            source,
            f"{item!r} is not Name=value",
            fix="Write each override as Name=value (names are letters and digits), e.g. "
            "Env=dev, or as ParameterKey=Env,ParameterValue=dev.",
        )
    return key, value


def parse_overrides(
    items: Iterable[str], *, source: str = "--parameter-overrides"
) -> dict[str, str]:
    """``["K=V", "ParameterKey=K2,ParameterValue=V2"]`` -> ``{"K": "V", "K2": "V2"}``.

    Items are already split (by the shell, or by ``shlex`` for samconfig strings), so a value may
    hold spaces. A later item wins, as on sam's command line.
    """
    return dict(_parse_override(item, source) for item in items)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(
            str(path), f"cannot read the SAM config ({exc})", fix="Check --config-file."
        ) from exc
    if not isinstance(document, dict):
        raise TemplateError(str(path), "is not a SAM config file", fix="Check --config-file.")
    return document


def _section_parameters(environment: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    parameters = environment.get(section, {})
    parameters = parameters.get("parameters", {}) if isinstance(parameters, dict) else {}
    return parameters if isinstance(parameters, dict) else {}


def _override_tokens(raw: object, source: str) -> list[str]:
    if isinstance(raw, str):
        texts = [raw]
    elif isinstance(raw, list) and all(isinstance(text, str) for text in raw):
        texts = raw
    else:
        raise TemplateError(
            source, "must be a string or a list of strings", fix='Write it as "K=V K2=V2".'
        )
    try:
        return [token for text in texts for token in shlex.split(text)]
    except ValueError as exc:  # unbalanced quotes
        raise TemplateError(source, f"cannot be split ({exc})", fix="Check the quotes.") from exc


def read_samconfig_overrides(
    path: Path, *, env: str = "default", command: str = "deploy"
) -> dict[str, str]:
    """The ``parameter_overrides`` ``sam <command> --config-env <env>`` would use."""
    config = _read_config(path)
    environment = config.get(env)
    if not isinstance(environment, dict):
        envs = sorted(name for name, body in config.items() if isinstance(body, dict))
        raise TemplateError(
            str(path),
            f"has no environment {env!r} (it has: {', '.join(envs) or 'none'})",
            fix="Choose one with --config-env.",
        )
    # SAM lays the command's section over [env.global] option by option, so a command's
    # parameter_overrides replaces the global one whole: the keys are not merged.
    for section in (command, "global"):
        parameters = _section_parameters(environment, section)
        if "parameter_overrides" in parameters:
            source = f"{path} [{env}.{section}.parameters] parameter_overrides"
            tokens = _override_tokens(parameters["parameter_overrides"], source)
            return parse_overrides(tokens, source=source)
    return {}


# --- evaluation -------------------------------------------------------------------------------

_DEPLOY_TIME_FIX: Final = (
    "Pass the value through a template parameter (--parameter-overrides when planning) "
    "or an export (Fn::ImportValue, --import when planning)."
)
_CONDITION_ONLY_FIX: Final = (
    "Declare a named condition under Conditions and choose with Fn::If [Name, if true, if false]."
)
# Functions the planner refuses, with why: each would need CloudFormation at deploy time.
_UNSUPPORTED: Final[Mapping[str, str]] = {
    "Fn::GetAZs": "availability zones depend on the account and are known only at deploy time",
    "Fn::Cidr": "the planner does not compute address blocks",
    "Fn::Base64": "the planner does not encode values; an image property wants plain text",
    "Fn::Transform": "macros run inside CloudFormation at deploy time",
    "Fn::Length": "AWS::LanguageExtensions functions are not evaluated by the planner",
    "Fn::ToJsonString": "AWS::LanguageExtensions functions are not evaluated by the planner",
}
_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


def _args(arg: Any, count: int, where: str, intrinsic: str, shape: str) -> list[Any]:
    if not isinstance(arg, list) or len(arg) != count:
        raise TemplateError(
            where, f"expects {shape}, got {arg!r}", intrinsic=intrinsic, fix="Fix its arguments."
        )
    return arg


def _describe(value: object) -> str:
    if value is NO_VALUE:
        return "AWS::NoValue"
    return f"a list {value!r}" if isinstance(value, list) else f"a map {value!r}"


def _intrinsic_name(node: Mapping[Any, Any], where: str) -> str | None:
    keys = [key for key in node if key == "Ref" or str(key).startswith("Fn::")]
    if not keys:
        return None
    if len(node) > 1:
        raise TemplateError(
            where,
            f"{keys[0]} must be the only key of its map (found {', '.join(map(str, node))})",
            fix="Move the other keys out of the function's map.",
        )
    return str(keys[0])


def _unsupported(intrinsic: str, arg: Any, where: str) -> TemplateError:
    if intrinsic in _CONDITION_FUNCTIONS:
        return TemplateError(
            where,
            "condition functions only work in the template's Conditions section",
            intrinsic=intrinsic,
            fix=_CONDITION_ONLY_FIX,
        )
    if intrinsic == "Fn::GetAtt":
        target = ".".join(map(str, arg)) if isinstance(arg, list) else str(arg)
        problem = f"{target} is a resource attribute, which exists only after deploy"
        return TemplateError(where, problem, intrinsic=intrinsic, fix=_DEPLOY_TIME_FIX)
    problem = _UNSUPPORTED.get(intrinsic, f"the planner does not evaluate {intrinsic}")
    return TemplateError(where, problem, intrinsic=intrinsic, fix=_DEPLOY_TIME_FIX)


class _Evaluator:
    """Evaluates template values against one set of parameters; one per evaluation."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: _Parameters,
        imports: Callable[[str], str | None],
        pseudo: PseudoParameters,
    ) -> None:
        self.parameters = parameters
        self.imports = imports
        self.mappings = _section(template, "Mappings")
        self._pseudo = pseudo.values()
        self._resources = set(_section(template, "Resources"))
        self._conditions = _section(template, "Conditions")
        self._decided: dict[str, bool] = {}
        self._deciding: list[str] = []  # the conditions being evaluated, to catch cycles

    def value(self, node: Any, where: str) -> Any:
        """Strings for scalars, lists and maps recursively; ``NO_VALUE`` means "leave out"."""
        if isinstance(node, dict):
            intrinsic = _intrinsic_name(node, where)
            if intrinsic is None:
                return self._map(node, where)
            handler = _FUNCTIONS.get(intrinsic)
            if handler is None:
                raise _unsupported(intrinsic, node[intrinsic], where)
            return handler(self, node[intrinsic], where)
        if isinstance(node, list):
            items = (self.value(item, f"{where}[{index}]") for index, item in enumerate(node))
            return [item for item in items if item is not NO_VALUE]
        return _scalar_text(node, where)

    def _map(self, node: Mapping[Any, Any], where: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in node.items():
            value = self.value(item, f"{where}.{key}")
            if value is not NO_VALUE:
                result[_scalar_text(key, where)] = value
        return result

    def string(self, node: Any, where: str, intrinsic: str) -> str:
        value = self.value(node, where)
        if not isinstance(value, str):
            raise TemplateError(
                where,
                f"expects a string here, got {_describe(value)}",
                intrinsic=intrinsic,
                fix="Use Fn::Join or Fn::Select to make one string of a list.",
            )
        return value

    def strings(self, node: Any, where: str, intrinsic: str) -> list[str]:
        """A list argument: a literal list (items evaluated) or a function returning one."""
        if isinstance(node, list):
            values = [self.value(item, where) for item in node]
            values = [value for value in values if value is not NO_VALUE]
        else:
            values = self.value(node, where)
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise TemplateError(
                where,
                f"expects a list of strings, got {values!r}",
                intrinsic=intrinsic,
                fix="Pass a list, a CommaDelimitedList parameter or Fn::Split.",
            )
        return values

    def ref(self, name: str, where: str, intrinsic: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self.parameters:
            return self.parameters.value(name, where, intrinsic)
        if name in self._resources:
            raise TemplateError(
                where,
                f"{name} is a resource: its Ref is a physical id, which exists only after deploy",
                intrinsic=intrinsic,
                fix=_DEPLOY_TIME_FIX,
            )
        hint = _did_you_mean(name, [*self.parameters, *self._pseudo, *self._resources])
        raise TemplateError(
            where,
            f"{name!r} is not a parameter, pseudo parameter or resource{hint}",
            intrinsic=intrinsic,
            fix="Declare it under Parameters or fix the name.",
        )

    def condition(self, name: str, where: str, intrinsic: str) -> bool:
        """The named condition's value; each is evaluated once, and only when used."""
        if name in self._decided:
            return self._decided[name]
        if name not in self._conditions:
            raise TemplateError(
                where,
                f"no condition {name!r} under Conditions{_did_you_mean(name, self._conditions)}",
                intrinsic=intrinsic,
                fix="Declare it or fix the name.",
            )
        if name in self._deciding:
            cycle = " -> ".join([*self._deciding, name])
            raise TemplateError(
                f"Conditions.{name}", f"refers to itself ({cycle})", fix="Break the cycle."
            )
        self._deciding.append(name)
        decided = self.condition_node(self._conditions[name], f"Conditions.{name}")
        self._deciding.pop()
        self._decided[name] = decided
        return decided

    def condition_node(self, node: Any, where: str) -> bool:
        if not isinstance(node, dict) or len(node) != 1:
            raise TemplateError(
                where,
                f"expects Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, got {node!r}",
                fix="Write the condition with one of those functions.",
            )
        ((name, arg),) = node.items()
        handler = _CONDITION_FUNCTIONS.get(name)
        if handler is None:
            raise TemplateError(
                where,
                "is not a condition function",
                intrinsic=str(name),
                fix="Use Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition.",
            )
        return handler(self, arg, where)


# --- value functions: one per intrinsic --------------------------------------------------------


def _ref(ev: _Evaluator, arg: Any, where: str) -> Any:
    if not isinstance(arg, str):
        raise TemplateError(
            where, f"expects a name, got {arg!r}", intrinsic="Ref", fix="Write Ref: Name."
        )
    return ev.ref(arg, where, "Ref")


def _sub_args(arg: Any, where: str) -> tuple[str, Mapping[str, Any]]:
    if isinstance(arg, str):
        return arg, {}
    if (
        isinstance(arg, list)
        and len(arg) == 2
        and isinstance(arg[0], str)
        and isinstance(arg[1], dict)
    ):
        return arg[0], arg[1]
    raise TemplateError(
        where,
        f"expects a string or [string, {{Name: value}}], got {arg!r}",
        intrinsic="Fn::Sub",
        fix="Fix its arguments.",
    )


def _sub_name(ev: _Evaluator, name: str, where: str) -> str:
    if "." in name:  # parameter and pseudo parameter names hold no dots: this is Fn::GetAtt
        raise TemplateError(
            where,
            f"${{{name}}} is an Fn::GetAtt of a resource attribute, which exists only after deploy",
            intrinsic="Fn::Sub",
            fix=_DEPLOY_TIME_FIX,
        )
    value = ev.ref(name, where, "Fn::Sub")
    if not isinstance(value, str):
        raise TemplateError(
            where,
            f"${{{name}}} is {_describe(value)}, and Fn::Sub substitutes strings only",
            intrinsic="Fn::Sub",
            fix="Make a string of it with Fn::Join in the variables map.",
        )
    return value


def _fn_sub(ev: _Evaluator, arg: Any, where: str) -> str:
    text, variables = _sub_args(arg, where)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):  # "${!Literal}" is CloudFormation's escape for "${Literal}"
            return "${" + name[1:] + "}"
        if name in variables:
            return ev.string(variables[name], where, "Fn::Sub")
        return _sub_name(ev, name, where)

    # Only "${...}" is substituted, so the resolver's own "{version}" passes through untouched.
    return _SUB_VARIABLE.sub(substitute, text)


def _fn_join(ev: _Evaluator, arg: Any, where: str) -> str:
    delimiter, items = _args(arg, 2, where, "Fn::Join", "[delimiter, [values]]")
    return ev.string(delimiter, where, "Fn::Join").join(ev.strings(items, where, "Fn::Join"))


def _fn_select(ev: _Evaluator, arg: Any, where: str) -> str:
    index_node, items_node = _args(arg, 2, where, "Fn::Select", "[index, [values]]")
    index = ev.string(index_node, where, "Fn::Select")
    items = ev.strings(items_node, where, "Fn::Select")
    if not (index.isascii() and index.isdigit()) or int(index) >= len(items):
        raise TemplateError(
            where,
            f"index {index!r} is out of range for {items!r}",
            intrinsic="Fn::Select",
            fix=f"Use an index from 0 to {len(items) - 1}." if items else "Select from a list.",
        )
    return items[int(index)]


def _fn_split(ev: _Evaluator, arg: Any, where: str) -> list[str]:
    delimiter_node, source = _args(arg, 2, where, "Fn::Split", "[delimiter, string]")
    delimiter = ev.string(delimiter_node, where, "Fn::Split")
    if not delimiter:
        raise TemplateError(
            where, "the delimiter is empty", intrinsic="Fn::Split", fix="Give a delimiter."
        )
    return ev.string(source, where, "Fn::Split").split(delimiter)


def _fn_if(ev: _Evaluator, arg: Any, where: str) -> Any:
    shape = "[condition name, value if true, value if false]"
    name, when_true, when_false = _args(arg, 3, where, "Fn::If", shape)
    if not isinstance(name, str):
        raise TemplateError(
            where,
            f"expects a condition name first, got {name!r}",
            intrinsic="Fn::If",
            fix=_CONDITION_ONLY_FIX,
        )
    # Only the chosen branch is evaluated, as in CloudFormation: the other may well hold
    # something unknowable (Fn::GetAtt, an unset parameter) that this deploy never uses.
    return ev.value(when_true if ev.condition(name, where, "Fn::If") else when_false, where)


def _fn_import_value(ev: _Evaluator, arg: Any, where: str) -> str:
    name = ev.string(arg, where, "Fn::ImportValue")
    value = ev.imports(name)
    if value is None:
        raise TemplateError(
            where,
            f"no value for the export {name!r}",
            intrinsic="Fn::ImportValue",
            fix=f"Pass it with --import {name}=<value>.",
        )
    return value


def _lookup(container: Mapping[str, Any], key: str, where: str, label: str) -> Any:
    if key not in container:
        raise TemplateError(
            where,
            f"{label} has no key {key!r}{_did_you_mean(key, container)}",
            intrinsic="Fn::FindInMap",
            fix=f"Keys there: {', '.join(map(str, container)) or 'none'}.",
        )
    return container[key]


def _fn_find_in_map(ev: _Evaluator, arg: Any, where: str) -> Any:
    shape = "[MapName, TopLevelKey, SecondLevelKey]"
    names = [
        ev.string(node, where, "Fn::FindInMap")
        for node in _args(arg, 3, where, "Fn::FindInMap", shape)
    ]
    found: Any = ev.mappings
    label = "Mappings"
    for name in names:
        if not isinstance(found, dict):
            raise TemplateError(
                where, f"{label} is not a map", intrinsic="Fn::FindInMap", fix="Fix the Mappings."
            )
        found = _lookup(found, name, where, label)
        label = f"{label}.{name}"
    return ev.value(found, where)


_Function = Callable[[_Evaluator, Any, str], Any]
_FUNCTIONS: Final[Mapping[str, _Function]] = {
    "Ref": _ref,
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::If": _fn_if,
    "Fn::ImportValue": _fn_import_value,
    "Fn::FindInMap": _fn_find_in_map,
}


# --- condition functions ----------------------------------------------------------------------


def _fn_equals(ev: _Evaluator, arg: Any, where: str) -> bool:
    left, right = _args(arg, 2, where, "Fn::Equals", "[value, value]")
    # Both sides are compared as CloudFormation strings: 1, "1" and a Number parameter agree.
    return bool(ev.value(left, where) == ev.value(right, where))


def _operands(ev: _Evaluator, arg: Any, where: str, intrinsic: str) -> list[bool]:
    if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
        raise TemplateError(
            where,
            f"expects 2 to 10 conditions, got {arg!r}",
            intrinsic=intrinsic,
            fix="List the conditions.",
        )
    # All operands are evaluated (no short cut), so a broken one is reported whatever the rest.
    return [ev.condition_node(operand, where) for operand in arg]


def _fn_not(ev: _Evaluator, arg: Any, where: str) -> bool:
    (operand,) = _args(arg, 1, where, "Fn::Not", "[condition]")
    return not ev.condition_node(operand, where)


def _fn_and(ev: _Evaluator, arg: Any, where: str) -> bool:
    return all(_operands(ev, arg, where, "Fn::And"))


def _fn_or(ev: _Evaluator, arg: Any, where: str) -> bool:
    return any(_operands(ev, arg, where, "Fn::Or"))


def _condition(ev: _Evaluator, arg: Any, where: str) -> bool:
    if not isinstance(arg, str):
        raise TemplateError(
            where,
            f"expects a name, got {arg!r}",
            intrinsic="Condition",
            fix="Write Condition: Name.",
        )
    return ev.condition(arg, where, "Condition")


_CONDITION_FUNCTIONS: Final[Mapping[str, Callable[[_Evaluator, Any, str], bool]]] = {
    "Fn::Equals": _fn_equals,
    "Fn::Not": _fn_not,
    "Fn::And": _fn_and,
    "Fn::Or": _fn_or,
    "Condition": _condition,
}


# --- entry point ------------------------------------------------------------------------------


def _check_created(ev: _Evaluator, logical_id: str, resource: Mapping[str, Any]) -> None:
    name = resource.get("Condition")
    if name is None:
        return
    where = f"{logical_id}.Condition"
    if not ev.condition(_scalar_text(name, where), where, "Condition"):
        raise ResourceNotCreatedError(
            where,
            f"condition {name} is false with these parameters, so CloudFormation would not create "
            f"{logical_id}",
            fix="Nothing to plan; pass the parameters of an environment that creates it.",
        )


def evaluate_properties(  # noqa: PLR0913 - all keyword-only but the first two: no mix-ups
    template: Mapping[str, Any],
    logical_id: str,
    *,
    parameters: Mapping[str, str],
    imports: Callable[[str], str | None],
    pseudo: PseudoParameters,
    skip: Collection[str] = (),
) -> dict[str, Any]:
    """The resource's properties as CloudFormation would deliver them to the custom resource.

    ``parameters`` are the given values (see ``merge_parameters``); a declared parameter without
    one takes its Default. Scalars become strings, ``AWS::NoValue`` drops its key or item, and
    ``imports`` answers ``Fn::ImportValue`` (``None``: unknown export). Top-level properties named
    in ``skip`` are left out unevaluated — ``ServiceToken`` is one the planner does not need.
    """
    resource = _named_resource(_section(template, "Resources"), logical_id)
    given = _Parameters(template, parameters)
    ev = _Evaluator(template, parameters=given, imports=imports, pseudo=pseudo)
    _check_created(ev, logical_id, resource)
    properties = resource.get("Properties", {})
    where = f"{logical_id}.Properties"
    if not isinstance(properties, dict):
        raise TemplateError(where, "must be a map", fix="Write the properties as Name: value.")
    result = ev.value({key: node for key, node in properties.items() if key not in skip}, where)
    if not isinstance(result, dict):  # only an intrinsic at the top could do this, and none is kept
        raise TemplateError(where, "must evaluate to a map", fix="Write the properties as a map.")
    return result
