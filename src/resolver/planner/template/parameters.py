"""Template parameters: declarations, the values CloudFormation would use, their constraints,
and how given values combine (overrides over samconfig over Defaults)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from ...errors import TemplateError, clip
from ...values import frozen
from .loader import did_you_mean, echoed, scalar_text, section


@frozen
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

    @property
    def ssm_list(self) -> bool:
        """``AWS::SSM::Parameter::Value<List<String>>`` (or ``<CommaDelimitedList>``): a
        StringList parameter, given to the template as a list."""
        inner = self.type.removeprefix("AWS::SSM::Parameter::Value<").removesuffix(">")
        return inner == "CommaDelimitedList" or inner.startswith("List<")


def _declarations(template: Mapping[str, Any]) -> dict[str, _Parameter]:
    declared: dict[str, _Parameter] = {}
    for name, declaration in section(template, "Parameters").items():
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
        hint = did_you_mean(unknown[0], declared)
        raise TemplateError(
            source,
            f"{echoed(unknown[0])} is not a parameter of this template{hint}",
            fix=f"The template declares: {clip(', '.join(declared) or 'no parameters')}.",
        )


def _split_list(value: str) -> list[str]:
    # CloudFormation trims the spaces around each member of a list parameter.
    return [item.strip() for item in value.split(",")]


def _violated_allowed_values(param: _Parameter, item: str) -> str | None:
    allowed = param.declaration.get("AllowedValues")
    if allowed is None:
        return None
    where = f"Parameters.{param.name}.AllowedValues"
    texts = [scalar_text(value, where) for value in allowed] if isinstance(allowed, list) else []
    return None if item in texts else f"is not one of the AllowedValues ({clip(', '.join(texts))})"


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
    return None if matched else f"does not match the AllowedPattern {echoed(pattern)}"


def _limit(param: _Parameter, key: str) -> float | None:
    """A numeric constraint (``MinLength``, ``MaxValue``...), or None when not declared."""
    raw = param.declaration.get(key)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError) as exc:
        raise TemplateError(
            f"Parameters.{param.name}.{key}",
            f"{echoed(raw)} is not a number",
            fix="Fix the template.",
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
                f"{echoed(item)} {problem}" + (f" ({described})" if described else ""),
                fix=f"Pass a valid value with --parameter-overrides {param.name}=<value>.",
            )


class Parameters:
    """Each parameter's value as CloudFormation would use it, read once from the template and
    the given values: explicit ones (``given``), then samconfig's, then the Default.

    Like ``sam deploy``, samconfig values for parameters this template lacks are dropped — one
    samconfig often serves several templates — but a given value naming no parameter is a typo,
    and an error reported as ``given_by`` (the option that passed it). On an existing stack
    ``sam deploy`` keeps a parameter's *previous* value when nothing overrides it, not its
    Default; the planner cannot see previous values, so CI should pass every parameter that
    differs from its Default.

    A parameter without any value is only an error when the resource actually refers to it:
    the planner evaluates one resource, and demanding, say, a database password it never reads
    would push users into putting secrets on CI command lines.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        given: Mapping[str, str],
        *,
        samconfig: Mapping[str, str] | None = None,
        given_by: str = "Parameters",
    ) -> None:
        self._declared = _declarations(template)
        _reject_unknown(given, self._declared, source=given_by)
        merged = {
            name: value for name, value in (samconfig or {}).items() if name in self._declared
        }
        merged.update(given)
        self._values: dict[str, str] = {}
        for name, param in self._declared.items():
            default = param.declaration.get("Default")
            if name in merged:
                self._values[name] = merged[name]
            elif default is not None:
                self._values[name] = scalar_text(default, f"Parameters.{name}.Default")
        for name, value in self._values.items():
            if not self._declared[name].from_ssm:  # an SSM type's value is a parameter name
                _validate(self._declared[name], value)

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def value(
        self,
        name: str,
        where: str,
        intrinsic: str,
        *,
        ssm: Callable[[str], str] | None = None,
    ) -> str | list[str]:
        """The value ``Ref`` gives. For an ``AWS::SSM::Parameter::Value<…>`` type, the value of
        the SSM parameter it names, read with ``ssm`` as CloudFormation reads it at deploy time
        (a list type's value split at commas)."""
        param = self._declared[name]
        if param.from_ssm:
            ssm_name = self._values.get(name)
            if ssm is None or ssm_name is None:
                raise TemplateError(
                    where,
                    f"parameter {name} has type {param.type} and "
                    + ("no value" if ssm_name is None else "the planner reads no SSM here"),
                    intrinsic=intrinsic,
                    fix=f"Pass the SSM parameter's name with --parameter-overrides {name}=<name>.",
                )
            raw = ssm(ssm_name)
            return _split_list(raw) if param.ssm_list else raw
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
