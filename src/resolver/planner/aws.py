"""What the CLI asks AWS outside the resolver core: a session, the account id, exports.

The CLI is run by people and CI jobs watching a terminal, so its AWS settings are checked before
any call (a region typo, an endpoint without a scheme) and its calls are bounded: a few seconds to
connect, a few attempts, and a line on stderr saying what it waits for when an answer is slow.
"""

from __future__ import annotations

import difflib
import getpass
import os
import socket
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import AwsCallError, InvalidPropertyError, TemplateError
from ..references import Registry, Repository
from ..values import frozen

if TYPE_CHECKING:
    from ..engine.ecr.clients import EcrClients

# A slow answer is reported after this long, so an unreachable endpoint is never silent.
SLOW_CALL_NOTICE_SECONDS = 2.0
# botocore's defaults (60 s to connect, 5 attempts for the resolver's ECR calls) make an
# unreachable endpoint a minute of silence; the CLI gives up on a host within ~10 s.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 3
# What `make emulator` (devkit.serve) tells another terminal to export; its credentials are fake.
EMULATOR_EXPORTS = "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=ap-southeast-2"


@frozen
class AwsOptions:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # ECR, STS and CloudFormation: e.g. a local emulator


def cli_config() -> Any:
    """The botocore ``Config`` of every client the CLI makes (ECR, STS, CloudFormation)."""
    from ..engine.ecr.clients import bounded_config  # noqa: PLC0415 - `--help` skips boto3

    return bounded_config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        max_attempts=MAX_ATTEMPTS,
    )


