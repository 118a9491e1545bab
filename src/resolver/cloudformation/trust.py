"""Which stacks may use this resolver: ``AllowedStackPrefixes``, checked before any AWS call.

Whoever can deploy a stack that names the resolver's ServiceToken can read, through it, what the
function's role may read (digests, tags, push times, scan counts). The resolver stack's
``AllowedStackPrefixes`` parameter narrows that to stacks whose *name* starts with one of the
prefixes; template.yaml passes it in ``ENVIRONMENT_VARIABLE`` and scopes the role's
``cloudformation:DescribeStacks`` by the same prefixes. Empty (the default) allows every stack of
the account, as before the parameter existed.

The name is read from the event's ``StackId``, which CloudFormation sets. A principal allowed to
invoke the function directly (``lambda:InvokeFunction``) can write any StackId: that permission is
outside what this check can protect (README, "Trust boundary").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import StackNotAllowedError

ENVIRONMENT_VARIABLE = "IMAGE_RESOLVER_ALLOWED_STACK_PREFIXES"

_STACK_NAME = re.compile(r"arn:[a-z-]+:cloudformation:[a-z0-9-]+:\d{12}:stack/([^/]+)/.+")


@dataclass(frozen=True)
class StackPolicy:
    """Stack-name prefixes allowed to use the resolver; none means every stack."""

    prefixes: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StackPolicy:
        """The comma-separated prefixes template.yaml sets (blank entries ignored)."""
        raw = environ.get(ENVIRONMENT_VARIABLE, "")
        return cls(tuple(prefix.strip() for prefix in raw.split(",") if prefix.strip()))

    def check(self, stack_id: str) -> None:
        """Raise ``StackNotAllowedError`` unless the stack named by ``stack_id`` may ask."""
        if not self.prefixes:
            return
        match = _STACK_NAME.fullmatch(stack_id)
        name = match[1] if match else stack_id
        if match is None or not name.startswith(self.prefixes):
            raise StackNotAllowedError(name, self.prefixes)
