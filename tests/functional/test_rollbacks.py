"""Rollbacks, driven by the CloudFormation stand-in over HTTP, for every way a tag can move.

Each case: Create resolves set A; CI pushes newer images; an Update resolves (or tries to
resolve) set B; the stack rolls back. After the rollback the resource's attributes must equal A
exactly, and no answer during ``UPDATE_ROLLBACK_IN_PROGRESS`` may be FAILED.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.app import handler
from resolver.cloudformation.physical_id import parse, stable_id

from .conftest import Ecr

REPO = "tak-dev-baseinfra-artifacts"


@pytest.fixture
def stack(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    ensure_repository(ecr.client(), REPO)
    yield stacks.add(Stack(handler=handler, receiver=receiver))


def pushed(ecr: Ecr, tag: str, content: str) -> str:
    return push(ecr.client(), REPO, tag, manifest(content))


@dataclass(frozen=True)
class TagKind:
    """How a template names its images, and how CI moves them on."""

    name: str
    properties: dict[str, Any]
    first: Callable[[Ecr], None]  # what CI pushed before the Create
    newer: Callable[[Ecr], None]  # what CI pushes before the Update
    forward: dict[str, Any]  # what the Update changes in the properties


def pushing(*images: tuple[str, str]) -> Callable[[Ecr], None]:
    """CI pushing each (tag, content): the same tag with other content is a re-push."""

    def push_all(ecr: Ecr) -> None:
        for tag, content in images:
            pushed(ecr, tag, content)

    return push_all


def version(number: str) -> Callable[[Ecr], None]:
    return pushing((f"api-{number}", f"api:{number}"), (f"ev-{number}", f"ev:{number}"))


VERSIONED = {"Api": {"Tag": "api-{version}"}, "Ev": {"Tag": "ev-{version}"}}
KINDS = [
    TagKind(
        "exact version tags",
        {"Version": "00000001", "Images": VERSIONED},
        version("00000001"),
        version("00000002"),
        {"Version": "00000002"},
    ),
    TagKind(
        "a re-pushed mutable tag",
        {"Images": {"Api": {"Tag": "stable"}, "Ev": {"Tag": "ev-00000001"}}},
        pushing(("stable", "api:1"), ("ev-00000001", "ev:1")),
        pushing(("stable", "api:2")),
        {"Revision": "stable re-pushed"},
    ),
    TagKind(
        "a tag pattern",
        {"Images": {"Api": {"Tag": "api-*"}, "Ev": {"Tag": "ev-00000001"}}},
        pushing(("api-00000001", "api:1"), ("ev-00000001", "ev:1")),
        pushing(("api-00000002", "api:2")),
        {"Revision": "newer api-*"},
    ),
    TagKind(
        "Version: latest",
        {"Version": "latest", "Images": VERSIONED},
        version("00000001"),
        version("00000002"),
        {"Revision": "a newer version"},
    ),
]
ATTRIBUTES = ["Uri", "Digest", "TagUri", "Status", "BuildRequired"]


def props(kind: TagKind, **changes: Any) -> dict[str, Any]:
    return {"Repository": REPO, "Attributes": ATTRIBUTES, **kind.properties, **changes}


def created(stack: Stack, ecr: Ecr, kind: TagKind) -> dict[str, str]:
    kind.first(ecr)
    assert stack.create(props(kind)) == "CREATE_COMPLETE"
    return stack.attributes()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_failure_elsewhere_after_a_replacement_returns_to_a_without_a_call(
    stack: Stack, ecr: Ecr, kind: TagKind
) -> None:
    before = created(stack, ecr, kind)
    kind.newer(ecr)
    mark = len(stack.calls)
    assert (
        stack.update(props(kind, **kind.forward), fails_elsewhere=True)
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    update, cleanup = stack.calls_since(mark)
    assert update.request_type == "Update" and update.status == "SUCCESS"
    assert update.answer["Data"]["Api.Uri"] != before["Api.Uri"]  # B really differs from A
    assert update.answer["PhysicalResourceId"] != update.event["PhysicalResourceId"]  # replaced
    # The stack went back to the old id and its recorded attributes; the new id was deleted.
    assert (cleanup.request_type, cleanup.status) == ("Delete", "SUCCESS")
    assert cleanup.event["PhysicalResourceId"] == update.answer["PhysicalResourceId"]
    assert stack.attributes() == before


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_this_resources_own_failure_is_rolled_back_to_exactly_a(
    stack: Stack, ecr: Ecr, kind: TagKind
) -> None:
    before = created(stack, ecr, kind)
    kind.newer(ecr)  # the tags now say B: re-resolving the old properties would answer B
    failing = props(kind, **kind.forward)
    failing["Images"] = {**failing["Images"], "Extra": {"Tag": "never-pushed"}}
    mark = len(stack.calls)
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    update, back = stack.calls_since(mark)
    assert update.status == "FAILED"
    assert update.answer["PhysicalResourceId"] == update.event["PhysicalResourceId"]
    assert back.stack_status == "UPDATE_ROLLBACK_IN_PROGRESS"
    assert back.event["OldResourceProperties"]["Images"] == failing["Images"]  # swapped
    assert back.status == "SUCCESS"
    assert stack.attributes() == before


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_property_change_with_the_same_images_is_a_replacement_undone_without_a_call(
    stack: Stack, ecr: Ecr, kind: TagKind
) -> None:
    """Nothing moved, yet the properties changed: a new id all the same, so that an id is only
    ever sent back with the properties it was made from (how a rollback is told apart)."""
    before = created(stack, ecr, kind)
    id_before = stack.resource.physical_id if stack.resource else ""
    mark = len(stack.calls)
    assert stack.update(props(kind, Revision="nothing moved"), fails_elsewhere=True) == (
        "UPDATE_ROLLBACK_COMPLETE"
    )
    update, cleanup = stack.calls_since(mark)  # no rollback Update: CloudFormation undid it
    assert update.status == "SUCCESS"
    assert update.answer["Data"]["Api.Uri"] == before["Api.Uri"]  # the same images...
    assert update.answer["PhysicalResourceId"] != id_before  # ...under a new id
    assert (cleanup.request_type, cleanup.event["PhysicalResourceId"]) == (
        "Delete",
        update.answer["PhysicalResourceId"],
    )
    assert stack.resource is not None and stack.resource.physical_id == id_before
    assert stack.attributes() == before


def test_only_cloudformations_own_keys_change_nothing(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[0]
    created(stack, ecr, kind)
    id_before = stack.resource.physical_id if stack.resource else ""
    mark = len(stack.calls)
    assert stack.update(props(kind, ServiceTimeout="600")) == "UPDATE_COMPLETE"
    (update,) = stack.calls_since(mark)  # no cleanup Delete: it was no replacement
    assert update.answer["PhysicalResourceId"] == id_before
    mark = len(stack.calls)
    assert stack.update(props(kind, Revision="bump")) == "UPDATE_COMPLETE"
    update, cleanup = stack.calls_since(mark)
    assert update.answer["PhysicalResourceId"] != id_before
    assert (cleanup.request_type, cleanup.status) == ("Delete", "SUCCESS")
    assert cleanup.event["PhysicalResourceId"] == id_before


def test_a_rollback_to_images_deleted_meanwhile_still_succeeds(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[1]  # the mutable tag: its first image is untagged once the tag moves
    before = created(stack, ecr, kind)
    kind.newer(ecr)
    failing = props(
        kind, **kind.forward, Images={**kind.properties["Images"], "Extra": {"Tag": "nope"}}
    )
    # A lifecycle policy expired the first image, untagged since the tag moved.
    ecr.client().batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": before["Api.Digest"]}]
    )
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    assert stack.attributes() == before  # the way back, as recorded, even if ECR lost it


def test_describing_an_image_that_is_gone_degrades_but_never_fails(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[1]
    with_tags = {**props(kind), "Attributes": ["Uri", "Tags"]}
    kind.first(ecr)
    assert stack.create(with_tags) == "CREATE_COMPLETE"
    before = stack.attributes()
    kind.newer(ecr)
    ecr.client().batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": before["Api.Uri"].split("@")[1]}]
    )
    failing = {**with_tags, "Images": {**kind.properties["Images"], "Extra": {"Tag": "nope"}}}
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    after = stack.attributes()
    assert after["Api.Uri"] == before["Api.Uri"]  # what is deployed: exact
    assert after["Ev.Tags"] == before["Ev.Tags"]  # described again where ECR still can


def test_a_failed_create_is_deleted_with_the_id_it_answered(stack: Stack, ecr: Ecr) -> None:
    assert stack.create({"Repository": REPO, "Images": {"Api": {"Tag": "missing"}}}) == (
        "ROLLBACK_COMPLETE"
    )
    create, delete = stack.calls
    assert create.status == "FAILED"
    assert create.answer["PhysicalResourceId"] == stable_id(stack.stack_id, "Images")
    assert delete.event["PhysicalResourceId"] == create.answer["PhysicalResourceId"]
    assert delete.status == "SUCCESS"


def test_a_stack_created_before_the_upgrade_updates_cleanly(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[0]
    before = created(stack, ecr, kind)
    assert stack.resource is not None
    legacy = stable_id(stack.stack_id, "Images")  # the id every earlier version answered
    stack.resource.physical_id = legacy
    kind.newer(ecr)
    mark = len(stack.calls)
    assert stack.update(props(kind, **kind.forward)) == "UPDATE_COMPLETE"
    update, cleanup = stack.calls_since(mark)
    assert update.status == "SUCCESS"
    assert parse(update.answer["PhysicalResourceId"]) is not None  # moved to the new format
    assert update.answer["Data"]["RollbackTarget"].startswith("Unknown: ")
    assert (cleanup.request_type, cleanup.event["PhysicalResourceId"]) == ("Delete", legacy)
    assert cleanup.status == "SUCCESS"
    assert stack.attributes()["Api.Uri"] != before["Api.Uri"]


def test_a_legacy_id_rolled_back_after_its_own_failure_still_succeeds(
    stack: Stack, ecr: Ecr
) -> None:
    kind = KINDS[0]
    before = created(stack, ecr, kind)
    assert stack.resource is not None
    stack.resource.physical_id = stable_id(stack.stack_id, "Images")
    failing = props(kind, Images={**kind.properties["Images"], "Extra": {"Tag": "nope"}})
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    # Not recorded, so resolved again; with exact version tags that is A.
    assert stack.attributes()["Api.Uri"] == before["Api.Uri"]


def test_the_rollback_target_is_checked_before_moving_on(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[0]
    before = created(stack, ecr, kind)
    ecr.client().batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": before["Api.Digest"]}]
    )
    kind.newer(ecr)
    assert stack.update(props(kind, **kind.forward)) == "UPDATE_COMPLETE"
    assert stack.attributes()["RollbackTarget"] == "Missing: Api"


def test_on_rollback_target_missing_fail_refuses_to_move_on(stack: Stack, ecr: Ecr) -> None:
    kind = KINDS[0]
    before = created(stack, ecr, kind)
    ecr.client().batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": before["Api.Digest"]}]
    )
    kind.newer(ecr)
    mark = len(stack.calls)
    refusing = props(kind, **kind.forward, OnRollbackTargetMissing="Fail")
    assert stack.update(refusing) == "UPDATE_ROLLBACK_COMPLETE"  # failing forward is safe
    update, back = stack.calls_since(mark)
    assert update.status == "FAILED"
    assert update.answer["Reason"].startswith(
        "The images this update replaces are no longer in ECR: Api."
    )
    assert back.status == "SUCCESS"  # and the way back is still answered
    assert stack.attributes() == before


def test_a_hanging_status_lookup_costs_seconds_not_the_function(
    stack: Stack, ecr: Ecr, stacks: StatusServer
) -> None:
    kind = KINDS[0]
    stack.timeout_seconds = 15.0
    created(stack, ecr, kind)
    kind.newer(ecr)
    stacks.stall_seconds = 60.0  # DescribeStacks hangs
    started = time.monotonic()
    assert stack.update(props(kind, **kind.forward)) == "UPDATE_COMPLETE"
    assert time.monotonic() - started < 6.0  # 3 s status budget, then the usual update
    assert stacks.requests == 1  # one attempt, no retries


def test_an_unknown_status_is_judged_by_the_properties(
    stack: Stack, ecr: Ecr, stacks: StatusServer
) -> None:
    kind = KINDS[3]
    before = created(stack, ecr, kind)
    kind.newer(ecr)
    stacks.stall_seconds = 60.0
    failing = props(
        kind, **kind.forward, Images={**kind.properties["Images"], "Extra": {"Tag": "x"}}
    )
    # Own failure (an ordinary update: FAILED), then the rollback Update: its properties are the
    # ones the id was made from, so it is answered as a rollback even without the status.
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    assert stack.attributes() == before


# --- in-place chains: an id kept by one Update must still answer the next rollback exactly --------


def base(**changes: Any) -> dict[str, Any]:
    return {"Repository": REPO, "Attributes": ATTRIBUTES, **changes}


@pytest.mark.parametrize(
    "second",
    [
        pytest.param({"Images": {"Api": {"Tag": "api-*"}}}, id="a pattern now chooses the tag"),
        pytest.param(
            {"Version": "latest", "Images": {"Api": {"Tag": "api-{version}"}}},
            id="Version: latest now fills the tag",
        ),
    ],
)
def test_the_same_digest_chosen_another_way_is_a_replacement(
    stack: Stack, ecr: Ecr, second: dict[str, Any]
) -> None:
    """The digest does not move, but what a rollback must answer does (the chosen tag, the
    version): keeping the id would leave a record that cannot answer the next rollback."""
    pushed(ecr, "api-00000001", "api:1")
    assert stack.create(base(Images={"Api": {"Tag": "api-00000001"}})) == "CREATE_COMPLETE"
    first_id = stack.resource.physical_id if stack.resource else ""
    assert stack.update(base(**second)) == "UPDATE_COMPLETE"
    assert stack.resource is not None and stack.resource.physical_id != first_id
    chosen = stack.attributes()
    pushed(ecr, "api-00000002", "api:2")  # newer: re-resolving would move on
    assert (
        stack.update(base(**second, Revision="next"), fails_elsewhere=True)
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert stack.attributes() == chosen


def test_a_new_status_for_the_same_images_is_a_replacement(stack: Stack, ecr: Ecr) -> None:
    missing = {"OnMissing": "Report", "Images": {"Api": {"Tag": "not-yet"}}}
    assert stack.create(base(**missing)) == "CREATE_COMPLETE"
    first_id = stack.resource.physical_id if stack.resource else ""
    skipped = {**missing, "UsePreBuiltImages": "false"}  # no digest either way, another status
    assert stack.update(base(**skipped)) == "UPDATE_COMPLETE"
    assert stack.resource is not None and stack.resource.physical_id != first_id
    answered = stack.attributes()
    assert (
        stack.update(base(**skipped, Revision="next"), fails_elsewhere=True)
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert stack.attributes() == answered


def test_a_set_too_large_for_the_id_is_resolved_again_not_half_answered(
    stack: Stack, ecr: Ecr
) -> None:
    """Eight long chosen tags do not fit beside their digests, even abbreviated: the id keeps no
    record rather than digests without the tags that chose them."""
    images = {}
    for i in range(8):
        pushed(ecr, f"img{i}-" + "x" * 150, f"img:{i}")
        images[f"I{i}"] = {"Tag": f"img{i}-*"}
    chosen = base(Attributes=["TagUri", "Uri"], Images=images)
    assert stack.create(chosen) == "CREATE_COMPLETE"
    before = stack.attributes()
    assert stack.resource is not None
    recorded = parse(stack.resource.physical_id)
    assert recorded is not None and recorded.images is None
    assert before["RollbackRecord"] == "Dropped"
    assert (
        stack.update({**chosen, "Revision": "x"}, fails_elsewhere=True)
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert stack.attributes() == before  # resolved again: nothing moved, so the same answer


def test_a_rollback_whose_descriptions_outgrew_the_response_still_answers_the_uris(
    stack: Stack, ecr: Ecr
) -> None:
    images = {}
    for i in range(12):
        pushed(ecr, f"img{i}", f"img:{i}")
        images[f"I{i}"] = {"Tag": f"img{i}"}
    described = base(Attributes=["Uri", "Tags"], Images=images)
    assert stack.create(described) == "CREATE_COMPLETE"
    before = stack.attributes()
    for i in range(12):  # CI promotes every deployed image: its Tags grow past 4 KB in all
        for n in range(3):
            pushed(ecr, f"img{i}-promoted-to-the-production-environment-{n}", f"img:{i}")
    failing = {**described, "Images": {**images, "Extra": {"Tag": "never-pushed"}}}
    mark = len(stack.calls)
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    _, back = stack.calls_since(mark)
    assert back.status == "SUCCESS"
    after = stack.attributes()
    assert {k: v for k, v in after.items() if k.endswith(".Uri")} == {
        k: v for k, v in before.items() if k.endswith(".Uri")
    }


# --- a record that did not fit whole, properties that no longer validate ----------------------


def many(count: int, *, tag: str = "stable") -> dict[str, Any]:
    return {f"Image{i:02d}": {"Tag": f"{tag}-{i:02d}"} for i in range(count)}


def test_an_abbreviated_record_is_replayed_exactly_after_listing_the_repository(
    stack: Stack, ecr: Ecr
) -> None:
    """17 images with [Uri, Status]: the whole record does not fit beside Data, its digest
    prefixes do. CI then re-pushes every mutable tag and this resource's Update fails: the
    rollback completes the prefixes from the repository's listing and answers A, not B."""
    for i in range(17):
        pushed(ecr, f"stable-{i:02d}", f"a:{i}")
    properties = base(Attributes=["Uri", "Status"], Images=many(17))
    assert stack.create(properties) == "CREATE_COMPLETE"
    before = stack.attributes()
    assert before["RollbackRecord"] == "Abbreviated"
    for i in range(17):  # every tag moves (ECR keeps the old images): resolving again answers B
        ecr.emulator.move_tag(REPO, f"stable-{i:02d}", manifest(f"b:{i}"))
    failing = {**properties, "Images": {**many(17), "Extra": {"Tag": "never-pushed"}}}
    mark = len(stack.calls)
    listings = ecr.calls("DescribeImages")
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    update, back = stack.calls_since(mark)
    assert (update.status, back.status) == ("FAILED", "SUCCESS")
    assert stack.attributes() == before
    assert ecr.calls("DescribeImages") > listings  # the prefixes were completed from a listing


