"""``resolver``: argument parsing, and the shell that turns errors into one line and an exit code.

Options become typed values here (``PlanOptions``, ``InvokeOptions``) and are validated with the
option's own name, so a bad ``--wait`` is reported as ``--wait``, never as a template property.
The parser needs only the light ``options`` module: ``resolver --help`` imports no command, no
model and no boto3, and each command imports what it runs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from .exit_codes import ExitCode
from .options import Colour, ContextKeys, Emit, InUseOutput, Output, OverrideNames

if TYPE_CHECKING:
    from .aws import AwsOptions

_PLAN_EPILOG = """\
example (a SAM template with samconfig.toml beside it):
  resolver plan --template template.yaml --config-env prod --parameter-overrides GitSha=3f9a1c2e

exit codes:
  0  every image was found
  3  at least one image is missing: build it (or deploy with pre-built images off)
  2  invalid input: options, template, parameters or properties (one line says which)
  4  AWS could not answer: credentials, access denied, throttling, network
  5  a gate blocks an image: the vulnerability gate (FailOnSeverity, RequireScan), the
     retention gate (OnRetentionRisk: Fail) or the signature gate (RequireSignature)
  1  an unexpected error (a bug: please report it)
With --emit, only 0 and 3 are answers to deploy with.
"""

_INVOKE_EPILOG = """\
example (with `make emulator` running):
  resolver invoke events/create.json --endpoint-url http://127.0.0.1:5000

exit codes:
  0  the custom resource answered SUCCESS
  6  it answered FAILED (the response, with its Reason, is printed)
  2  invalid input: options or the event file
  4  AWS could not answer: credentials, region, network
  1  an unexpected error (a bug: please report it)
"""


_IN_USE_EPILOG = """\
examples (with `make emulator` running):
  resolver in-use --endpoint-url http://127.0.0.1:5000
  resolver in-use --stack-name cloudtak-dev --output json > in-use.json
  ecrm delete --scanned-files in-use.json          # fujiwara/ecrm keeps these images

exit codes:
  0  every image the stacks pin was located
  7  not complete: a stack is updating, an id records no images, or a pinned digest is in none
     of the repositories searched (each said on stderr): delete nothing by this list
  2  invalid input: options
  4  AWS could not answer: credentials, access denied, throttling, network
  1  an unexpected error (a bug: please report it)
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], ExitCode] | None = args.command
    if command is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.INVALID)
    from ..errors import AwsCallError, LookupFailedError, ResolverError  # noqa: PLC0415

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
    from ..properties import MAX_WAIT_SECONDS  # noqa: PLC0415 - only when --wait is given

    if not (text.isascii() and text.isdigit()) or int(text) > MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds from 0 to {MAX_WAIT_SECONDS}"
        )
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver",
        description="Resolve ECR images to digest-pinned URIs: the planner CI runs before a "
        "deploy, and a local invoke of the Custom::ImageResolver custom resource.",
        epilog="Each command's --help lists its options, an example and its exit codes.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _plan_parser(commands)
    _invoke_parser(commands)
    _in_use_parser(commands)
    return parser


