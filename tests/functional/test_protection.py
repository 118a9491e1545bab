"""``Protect``, driven by the CloudFormation stand-in over HTTP against the local ECR.

Each sequence is CloudFormation's (``devkit.cloudformation.Stack``): the tags a stack's set
carries are read from ECR when each event arrives, so "moved only after the cleanup Delete" is
observed, not inferred. The emulator answers tags as ECR does (``devkit.ecr_emulator``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import digest_of, ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.image_indexes import (
    OCI_MANIFEST,
    buildx_multiarch,
    docker_manifest_list,
    push_index,
)
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.app import handler
from resolver.cloudformation.physical_id import Pinned, parse
from resolver.engine.ecr.batch_get_image import ACCEPTED_MEDIA_TYPES
from resolver.engine.indexes import DOCKER_MANIFEST_LIST, OCI_INDEX
from resolver.protection.naming import Owner, released

from .conftest import Ecr

REPO = "tak-dev-baseinfra-artifacts"
Handler = Callable[[dict[str, Any], Any], None]


@dataclass
class Watched:
    """The handler, noting the repository's protection tags as each event arrives."""

    ecr: Ecr
    arrivals: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self.arrivals.append((event["RequestType"], pinned_tags(self.ecr)))
        handler(event, context)


def tags_by_digest(ecr: Ecr, repository: str = REPO) -> dict[str, frozenset[str]]:
    details = ecr.client().describe_images(repositoryName=repository)["imageDetails"]
    return {d["imageDigest"]: frozenset(d.get("imageTags", ())) for d in details}


def pinned_tags(ecr: Ecr, repository: str = REPO) -> frozenset[str]:
    return frozenset(
        tag
        for tags in tags_by_digest(ecr, repository).values()
        for tag in tags
        if tag.startswith(("pinned-", "unpinned-"))
    )


@pytest.fixture
def watched(ecr: Ecr) -> Watched:
    return Watched(ecr)


@pytest.fixture
def stack(
    ecr: Ecr,
    stacks: StatusServer,
    receiver: ResponseReceiver,
    watched: Watched,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Stack]:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    ensure_repository(ecr.client(), REPO)
    for number in ("1", "2"):
        push(ecr.client(), REPO, f"api-{number}", manifest(f"api:{number}"))
        push(ecr.client(), REPO, f"ev-{number}", manifest(f"ev:{number}"))
    ecr.proxy.reset()
    yield stacks.add(Stack(handler=watched, receiver=receiver))


def props(version: str = "1", **changes: Any) -> dict[str, Any]:
    return {
        "Repository": REPO,
        "Protect": "BestEffort",
        "Version": version,
        "Attributes": ["Uri", "Protected"],
        "Images": {"Api": {"Tag": "api-{version}"}, "Ev": {"Tag": "ev-{version}"}},
        **changes,
    }


def set_tags(stack: Stack, data: dict[str, str]) -> frozenset[str]:
    """The tags that protect the set ``data`` answers (its Revision)."""
    owner = Owner(stack.stack_id, stack.logical_id)
    names = {key.split(".")[0] for key in data if key.endswith(".Uri")}
    return frozenset(owner.tag(name, data["Revision"]) for name in names)


def writes(ecr: Ecr) -> int:
    return ecr.calls("PutImage") + ecr.calls("BatchDeleteImage")


# --- the resource's lifecycle -----------------------------------------------------------------


def test_a_create_tags_every_pinned_image_and_no_digest_changes(stack: Stack, ecr: Ecr) -> None:
    before = tags_by_digest(ecr)
    assert stack.create(props()) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Api.Protected"] == data["Ev.Protected"] == data["Protection"] == "Yes"
    assert pinned_tags(ecr) == set_tags(stack, data)
    after = tags_by_digest(ecr)
    assert set(after) == set(before)  # no image added: only tags
    api = data["Api.Uri"].split("@")[1]
    assert after[api] == before[api] | {
        Owner(stack.stack_id, "Images").tag("Api", data["Revision"])
    }
    assert stack.resource is not None
    recorded = parse(stack.resource.physical_id)
    assert recorded is not None and recorded.pinned is Pinned.ALL
    assert ecr.calls("PutImage") == 2 and ecr.calls("BatchDeleteImage") == 0


