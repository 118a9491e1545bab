"""Image indexes pushed to the local ECR and read back as the resolver reads them.

moto 5.2 quirks pinned here (real ECR differs on each):
- ``imageManifestMediaType`` comes back exactly as pushed, for ``BatchGetImage`` and
  ``DescribeImages``; ``acceptedMediaTypes`` is ignored, so an index is returned even when only
  image manifest types are accepted.
- ``DescribeImages`` gives an index no ``imageSizeInBytes`` (it only sizes documents with layers).
- ``PutImage`` of an index whose children are missing succeeds (ECR: ReferencedImagesNotFound).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from devkit.ecr_emulator import digest_of, ensure_repository, manifest, push
from devkit.image_indexes import (
    Built,
    buildx_multiarch,
    buildx_single_with_provenance,
    docker_manifest_list,
    push_index,
)
from resolver.engine.ecr.batch_get_image import ACCEPTED_MEDIA_TYPES
from resolver.engine.indexes import DOCKER_MANIFEST_LIST, OCI_INDEX, read_index
from resolver.platforms import Platform

from .conftest import Ecr

REPOSITORY = "team/app"
BUILDS: dict[str, tuple[Callable[[str], Built], str, str]] = {
    "buildx-multiarch": (buildx_multiarch, OCI_INDEX, "linux/arm64"),
    "docker-manifest-list": (docker_manifest_list, DOCKER_MANIFEST_LIST, "linux/arm/v7"),
    "buildx-single-provenance": (buildx_single_with_provenance, OCI_INDEX, "linux/amd64"),
}


def _get(ecr: Ecr, image_id: dict[str, str]) -> dict[str, object]:
    response = ecr.client().batch_get_image(
        repositoryName=REPOSITORY,
        imageIds=[image_id],
        acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
    )
    assert response["failures"] == []
    (image,) = response["images"]
    return dict(image)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_pushed_index_reads_back_byte_identical(ecr: Ecr, name: str) -> None:
    build, media_type, wanted = BUILDS[name]
    index, children = build(name)
    client = ecr.client()
    ensure_repository(client, REPOSITORY)

    digest = push_index(client, REPOSITORY, "v1", index, children, media_type=media_type)

    image = _get(ecr, {"imageTag": "v1"})
    assert image["imageManifest"] == index.decode()
    assert digest == digest_of(index) == image["imageId"]["imageDigest"]  # type: ignore[index]
    assert image["imageManifestMediaType"] == media_type
    for child_digest, child in children.items():
        fetched = _get(ecr, {"imageDigest": child_digest})
        assert fetched["imageManifest"] == child.decode()
        assert fetched["imageManifestMediaType"] == json.loads(child)["mediaType"]

    parsed = read_index(media_type, str(image["imageManifest"]))
    assert parsed is not None
    chosen = parsed.choose(Platform.parse(wanted))
    assert chosen is not None
    assert not chosen.attestation
    assert (
        _get(ecr, {"imageDigest": chosen.digest})["imageManifest"]
        == children[chosen.digest].decode()
    )


def test_children_are_untagged_and_the_index_is_tagged(ecr: Ecr) -> None:
    index, children = buildx_multiarch("tags")
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    push_index(client, REPOSITORY, "v1", index, children, media_type=OCI_INDEX)

    listed = client.list_images(repositoryName=REPOSITORY)["imageIds"]
    tags = {image_id["imageDigest"]: image_id.get("imageTag") for image_id in listed}
    assert tags == {digest_of(index): "v1", **dict.fromkeys(children)}


def test_moto_reports_index_media_types_as_pushed(ecr: Ecr) -> None:
    index, children = buildx_single_with_provenance("media")
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    push_index(client, REPOSITORY, "v1", index, children, media_type=OCI_INDEX)

    # acceptedMediaTypes without index types: real ECR would fail or convert; moto ignores it.
    response = client.batch_get_image(
        repositoryName=REPOSITORY,
        imageIds=[{"imageTag": "v1"}],
        acceptedMediaTypes=["application/vnd.docker.distribution.manifest.v2+json"],
    )
    assert response["images"][0]["imageManifestMediaType"] == OCI_INDEX
    (detail,) = client.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v1"}])[
        "imageDetails"
    ]
    assert detail["imageManifestMediaType"] == OCI_INDEX
    assert "imageSizeInBytes" not in detail


def test_pushing_a_child_that_is_already_tagged_keeps_its_tag(ecr: Ecr) -> None:
    """A child pushed on its own first keeps answering by its tag (see ``push_index``)."""
    index, children = buildx_single_with_provenance("shared")
    parsed = read_index(OCI_INDEX, index.decode())
    assert parsed is not None
    image_digest = next(e.digest for e in parsed.entries if not e.attestation)
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    push(
        client,
        REPOSITORY,
        "amd64-only",
        children[image_digest],
        media_type=json.loads(children[image_digest])["mediaType"],
    )

    push_index(client, REPOSITORY, "v1", index, children, media_type=OCI_INDEX)

    image = _get(ecr, {"imageTag": "amd64-only"})
    assert image["imageId"] == {"imageDigest": image_digest, "imageTag": "amd64-only"}


def test_two_indexes_may_share_children(ecr: Ecr) -> None:
    index, children = docker_manifest_list("shared")
    retagged = json.dumps(json.loads(index)).encode()  # same children, other bytes
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    first = push_index(client, REPOSITORY, "v1", index, children, media_type=DOCKER_MANIFEST_LIST)
    second = push_index(
        client, REPOSITORY, "v2", retagged, children, media_type=DOCKER_MANIFEST_LIST
    )
    assert first != second
    assert _get(ecr, {"imageTag": "v2"})["imageManifest"] == retagged.decode()


def test_is_index_on_what_ecr_returns(ecr: Ecr) -> None:
    index, children = buildx_single_with_provenance("kinds")
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    push_index(client, REPOSITORY, "indexed", index, children, media_type=OCI_INDEX)
    push(client, REPOSITORY, "plain", manifest("plain"))

    for tag, expected in (("indexed", True), ("plain", False)):
        image = _get(ecr, {"imageTag": tag})
        media_type = str(image["imageManifestMediaType"])
        body = str(image["imageManifest"])
        assert (read_index(media_type, body) is not None) is expected
        assert (read_index(None, body) is not None) is expected


def test_moto_accepts_an_index_whose_children_are_missing(ecr: Ecr) -> None:
    index, _ = buildx_multiarch("orphan")
    client = ecr.client()
    ensure_repository(client, REPOSITORY)
    digest = push_index(client, REPOSITORY, "v1", index, {}, media_type=OCI_INDEX)
    assert _get(ecr, {"imageTag": "v1"})["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
