"""``--parameter-overrides`` and ``samconfig`` files: the parameter values ``sam deploy`` would pass."""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any, Final

import yaml

from ...errors import TemplateError, clip, shown
from ...values import frozen
from .loader import echoed
from .pseudo import check_stack_name

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
            f"{echoed(item)} is not Name=value",
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


def _setting(environment: Mapping[str, Any], name: str, command: str) -> tuple[str, Any] | None:
    """``(section, value)`` of one option as ``sam <command>`` reads it, or None when unset.

    SAM lays the command's section over ``[env.global]`` option by option, so a command's value
    replaces the global one whole: ``parameter_overrides`` keys are not merged.
    """
    for section in (command, "global"):
        parameters = environment.get(section, {})
        parameters = parameters.get("parameters", {}) if isinstance(parameters, dict) else {}
        if isinstance(parameters, dict) and name in parameters:
            return section, parameters[name]
    return None


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


@frozen
class SamConfig:
    """What ``sam deploy --config-env <env>`` would take from a samconfig file."""

    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    stack_name: str | None = None  # what AWS::StackName will be


def read_samconfig(path: Path, *, env: str = "default", command: str = "deploy") -> SamConfig:
    """The ``parameter_overrides`` and ``stack_name`` ``sam <command> --config-env <env>`` uses."""
    config = _read_config(path)
    environment = config.get(env)
    if not isinstance(environment, dict):
        envs = sorted(name for name, body in config.items() if isinstance(body, dict))
        raise TemplateError(
            str(path),
            f"has no environment {shown(env)} (it has: {clip(', '.join(envs) or 'none')})",
            fix="Choose one with --config-env.",
        )
    overrides: dict[str, str] = {}
    found = _setting(environment, "parameter_overrides", command)
    if found is not None:
        source = f"{path} [{env}.{found[0]}.parameters] parameter_overrides"
        overrides = parse_overrides(_override_tokens(found[1], source), source=source)
    stack_name = None
    found = _setting(environment, "stack_name", command)
    if found is not None:
        stack_name = check_stack_name(found[1], f"{path} [{env}.{found[0]}.parameters] stack_name")
    return SamConfig(parameter_overrides=overrides, stack_name=stack_name)
