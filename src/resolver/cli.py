"""``resolver``: the planner CI runs before a deploy, and a local invoke of the custom resource.

A thin shell over the same core as the Lambda: properties (from a consumer template, evaluated as
CloudFormation would, or from a spec file) → ``spec`` → ``resolve`` → a table, JSON, GitHub outputs
or ``sam deploy`` overrides. Errors become one line on stderr and a documented exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .ecr_clients import EcrClients
from .errors import InvalidPropertyError, LookupFailedError, ResolverError, VulnerableImagesError
from .plan_report import OverrideNames, as_github_outputs, as_json, as_sam_overrides, as_table
from .references import Registry, partition_of_region
from .resolve import Resolution, enforce, resolve
from .spec import parse_request

EXIT_OK = 0  # every image found (plan) / SUCCESS (invoke)
EXIT_ERROR = 1  # an unexpected error (a bug: please report it) / FAILED (invoke)
EXIT_INVALID = 2  # invalid input: flags, template, parameters or properties
EXIT_BUILD_NEEDED = 3  # at least one image is missing: build it (or deploy with pre-built off)
EXIT_LOOKUP_FAILED = 4  # AWS could not answer: credentials, access denied, throttling, network
EXIT_VULNERABLE = 5  # the vulnerability gate (FailOnSeverity / RequireScan) blocks an image


class AwsCallError(ResolverError):
    """An AWS call the CLI itself makes (STS, CloudFormation exports) failed."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except (LookupFailedError, AwsCallError) as exc:
        return _fail(str(exc), EXIT_LOOKUP_FAILED)
    except ResolverError as exc:
        return _fail(str(exc), EXIT_INVALID)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - the shell's last resort: one line, no traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc} (please report this)", EXIT_ERROR)


def _fail(message: str, code: int) -> int:
    print(f"resolver: {message}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resolver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="check a stack's images in ECR before deploying",
        description="Check which images exist in ECR; exit 0 if all do, 3 if a build is needed.",
        epilog="Exit codes: 0 all found, 3 build needed, 5 blocked by the vulnerability gate, "
        "2 invalid input, 4 AWS lookup failed, 1 bug.",
    )
    source = plan.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", type=Path, help="consumer CloudFormation/SAM template")
    source.add_argument("--spec", type=Path, help="YAML/JSON file with the resource's properties")
    plan.add_argument("--resource", help="logical id of the Custom::ImageResolver resource")
    plan.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="K=V",
        help="template parameter values",
    )
    plan.add_argument(
        "--config-file",
        type=Path,
        help="samconfig file (default: samconfig.toml beside the template)",
    )
    plan.add_argument(
        "--config-env", default="default", help="samconfig environment (default: default)"
    )
    plan.add_argument(
        "--import",
        dest="imports",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="answer Fn::ImportValue without asking CloudFormation",
    )
    plan.add_argument(
        "--account-id",
        help="account for AWS::AccountId and bare repository names (default: from STS)",
    )
    plan.add_argument(
        "--wait",
        type=int,
        default=0,
        metavar="SECONDS",
        help="poll this long for missing images (the template's WaitSeconds is ignored)",
    )
    plan.add_argument("--output", choices=("table", "json", "github"), default="table")
    plan.add_argument(
        "--emit",
        choices=("sam-overrides",),
        help="print only sam deploy --parameter-overrides (the report goes to stderr)",
    )
    plan.add_argument(
        "--prebuilt-parameter",
        default="UsePreBuiltImages",
        help="parameter name for --emit (default: UsePreBuiltImages)",
    )
    plan.add_argument(
        "--revision-parameter",
        default="ImageRevision",
        help="parameter name for --emit (default: ImageRevision)",
    )
    plan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    _aws_options(plan)
    plan.set_defaults(command=_plan)

    invoke = commands.add_parser(
        "invoke",
        help="run the custom resource on an event file and print its response",
        description="Run the handler in-process on a CloudFormation event (e.g. events/create.json) "
        "and print the response CloudFormation would receive; nothing is sent anywhere.",
    )
    invoke.add_argument("event", type=Path)
    invoke.add_argument(
        "--timeout", type=float, default=120.0, help="the Lambda timeout to emulate, in seconds"
    )
    _aws_options(invoke)
    invoke.set_defaults(command=_invoke)
    return parser


def _aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: from the environment or profile)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.add_argument(
        "--endpoint-url", help="ECR (and STS, CloudFormation) endpoint, e.g. a local emulator"
    )


# --- plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aws:
    """The session and what the CLI asks AWS outside the resolver core."""

    session: Any
    region: str
    endpoint_url: str | None

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    def account_id(self) -> str:
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(
                f"could not read the account id from STS ({type(exc).__name__}: {exc}); "
                "check your credentials or pass --account-id"
            ) from exc


def _session(args: argparse.Namespace) -> _Aws:
    import boto3  # noqa: PLC0415 - keep `resolver --help` fast

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except Exception as exc:
        raise AwsCallError(f"could not start an AWS session: {exc}") from exc
    if not session.region_name:
        raise InvalidPropertyError(
            "--region", None, "is not set", "Pass --region or set AWS_REGION."
        )
    return _Aws(session=session, region=session.region_name, endpoint_url=args.endpoint_url)


