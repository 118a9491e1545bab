"""What the CLI asks AWS outside the resolver core: a session, the account id, exports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AwsCallError, InvalidPropertyError


@dataclass(frozen=True)
class AwsOptions:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # ECR, STS and CloudFormation: e.g. a local emulator


@dataclass(frozen=True)
class Aws:
    """The session and region every AWS call of one CLI run uses."""

    session: Any
    region: str
    endpoint_url: str | None

    @classmethod
    def start(cls, options: AwsOptions) -> Aws:
        import boto3  # noqa: PLC0415 - `resolver --help` does not pay for boto3

        try:
            session = boto3.Session(profile_name=options.profile, region_name=options.region)
        except Exception as exc:
            raise AwsCallError(f"could not start an AWS session: {exc}") from exc
        if not session.region_name:
            raise InvalidPropertyError(
                "--region", None, "is not set", "Pass --region or set AWS_REGION."
            )
        return cls(session=session, region=session.region_name, endpoint_url=options.endpoint_url)

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    def physical_id(self, stack_name: str, logical_id: str) -> str | None:
        """The PhysicalResourceId of ``logical_id`` in a deployed stack; None when the stack or
        the resource does not exist (yet)."""
        try:
            answer = self.client("cloudformation").describe_stack_resource(
                StackName=stack_name, LogicalResourceId=logical_id
            )
        except Exception as exc:  # botocore raises several unrelated types here
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "ValidationError":  # CloudFormation's answer for "no such stack/resource"
                return None
            raise AwsCallError(
                f"could not read stack {stack_name} ({type(exc).__name__}: {exc}); "
                "check --stack-name and your credentials"
            ) from exc
        return str(answer["StackResourceDetail"]["PhysicalResourceId"])

    def account_id(self) -> str:
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except Exception as exc:  # botocore raises several unrelated types here
            raise AwsCallError(
                f"could not read the account id from STS ({type(exc).__name__}: {exc}); "
                "check your credentials or pass --account-id"
            ) from exc


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