def test_an_abbreviated_record_checks_the_way_back_by_listing(stack: Stack, ecr: Ecr) -> None:
    for i in range(17):
        pushed(ecr, f"stable-{i:02d}", f"a:{i}")
    properties = base(Attributes=["Uri", "Status"], Images=many(17))
    assert stack.create(properties) == "CREATE_COMPLETE"
    before = stack.attributes()
    ecr.client().batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": before["Image03.Uri"].split("@")[1]}]
    )
    pushed(ecr, "stable-03", "b:3")  # pushed again: the update pins the new one
    assert stack.update({**properties, "Revision": "next"}) == "UPDATE_COMPLETE"
    assert stack.attributes()["RollbackTarget"] == "Missing: Image03"


def test_with_the_status_unknown_a_rollback_after_a_same_images_update_is_still_exact(
    stack: Stack, ecr: Ecr, stacks: StatusServer
) -> None:
    """The case 0.2 misjudged: an Update that changed the properties but not the images kept
    the id (and its properties hash); the next failed Update's rollback, without the stack's
    status, was taken for an ordinary update and resolved anew. Every forward Update now gets
    its own id, so the rollback is recognised by its properties alone."""
    kind = KINDS[1]  # a mutable tag
    created(stack, ecr, kind)
    assert stack.update(props(kind, Revision="same images")) == "UPDATE_COMPLETE"
    after_bump = stack.attributes()
    kind.newer(ecr)  # the tag moves: an ordinary update would now answer B
    stacks.stall_seconds = 60.0  # DescribeStacks hangs: the status is unknown
    failing = props(
        kind,
        Revision="same images",
        Images={**kind.properties["Images"], "Extra": {"Tag": "never-pushed"}},
    )
    mark = len(stack.calls)
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    update, back = stack.calls_since(mark)
    assert (update.status, back.status) == ("FAILED", "SUCCESS")
    assert stack.attributes() == after_bump