def _plan(args: argparse.Namespace) -> int:
    aws = _session(args)
    account = args.account_id or aws.account_id()
    properties = _properties(args, aws, account)
    if properties is None:
        return EXIT_OK
    # The planner answers "which images exist?", so it always asks ECR and never fails on a
    # missing image: deciding UsePreBuiltImages is what the plan is for.
    properties = {
        **properties,
        "UsePreBuiltImages": "true",
        "OnMissing": "Report",
        # CI builds what the plan reports missing, so waiting for it would only delay the
        # answer; --wait is for pipelines where another job is still pushing.
        "WaitSeconds": str(args.wait),
    }
    registry = Registry(account, aws.region, partition_of_region(aws.region))
    request = parse_request(properties, default_registry=registry)
    clients = EcrClients(session=aws.session, endpoint_url=aws.endpoint_url)
    resolution = resolve(request, clients=clients)
    _report(args, resolution)
    if resolution.build_required:
        return EXIT_BUILD_NEEDED
    try:
        enforce(resolution)  # only the vulnerability gate can still fail: OnMissing is Report
    except VulnerableImagesError as exc:
        print(f"resolver: {exc}", file=sys.stderr)
        return EXIT_VULNERABLE
    return EXIT_OK


def _properties(args: argparse.Namespace, aws: _Aws, account: str) -> dict[str, Any] | None:
    if args.spec:
        return _read_spec(args.spec)
    from . import template_eval as te  # noqa: PLC0415 - YAML parsing only for this path

    template = te.load_template(args.template)
    logical_id, _ = te.find_resolver_resource(template, logical_id=args.resource)
    config = args.config_file or args.template.parent / "samconfig.toml"
    samconfig = (
        te.read_samconfig_overrides(config, env=args.config_env)
        if args.config_file or config.exists()
        else {}
    )
    parameters = te.merge_parameters(
        template, samconfig=samconfig, overrides=te.parse_overrides(args.parameter_overrides)
    )
    pseudo = te.PseudoParameters.for_region(aws.region, account_id=account)
    exports = _Exports(aws, _parse_imports(args.imports))
    try:
        return te.evaluate_properties(
            template,
            logical_id,
            parameters=parameters,
            imports=exports.get,
            pseudo=pseudo,
            skip={"ServiceToken"},
        )
    except te.ResourceNotCreatedError as exc:
        print(f"resolver: nothing to plan: {exc}", file=sys.stderr)
        return None


def _parse_imports(items: Sequence[str]) -> dict[str, str]:
    """``--import Name=Value``; export names may hold ``-`` and ``:``, so split at the first ``=``."""
    pairs = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise InvalidPropertyError(
                "--import",
                item,
                "is not Name=Value",
                "Example: --import TAK-Dev-BaseInfra-EcrArtifactsRepoArn=arn:aws:ecr:...",
            )
        pairs[name] = value
    return pairs


class _Exports:
    """``Fn::ImportValue``: ``--import`` values first, then CloudFormation's exports, read once."""

    def __init__(self, aws: _Aws, given: Mapping[str, str]) -> None:
        self._aws = aws
        self._given = dict(given)
        self._listed: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if name in self._given:
            return self._given[name]
        if self._listed is None:
            self._listed = self._list()
        return self._listed.get(name)

    def _list(self) -> dict[str, str]:
        try:
            pages = self._aws.client("cloudformation").get_paginator("list_exports").paginate()
            return {
                export["Name"]: export["Value"]
                for page in pages
                for export in page.get("Exports", [])
            }
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(
                f"could not list CloudFormation exports ({type(exc).__name__}: {exc}); "
                "pass the values with --import Name=Value"
            ) from exc


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


def _report(args: argparse.Namespace, resolution: Resolution) -> None:
    colour = args.color == "always" or (
        args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    if args.output == "json":
        report = as_json(resolution)
    elif args.output == "github":
        report = as_github_outputs(resolution)
    else:
        report = as_table(resolution, colour=colour)
    if args.emit == "sam-overrides":
        print(report, file=sys.stderr)
        names = OverrideNames(
            use_prebuilt=args.prebuilt_parameter, revision=args.revision_parameter
        )
        print(as_sam_overrides(resolution, names))
    else:
        print(report)


# --- invoke --------------------------------------------------------------------------------------


@dataclass
class _LocalContext:
    """The parts of a Lambda context the resolver reads."""

    timeout_seconds: float
    invoked_function_arn: str
    aws_request_id: str = "local-invoke"
    started: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def _invoke(args: argparse.Namespace) -> int:
    from .custom_resource import ImageResolverResource, Settings  # noqa: PLC0415 - crhelper only here

    try:
        event = json.loads(args.event.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidPropertyError(
            "EVENT",
            str(args.event),
            f"is not a readable JSON event ({exc})",
            "Use a file from events/.",
        ) from exc
    aws = _session(args)
    # The event's own ServiceToken names the function (and so the account and region).
    function_arn = str(
        event.get("ServiceToken") or f"arn:aws:lambda:{aws.region}:000000000000:function:local"
    )
    responses: list[bytes] = []
    resource = ImageResolverResource(
        clients=EcrClients(session=aws.session, endpoint_url=aws.endpoint_url),
        settings=Settings(local=True, sink=responses.append),
    )
    context = _LocalContext(
        args.timeout, function_arn, aws_request_id=str(uuid.uuid4()), started=time.monotonic()
    )
    resource(event, context)
    if not responses:
        return _fail("the handler sent no response (please report this)", EXIT_ERROR)
    body = json.loads(responses[0])
    print(json.dumps(body, indent=2))
    return EXIT_OK if body.get("Status") == "SUCCESS" else EXIT_ERROR
