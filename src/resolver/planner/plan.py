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
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    GateError,
    InvalidPropertyError,
    ResourceNotCreatedError,
    RetentionRiskError,
    VulnerableImagesError,
)
from ..model import (
    OnMissing,
    Protect,
    Resolution,
    ResolveRequest,
    RollbackState,
    RollbackTarget,
    Waiting,
    WaitingFor,
)
from ..properties import parse_request, protect_of
from ..references import Registry, partition_of_region
from ..values import frozen
from .aws import Aws, AwsOptions, Exports, SsmParameters, role_session_name, waiting_notice
from .exit_codes import ExitCode
from .options import Colour, ContextKeys, Emit, Output, OverrideNames
from .report import (
    ResponseForecast,
    as_cdk_context,
    as_github_outputs,
    as_json,
    as_lock,
    as_markdown,
    as_sam_overrides,
    as_table,
)

if TYPE_CHECKING:
    from ..engine.ecr.clients import EcrClients
    from .template import Parameters

# Properties the planner decides itself: their template values are not read. The lock is what
# the plan makes (a template's ExpectedDigests is the deploy's check), and replication is the
# deploy's to wait for: the plan runs right after the push.
_DECIDED_BY_THE_PLANNER = frozenset(
    {
        "UsePreBuiltImages",
        "OnMissing",
        "WaitSeconds",
        "ExpectedDigests",
        "OnLockMismatch",
        "WaitForReplication",
    }
)


@frozen
class TemplateSource:
    """A consumer template, evaluated as CloudFormation would with these inputs."""

    template: Path
    resource: str | None = None
    parameter_overrides: tuple[str, ...] = ()
    config_file: Path | None = None
    config_env: str = "default"
    imports: Mapping[str, str] | None = None


@frozen
class SpecSource:
    """A YAML/JSON file holding the resource's properties."""

    spec: Path
    resource: str = "Images"  # its logical id in a deployed stack (--stack-name)


@frozen
class PlanOptions:
    source: TemplateSource | SpecSource
    aws: AwsOptions = field(default_factory=AwsOptions)
    account_id: str | None = None
    wait_seconds: int = 0  # CI builds what is missing: waiting only delays the answer
    output: Output = Output.TABLE
    emit: Emit | None = None
    override_names: OverrideNames = field(default_factory=OverrideNames)
    context_keys: ContextKeys = field(default_factory=ContextKeys)
    colour: Colour = Colour.AUTO
    # The stack the template deploys as (AWS::StackName), whose deployed images are checked too.
    stack_name: str | None = None
    summary_file: Path | None = None  # also append a Markdown report here ($GITHUB_STEP_SUMMARY)


@frozen
class _Template:
    """A consumer template and everything the files say about evaluating it."""

    template: dict[str, Any]
    logical_id: str
    parameters: Parameters
    stack_name: str | None  # --stack-name, else samconfig's stack_name
    imports: Mapping[str, str]


@frozen
class _Planned:
    """The resource's properties and logical id, the parameters its template declares (None for
    a spec), and the stack's name where it is known."""

    properties: dict[str, Any]
    logical_id: str
    declared_parameters: frozenset[str] | None
    stack_name: str | None = None


