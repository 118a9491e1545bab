"""AllowedStackPrefixes: which stacks may use the resolver, read from the event's StackId."""

from __future__ import annotations

import pytest

from resolver.cloudformation.trust import ENVIRONMENT_VARIABLE, StackPolicy
from resolver.errors import StackNotAllowedError, StackPrefixesMisconfiguredError, shown


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
    assert type(raised.value) is StackNotAllowedError
    assert raised.value.stack.startswith(named)
    # Neither the prefixes nor a name that would pass: the refusal points at the owner.
    assert str(raised.value) == (
        f"Stack {shown(raised.value.stack)} may not use this image resolver: the resolver's "
        "AllowedStackPrefixes do not admit it. Ask the owner of the resolver's stack."
    )


def test_the_prefixes_come_from_the_environment_template_yaml_sets() -> None:
    environ = {ENVIRONMENT_VARIABLE: " tak-, cloudtak-"}
    assert StackPolicy.from_environment(environ) == StackPolicy(("tak-", "cloudtak-"))
    # Only blank entries: every stack, as the template's role reads them too.
    for blank in ("", ",", " , ", None):
        environ = {} if blank is None else {ENVIRONMENT_VARIABLE: blank}
        assert StackPolicy.from_environment(environ) == StackPolicy()


@pytest.mark.parametrize("raw", ["tak-,", ",tak-", "tak-,,cloudtak-", "tak-, ,cloudtak-"])
def test_a_blank_entry_beside_real_prefixes_is_a_configuration_error(raw: str) -> None:
    policy = StackPolicy.from_environment({ENVIRONMENT_VARIABLE: raw})
    assert policy.blank_entry
    # Stacks the real prefixes admit are refused, with a message for the resolver's owner...
    with pytest.raises(StackPrefixesMisconfiguredError) as raised:
        policy.check(stack("tak-dev-app"))
    assert str(raised.value) == (
        "This image resolver is misconfigured: its AllowedStackPrefixes has a blank entry (an "
        "empty item, e.g. a trailing comma), which gives its role read access to every stack's "
        "status. Ask the owner of the resolver's stack to remove the blank entry and update "
        "that stack."
    )
    # ...and every other stack as before: the blank entry admits no one.
    with pytest.raises(StackNotAllowedError) as outside:
        policy.check(stack("other-app"))
    assert type(outside.value) is StackNotAllowedError