def test_an_update_moves_the_tags_only_at_the_cleanup_delete(
    stack: Stack, ecr: Ecr, watched: Watched
) -> None:
    assert stack.create(props("1")) == "CREATE_COMPLETE"
    old = set_tags(stack, stack.attributes())
    assert stack.update(props("2")) == "UPDATE_COMPLETE"
    new = set_tags(stack, stack.attributes())
    assert old.isdisjoint(new)
    (_, before), (_, at_update), (cleanup, at_cleanup) = watched.arrivals
    assert before == frozenset()
    assert at_update == old  # while the update runs, the way back is protected
    assert cleanup == "Delete" and at_cleanup == old | new  # both, until the old id goes
    assert pinned_tags(ecr) == new


def test_a_failure_elsewhere_keeps_the_old_set_tagged_and_drops_the_new(
    stack: Stack, ecr: Ecr, watched: Watched
) -> None:
    assert stack.create(props("1")) == "CREATE_COMPLETE"
    old = set_tags(stack, stack.attributes())
    assert stack.update(props("2"), fails_elsewhere=True) == "UPDATE_ROLLBACK_COMPLETE"
    update, cleanup = stack.calls[-2:]
    assert cleanup.stack_status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
    new = set_tags(stack, update.answer["Data"])
    assert watched.arrivals[-1][1] == old | new
    assert pinned_tags(ecr) == old


def test_a_rollback_of_its_own_failed_update_keeps_the_set_tagged_without_a_write(
    stack: Stack, ecr: Ecr
) -> None:
    assert stack.create(props("1")) == "CREATE_COMPLETE"
    before = stack.attributes()
    ecr.proxy.reset()
    failing = props("2", Images={**props()["Images"], "Extra": {"Tag": "never-pushed"}})
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    update, back = stack.calls[-2:]
    assert update.status == "FAILED" and back.status == "SUCCESS"
    assert stack.attributes() == before  # Protected: Yes, Protection: Yes, from the id
    assert pinned_tags(ecr) == set_tags(stack, before)
    assert writes(ecr) == 0


def test_a_stack_delete_removes_its_tags(stack: Stack, ecr: Ecr) -> None:
    assert stack.create(props()) == "CREATE_COMPLETE"
    assert pinned_tags(ecr)
    assert stack.delete() == "DELETE_COMPLETE"
    assert pinned_tags(ecr) == frozenset()
    assert ecr.calls("BatchDeleteImage") == 1


def test_an_update_that_keeps_the_set_costs_no_ecr_call_for_protection(
    stack: Stack, ecr: Ecr, watched: Watched
) -> None:
    assert stack.create(props()) == "CREATE_COMPLETE"
    tagged = pinned_tags(ecr)
    ecr.proxy.reset()
    assert stack.update(props(Revision="nothing moved")) == "UPDATE_COMPLETE"
    update, cleanup = stack.calls[-2:]
    assert cleanup.event["PhysicalResourceId"] != update.answer["PhysicalResourceId"]
    assert cleanup.request_type == "Delete"
    assert dict(ecr.proxy.calls) == {"BatchGetImage": 1}  # resolving; nothing for protection
    assert stack.attributes()["Protection"] == "Yes"
    assert pinned_tags(ecr) == tagged  # the old id's Delete left the set's tags to the new id


def test_a_create_delivered_twice_writes_once(
    stack: Stack, ecr: Ecr, receiver: ResponseReceiver
) -> None:
    assert stack.create(props()) == "CREATE_COMPLETE"
    create = stack.calls[0].event
    ecr.proxy.reset()
    handler({**create, "ResponseURL": receiver.url("again")}, _context())
    assert receiver.take(timeout=30).body["Status"] == "SUCCESS"
    assert ecr.calls("PutImage") == 0
    assert ecr.calls("BatchGetImage") == 2  # resolving, and reading the tags already there


def _context() -> Any:
    from devkit.lambda_context import LambdaContext

    return LambdaContext(120.0)


def test_protection_off_costs_nothing_and_delete_makes_no_call(stack: Stack, ecr: Ecr) -> None:
    plain = props(Attributes=["Uri", "Protected"])
    del plain["Protect"]
    assert stack.create(plain) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Api.Protected"] == "No" and "Protection" not in data
    assert stack.delete() == "DELETE_COMPLETE"
    assert dict(ecr.proxy.calls) == {"BatchGetImage": 1}
    assert pinned_tags(ecr) == frozenset()


