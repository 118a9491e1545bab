"""AllowedStackPrefixes: which stacks may use the resolver, read from the event's StackId."""

from __future__ import annotations

import pytest

from resolver.cloudformation.trust import ENVIRONMENT_VARIABLE, StackPolicy
from resolver.errors import StackNotAllowedError


def stack(name: str, partition: str = "aws", region: str = "ap-southeast-2") -> str:
    return f"arn:{partition}:cloudformation:{region}:123456789012:stack/{name}/6f1c2a10-cb6e-11ef"


def test_no_prefixes_allow_every_stack() -> None:
    # The default: stacks deployed before the parameter existed keep working.
    for stack_id in (stack("anything"), "", "not an arn"):
        StackPolicy().check(stack_id)


@pytest.mark.parametrize(
    "stack_id",
    [
        stack("tak-dev-app"),
        stack("tak-"),
        stack("cloudtak-prod"),
        stack("tak-cn", "aws-cn", "cn-north-1"),
        stack("tak-gov", "aws-us-gov", "us-gov-west-1"),
    ],
)
def test_a_stack_whose_name_starts_with_a_prefix_may_ask(stack_id: str) -> None:
    StackPolicy(("tak-", "cloudtak-")).check(stack_id)


@pytest.mark.parametrize(
    ("stack_id", "named"),
    [
        (stack("other-app"), "other-app"),
        (stack("TAK-dev"), "TAK-dev"),  # stack names are case-sensitive
        (stack("ta"), "ta"),
        # The prefix must start the *name*, not appear elsewhere in the ARN.
        (stack("x-tak-dev"), "x-tak-dev"),
        ("arn:aws:cloudformation:ap-southeast-2:123456789012:stack/tak-dev", "arn:aws:clo"),
        ("tak-dev", "tak-dev"),
        ("", ""),
    ],
)
def test_any_other_stack_is_refused_naming_it(stack_id: str, named: str) -> None:
    with pytest.raises(StackNotAllowedError) as raised:
        StackPolicy(("tak-", "cloudtak-")).check(stack_id)
    assert raised.value.stack.startswith(named)
    assert "AllowedStackPrefixes (tak-, cloudtak-)" in str(raised.value)


def test_the_prefixes_come_from_the_environment_template_yaml_sets() -> None:
    environ = {ENVIRONMENT_VARIABLE: "tak-, cloudtak-,,"}
    assert StackPolicy.from_environment(environ) == StackPolicy(("tak-", "cloudtak-"))
    assert StackPolicy.from_environment({ENVIRONMENT_VARIABLE: ""}) == StackPolicy()
    assert StackPolicy.from_environment({}) == StackPolicy()
