"""Protection tags: valid ECR tags, recognisable by one lifecycle pattern, unique per owner and
set however long the names."""

from __future__ import annotations

import re

import pytest

from resolver.engine.lifecycle import Glob
from resolver.protection.naming import MAX_TAG_CHARS, Owner, of_set, released
from resolver.references import TAG_PATTERN

STACK = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/cloudtak-dev/6f1c2a10-cb6e-11ef"
REVISION = "3f6ef6cf7e59"
# What Docker and most registry tools accept: ECR allows 300, but a tag should be usable anywhere.
DOCKER_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def test_a_tag_names_its_owner_and_set() -> None:
    tag = Owner(STACK, "Images").tag("Api", REVISION)
    assert re.fullmatch(r"pinned-cloudtak-dev-Images-Api-[0-9a-f]{10}-3f6ef6cf7e59", tag)
    assert Glob.pattern("pinned-*").matches(tag)
    assert released(tag) == "un" + tag and Glob.pattern("unpinned-*").matches(released(tag))
    assert not Glob.pattern("pinned-*").matches(released(tag))


@pytest.mark.parametrize(
    ("stack_name", "logical_id", "image"),
    [("s" * 128, "L" * 255, "I" * 64), ("a", "B", "C"), ("tak-prod-x", "Images", "Api")],
)
def test_every_tag_is_valid_for_ecr_and_docker_at_any_length(
    stack_name: str, logical_id: str, image: str
) -> None:
    owner = Owner(STACK.replace("cloudtak-dev", stack_name), logical_id)
    tag = owner.tag(image, REVISION)
    assert len(tag) <= MAX_TAG_CHARS and len(released(tag)) <= 128
    assert TAG_PATTERN.fullmatch(tag) and DOCKER_TAG.fullmatch(released(tag))
    assert of_set(tag, prefix=owner.prefix, revision=REVISION)


def test_cut_names_never_share_a_tag() -> None:
    """Names cut to the same characters stay apart by the hash of the uncut ones."""
    long = "s" * 128
    first = Owner(STACK.replace("cloudtak-dev", long + "1"), "Images").tag("Api", REVISION)
    second = Owner(STACK.replace("cloudtak-dev", long + "2"), "Images").tag("Api", REVISION)
    images = {Owner(STACK, "Images").tag("I" * 40 + str(n), REVISION) for n in range(10)}
    assert first != second and len(images) == 10


def test_two_stacks_of_one_name_in_two_regions_never_share_a_tag() -> None:
    other = STACK.replace("ap-southeast-2", "us-east-1")
    assert Owner(STACK, "Images").tag("Api", REVISION) != Owner(other, "Images").tag(
        "Api", REVISION
    )


def test_each_set_has_its_own_tags() -> None:
    owner = Owner(STACK, "Images")
    assert owner.tag("Api", REVISION) != owner.tag("Api", "000000000000")
    assert not of_set(owner.tag("Api", REVISION), prefix=owner.prefix, revision="000000000000")


def test_an_event_cloudformation_did_not_send_still_gives_a_valid_tag() -> None:
    tag = Owner("not an arn", "Img$/x").tag("Api", "rev:with/odd chars and more")
    assert TAG_PATTERN.fullmatch(tag) and len(tag) <= MAX_TAG_CHARS
