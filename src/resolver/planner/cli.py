"""``resolver``: argument parsing, and the shell that turns errors into one line and an exit code.

Options become typed values here (``PlanOptions``, ``InvokeOptions``) and are validated with the
option's own name, so a bad ``--wait`` is reported as ``--wait``, never as a template property.
Nothing heavy is imported until a command runs: ``resolver --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import __version__
from ..errors import AwsCallError, InvalidPropertyError, LookupFailedError, ResolverError
from ..properties import MAX_WAIT_SECONDS
from .aws import AwsOptions
from .exit_codes import ExitCode
from .invoke import InvokeOptions, run_invoke
from .plan import (
    Colour,
    Emit,
    Output,
    PlanOptions,
    SpecSource,
    TemplateSource,
    run_plan,
)
from .report import ContextKeys, OverrideNames


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], ExitCode] = args.command
    try:
        return int(command(args))
    except (LookupFailedError, AwsCallError) as exc:
        return _fail(str(exc), ExitCode.LOOKUP_FAILED)
    except ResolverError as exc:
        return _fail(str(exc), ExitCode.INVALID)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.ERROR)
    except Exception as exc:  # noqa: BLE001 - the shell's last resort: one line, no traceback
        return _fail(f"unexpected {type(exc).__name__}: {exc} (please report this)", ExitCode.ERROR)


def _fail(message: str, code: ExitCode) -> int:
    print(f"resolver: {message}", file=sys.stderr)
    return int(code)


def _seconds(text: str) -> int:
    """``--wait``: whole seconds, 0 to 900 (the Lambda's own ceiling)."""
    if not text.isdigit() or int(text) > MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds from 0 to {MAX_WAIT_SECONDS}"
        )
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver",
        description="Resolve ECR images to digest-pinned URIs: the planner CI runs before a "
        "deploy, and a local invoke of the Custom::ImageResolver custom resource.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="check a stack's images in ECR before deploying",
        description="Check which images exist in ECR; exit 0 if all do, 3 if a build is needed.",
        epilog="Exit codes: 0 all found, 3 build needed, 5 blocked by the vulnerability gate, "
        "2 invalid input, 4 AWS lookup failed, 1 bug. With --emit, only 0 and 3 are answers to "
        "deploy with.",
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
        type=_seconds,
        default=0,
        metavar="SECONDS",
        help="poll this long (0-900) for missing images (the template's WaitSeconds is ignored)",
    )
    plan.add_argument("--output", choices=[o.value for o in Output], default=Output.TABLE.value)
    plan.add_argument(
        "--emit",
        choices=[e.value for e in Emit],
        help="print only what the deploy command takes: sam deploy --parameter-overrides "
        "values, or cdk deploy --context arguments (the report goes to stderr)",
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
    defaults = ContextKeys()
    plan.add_argument(
        "--prebuilt-context",
        default=defaults.use_prebuilt,
        metavar="KEY",
        help=f"context key for --emit cdk-context (default: {defaults.use_prebuilt})",
    )
    plan.add_argument(
        "--version-context",
        default=defaults.version,
        metavar="KEY",
        help=f"context key of the version for --emit cdk-context (default: {defaults.version})",
    )
    plan.add_argument(
        "--version-context-format",
        default=defaults.version_format,
        metavar="TEXT",
        help="the version context's value, {version} replaced (default: {version}; "
        "e.g. cloudtak-{version} to pass a tag)",
    )
    plan.add_argument(
        "--revision-context",
        metavar="KEY",
        help="also emit the revision under this context key (default: not emitted)",
    )
    plan.add_argument(
        "--summary-file",
        type=Path,
        metavar="FILE",
        help="also append a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )
    plan.add_argument("--color", choices=[c.value for c in Colour], default=Colour.AUTO.value)
    plan.add_argument(
        "--stack-name",
        help="a deployed stack: also check that the images it runs (where a failed deploy would "
        "roll back to) are still in ECR",
    )
    _aws_options(plan)
    plan.set_defaults(command=_plan)

    invoke = commands.add_parser(
        "invoke",
        help="run the custom resource on an event file and print its response",
        description="Run the custom resource's core in-process on a CloudFormation event (e.g. "
        "events/create.json) and print the response CloudFormation would receive; nothing is "
        "sent anywhere.",
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


def _aws(args: argparse.Namespace) -> AwsOptions:
    return AwsOptions(region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)


def _plan(args: argparse.Namespace) -> ExitCode:
    source: TemplateSource | SpecSource
    if args.spec:
        source = SpecSource(args.spec, resource=args.resource or "Images")
    else:
        source = TemplateSource(
            template=args.template,
            resource=args.resource,
            parameter_overrides=tuple(args.parameter_overrides),
            config_file=args.config_file,
            config_env=args.config_env,
            imports=_imports(args.imports),
        )
    options = PlanOptions(
        source=source,
        aws=_aws(args),
        account_id=args.account_id,
        wait_seconds=args.wait,
        output=Output(args.output),
        emit=Emit(args.emit) if args.emit else None,
        override_names=OverrideNames(
            use_prebuilt=args.prebuilt_parameter, revision=args.revision_parameter
        ),
        context_keys=ContextKeys(
            use_prebuilt=args.prebuilt_context,
            version=args.version_context,
            version_format=args.version_context_format,
            revision=args.revision_context,
        ),
        colour=Colour(args.color),
        stack_name=args.stack_name,
        summary_file=args.summary_file,
    )
    return run_plan(options)


def _imports(items: Sequence[str]) -> dict[str, str]:
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


def _invoke(args: argparse.Namespace) -> ExitCode:
    return run_invoke(InvokeOptions(event=args.event, timeout_seconds=args.timeout, aws=_aws(args)))