def run_plan(options: PlanOptions) -> ExitCode:
    from ..engine import enforce, resolve  # noqa: PLC0415 - `resolver --help` skips boto3

    # Files first: a typo in a path or the template is bad input (2), whatever AWS would say.
    read = _read(options.source, stack_name=options.stack_name)
    aws = Aws.start(options.aws)
    account = options.account_id or aws.account_id()
    source = read if isinstance(read, _Planned) else _evaluate(read, aws=aws, account=account)
    if source is None:
        return ExitCode.OK
    if options.emit is Emit.SAM_OVERRIDES:
        _warn_undeclared(options.override_names, source.declared_parameters)
    registry = Registry(account, aws.region, partition_of_region(aws.region))
    planned = {k: v for k, v in source.properties.items() if k not in _DECIDED_BY_THE_PLANNER}
    # The roles the properties name are assumed with the caller's credentials, once for the run.
    clients = aws.clients.for_invocation(session_name=role_session_name())
    request = replace(
        parse_request(planned, default_registry=registry, regions=clients),
        use_prebuilt=True,
        on_missing=OnMissing.REPORT,
        wait_seconds=options.wait_seconds,
    )
    with waiting_notice(f"ECR ({aws.where('ecr')})", polling_seconds=options.wait_seconds):
        resolution = resolve(request, clients=clients, observer=_say_still_waiting)
        target = (
            _deployed_target(
                options.stack_name, source.logical_id, request, aws=aws, clients=clients
            )
            if options.stack_name
            else None
        )
    forecast, too_large = _predicted_response(
        source, request, resolution, registry=registry, clients=clients
    )
    _report(options, resolution, target, forecast)
    if protect_of(source.properties) is not Protect.OFF:
        _advise_the_lifecycle_rule(resolution, clients=clients)
    if too_large is not None:
        raise too_large  # the Create would answer FAILED with this very message
    if resolution.build_required:
        return ExitCode.BUILD_NEEDED
    try:
        enforce(resolution)  # only the gates can still fail: OnMissing is Report
    except VulnerableImagesError as exc:
        print(f"resolver: {exc}", file=sys.stderr)
        return ExitCode.VULNERABLE
    except RetentionRiskError as exc:
        print(f"resolver: {exc}", file=sys.stderr)
        return ExitCode.RETENTION_RISK
    except GateError as exc:
        print(f"resolver: {exc}", file=sys.stderr)
        return ExitCode.GATE_BLOCKED
    return ExitCode.OK


_WAITED_FOR = {
    WaitingFor.SCAN: "a scan of ",
    WaitingFor.SIGNATURE: "ECR to sign ",
    WaitingFor.REPLICATION: "the replication of ",
}


def _say_still_waiting(waiting: Waiting) -> None:
    """``--wait`` (and ECR's work after a push) is never silent: one line per round."""
    what = _WAITED_FOR.get(waiting.reason, "")
    print(
        f"resolver: still waiting for {what}{', '.join(waiting.images)} "
        f"({waiting.slept:.0f} s of {waiting.budget:.0f} s)",
        file=sys.stderr,
    )


def _warn_undeclared(names: OverrideNames, declared: frozenset[str] | None) -> None:
    """``sam deploy`` drops an override the template does not declare, without a word."""
    if declared is None:
        return
    for name, option in (
        (names.use_prebuilt, "--prebuilt-parameter"),
        (names.revision, "--revision-parameter"),
    ):
        if name not in declared:
            print(
                f"resolver: warning: the template declares no parameter {name}, and sam deploy "
                f"silently drops overrides it does not declare. Declare it (README: Re-resolving "
                f"when a tag moves), or name yours with {option}.",
                file=sys.stderr,
            )


def _read(source: TemplateSource | SpecSource, *, stack_name: str | None) -> _Template | _Planned:
    """What the files say, read before any AWS call: a spec's properties, or a template with
    its parameters (each read and checked once) and samconfig's settings."""
    from . import template as te  # noqa: PLC0415 - YAML parsing only when planning

    if stack_name is not None:
        te.check_stack_name(stack_name, "--stack-name")
    if isinstance(source, SpecSource):
        spec = _read_spec(source.spec)
        return _Planned(spec, source.resource, declared_parameters=None, stack_name=stack_name)
    template = te.load_template(source.template)
    logical_id, _ = te.find_resolver_resource(template, logical_id=source.resource)
    for function in te.rebuilt_by_sam(template, logical_id):
        print(
            f"resolver: warning: {function} takes its image from {logical_id}, but its Metadata "
            "has Dockerfile and DockerContext: sam build builds that image and writes it over "
            "the ImageUri the resolver pins (sam deploy then pushes the build). Remove them, or "
            "set Metadata: SkipBuild: true.",
            file=sys.stderr,
        )
    config = source.config_file or source.template.parent / "samconfig.toml"
    samconfig = (
        te.read_samconfig(config, env=source.config_env)
        if source.config_file or config.exists()
        else te.SamConfig()
    )
    parameters = te.Parameters(
        template,
        te.parse_overrides(source.parameter_overrides),
        samconfig=samconfig.parameter_overrides,
        given_by="--parameter-overrides",
    )
    return _Template(
        template,
        logical_id,
        parameters,
        stack_name=stack_name or samconfig.stack_name,
        imports=source.imports or {},
    )


