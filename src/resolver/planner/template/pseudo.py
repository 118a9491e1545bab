"""The ``AWS::*`` pseudo parameters, and ``AWS::NoValue``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ... import partitions
from ...errors import TemplateError, shown
from ...values import frozen

# CloudFormation's rule for stack names (CreateStack: StackName).
_STACK_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_STACK_NAME_FIX: Final = "Pass --stack-name, or set stack_name in samconfig's deploy parameters."


def check_stack_name(name: object, where: str) -> str:
    """``name`` if CloudFormation would accept it as a stack name."""
    if not isinstance(name, str) or not _STACK_NAME.fullmatch(name):
        raise TemplateError(
            where,
            f"{shown(name)} is not a stack name",
            fix="A stack name starts with a letter, then letters, digits and hyphens, at most "
            "128 characters.",
        )
    return name


@frozen
class Unknown:
    """A pseudo parameter the planner cannot know offline: referring to it is an error that says
    why and what to do, never a guess."""

    problem: str
    fix: str


@frozen
class PseudoParameters:
    """Values of the ``AWS::*`` pseudo parameters.

    The defaults are placeholders; image URIs are often built from ``AWS::AccountId`` and
    ``AWS::Region``, so the CLI should pass the real ones (``for_region`` derives the rest).
    Without a ``stack_name``, ``AWS::StackName`` is unknown; ``AWS::StackId`` always is.
    """

    account_id: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: str | None = None
    url_suffix: str = "amazonaws.com"

    @classmethod
    def for_region(
        cls, region: str, *, account_id: str = "123456789012", stack_name: str | None = None
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

    def values(self) -> Mapping[str, Any]:
        """Name -> value, as ``Ref`` sees them; ``Unknown`` for what only the deploy knows."""
        stack_name: str | Unknown = self.stack_name or Unknown(
            "the stack's name is not known to the plan", _STACK_NAME_FIX
        )
        # The id ends in a UUID CloudFormation draws when it creates the stack.
        stack_id = Unknown(
            "the stack id holds a UUID CloudFormation draws when it creates the stack, so no "
            "plan can know it",
            "Use AWS::StackName, or pass the value through a template parameter.",
        )
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": stack_name,
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