def _plan_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = _command(
        commands,
        "plan",
        help="check a stack's images in ECR before deploying",
        description="Check which of a stack's images exist in ECR, as the custom resource would\n"
        "look them up: exit 0 if all do, 3 if a build is needed.",
        epilog=_PLAN_EPILOG,
    )
    given = plan.add_argument_group("input (one of --template and --spec)")
    source = given.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", type=Path, help="consumer CloudFormation/SAM template")
    source.add_argument("--spec", type=Path, help="YAML/JSON file with the resource's properties")
    given.add_argument("--resource", help="logical id of the Custom::ImageResolver resource")

    values = plan.add_argument_group("template parameters and the stack")
    _pairs(values, "--parameter-overrides", metavar="K=V", help="template parameter values")
    values.add_argument(
        "--config-file",
        type=Path,
        help="samconfig file (default: samconfig.toml beside the template)",
    )
    values.add_argument(
        "--config-env", default="default", help="samconfig environment (default: default)"
    )
    _pairs(
        values,
        "--import",
        dest="imports",
        metavar="NAME=VALUE",
        help="answer Fn::ImportValue without asking CloudFormation",
    )
    values.add_argument(
        "--stack-name",
        help="the stack's name: AWS::StackName (default: stack_name from samconfig); also "
        "check that the images the deployed stack runs (where a failed deploy would roll back "
        "to) are still in ECR",
    )

    shown = plan.add_argument_group("output")
    shown.add_argument("--output", choices=[o.value for o in Output], default=Output.TABLE.value)
    shown.add_argument("--color", choices=[c.value for c in Colour], default=Colour.AUTO.value)
    shown.add_argument(
        "--summary-file",
        type=Path,
        metavar="FILE",
        help="also append a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )

    _emit_options(plan.add_argument_group("emit (what the deploy command takes)"))
    aws = _aws_options(plan)
    aws.add_argument(
        "--account-id",
        help="account for AWS::AccountId and bare repository names (default: from STS)",
    )
    aws.add_argument(
        "--wait",
        type=_seconds,
        default=0,
        metavar="SECONDS",
        help="poll this long (0-900) for missing images (the template's WaitSeconds is ignored)",
    )
    plan.set_defaults(command=_plan)


def _pairs(
    group: argparse._ArgumentGroup,
    flag: str,
    *,
    metavar: str,
    help: str,
    dest: str | None = None,
) -> None:
    """An option of ``NAME=VALUE`` words, several per use and repeatable (``--x a=1 --x=b=2``)."""
    group.add_argument(
        flag,
        nargs="+",
        action="extend",
        default=[],
        metavar=metavar,
        help=f"{help} (repeatable)",
        dest=dest or flag.removeprefix("--").replace("-", "_"),
    )


def _emit_options(emit: argparse._ArgumentGroup) -> None:
    emit.add_argument(
        "--emit",
        choices=[e.value for e in Emit],
        help="print only what the deploy command takes: sam deploy --parameter-overrides "
        "values, cdk deploy --context arguments, or the lock (Name=sha256:...,... for the "
        "resource's ExpectedDigests); the report goes to stderr",
    )
    names, keys = OverrideNames(), ContextKeys()
    emit.add_argument(
        "--prebuilt-parameter",
        default=names.use_prebuilt,
        help=f"parameter name for --emit sam-overrides (default: {names.use_prebuilt})",
    )
    emit.add_argument(
        "--revision-parameter",
        default=names.revision,
        help=f"parameter name for --emit sam-overrides (default: {names.revision})",
    )
    emit.add_argument(
        "--prebuilt-context",
        default=keys.use_prebuilt,
        metavar="KEY",
        help=f"context key for --emit cdk-context (default: {keys.use_prebuilt})",
    )
    emit.add_argument(
        "--version-context",
        default=keys.version,
        metavar="KEY",
        help=f"context key of the version for --emit cdk-context (default: {keys.version})",
    )
    emit.add_argument(
        "--version-context-format",
        default=keys.version_format,
        metavar="TEXT",
        help="the version context's value, {version} replaced (default: {version}; "
        "e.g. cloudtak-{version} to pass a tag)",
    )
    emit.add_argument(
        "--revision-context",
        metavar="KEY",
        help="also emit the revision under this context key (default: not emitted)",
    )


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    """A subcommand whose description and epilog keep the line breaks they are written with."""
    return commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _invoke_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invoke = _command(
        commands,
        "invoke",
        help="run the custom resource on an event file and print its response",
        description="Run the custom resource's core in-process on a CloudFormation event (e.g.\n"
        "events/create.json) and print the response CloudFormation would receive; nothing\n"
        "is sent anywhere.",
        epilog=_INVOKE_EPILOG,
    )
    invoke.add_argument("event", type=Path)
    invoke.add_argument(
        "--timeout", type=float, default=120.0, help="the Lambda timeout to emulate, in seconds"
    )
    invoke.add_argument(
        "--allowed-stack-prefixes",
        metavar="PREFIXES",
        help="the resolver stack's AllowedStackPrefixes, comma-separated: an event from another "
        "stack fails as the function would fail it (default: "
        "$IMAGE_RESOLVER_ALLOWED_STACK_PREFIXES, as the function reads it; empty allows all)",
    )
    _aws_options(invoke)
    invoke.set_defaults(command=_invoke)


def _in_use_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    in_use = _command(
        commands,
        "in-use",
        help="list every image the stacks' resolver resources pin, for clean-up tools",
        description="List every image the Custom::ImageResolver resources of the stacks pin,\n"
        "read from their physical ids and located in ECR: a table, or (--output json) the\n"
        "JSON array of image URIs that ecrm's --scanned-files reads.",
        epilog=_IN_USE_EPILOG,
    )
    in_use.add_argument(
        "--stack-name",
        dest="stack_names",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="the stacks to read (repeatable; default: every stack of the account and region)",
    )
    in_use.add_argument(
        "--repository",
        dest="repositories",
        nargs="+",
        action="extend",
        default=[],
        metavar="REPO",
        help="where to look for the pinned digests: names, ARNs or URIs (repeatable; default: "
        "every repository of the account and region)",
    )
    in_use.add_argument(
        "--output", choices=[o.value for o in InUseOutput], default=InUseOutput.TABLE.value
    )
    aws = _aws_options(in_use)
    aws.add_argument("--account-id", help="the registry's account (default: from STS)")
    in_use.set_defaults(command=_in_use)


def _aws_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    aws = parser.add_argument_group("AWS")
    aws.add_argument("--region", help="AWS region (default: from the environment or profile)")
    aws.add_argument("--profile", help="AWS named profile")
    aws.add_argument(
        "--endpoint-url", help="ECR (and STS, CloudFormation) endpoint, e.g. a local emulator"
    )
    return aws


def _aws(args: argparse.Namespace) -> AwsOptions:
    from .aws import AwsOptions  # noqa: PLC0415 - `resolver --help` skips the AWS side

    return AwsOptions(region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)


def _plan(args: argparse.Namespace) -> ExitCode:
    from .plan import PlanOptions, SpecSource, TemplateSource, run_plan  # noqa: PLC0415

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
    from ..errors import InvalidPropertyError  # noqa: PLC0415

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
    from .invoke import InvokeOptions, run_invoke  # noqa: PLC0415

    return run_invoke(
        InvokeOptions(
            event=args.event,
            timeout_seconds=args.timeout,
            aws=_aws(args),
            allowed_stack_prefixes=args.allowed_stack_prefixes,
        )
    )


def _in_use(args: argparse.Namespace) -> ExitCode:
    from .in_use import InUseOptions, run_in_use  # noqa: PLC0415

    return run_in_use(
        InUseOptions(
            stack_names=tuple(args.stack_names),
            repositories=tuple(args.repositories),
            output=InUseOutput(args.output),
            aws=_aws(args),
            account_id=args.account_id,
        )
    )