def _evaluate(read: _Template, *, aws: Aws, account: str) -> _Planned | None:
    """The resource's properties as CloudFormation would deliver them; None when the template
    would not create the resource."""
    from . import template as te  # noqa: PLC0415

    pseudo = te.PseudoParameters.for_region(
        aws.region, account_id=account, stack_name=read.stack_name
    )
    try:
        properties = te.evaluate_properties(
            read.template,
            read.logical_id,
            parameters=read.parameters,
            imports=Exports(aws, read.imports).get,
            pseudo=pseudo,
            skip={"ServiceToken"},
            ssm=SsmParameters(aws).get,
        )
    except ResourceNotCreatedError as exc:
        print(f"resolver: nothing to plan: {exc}", file=sys.stderr)
        return None
    return _Planned(properties, read.logical_id, frozenset(read.parameters), read.stack_name)


def _read_spec(path: Path) -> dict[str, Any]:
    from . import template as te  # noqa: PLC0415 - only the planner reads YAML

    # The template reader's rules hold for a spec too: no aliases, no duplicate keys.
    document = te.read_document(path, what="spec", option="--spec")
    if isinstance(document, dict) and isinstance(document.get("Properties"), dict):
        document = document["Properties"]
    if not isinstance(document, dict):
        raise InvalidPropertyError(
            "--spec", str(path), "is not a map of properties", "See README: Planner."
        )
    return document


def _deployed_target(
    stack_name: str,
    logical_id: str,
    request: ResolveRequest,
    *,
    aws: Aws,
    clients: EcrClients,
) -> RollbackTarget:
    """Are the images the deployed stack runs — where a failed deploy would return — still in
    ECR? Read from the PhysicalResourceId, which records them, as the function checks it before
    an Update moves on."""
    from ..cloudformation.physical_id import parse  # noqa: PLC0415
    from ..cloudformation.rollback import rollback_target  # noqa: PLC0415
    from ..engine import Deadline  # noqa: PLC0415

    deployed = aws.physical_id(stack_name, logical_id)
    if deployed is None:
        return RollbackTarget(
            RollbackState.UNKNOWN, reason=f"stack {stack_name} has no resource {logical_id} yet"
        )
    target, _ = rollback_target(parse(deployed), request, clients=clients, deadline=Deadline())
    return target


# --- the response the Create would send --------------------------------------------------------

# A stack's name is up to 128 characters; unknown, the longest is assumed: a plan that passes then
# never meets a Create that fails for size.
_LONGEST_STACK_NAME = "s" * 128
_PLACEHOLDER_UUID = "00000000-0000-0000-0000-000000000000"  # StackId's and RequestId's length


def _predicted_response(
    source: _Planned,
    request: ResolveRequest,
    resolution: Resolution,
    *,
    registry: Registry,
    clients: EcrClients,
) -> tuple[ResponseForecast, InvalidPropertyError | None]:
    """What the Create of this deployment would answer, sized by the function's own code
    (``cloudformation.budget``): the forecast to report, and the error the Create would fail
    with. With images missing, the deploy the plan points to is the one with pre-built images
    off (every image its Fallback)."""
    from ..cloudformation.budget import forward_answer  # noqa: PLC0415
    from ..cloudformation.events import CfnEvent, ReplyTo, RequestType  # noqa: PLC0415
    from ..cloudformation.protection import worst_case  # noqa: PLC0415

    name = source.stack_name or _LONGEST_STACK_NAME
    stack_id = (
        f"arn:{registry.partition}:cloudformation:{registry.region}:{registry.account_id}"
        f":stack/{name}/{_PLACEHOLDER_UUID}"
    )
    event = CfnEvent(
        RequestType.CREATE,
        ReplyTo("", stack_id, _PLACEHOLDER_UUID, source.logical_id),
        source.properties,
    )
    assumed = source.stack_name is None
    deployed: Resolution | None = resolution
    if resolution.build_required:
        deployed = _without_prebuilt(source.properties, registry=registry, clients=clients)
    if deployed is None:
        return ResponseForecast(None, None, assumed_stack_name=assumed), None
    # With Protect, the function sizes its answer with Protection at its longest, before tagging.
    worst = worst_case(event, deployed, request.attributes)
    try:
        answer = forward_answer(event, deployed, request.attributes, protection=worst)
    except InvalidPropertyError as exc:
        return ResponseForecast(None, None, assumed_stack_name=assumed), exc
    forecast = ResponseForecast(
        answer.response.size(), answer.record.value, assumed_stack_name=assumed
    )
    return forecast, None


