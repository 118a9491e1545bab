"""Which stacks may use this resolver: ``AllowedStackPrefixes``, checked before any AWS call.

Whoever can deploy a stack that names the resolver's ServiceToken can read, through it, what the
function's role may read (digests, tags, push times, scan counts). The resolver stack's
``AllowedStackPrefixes`` parameter narrows that to stacks whose *name* starts with one of the
prefixes; template.yaml passes it in ``ENVIRONMENT_VARIABLE`` and scopes the role's
``cloudformation:DescribeStacks`` by the same prefixes. Empty (the default) allows every stack of
the account, as before the parameter existed.

A name is only a convention: whoever may create a stack may name it ``tak-anything``. The check
protects only together with IAM that keeps other principals from creating or updating stacks with
those names (README, "Trust boundary", gives the statement), so a refusal never says which names
would pass. The name is read from the event's ``StackId``, which CloudFormation sets. A principal
allowed to invoke the function directly (``lambda:InvokeFunction``) can write any StackId: that
permission is outside what this check can protect.

A blank entry beside real prefixes (``"tak-,"``) is a configuration error: template.yaml refuses
it, because its role would then read every stack's status. One that reaches the function anyway
(deployed before the template refused it, or set by hand) refuses the stacks the real prefixes
admit, naming the misconfiguration for the resolver's owner; a Delete is never checked, and
what looks like a rollback is still answered from its id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from ..errors import StackNotAllowedError, StackPrefixesMisconfiguredError
from ..values import frozen

ENVIRONMENT_VARIABLE = "IMAGE_RESOLVER_ALLOWED_STACK_PREFIXES"

_STACK_NAME = re.compile(r"arn:[a-z-]+:cloudformation:[a-z0-9-]+:\d{12}:stack/([^/]+)/.+")


@frozen
class StackPolicy:
    """Stack-name prefixes allowed to use the resolver; none means every stack.

    ``blank_entry``: the configuration also held a blank entry, which it must not (see above).
    """

    prefixes: tuple[str, ...] = ()
    blank_entry: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StackPolicy:
        """The comma-separated prefixes template.yaml sets. Only blank entries (the default
        ``""``, or ``","``) mean every stack, as the template's role reads them."""
        entries = [entry.strip() for entry in environ.get(ENVIRONMENT_VARIABLE, "").split(",")]
        prefixes = tuple(entry for entry in entries if entry)
        return cls(prefixes, blank_entry=bool(prefixes) and len(prefixes) < len(entries))

    def check(self, stack_id: str) -> None:
        """Raise ``StackNotAllowedError`` unless the stack named by ``stack_id`` may ask."""
        if not self.prefixes:
            return
        name = stack_name(stack_id)
        if name is None or not name.startswith(self.prefixes):
            raise StackNotAllowedError(name or stack_id)
        if self.blank_entry:
            raise StackPrefixesMisconfiguredError(name)


def stack_name(stack_id: str) -> str | None:
    """The stack's name in a ``StackId`` ARN; None for anything else."""
    match = _STACK_NAME.fullmatch(stack_id)
    return match[1] if match else None
