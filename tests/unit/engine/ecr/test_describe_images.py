"""DescribeImages page by page with botocore's Stubber (moto answers in one page whatever
maxResults says), and the by-digest form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from devkit.ecr_emulator import DOCKER_MANIFEST
from resolver.engine.ecr import describe_images
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.ecr.describe_images import (
    MAX_LISTED_IMAGES,
    Listing,
    describe_digests,
    list_tagged_images,
)
from resolver.engine.ecr.failures import LISTING_TOO_LARGE, EcrFailure
from resolver.engine.fanout import NO_DEADLINE
from resolver.model import ImageDetails
from resolver.references import Registry, Repository

from ....fakes import answered_by_request

# --- Pagination, with botocore's Stubber --------------------------------------------------------

REGISTRY = Registry("210987654321", "eu-west-1")
APP = Repository(REGISTRY, "team/app")
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
def stubbed() -> Iterator[tuple[EcrClients, Stubber]]:
    client = EcrClients(session=boto3.Session()).for_registry(REGISTRY)
    with Stubber(client) as stubber:
        yield EcrClients(client=client), stubber


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


def test_pages_are_followed_with_their_tokens(stubbed: tuple[EcrClients, Stubber]) -> None:
    client, stubber = stubbed
    three_pages(stubber)  # expected params: maxResults=1000 always, nextToken from page 2 on

    answer = list_tagged_images(client, APP)

    stubber.assert_no_pending_responses()
    assert isinstance(answer, Listing)
    assert answer.pages == 3  # ECR calls are counted per page
    listed = answer.images
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


@pytest.mark.parametrize(
    ("limit", "pages_read"),
    [(2, 1), (4, 2), (5, 3)],  # tagged images after each page: 3, 5, 8
)
def test_the_limit_stops_paging_early(
    stubbed: tuple[EcrClients, Stubber],
    limit: int,
    pages_read: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, stubber = stubbed
    three_pages(stubber)
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", limit)
    requests: list[dict[str, Any]] = []
    client.for_registry(REGISTRY).meta.events.register(
        "before-parameter-build.ecr.DescribeImages",
        lambda params, **_: requests.append(dict(params)),
    )

    failure = list_tagged_images(client, APP)
    assert isinstance(failure, EcrFailure) and failure.code == LISTING_TOO_LARGE
    assert f"more than {limit} tagged images" in failure.message

    assert len(requests) == pages_read
    if pages_read < 3:  # the next page's response was never asked for
        with pytest.raises(AssertionError, match=f"{3 - pages_read} responses remaining"):
            stubber.assert_no_pending_responses()


def test_the_limit_counts_tagged_images_only(
    stubbed: tuple[EcrClients, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = stubbed
    three_pages(stubber)  # 9 entries, 8 tagged
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", 8)
    answer = list_tagged_images(client, APP)
    assert isinstance(answer, Listing)
    assert len(answer.images) == 8
    stubber.assert_no_pending_responses()


def test_a_repeated_token_fails_instead_of_looping(stubbed: tuple[EcrClients, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "describe_images", {"imageDetails": [detail(1, "a")], "nextToken": "t1"}, REQUEST
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [detail(2, "b")], "nextToken": "t1"},
        REQUEST | {"nextToken": "t1"},
    )
    failure = list_tagged_images(client, APP)
    assert isinstance(failure, EcrFailure)
    assert failure.code == "PaginationError"
    assert "same next token" in failure.message


def test_the_documented_bound() -> None:
    assert MAX_LISTED_IMAGES == 10_000


def test_digests_are_described_a_hundred_per_call() -> None:
    """The two chunks are read concurrently, so each call is answered by what it asks for (a
    Stubber's queue would hand the answers out in whatever order the threads reach it)."""
    client = boto3.Session().client(
        "ecr", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        chunk = [image["imageDigest"] for image in request["imageIds"]]
        return {"imageDetails": [detail(int(d[7:], 16), "t") for d in chunk[:-1]]}

    asked = answered_by_request(client, "DescribeImages", answer)
    digests = [f"sha256:{n:064x}" for n in range(1, 151)]
    clients = EcrClients(client=client)
    report = describe_digests([(APP, d) for d in digests], clients=clients, deadline=NO_DEADLINE)
    assert sorted(asked, key=lambda request: request["imageIds"][0]["imageDigest"]) == [
        {
            "registryId": "210987654321",
            "repositoryName": "team/app",
            "imageIds": [{"imageDigest": d} for d in chunk],
        }
        for chunk in (sorted(digests)[:100], sorted(digests)[100:])
    ]
    assert report.calls == 2
    assert len(report.answers) == 150
    first = report.answers[(APP, digests[0])]
    assert isinstance(first, ImageDetails)
    assert (first.tags, first.size_in_bytes) == (("t",), 1001)
    # The last id of each chunk was not in ECR's answer: a failure, never a guess.
    assert isinstance(report.answers[(APP, sorted(digests)[99])], EcrFailure)
    assert isinstance(report.answers[(APP, sorted(digests)[149])], EcrFailure)