@frozen
class Aws:
    """The clients every AWS call of one CLI run uses: ECR's, and the session for the others."""

    clients: EcrClients
    region: str
    endpoint_url: str | None

    @classmethod
    def start(cls, options: AwsOptions) -> Aws:
        """A session checked before any call: endpoint, region and credentials."""
        import boto3  # noqa: PLC0415 - `resolver --help` does not pay for boto3

        from ..engine.ecr.clients import EcrClients  # noqa: PLC0415

        endpoint_url = _checked_endpoint(options.endpoint_url)
        # boto3 reads AWS_DEFAULT_REGION; AWS_REGION is what Lambda and many CI setups export
        # (boto3 reads it only inside Lambda), so the CLI accepts both.
        region = options.region or os.environ.get("AWS_REGION") or None
        try:
            session = boto3.Session(profile_name=options.profile, region_name=region)
        except Exception as exc:
            raise AwsCallError(f"could not start an AWS session: {exc}") from exc
        if not session.region_name:
            raise InvalidPropertyError(
                "--region",
                None,
                "is not set",
                "Pass --region, or set AWS_DEFAULT_REGION (AWS_REGION works too), "
                "or give your profile a region.",
            )
        clients = EcrClients(session=session, endpoint_url=endpoint_url, config=cli_config())
        _check_region(clients, session.region_name)
        _check_credentials(session)
        return cls(clients=clients, region=session.region_name, endpoint_url=endpoint_url)

    @property
    def session(self) -> Any:
        return self.clients.session

    def client(self, service: str) -> Any:
        return self.session.client(
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=cli_config()
        )

    def where(self, service: str) -> str:
        """Where a call to ``service`` goes, for a person waiting on it."""
        return self.endpoint_url or f"{service} in {self.region}"

    def physical_id(self, stack_name: str, logical_id: str) -> str | None:
        """The PhysicalResourceId of ``logical_id`` in a deployed stack; None when the stack or
        the resource does not exist (yet)."""
        try:
            answer = self.client("cloudformation").describe_stack_resource(
                StackName=stack_name, LogicalResourceId=logical_id
            )
        except Exception as exc:  # botocore raises several unrelated types here
            if _code(exc) == "ValidationError":  # CloudFormation's "no such stack/resource"
                return None
            raise AwsCallError(
                f"could not read stack {stack_name} ({type(exc).__name__}: {exc}); "
                "check --stack-name and your credentials"
            ) from exc
        return str(answer["StackResourceDetail"]["PhysicalResourceId"])

    def stacks(self) -> list[tuple[str, str]]:
        """Every stack of the region that exists, as (name, status): ``ListStacks``, paginated
        (deleted stacks are listed for 90 days; they are left out)."""
        with waiting_notice(f"CloudFormation ({self.where('cloudformation')}) stacks"):
            summaries = self._listed(
                "list_stacks",
                "StackSummaries",
                failing="could not list the stacks",
                fix="check cloudformation:ListStacks, or name them with --stack-name",
            )
        return [
            (str(s["StackName"]), str(s["StackStatus"]))
            for s in summaries
            if s.get("StackStatus") != "DELETE_COMPLETE"
        ]

    def stack_status(self, stack_name: str) -> str | None:
        """A stack's status; None when it does not exist."""
        try:
            answer = self.client("cloudformation").describe_stacks(StackName=stack_name)
        except Exception as exc:  # botocore raises several unrelated types here
            if _code(exc) == "ValidationError":  # CloudFormation's "does not exist"
                return None
            raise AwsCallError(
                f"could not read stack {stack_name} ({type(exc).__name__}: {exc})"
            ) from exc
        return str(answer["Stacks"][0]["StackStatus"])

    def resources(self, stack_name: str) -> list[tuple[str, str, str]]:
        """A stack's resources as (logical id, type, physical id): ``ListStackResources``."""
        summaries = self._listed(
            "list_stack_resources",
            "StackResourceSummaries",
            failing=f"could not list the resources of stack {stack_name}",
            fix="check cloudformation:ListStackResources",
            StackName=stack_name,
        )
        return [
            (
                str(r["LogicalResourceId"]),
                str(r["ResourceType"]),
                str(r.get("PhysicalResourceId") or ""),
            )
            for r in summaries
        ]

    def _listed(
        self, operation: str, key: str, *, failing: str, fix: str, **params: str
    ) -> list[Mapping[str, Any]]:
        """Every item under ``key`` of a paginated CloudFormation listing."""
        try:
            paginator = self.client("cloudformation").get_paginator(operation)
            return [item for page in paginator.paginate(**params) for item in page.get(key, [])]
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(f"{failing} ({type(exc).__name__}: {exc}); {fix}") from exc

    def repositories(self, registry: Registry) -> list[Repository]:
        """Every repository of ``registry``: ``DescribeRepositories``, paginated."""
        client = self.clients.for_registry(registry)
        try:
            pages = client.get_paginator("describe_repositories").paginate(
                registryId=registry.account_id
            )
            return [
                Repository(registry, str(repo["repositoryName"]))
                for page in pages
                for repo in page.get("repositories", [])
            ]
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(
                f"could not list the repositories of {registry.account_id} in "
                f"{registry.region} ({type(exc).__name__}: {exc}); check "
                "ecr:DescribeRepositories, or name them with --repository"
            ) from exc

    def account_id(self) -> str:
        try:
            with waiting_notice(f"STS ({self.where('sts')}) for the account id"):
                return str(self.client("sts").get_caller_identity()["Account"])
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(
                f"could not read the account id from STS at {self.where('sts')} "
                f"({type(exc).__name__}: {exc}); check the endpoint and your credentials, "
                "or pass --account-id"
            ) from exc


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _checked_endpoint(endpoint_url: str | None) -> str | None:
    """An endpoint botocore can use; without a scheme it fails later as a credentials error."""
    if endpoint_url is None:
        return None
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidPropertyError(
            "--endpoint-url",
            endpoint_url,
            "is not an http:// or https:// URL",
            f"Write the scheme too, e.g. --endpoint-url http://{endpoint_url.split('://')[-1]}",
        )
    return endpoint_url