def test_a_response_too_large_fails_before_any_tag_is_written(stack: Stack, ecr: Ecr) -> None:
    many = {f"Image{n:02d}": {"Tag": "api-1"} for n in range(30)}
    assert stack.create(props(Images=many, Attributes=["Uri", "Digest", "Protected"])) == (
        "ROLLBACK_COMPLETE"
    )
    assert "Select fewer attributes" in stack.calls[0].answer["Reason"]
    assert ecr.calls("PutImage") == 0 and pinned_tags(ecr) == frozenset()


# --- ECR's last-tag rule ----------------------------------------------------------------------


def test_an_image_the_protection_tag_alone_keeps_is_never_deleted(stack: Stack, ecr: Ecr) -> None:
    """CI moved the tag while the stack ran the image: only protection keeps it. The stack's
    Delete hands it to the lifecycle policy as ``unpinned-…`` instead of deleting it."""
    assert stack.create(props()) == "CREATE_COMPLETE"
    api = stack.attributes()["Api.Uri"].split("@")[1]
    ecr.emulator.move_tag(REPO, "api-1", manifest("api:1 rebuilt"))
    (tag,) = tags_by_digest(ecr)[api]
    assert tag.startswith("pinned-")  # the image's only tag now
    assert stack.delete() == "DELETE_COMPLETE"
    assert tags_by_digest(ecr)[api] == {released(tag)}  # still there, handed back


def test_two_names_pinning_one_untagged_image_release_it_without_deleting_it(
    stack: Stack, ecr: Ecr
) -> None:
    digest = push(ecr.client(), REPO, "tmp", manifest("shared"))
    ecr.client().batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "tmp"}])
    ecr.client().put_image(
        repositoryName=REPO,
        imageManifest=manifest("shared").decode(),
        imageDigest=digest,
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
    )
    both = props(Images={"One": {"Digest": digest}, "Two": {"Digest": digest}})
    assert stack.create(both) == "CREATE_COMPLETE"
    assert len(tags_by_digest(ecr)[digest]) == 2  # one tag per name
    assert stack.delete() == "DELETE_COMPLETE"
    (left,) = tags_by_digest(ecr)[digest]  # removed together, yet the image stays
    assert left.startswith("unpinned-")


# --- digests never change ---------------------------------------------------------------------


def _oci_manifest(seed: str) -> bytes:
    def blob(kind: str) -> str:
        return digest_of(f"{kind}:{seed}".encode())

    body = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": 7,
            "digest": blob("c"),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "size": 9,
                "digest": blob("l"),
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _push_kind(ecr: Ecr, kind: str) -> tuple[str, str]:
    """Push one image of ``kind`` under tag ``kind``; its digest and media type."""
    client = ecr.client()
    if kind == "docker-v2":
        return push(
            client, REPO, kind, manifest(kind)
        ), "application/vnd.docker.distribution.manifest.v2+json"
    if kind == "oci-manifest":
        return push(client, REPO, kind, _oci_manifest(kind), media_type=OCI_MANIFEST), OCI_MANIFEST
    if kind == "docker-manifest-list":
        index, children = docker_manifest_list(kind)
        return push_index(
            client, REPO, kind, index, children, media_type=DOCKER_MANIFEST_LIST
        ), DOCKER_MANIFEST_LIST
    index, children = buildx_multiarch(kind)
    return push_index(client, REPO, kind, index, children, media_type=OCI_INDEX), OCI_INDEX


@pytest.mark.parametrize("kind", ["docker-v2", "oci-manifest", "docker-manifest-list", "oci-index"])
def test_tagging_keeps_the_manifest_bytes_media_type_and_digest(
    stack: Stack, ecr: Ecr, kind: str
) -> None:
    digest, media_type = _push_kind(ecr, kind)

    def read(image_id: dict[str, str]) -> dict[str, Any]:
        (image,) = ecr.client().batch_get_image(
            repositoryName=REPO, imageIds=[image_id], acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES)
        )["images"]
        return dict(image)

    before = read({"imageDigest": digest})
    count = len(tags_by_digest(ecr))
    assert stack.create(props(Images={"Img": {"Tag": kind}})) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Img.Protected"] == "Yes" and data["Img.Uri"].endswith(digest)
    (tag,) = set_tags(stack, data)
    after = read({"imageTag": tag})
    assert after["imageId"]["imageDigest"] == digest
    assert after["imageManifest"] == before["imageManifest"]
    assert after["imageManifestMediaType"] == media_type
    assert len(tags_by_digest(ecr)) == count  # the same image, one more tag


