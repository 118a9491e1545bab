"""``resolver plan``: which of a stack's images exist in ECR, decided before the deploy.

The planner always asks ECR and never fails on a missing image — deciding ``UsePreBuiltImages``
is what the plan is for — so it parses the resource's properties as the Lambda would, then sets
the three things it decides itself on the typed request: pre-built images on, ``OnMissing:
Report``, and ``--wait`` instead of the template's ``WaitSeconds``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from ..errors import InvalidPropertyError, ResourceNotCreatedError, VulnerableImagesError
from ..model import OnMissing, Resolution
from ..properties import parse_request
from ..references import Registry, partition_of_region
from .aws import Aws, AwsOptions, Exports
from .exit_codes import ExitCode
from .report import OverrideNames, as_github_outputs, as_json, as_sam_overrides, as_table

# Properties the planner decides itself: their template values are not read.
_DECIDED_BY_THE_PLANNER = frozenset({"UsePreBuiltImages", "OnMissing", "WaitSeconds"})


class Output(Enum):
    TABLE = "table"
    JSON = "json"
    GITHUB = "github"


class Colour(Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class TemplateSource:
    """A consumer template, evaluated as CloudFormation would with these inputs."""

    template: Path
    resource: str | None = None
    parameter_overrides: tuple[str, ...] = ()
    config_file: Path | None = None
    config_env: str = "default"
    imports: Mapping[str, str] | None = None


@dataclass(frozen=True)
class SpecSource:
    """A YAML/JSON file holding the resource's properties."""

    spec: Path


@dataclass(frozen=True)
class PlanOptions:
    source: TemplateSource | SpecSource
    aws: AwsOptions = field(default_factory=AwsOptions)
    account_id: str | None = None
    wait_seconds: int = 0  # CI builds what is missing: waiting only delays the answer
    output: Output = Output.TABLE
    emit_sam_overrides: bool = False
    override_names: OverrideNames = field(default_factory=OverrideNames)
    colour: Colour = Colour.AUTO


def run_plan(options: PlanOptions) -> ExitCode:
    from ..engine import enforce, resolve  # noqa: PLC0415 - `resolver --help` skips boto3
    from ..engine.ecr.clients import EcrClients  # noqa: PLC0415

    aws = Aws.start(options.aws)
    account = options.account_id or aws.account_id()
    properties = _properties(options.source, aws, account)
    if properties is None:
        return ExitCode.OK
    registry = Registry(account, aws.region, partition_of_region(aws.region))
    planned = {k: v for k, v in properties.items() if k not in _DECIDED_BY_THE_PLANNER}
    clients = EcrClients(session=aws.session, endpoint_url=aws.endpoint_url)
    request = replace(
        parse_request(planned, default_registry=registry, regions=clients),
        use_prebuilt=True,
        on_missing=OnMissing.REPORT,
        wait_seconds=options.wait_seconds,
    )
    resolution = resolve(request, clients=clients)
    _report(options, resolution)
    if resolution.build_required:
        return ExitCode.BUILD_NEEDED
    try:
        enforce(resolution)  # only the vulnerability gate can still fail: OnMissing is Report
    except VulnerableImagesError as exc:
        print(f"resolver: {exc}", file=sys.stderr)
        return ExitCode.VULNERABLE
    return ExitCode.OK


def _properties(
    source: TemplateSource | SpecSource, aws: Aws, account: str
) -> dict[str, Any] | None:
    if isinstance(source, SpecSource):
        return _read_spec(source.spec)
    from . import template as te  # noqa: PLC0415 - YAML parsing only for this path

    template = te.load_template(source.template)
    logical_id, _ = te.find_resolver_resource(template, logical_id=source.resource)
    config = source.config_file or source.template.parent / "samconfig.toml"
    samconfig = (
        te.read_samconfig_overrides(config, env=source.config_env)
        if source.config_file or config.exists()
        else {}
    )
    parameters = te.merge_parameters(
        template, samconfig=samconfig, overrides=te.parse_overrides(source.parameter_overrides)
    )
    pseudo = te.PseudoParameters.for_region(aws.region, account_id=account)
    exports = Exports(aws, source.imports or {})
    try:
        return te.evaluate_properties(
            template,
            logical_id,
            parameters=parameters,
            imports=exports.get,
            pseudo=pseudo,
            skip={"ServiceToken"},
        )
    except ResourceNotCreatedError as exc:
        print(f"resolver: nothing to plan: {exc}", file=sys.stderr)
        return None


def _read_spec(path: Path) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - only the planner reads YAML

    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidPropertyError(
            "--spec", str(path), f"could not be read ({exc})", "Give a YAML or JSON file."
        ) from exc
    if isinstance(document, dict) and isinstance(document.get("Properties"), dict):
        document = document["Properties"]
    if not isinstance(document, dict):
        raise InvalidPropertyError(
            "--spec", str(path), "is not a map of properties", "See README: Planner."
        )
    return document


def _report(options: PlanOptions, resolution: Resolution) -> None:
    colour = options.colour is Colour.ALWAYS or (
        options.colour is Colour.AUTO and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    if options.output is Output.JSON:
        report = as_json(resolution)
    elif options.output is Output.GITHUB:
        report = as_github_outputs(resolution)
    else:
        report = as_table(resolution, colour=colour)
    if options.emit_sam_overrides:
        print(report, file=sys.stderr)
        print(as_sam_overrides(resolution, options.override_names))
    else:
        print(report)