def _advise_the_lifecycle_rule(resolution: Resolution, *, clients: EcrClients) -> None:
    """With ``Protect``: name each repository whose lifecycle policy would not let the tags keep
    the images, and print the rule to add (on stderr: stdout stays the report or the emit)."""
    from ..engine import Deadline  # noqa: PLC0415
    from ..protection import in_ecr  # noqa: PLC0415
    from ..protection.lifecycle_rule import rule_text, without_the_rule  # noqa: PLC0415

    repositories = {image.image_ref.repository for image in resolution.images if in_ecr(image)}
    missing = without_the_rule(repositories, clients=clients, deadline=Deadline())
    for repository, why in sorted(missing.items()):
        print(
            f"resolver: Protect: in {repository.describe()}, {why}: the protection tags alone do "
            "not keep the pinned images there.",
            file=sys.stderr,
        )
    if missing:
        print(
            "resolver: add this rule to the lifecycle policy, before every rule that can select a "
            f"tagged image (raise their rulePriority):\n  {rule_text()}",
            file=sys.stderr,
        )


def _without_prebuilt(
    properties: Mapping[str, Any], *, registry: Registry, clients: EcrClients
) -> Resolution | None:
    """The resolution of ``UsePreBuiltImages: false`` (no ECR call is made); None when the
    properties do not allow it (an image without a Fallback): the Create would say so itself."""
    from ..engine import resolve  # noqa: PLC0415

    try:
        request = parse_request(
            {**properties, "UsePreBuiltImages": "false"}, default_registry=registry
        )
    except InvalidPropertyError:
        return None
    return resolve(request, clients=clients)


def _report(
    options: PlanOptions,
    resolution: Resolution,
    target: RollbackTarget | None,
    forecast: ResponseForecast,
) -> None:
    colour = options.colour is Colour.ALWAYS or (
        options.colour is Colour.AUTO and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    if options.output is Output.JSON:
        report = as_json(resolution, rollback_target=target, forecast=forecast)
    elif options.output is Output.GITHUB:
        report = as_github_outputs(resolution, rollback_target=target)
    else:
        report = as_table(resolution, colour=colour, rollback_target=target, forecast=forecast)
    if options.summary_file is not None:
        _append(options.summary_file, as_markdown(resolution))
    if options.emit is Emit.SAM_OVERRIDES:
        print(report, file=sys.stderr)
        print(as_sam_overrides(resolution, options.override_names))
    elif options.emit is Emit.CDK_CONTEXT:
        print(report, file=sys.stderr)
        if not resolution.version:
            print(
                f"resolver: warning: no version was resolved (no Version property), so "
                f"--context {options.context_keys.version}=... is left out.",
                file=sys.stderr,
            )
        print(" ".join(as_cdk_context(resolution, options.context_keys)))
    elif options.emit is Emit.LOCK:
        print(report, file=sys.stderr)
        _emit_lock(resolution)
    else:
        print(report)


# A CloudFormation parameter value holds at most 4,096 bytes (CloudFormation quotas).
_PARAMETER_BYTES = 4096


def _emit_lock(resolution: Resolution) -> None:
    lock = as_lock(resolution)
    if not lock:
        print("resolver: warning: no image was found, so the lock is empty.", file=sys.stderr)
    elif len(lock.encode()) > _PARAMETER_BYTES:
        print(
            f"resolver: warning: the lock is {len(lock.encode())} bytes, over the 4096 a "
            "CloudFormation parameter holds: pass it as the resource's ExpectedDigests map "
            "instead, or split the images over several resources.",
            file=sys.stderr,
        )
    print(lock)


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(text)
    except OSError as exc:
        raise InvalidPropertyError(
            "--summary-file", str(path), f"could not be written ({exc})", "Give a writable file."
        ) from exc
