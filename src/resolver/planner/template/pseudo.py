"""The ``AWS::*`` pseudo parameters, and ``AWS::NoValue``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ... import partitions


@dataclass(frozen=True)
class PseudoParameters:
    """Values of the ``AWS::*`` pseudo parameters.

    The defaults are placeholders; image URIs are often built from ``AWS::AccountId`` and
    ``AWS::Region``, so the CLI should pass the real ones (``for_region`` derives the rest).
    """

    account_id: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: str = "stack"
    url_suffix: str = "amazonaws.com"
    stack_id: str = ""  # empty: derived from the fields above with a placeholder stack UUID

    @classmethod
    def for_region(
        cls, region: str, *, account_id: str = "123456789012", stack_name: str = "stack"
    ) -> PseudoParameters:
        """Pseudo parameters for ``region``, with its partition and URL suffix (botocore's
        partition data: ``AWS::URLSuffix`` is the partition's DNS suffix)."""
        partition = partitions.partition_of_region(region)
        suffix = partitions.dns_suffix(partition)
        return cls(
            account_id=account_id,
            region=region,
            partition=partition,
            stack_name=stack_name,
            url_suffix=suffix,
        )

    def values(self) -> dict[str, Any]:
        """Name -> value, as ``Ref`` sees them."""
        stack_id = self.stack_id or (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}"
            f":stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
        )
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }


class _NoValue:
    """``AWS::NoValue``: removes the map key or list item that holds it."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()
