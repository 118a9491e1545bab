"""When a Delete may release its set's tags, and how the response is sized before any tag is
written (the ECR side runs against the emulator: tests/functional/test_protection.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devkit.capacity import event, found_images
from resolver.cloudformation.budget import forward_answer
from resolver.cloudformation.physical_id import Pinned, candidates
from resolver.cloudformation.protection import releasable, worst_case
from resolver.cloudformation.stack_status import ResourceNow
from resolver.model import (
    Attribute,
    ImageProtection,
    ProtectionReport,
    ProtectionState,
)


def _id(
    *, images: int = 3, pinned: Pinned | None = Pinned.ALL, props: dict[str, str] | None = None
) -> str:
    cfn = replace(event(), properties=props or {"Images": {}})
    *_, bare = candidates(cfn, found_images(images), pinned=pinned)
    return str(bare)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (None, False),  # CloudFormation could not be read: keep (a leak, never an exposure)
        (ResourceNow(None), True),  # the stack or resource is gone
        (ResourceNow(_id()), True),  # the resource itself is deleted (its own id)
        (ResourceNow(_id(images=4)), True),  # replaced by another set
        (ResourceNow(_id(props={"Revision": "x"})), False),  # same set, protected by the survivor
        (ResourceNow(_id(props={"Revision": "x"}, pinned=Pinned.SOME)), False),
        (ResourceNow(_id(props={"Revision": "x"}, pinned=None)), True),  # survivor turned it off
        (ResourceNow("an id of 0.1"), True),  # a survivor this version did not make
    ],
    ids=["unknown", "gone", "itself", "other set", "same set", "same set partly", "off", "legacy"],
)
def test_a_delete_releases_only_what_no_surviving_id_protects(
    now: ResourceNow | None, expected: bool
) -> None:
    assert releasable(_id(), now) is expected


@pytest.mark.parametrize("selected", [True, False], ids=["Protected", "summary only"])
def test_the_worst_case_is_at_least_as_large_as_any_outcome(selected: bool) -> None:
    attributes = (Attribute.URI, Attribute.PROTECTED) if selected else (Attribute.URI,)
    images = found_images(5)
    protected = replace(event(), properties={"Protect": "BestEffort", "Images": {}})
    longest = worst_case(protected, images, attributes)
    assert longest is not None and worst_case(event(), images, attributes) is None
    worst = forward_answer(event(), images, attributes, protection=longest)
    yes, denied = (
        ImageProtection(ProtectionState.YES),
        ImageProtection(ProtectionState.DENIED, "ImageTagAlreadyExistsException"),
    )
    names = [image.name for image in images.images]
    for tagged in range(len(names) + 1):
        outcome = ProtectionReport({n: yes if i < tagged else denied for i, n in enumerate(names)})
        answer = forward_answer(event(), images, attributes, protection=outcome)
        assert answer.response.size() <= worst.response.size()