def test_previous_properties_that_no_longer_validate_are_answered_from_the_record(
    stack: Stack, ecr: Ecr, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A property the deploying version knew and this one does not (renamed or removed since):
    the rollback leaves it out, answers every image from the record, and never empties Data."""
    import resolver.properties as validation

    pushed(ecr, "api-1", "api:1")
    pushed(ecr, "fn-1", "fn:1")
    properties = base(Images={"Api": {"Tag": "api-1"}, "Fn": {"Tag": "fn-1", "Legacy": "x"}})
    with monkeypatch.context() as older:  # the version that deployed it knew "Legacy"
        older.setattr(
            validation, "PER_IMAGE", {**validation.PER_IMAGE, "Legacy": validation.PER_IMAGE["Tag"]}
        )
        assert stack.create(properties) == "CREATE_COMPLETE"
    before = stack.attributes()  # upgraded: "Legacy" is unknown from now on
    ecr.emulator.move_tag(REPO, "api-1", manifest("api:2"))  # only the record says what ran
    failing = {**properties, "Images": {**properties["Images"], "Extra": {"Tag": "nope"}}}
    mark = len(stack.calls)
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    _, back = stack.calls_since(mark)
    assert back.status == "SUCCESS"
    assert stack.attributes() == before


def test_an_image_that_no_longer_validates_keeps_its_keys_and_the_others_their_values(
    stack: Stack, ecr: Ecr, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resolver.properties as validation

    pushed(ecr, "api-1", "api:1")
    pushed(ecr, "web-1", "web:1")
    properties = base(Images={"Api": {"Tag": "api-1"}, "Web": {"Tag": "web-1"}})
    assert stack.create(properties) == "CREATE_COMPLETE"
    before = stack.attributes()
    monkeypatch.setattr(validation, "_IMAGE_NAME", re.compile("Api"))  # "Web" is refused now
    failing = {**properties, "Images": {**properties["Images"], "Extra": {"Tag": "nope"}}}
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    after = stack.attributes()
    assert set(after) == set(before)  # every key a consumer's !GetAtt reads is still there
    assert after["Api.Uri"] == before["Api.Uri"]
    assert after["Web.Uri"] == ""  # unreadable now: empty, never a missing key
