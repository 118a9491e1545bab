"""The PhysicalResourceId: stable per resource, never random."""

from __future__ import annotations

from resolver.cloudformation.events import CfnEvent, ReplyTo, RequestType
from resolver.cloudformation.physical_id import physical_id_for, stable_id

STACK = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/cloudtak-dev/6f1c2a10-cb6e"


def event(
    logical_id: str = "Images", *, stack: str = STACK, physical_id: str | None = None
) -> CfnEvent:
    return CfnEvent(
        RequestType.CREATE if physical_id is None else RequestType.UPDATE,
        ReplyTo("https://x", stack, "r", logical_id),
        properties={},
        physical_resource_id=physical_id,
    )


def test_physical_id_is_stable_and_distinct_per_resource() -> None:
    first = physical_id_for(event())
    assert first == physical_id_for(event())
    assert first.startswith("cloudtak-dev-Images-")
    assert first == stable_id(STACK, "Images")
    assert physical_id_for(event("Other")) != first
    assert physical_id_for(event(stack=STACK.replace("6f1c", "7f1c"))) != first


def test_update_and_delete_keep_the_id_cloudformation_knows() -> None:
    assert physical_id_for(event(physical_id="given")) == "given"


def test_a_malformed_stack_id_still_gives_a_bounded_id() -> None:
    assert stable_id("", "").startswith("stack-Resource-")
    assert len(stable_id(STACK, "L" * 2000)) == 1024