def _check_region(clients: EcrClients, region: str) -> None:
    """Refuse a region that is a near miss of a known one: it is a typo, not a new region.

    A region botocore does not know and that resembles none is let through (a region newer than
    the installed botocore); a typo would otherwise surface as a connection error on every image.
    """
    known = {
        name
        for partition in clients.session.get_available_partitions()
        for name in clients.ecr_regions(partition)
    }
    if not known or region in known:
        return
    close = difflib.get_close_matches(region, sorted(known), n=1, cutoff=0.8)
    if close:
        raise InvalidPropertyError(
            "--region",
            region,
            "is not an AWS region",
            f"Did you mean {close[0]}? (Set by --region, AWS_DEFAULT_REGION, AWS_REGION or the "
            "profile.)",
        )


def _check_credentials(session: Any) -> None:
    """No credentials at all is said once, with the fix, instead of one NoCredentialsError per
    image (or an STS failure) later."""
    if session.get_credentials() is None:
        raise AwsCallError(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
            "AWS_PROFILE, or --profile). Against the local emulator, export the fake ones "
            f"`make emulator` prints: {EMULATOR_EXPORTS}"
        )


def role_session_name() -> str:
    """The RoleSessionName of the roles a plan assumes: ``resolver-plan-<user>`` (the host's
    name when there is no user name), which the role's account sees in CloudTrail."""
    from ..engine.ecr.roles import session_name  # noqa: PLC0415 - `--help` skips boto3

    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without USER and passwd entry)
        who = socket.gethostname()
    return session_name(f"resolver-plan-{who}")


@contextmanager
def waiting_notice(what: str, *, polling_seconds: int = 0) -> Iterator[None]:
    """Say on stderr what the CLI waits for when an answer takes longer than
    ``SLOW_CALL_NOTICE_SECONDS`` (beyond ``polling_seconds`` spent waiting on purpose)."""
    message = (
        f"resolver: waiting for {what}; no answer yet (it gives up after {MAX_ATTEMPTS} "
        f"attempts of {CONNECT_TIMEOUT_SECONDS} s to connect, {READ_TIMEOUT_SECONDS} s to answer)"
    )
    timer = threading.Timer(
        SLOW_CALL_NOTICE_SECONDS + polling_seconds, lambda: print(message, file=sys.stderr)
    )
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class Exports:
    """``Fn::ImportValue``: ``--import`` values first, then CloudFormation's exports, read once."""

    def __init__(self, aws: Aws, given: Mapping[str, str]) -> None:
        self._aws = aws
        self._given = dict(given)
        self._listed: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if name in self._given:
            return self._given[name]
        if self._listed is None:
            with waiting_notice(f"CloudFormation ({self._aws.where('cloudformation')}) exports"):
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


class SsmParameters:
    """``AWS::SSM::Parameter::Value<…>`` template parameters: the SSM parameters they name, read
    as CloudFormation reads them at deploy time (the current version), each once."""

    def __init__(self, aws: Aws) -> None:
        self._aws = aws
        self._read: dict[str, str] = {}

    def get(self, name: str) -> str:
        if name not in self._read:
            with waiting_notice(f"SSM ({self._aws.where('ssm')}) for parameter {name}"):
                self._read[name] = self._value(name)
        return self._read[name]

    def _value(self, name: str) -> str:
        try:
            answer = self._aws.client("ssm").get_parameter(Name=name)
        except Exception as exc:  # botocore raises several unrelated types here
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "ParameterNotFound":
                raise TemplateError(
                    f"SSM parameter {name}",
                    "does not exist, so CloudFormation would fail the deploy too",
                    fix="Publish it (CI: aws ssm put-parameter), or pass another name.",
                ) from exc
            raise AwsCallError(
                f"could not read SSM parameter {name} ({type(exc).__name__}: {exc}); check "
                "ssm:GetParameter on it, or pass the template parameter a plain value"
            ) from exc
        return str(answer["Parameter"]["Value"])