# --- refusals ----------------------------------------------------------------------------------


def test_a_denied_tag_is_reported_and_best_effort_deploys(stack: Stack, ecr: Ecr) -> None:
    denied = Fault("AccessDeniedException", "not authorized to perform: ecr:PutImage")
    ecr.proxy.fail_next("PutImage", denied, denied)
    assert stack.create(props()) == "CREATE_COMPLETE"
    data = stack.attributes()
    assert data["Api.Protected"] == data["Ev.Protected"] == "Denied: AccessDeniedException"
    assert data["Protection"] == "No"
    assert stack.resource is not None
    recorded = parse(stack.resource.physical_id)
    assert recorded is not None and recorded.pinned is Pinned.SOME
    ecr.proxy.reset()
    # Fixed (the role now may): an Update of the same set tags what was missing.
    assert stack.update(props(Revision="permissions fixed")) == "UPDATE_COMPLETE"
    assert stack.attributes()["Protection"] == "Yes"
    assert ecr.calls("PutImage") == 2


def test_required_fails_the_create_and_leaves_no_tag(stack: Stack, ecr: Ecr) -> None:
    denied = Fault("AccessDeniedException", "not authorized to perform: ecr:PutImage")
    ecr.proxy.fail_next("PutImage", denied)  # the first write only: the other one lands
    assert stack.create(props(Protect="Required")) == "ROLLBACK_COMPLETE"
    create = stack.calls[0]
    assert create.status == "FAILED"
    reason = create.answer["Reason"]
    assert reason.startswith("Protect is Required, and 1 image(s) could not be protected: ")
    assert "AccessDeniedException" in reason and "EnableProtection=true" in reason
    assert pinned_tags(ecr) == frozenset()  # the tag that landed was taken back


def test_a_rollback_never_fails_for_protection(stack: Stack, ecr: Ecr) -> None:
    denied = Fault("AccessDeniedException", "no")
    ecr.proxy.fail_next("PutImage", denied)
    assert stack.create(props()) == "CREATE_COMPLETE"  # best effort: Partial
    before = stack.attributes()
    assert before["Protection"] == "Partial: 1 of 2"
    ecr.proxy.fail_next("PutImage", denied, denied, denied)
    failing = props("2", Images={**props()["Images"], "Extra": {"Tag": "never-pushed"}})
    assert stack.update(failing) == "UPDATE_ROLLBACK_COMPLETE"
    back = stack.calls[-1]
    assert back.status == "SUCCESS"
    assert back.answer["Data"]["Protection"] == "Partial: 1 of 2"  # tried again, still refused


# --- immutable repositories --------------------------------------------------------------------


@pytest.mark.parametrize("mutability", ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"])
def test_immutable_tags_take_unique_tags_per_set_through_a_whole_lifecycle(
    stack: Stack, ecr: Ecr, mutability: str
) -> None:
    extra: dict[str, Any] = {}
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        extra["imageTagMutabilityExclusionFilters"] = [
            {"filterType": "WILDCARD", "filter": "latest"}
        ]
    ecr.client().put_image_tag_mutability(
        repositoryName=REPO, imageTagMutability=mutability, **extra
    )
    assert stack.create(props("1")) == "CREATE_COMPLETE"
    assert stack.update(props("2")) == "UPDATE_COMPLETE"
    assert stack.attributes()["Protection"] == "Yes"
    assert pinned_tags(ecr) == set_tags(stack, stack.attributes())
    assert stack.delete() == "DELETE_COMPLETE"
    assert pinned_tags(ecr) == frozenset()


def test_an_immutable_repository_that_forbids_the_tag_is_named_precisely(
    stack: Stack, ecr: Ecr
) -> None:
    ecr.client().put_image_tag_mutability(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    owner = Owner(stack.stack_id, "Images")
    assert stack.create(props(Protect="Off")) == "CREATE_COMPLETE"
    revision = stack.attributes()["Revision"]
    squatter = owner.tag("Api", revision)
    push(ecr.client(), REPO, squatter, manifest("someone else's"))  # the tag, on another image
    assert stack.update(props(Protect="Required")) == "UPDATE_ROLLBACK_COMPLETE"
    reason = stack.calls[-2].answer["Reason"]
    assert f"tag {squatter} is on another image, and the repository's tags are immutable" in reason
    assert f"--image-ids imageTag={squatter}" in reason
