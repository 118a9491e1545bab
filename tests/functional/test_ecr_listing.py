"""Listing a repository's tagged images against the emulator over HTTP (page by page with
botocore's Stubber: tests/unit/engine/ecr/test_describe_images.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from devkit.ecr_emulator import (
    ACCOUNT_ID,
    DOCKER_MANIFEST,
    REGION,
    ensure_repository,
    manifest,
    push,
)
from resolver.engine import resolve
from resolver.engine.ecr import describe_images
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.ecr.describe_images import Listing, list_tagged_images
from resolver.engine.ecr.failures import LISTING_TOO_LARGE, EcrFailure, FailureKind
from resolver.engine.tag_choice import ListedImage, VersionChoice, coherent_latest, newest_matching
from resolver.errors import LookupFailedError
from resolver.properties import parse_request
from resolver.references import Registry, Repository

from .conftest import Ecr

HOME = Registry(ACCOUNT_ID, REGION)
ARTIFACTS = Repository(HOME, "tak-prod-baseinfra-artifacts")
PARTS = ("cloudtak", "events", "pmtiles", "data")


def push_cloudtak(client: Any) -> dict[str, set[str]]:
    """30 tagged images the way CloudTAK's CI pushes them, plus the awkward cases.

    Seven complete releases (28 images), an eighth release whose pmtiles build failed (3), a
    second tag on one image, a tag moved to a new image (its old image is left untagged) and an
    image pushed without a tag. Returns the expected listing: digest -> tags.
    """
    ensure_repository(client, ARTIFACTS.name)
    expected: dict[str, set[str]] = {}
    for n in range(8):
        version = f"{n:08x}"
        for part in PARTS:
            if n == 7 and part == "pmtiles":
                continue
            tag = f"{part}-{version}"
            expected[push(client, ARTIFACTS.name, tag, manifest(tag))] = {tag}
    same_image = push(client, ARTIFACTS.name, "stable", manifest("cloudtak-00000006"))
    expected[same_image].add("stable")
    orphaned = push(client, ARTIFACTS.name, "scratch", manifest("scratch-1"))
    expected[push(client, ARTIFACTS.name, "scratch", manifest("scratch-2"))] = {"scratch"}
    untagged = manifest("untagged")
    client.put_image(
        repositoryName=ARTIFACTS.name,
        imageManifest=untagged.decode(),
        imageManifestMediaType=DOCKER_MANIFEST,
    )
    assert orphaned not in expected
    return expected


def listing(clients: EcrClients, repository: Repository) -> tuple[ListedImage, ...]:
    answer = list_tagged_images(clients, repository)
    assert isinstance(answer, Listing), answer
    return answer.images


def test_lists_every_tagged_image_in_one_call(ecr: Ecr, clients: EcrClients) -> None:
    before = datetime.now(UTC).replace(microsecond=0)  # moto keeps whole seconds
    expected = push_cloudtak(ecr.client())
    after = datetime.now(UTC)
    assert len(expected) == 32  # 31 release images + "scratch"

    listed = listing(clients, ARTIFACTS)

    assert {image.digest: set(image.tags) for image in listed} == expected
    assert len(listed) == len(expected)  # no image twice
    for image in listed:
        assert image.pushed_at.tzinfo is not None
        assert before <= image.pushed_at <= after
    assert ecr.calls("DescribeImages") == 1
    assert ecr.calls("BatchGetImage") == 0


def test_a_listing_feeds_pattern_and_latest_choices(ecr: Ecr, clients: EcrClients) -> None:
    push_cloudtak(ecr.client())
    listed = listing(clients, ARTIFACTS)

    choice = coherent_latest({part.title(): (listed, f"{part}-{{version}}") for part in PARTS})

    # 00000007 lacks pmtiles: whatever the (whole-second) push times, 00000007 is never chosen.
    assert isinstance(choice, VersionChoice)
    assert choice.version != "00000007"
    assert {match.tag for match in choice.matches.values()} == {
        f"{part}-{choice.version}" for part in PARTS
    }
    match = newest_matching(listed, "pmtiles-*")
    assert match is not None
    assert match.tag.startswith("pmtiles-")


@pytest.mark.parametrize("limit", [10, 31])
def test_past_the_limit_the_listing_fails_with_the_fix(
    ecr: Ecr, clients: EcrClients, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_cloudtak(ecr.client())  # 32 tagged images
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", limit)

    failure = list_tagged_images(clients, ARTIFACTS)

    assert isinstance(failure, EcrFailure)
    assert failure.code == LISTING_TOO_LARGE
    assert failure.kind is FailureKind.ERROR  # never "absent": the tag may well be there
    message = str(failure)
    assert f"more than {limit} tagged images" in message
    assert "exact tags" in message
    assert "lifecycle policy" in message
    # Through a pattern: a lookup failure that names the image and the repository as well.
    request = parse_request(
        {"Repository": ARTIFACTS.name, "Images": {"Tools": {"Tag": "cloudtak-*"}}},
        default_registry=HOME,
    )
    with pytest.raises(LookupFailedError) as raised:
        resolve(request, clients=clients)
    assert f"Tools ({ARTIFACTS.name}:cloudtak-* in {ACCOUNT_ID}/{REGION}): {message}" in str(
        raised.value
    )


def test_exactly_the_limit_is_allowed(
    ecr: Ecr, clients: EcrClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_cloudtak(ecr.client())
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", 32)
    assert len(listing(clients, ARTIFACTS)) == 32


def test_an_empty_repository_lists_nothing(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), "empty")
    assert listing(clients, Repository(HOME, "empty")) == ()
    assert ecr.calls("DescribeImages") == 1


def test_aws_errors_come_back_as_failures(ecr: Ecr, clients: EcrClients) -> None:
    failure = list_tagged_images(clients, Repository(HOME, "nope"))
    assert isinstance(failure, EcrFailure)
    assert failure.code == "RepositoryNotFoundException"
    assert failure.kind is FailureKind.REPOSITORY_NOT_FOUND
