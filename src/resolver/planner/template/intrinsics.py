"""The intrinsic functions the planner evaluates offline, one function per intrinsic.

Whatever only CloudFormation knows at deploy time — resource ids and attributes, availability
zones, macros — is a ``TemplateError`` naming the property and the function: a planner that
guesses would approve images the deploy never asks for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from ...errors import TemplateError, clip
from .loader import did_you_mean, echoed, scalar_text, section
from .parameters import Parameters
from .pseudo import NO_VALUE, PseudoParameters, Unknown

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
            where,
            f"expects {shape}, got {echoed(arg)}",
            intrinsic=intrinsic,
            fix="Fix its arguments.",
        )
    return arg


def _describe(value: object) -> str:
    if value is NO_VALUE:
        return "AWS::NoValue"
    return f"a list {echoed(value)}" if isinstance(value, list) else f"a map {echoed(value)}"


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


class Evaluator:
    """Evaluates template values against one set of parameters; one per evaluation."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Parameters,
        imports: Callable[[str], str | None],
        pseudo: PseudoParameters,
        ssm: Callable[[str], str] | None = None,
    ) -> None:
        self.parameters = parameters
        self.imports = imports
        self.ssm = ssm
        self.mappings = section(template, "Mappings")
        self._pseudo = pseudo.values()
        self._resources = set(section(template, "Resources"))
        self._conditions = section(template, "Conditions")
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
        return scalar_text(node, where)

    def _map(self, node: Mapping[Any, Any], where: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in node.items():
            value = self.value(item, f"{where}.{key}")
            if value is not NO_VALUE:
                result[scalar_text(key, where)] = value
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
                f"expects a list of strings, got {echoed(values)}",
                intrinsic=intrinsic,
                fix="Pass a list, a CommaDelimitedList parameter or Fn::Split.",
            )
        return values

    def ref(self, name: str, where: str, intrinsic: str) -> Any:
        if name in self._pseudo:
            value = self._pseudo[name]
            if isinstance(value, Unknown):
                raise TemplateError(
                    where, f"{name}: {value.problem}", intrinsic=intrinsic, fix=value.fix
                )
            return value
        if name in self.parameters:
            return self.parameters.value(name, where, intrinsic, ssm=self.ssm)
        if name in self._resources:
            raise TemplateError(
                where,
                f"{name} is a resource: its Ref is a physical id, which exists only after deploy",
                intrinsic=intrinsic,
                fix=_DEPLOY_TIME_FIX,
            )
        hint = did_you_mean(name, [*self.parameters, *self._pseudo, *self._resources])
        raise TemplateError(
            where,
            f"{echoed(name)} is not a parameter, pseudo parameter or resource{hint}",
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
                f"no condition {echoed(name)} under Conditions{did_you_mean(name, self._conditions)}",
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
                f"expects Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, got {echoed(node)}",
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


def _name(arg: Any, where: str, intrinsic: str) -> str:
    """The argument of ``Ref`` and ``Condition``: a plain name."""
    if not isinstance(arg, str):
        raise TemplateError(
            where,
            f"expects a name, got {echoed(arg)}",
            intrinsic=intrinsic,
            fix=f"Write {intrinsic}: Name.",
        )
    return arg


def _ref(ev: Evaluator, arg: Any, where: str) -> Any:
    return ev.ref(_name(arg, where, "Ref"), where, "Ref")


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
        f"expects a string or [string, {{Name: value}}], got {echoed(arg)}",
        intrinsic="Fn::Sub",
        fix="Fix its arguments.",
    )


def _sub_name(ev: Evaluator, name: str, where: str) -> str:
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


def _fn_sub(ev: Evaluator, arg: Any, where: str) -> str:
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


def _fn_join(ev: Evaluator, arg: Any, where: str) -> str:
    delimiter, items = _args(arg, 2, where, "Fn::Join", "[delimiter, [values]]")
    return ev.string(delimiter, where, "Fn::Join").join(ev.strings(items, where, "Fn::Join"))


