"""Listing a repository's tagged images: against the emulator over HTTP, and page by page with
botocore's Stubber (moto answers DescribeImages in one page whatever maxResults says)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, PaginationError
from botocore.stub import Stubber

from devkit.ecr_emulator import (
    ACCOUNT_ID,
    DOCKER_MANIFEST,
    REGION,
    ensure_repository,
    manifest,
    push,
)
from resolver.discovery import VersionChoice, coherent_latest, newest_matching
from resolver.ecr_clients import EcrClients
from resolver.ecr_listing import MAX_LISTED_IMAGES, ListingTooLargeError, list_tagged_images
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


def test_lists_every_tagged_image_in_one_call(ecr: Ecr, clients: EcrClients) -> None:
    before = datetime.now(UTC).replace(microsecond=0)  # moto keeps whole seconds
    expected = push_cloudtak(ecr.client())
    after = datetime.now(UTC)
    assert len(expected) == 32  # 31 release images + "scratch"

    listed = list_tagged_images(clients.for_region(REGION), ARTIFACTS)

    assert {image.digest: set(image.tags) for image in listed} == expected
    assert len(listed) == len(expected)  # no image twice
    for image in listed:
        assert image.pushed_at.tzinfo is not None
        assert before <= image.pushed_at <= after
        assert image.media_type == DOCKER_MANIFEST
        assert isinstance(image.size_in_bytes, int)
    assert ecr.calls("DescribeImages") == 1
    assert ecr.calls("BatchGetImage") == 0


def test_a_listing_feeds_pattern_and_latest_choices(ecr: Ecr, clients: EcrClients) -> None:
    push_cloudtak(ecr.client())
    listed = list_tagged_images(clients.for_region(REGION), ARTIFACTS)

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
    ecr: Ecr, clients: EcrClients, limit: int
) -> None:
    push_cloudtak(ecr.client())  # 32 tagged images

    with pytest.raises(ListingTooLargeError) as raised:
        list_tagged_images(clients.for_region(REGION), ARTIFACTS, limit=limit)

    message = str(raised.value)
    assert ARTIFACTS.describe() in message
    assert f"more than {limit} tagged images" in message
    assert "exact Tag" in message
    assert "lifecycle policy" in message
    assert raised.value.repository == ARTIFACTS
    assert raised.value.limit == limit


def test_exactly_the_limit_is_allowed(ecr: Ecr, clients: EcrClients) -> None:
    push_cloudtak(ecr.client())
    assert len(list_tagged_images(clients.for_region(REGION), ARTIFACTS, limit=32)) == 32


def test_an_empty_repository_lists_nothing(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), "empty")
    assert list_tagged_images(clients.for_region(REGION), Repository(HOME, "empty")) == ()
    assert ecr.calls("DescribeImages") == 1


def test_aws_errors_reach_the_caller_unclassified(ecr: Ecr, clients: EcrClients) -> None:
    with pytest.raises(ClientError) as raised:
        list_tagged_images(clients.for_region(REGION), Repository(HOME, "nope"))
    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"


# --- Pagination, with botocore's Stubber --------------------------------------------------------

APP = Repository(Registry("210987654321", "eu-west-1"), "team/app")
T0 = datetime(2025, 3, 1, tzinfo=UTC)
REQUEST = {
    "registryId": "210987654321",
    "repositoryName": "team/app",
    "filter": {"tagStatus": "TAGGED"},
    "maxResults": 1000,
}


def detail(n: int, *tags: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "registryId": "210987654321",
        "repositoryName": "team/app",
        "imageDigest": f"sha256:{n:064x}",
        "imagePushedAt": T0 + timedelta(minutes=n),
        "imageSizeInBytes": 1000 + n,
        "imageManifestMediaType": DOCKER_MANIFEST,
    }
    if tags:
        entry["imageTags"] = list(tags)
    return entry


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = EcrClients(session=boto3.Session()).for_region("eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber


def three_pages(stubber: Stubber) -> None:
    """Pages of three images each; the second holds an untagged one, tokens t1 then t2."""
    stubber.add_response(
        "describe_images",
        {"imageDetails": [detail(1, "a"), detail(2, "b"), detail(3, "c", "c2")], "nextToken": "t1"},
        REQUEST,
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [detail(4, "d"), detail(5), detail(6, "f")], "nextToken": "t2"},
        REQUEST | {"nextToken": "t1"},
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [detail(7, "g"), detail(8, "h"), detail(9, "i")]},
        REQUEST | {"nextToken": "t2"},
    )


def test_pages_are_followed_with_their_tokens(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    three_pages(stubber)  # expected params: maxResults=1000 always, nextToken from page 2 on

    listed = list_tagged_images(client, APP)

    stubber.assert_no_pending_responses()
    assert [image.tags for image in listed] == [
        ("a",),
        ("b",),
        ("c", "c2"),
        ("d",),
        ("f",),  # the untagged image 5 is skipped
        ("g",),
        ("h",),
        ("i",),
    ]
    assert listed[2].digest == f"sha256:{3:064x}"
    assert listed[2].pushed_at == T0 + timedelta(minutes=3)
    assert listed[2].size_in_bytes == 1003
    assert listed[2].media_type == DOCKER_MANIFEST


@pytest.mark.parametrize(
    ("limit", "pages_read"),
    [(2, 1), (4, 2), (5, 3)],  # tagged images after each page: 3, 5, 8
)
def test_the_limit_stops_paging_early(
    stubbed: tuple[Any, Stubber], limit: int, pages_read: int
) -> None:
    client, stubber = stubbed
    three_pages(stubber)
    requests: list[dict[str, Any]] = []
    client.meta.events.register(
        "before-parameter-build.ecr.DescribeImages",
        lambda params, **_: requests.append(dict(params)),
    )

    with pytest.raises(ListingTooLargeError, match=f"more than {limit} tagged images"):
        list_tagged_images(client, APP, limit=limit)

    assert len(requests) == pages_read
    if pages_read < 3:  # the next page's response was never asked for
        with pytest.raises(AssertionError, match=f"{3 - pages_read} responses remaining"):
            stubber.assert_no_pending_responses()


def test_the_limit_counts_tagged_images_only(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    three_pages(stubber)  # 9 entries, 8 tagged
    assert len(list_tagged_images(client, APP, limit=8)) == 8
    stubber.assert_no_pending_responses()


def test_a_repeated_token_fails_instead_of_looping(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "describe_images", {"imageDetails": [detail(1, "a")], "nextToken": "t1"}, REQUEST
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [detail(2, "b")], "nextToken": "t1"},
        REQUEST | {"nextToken": "t1"},
    )
    with pytest.raises(PaginationError, match="same next token"):
        list_tagged_images(client, APP)


def test_the_documented_bound() -> None:
    assert MAX_LISTED_IMAGES == 10_000
