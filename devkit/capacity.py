"""How many images one resource can answer: the README's capacity table, found by construction.

For each ``Attributes`` choice, images are added one at a time and answered the way a Create is
(``cloudformation.budget.forward_answer``, the code the handler and the planner share) until the
response no longer fits; the last count that fits with each kind of rollback record is its edge.
``tests/unit/cloudformation/test_budget.py`` checks that the README's table is this one.

    python -m devkit.capacity        # print the table (Markdown)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from resolver.cloudformation.budget import forward_answer
from resolver.cloudformation.events import CfnEvent, ReplyTo, RequestType
from resolver.cloudformation.physical_id import RecordKind
from resolver.errors import InvalidPropertyError
from resolver.model import (
    DEFAULT_ATTRIBUTES,
    Attribute,
    ImageResult,
    ImageSpec,
    ImageStatus,
    OnMissing,
    Resolution,
    Source,
)
from resolver.references import ImageRef, Registry, Repository

# The first user's setup: its repository (27 characters), account, region and stack.
REPOSITORY = Repository(Registry("123456789012", "ap-southeast-2"), "tak-dev-baseinfra-artifacts")
STACK_NAME = "cloudtak-dev"
LONGEST_STACK_NAME = "s" * 128  # CloudFormation's limit
LOGICAL_ID = "Images"
NAME_LENGTH = 5  # image names like Api, Events, Pmtiles: five characters on average
VERSION = "3f9a1c2e"
CHOICES: tuple[tuple[Attribute, ...], ...] = (
    DEFAULT_ATTRIBUTES,
    (Attribute.URI, Attribute.STATUS),
    (Attribute.URI,),
)
_MOST = 200


@dataclass(frozen=True)
class Capacity:
    """The most images that fit, in all and with each kind of record (0: never that kind)."""

    most: int
    full: int
    abbreviated: int


def event(stack_name: str = STACK_NAME) -> CfnEvent:
    stack_id = (
        f"arn:aws:cloudformation:{REPOSITORY.registry.region}:{REPOSITORY.registry.account_id}"
        f":stack/{stack_name}/6f1c2a10-cb6e-11ef-9a3c-0a5b1e2d3c4f"
    )
    reply_to = ReplyTo(
        "https://example.invalid", stack_id, "5d1f0c2e-0001-4c1a-9b7e-7a1d2c3b4a01", LOGICAL_ID
    )
    return CfnEvent(RequestType.CREATE, reply_to, {"Images": {}})


def found_images(count: int, *, name_length: int = NAME_LENGTH) -> Resolution:
    """``count`` images found in the repository, each with its own digest."""
    images = []
    for number in range(count):
        name = f"I{number:03d}".ljust(name_length, "x")
        spec = ImageSpec(name, ImageRef(REPOSITORY, tag=f"{name.lower()}-{VERSION}"))
        digest = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
        images.append(
            ImageResult(
                spec,
                ImageStatus.FOUND,
                spec.ref.pinned_uri(digest),
                Source.PREBUILT,
                digest,
                ref=spec.ref,
                tagged_digest=digest,
            )
        )
    return Resolution(tuple(images), OnMissing.FAIL, version=VERSION)


def record_for(
    count: int, attributes: Sequence[Attribute], *, stack_name: str = STACK_NAME
) -> RecordKind | None:
    """The record a Create of ``count`` images carries; None when it does not fit at all."""
    try:
        answer = forward_answer(event(stack_name), found_images(count), attributes)
    except InvalidPropertyError:
        return None
    return answer.record


def capacity(attributes: Sequence[Attribute], *, stack_name: str = STACK_NAME) -> Capacity:
    edges = dict.fromkeys(RecordKind, 0)
    for count in range(1, _MOST):
        record = record_for(count, attributes, stack_name=stack_name)
        if record is None:
            break
        edges[record] = count
    most = max(edges.values())
    return Capacity(most, edges[RecordKind.FULL], edges[RecordKind.ABBREVIATED])


def table() -> str:
    lines = [
        "| `Attributes` | Images per resource | … rollback record `Full` up to | … `Abbreviated` up to "
        "| With a 128-character stack name |",
        "|---|---|---|---|---|",
    ]
    for attributes in CHOICES:
        usual = capacity(attributes)
        longest = capacity(attributes, stack_name=LONGEST_STACK_NAME)
        chosen = "default" if attributes == DEFAULT_ATTRIBUTES else _listed(attributes)
        lines.append(
            f"| {chosen} | **{usual.most}** | {usual.full} | {usual.abbreviated} "
            f"| {longest.most} ({longest.full} / {longest.abbreviated}) |"
        )
    return "\n".join(lines)


def _listed(attributes: Sequence[Attribute]) -> str:
    return "`[" + ", ".join(attribute.value for attribute in attributes) + "]`"


if __name__ == "__main__":
    print(table())