def _fn_select(ev: Evaluator, arg: Any, where: str) -> str:
    index_node, items_node = _args(arg, 2, where, "Fn::Select", "[index, [values]]")
    index = ev.string(index_node, where, "Fn::Select")
    items = ev.strings(items_node, where, "Fn::Select")
    if not (index.isascii() and index.isdigit()) or int(index) >= len(items):
        raise TemplateError(
            where,
            f"index {echoed(index)} is out of range for {echoed(items)}",
            intrinsic="Fn::Select",
            fix=f"Use an index from 0 to {len(items) - 1}." if items else "Select from a list.",
        )
    return items[int(index)]


def _fn_split(ev: Evaluator, arg: Any, where: str) -> list[str]:
    delimiter_node, source = _args(arg, 2, where, "Fn::Split", "[delimiter, string]")
    delimiter = ev.string(delimiter_node, where, "Fn::Split")
    if not delimiter:
        raise TemplateError(
            where, "the delimiter is empty", intrinsic="Fn::Split", fix="Give a delimiter."
        )
    return ev.string(source, where, "Fn::Split").split(delimiter)


def _fn_if(ev: Evaluator, arg: Any, where: str) -> Any:
    shape = "[condition name, value if true, value if false]"
    name, when_true, when_false = _args(arg, 3, where, "Fn::If", shape)
    if not isinstance(name, str):
        raise TemplateError(
            where,
            f"expects a condition name first, got {echoed(name)}",
            intrinsic="Fn::If",
            fix=_CONDITION_ONLY_FIX,
        )
    # Only the chosen branch is evaluated, as in CloudFormation: the other may well hold
    # something unknowable (Fn::GetAtt, an unset parameter) that this deploy never uses.
    return ev.value(when_true if ev.condition(name, where, "Fn::If") else when_false, where)


def _fn_import_value(ev: Evaluator, arg: Any, where: str) -> str:
    name = ev.string(arg, where, "Fn::ImportValue")
    value = ev.imports(name)
    if value is None:
        raise TemplateError(
            where,
            f"no value for the export {echoed(name)}",
            intrinsic="Fn::ImportValue",
            fix=f"Pass it with --import {name}=<value>.",
        )
    return value


def _lookup(container: Mapping[str, Any], key: str, where: str, label: str) -> Any:
    if key not in container:
        raise TemplateError(
            where,
            f"{label} has no key {echoed(key)}{did_you_mean(key, container)}",
            intrinsic="Fn::FindInMap",
            fix=f"Keys there: {clip(', '.join(map(str, container)) or 'none')}.",
        )
    return container[key]


def _fn_find_in_map(ev: Evaluator, arg: Any, where: str) -> Any:
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


_Function = Callable[[Evaluator, Any, str], Any]
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


def _fn_equals(ev: Evaluator, arg: Any, where: str) -> bool:
    left, right = _args(arg, 2, where, "Fn::Equals", "[value, value]")
    # Both sides are compared as CloudFormation strings: 1, "1" and a Number parameter agree.
    return bool(ev.value(left, where) == ev.value(right, where))


def _operands(ev: Evaluator, arg: Any, where: str, intrinsic: str) -> list[bool]:
    if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
        raise TemplateError(
            where,
            f"expects 2 to 10 conditions, got {echoed(arg)}",
            intrinsic=intrinsic,
            fix="List the conditions.",
        )
    # All operands are evaluated (no short cut), so a broken one is reported whatever the rest.
    return [ev.condition_node(operand, where) for operand in arg]


def _fn_not(ev: Evaluator, arg: Any, where: str) -> bool:
    (operand,) = _args(arg, 1, where, "Fn::Not", "[condition]")
    return not ev.condition_node(operand, where)


def _fn_and(ev: Evaluator, arg: Any, where: str) -> bool:
    return all(_operands(ev, arg, where, "Fn::And"))


def _fn_or(ev: Evaluator, arg: Any, where: str) -> bool:
    return any(_operands(ev, arg, where, "Fn::Or"))


def _condition(ev: Evaluator, arg: Any, where: str) -> bool:
    return ev.condition(_name(arg, where, "Condition"), where, "Condition")


_CONDITION_FUNCTIONS: Final[Mapping[str, Callable[[Evaluator, Any, str], bool]]] = {
    "Fn::Equals": _fn_equals,
    "Fn::Not": _fn_not,
    "Fn::And": _fn_and,
    "Fn::Or": _fn_or,
    "Condition": _condition,
}
