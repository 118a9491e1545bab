"""Images ECR did not return, looked at twice: archived, being restored, or under a pull-through
cache rule — through ``resolve``, with botocore's Stubber playing ECR (moto has neither the
archive storage class nor pull-through caches)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from resolver.engine import enforce, resolve
from resolver.engine.ecr import describe_images
from resolver.engine.ecr.clients import EcrClients
from resolver.errors import LookupFailedError, MissingImagesError
from resolver.model import ImageStatus, Resolution, RetentionKind, Source
from resolver.properties import parse_request
from resolver.references import Registry

HOME = Registry("123456789012", "ap-southeast-2")
REPO = "tak-dev-baseinfra-artifacts"
DIGEST = "sha256:" + "d" * 64
PUSHED = datetime(2026, 1, 5, 10, tzinfo=UTC)


class Ecr:
    """A stubbed client that also records each DescribeImages filter it was asked for."""

    def __init__(self) -> None:
        self.client = boto3.client("ecr", region_name="ap-southeast-2")
        self.stubber = Stubber(self.client)
        self.filters: list[dict[str, str]] = []
        self.client.meta.events.register(
            "provide-client-params.ecr.DescribeImages",
            lambda params, **_: self.filters.append(params.get("filter", {})),
        )

    def not_found(self, image_id: dict[str, str], code: str = "ImageNotFound") -> None:
        failure = {"imageId": image_id, "failureCode": code, "failureReason": "not here"}
        self.stubber.add_response("batch_get_image", {"images": [], "failures": [failure]})

    def listings(self, *details: dict[str, Any]) -> None:
        """The answer to both listings (ARCHIVED, then ACTIVATING, made concurrently): the same
        page for both, since the resolver keeps from each only the status it asked for."""
        for _ in range(2):
            self.stubber.add_response("describe_images", {"imageDetails": list(details)})

    def cache_rules(self, *rules: tuple[str, str]) -> None:
        self.stubber.add_response(
            "describe_pull_through_cache_rules",
            {
                "pullThroughCacheRules": [
                    {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": upstream}
                    for prefix, upstream in rules
                ]
            },
            {"registryId": "123456789012"},
        )

    def resolve(self, images: dict[str, Any], **top: Any) -> Resolution:
        properties = {"OnMissing": "Report", "Repository": REPO, **top, "Images": images}
        request = parse_request(properties, default_registry=HOME)
        with self.stubber:
            resolution = resolve(request, clients=EcrClients(client=self.client))
        self.stubber.assert_no_pending_responses()
        return resolution


@pytest.fixture
def ecr() -> Iterator[Ecr]:
    yield Ecr()


def detail(status: str, *tags: str, digest: str = DIGEST) -> dict[str, Any]:
    return {
        "imageDigest": digest,
        "imageTags": list(tags),
        "imagePushedAt": PUSHED,
        "imageStatus": status,
    }


# --- archived ------------------------------------------------------------------------------------

RESTORE = (
    f"archived ({DIGEST}): it cannot be pulled until restored — aws ecr "
    f"update-image-storage-class --image-id imageDigest={DIGEST} --target-storage-class STANDARD "
    "— or pushed again"
)


@pytest.mark.parametrize(
    ("image", "image_id"),
    [
        ({"Tag": "api-1"}, {"imageTag": "api-1"}),
        ({"Digest": DIGEST}, {"imageDigest": DIGEST}),
    ],
    ids=["by-tag", "by-digest"],
)
def test_an_archived_image_is_never_found(
    ecr: Ecr, image: dict[str, str], image_id: dict[str, str]
) -> None:
    ecr.not_found(image_id)
    ecr.listings(detail("ARCHIVED", "api-1"))
    resolution = ecr.resolve({"Api": image}, Attributes=["Uri", "Status", "Retention"])
    (api,) = resolution.images
    assert (api.status, api.uri, api.source, api.digest) == (
        ImageStatus.ARCHIVED,
        "",
        Source.NONE,
        None,
    )
    assert api.detail == RESTORE
    assert api.build_required and resolution.missing == (api,)
    assert api.retention is not None and api.retention.kind is RetentionKind.ARCHIVED
    # Archived and restoring images are listed by status: ECR lists ACTIVE ones by default.
    assert sorted(f["imageStatus"] for f in ecr.filters) == ["ACTIVATING", "ARCHIVED"]
    assert resolution.ecr_calls == 1 + 2  # no cache rules read: the image is accounted for


def test_an_archived_image_fails_the_resource_with_how_to_restore_it(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"})
    ecr.listings(detail("ARCHIVED", "api-1"))
    resolution = ecr.resolve({"Api": {"Tag": "api-1"}}, OnMissing="Fail")
    with pytest.raises(MissingImagesError) as caught:
        enforce(resolution)
    assert f"Api ({REPO}:api-1 in 123456789012/ap-southeast-2): {RESTORE}" in str(caught.value)


def test_an_archived_image_takes_its_fallback_under_on_missing_fallback(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"})
    ecr.listings(detail("ARCHIVED", "api-1"))
    resolution = ecr.resolve(
        {"Api": {"Tag": "api-1", "Fallback": "local/api:1"}}, OnMissing="Fallback"
    )
    (api,) = resolution.images
    assert (api.status, api.uri, api.source) == (
        ImageStatus.ARCHIVED,
        "local/api:1",
        Source.FALLBACK,
    )
    enforce(resolution)


def test_an_image_being_restored_says_so(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"})
    ecr.listings(detail("ACTIVATING", "api-1"))
    (api,) = ecr.resolve({"Api": {"Tag": "api-1"}}).images
    assert api.status is ImageStatus.ARCHIVED
    assert api.detail.startswith(f"being restored from the archive ({DIGEST}, ACTIVATING)")


def test_image_inaccessible_is_an_archived_image_when_listed_so_else_an_error(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"}, code="ImageInaccessible")
    ecr.listings(detail("ARCHIVED", "api-1"))
    assert ecr.resolve({"Api": {"Tag": "api-1"}}).images[0].status is ImageStatus.ARCHIVED

    other = Ecr()
    other.not_found({"imageTag": "api-1"}, code="ImageInaccessible")
    other.listings()
    other.cache_rules()
    with pytest.raises(LookupFailedError, match="ImageInaccessible: not here"):
        other.resolve({"Api": {"Tag": "api-1"}})  # never "missing": it may well exist


def test_another_archived_image_does_not_explain_this_one(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"})
    ecr.listings(detail("ARCHIVED", "api-0", digest="sha256:" + "e" * 64))
    ecr.cache_rules()
    (api,) = ecr.resolve({"Api": {"Tag": "api-1"}}).images
    assert (api.status, api.detail) == (ImageStatus.TAG_NOT_FOUND, "")


def test_when_the_second_look_is_refused_the_first_answer_stands(ecr: Ecr) -> None:
    ecr.not_found({"imageTag": "api-1"})
    for _ in range(2):
        ecr.stubber.add_client_error("describe_images", "AccessDeniedException", "no")
    ecr.stubber.add_client_error("describe_pull_through_cache_rules", "AccessDeniedException", "no")
    (api,) = ecr.resolve({"Api": {"Tag": "api-1"}}).images
    assert api.status is ImageStatus.TAG_NOT_FOUND  # as before the second look existed


def test_an_archive_too_large_to_list_leaves_the_first_answer_and_says_why(
    ecr: Ecr, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", 1)
    ecr.not_found({"imageTag": "api-1"})
    other = detail("ARCHIVED", "api-0", digest="sha256:" + "e" * 64)
    ecr.listings(detail("ARCHIVED", "api-1"), other)  # two archived images: past the bound
    ecr.cache_rules()
    with caplog.at_level(logging.WARNING):
        (api,) = ecr.resolve({"Api": {"Tag": "api-1"}}).images
    assert api.status is ImageStatus.TAG_NOT_FOUND  # not known to be archived: as it was
    (warning,) = [r for r in caplog.records if r.getMessage() == "Could not list archived images"]
    assert (
        vars(warning)["reason"]
        == "ListingTooLarge: more than 1 archived images, the most the resolver lists"
    )


# --- pull-through caches --------------------------------------------------------------------------

DOCKER_HUB = ("docker-hub", "registry-1.docker.io")


def test_an_uncached_upstream_image_is_not_build_needed(ecr: Ecr) -> None:
    # The cache's repository does not exist until ECR imports a first image into it.
    ecr.stubber.add_client_error(
        "batch_get_image", "RepositoryNotFoundException", "no repository", http_status_code=400
    )
    ecr.cache_rules(("ecr-public", "public.ecr.aws"), DOCKER_HUB)
    with pytest.raises(LookupFailedError) as caught:
        ecr.resolve({"Nginx": {"Repository": "docker-hub/library/nginx", "Tag": "1.27"}})
    message = str(caught.value)
    assert (
        "Nginx (docker-hub/library/nginx:1.27 in 123456789012/ap-southeast-2): not cached yet "
        "(pull-through cache rule docker-hub → registry-1.docker.io), and ECR did not import it"
    ) in message
    assert "PullThroughCacheImport=true" in message
    assert "were not reported as missing" in message
    assert ecr.filters == []  # a repository that does not exist has no archive to list


def test_a_digest_is_not_imported_on_a_first_pull(ecr: Ecr) -> None:
    ecr.not_found({"imageDigest": DIGEST})
    ecr.listings()
    ecr.cache_rules(DOCKER_HUB)
    with pytest.raises(
        LookupFailedError, match=r"by tag, not by digest \(aws/containers-roadmap#2837\)"
    ):
        ecr.resolve({"Nginx": {"Repository": "docker-hub/library/nginx", "Digest": DIGEST}})


@pytest.mark.parametrize(
    ("rules", "covered"),
    [
        ([DOCKER_HUB], False),  # another prefix: the image is really missing
        ([("ROOT", "111122223333.dkr.ecr.us-west-2.amazonaws.com")], True),  # every repository
        ([("tak-dev", "ghcr.io")], False),  # a prefix of the name, but not a path segment
        ([("tak-dev-baseinfra-artifacts/", "ghcr.io")], False),
    ],
)
def test_which_repositories_a_rule_covers(
    ecr: Ecr, rules: list[tuple[str, str]], covered: bool
) -> None:
    ecr.not_found({"imageTag": "api-1"})
    ecr.listings()
    ecr.cache_rules(*rules)
    if covered:
        with pytest.raises(LookupFailedError, match="not cached yet"):
            ecr.resolve({"Api": {"Tag": "api-1"}})
    else:
        assert ecr.resolve({"Api": {"Tag": "api-1"}}).images[0].status is ImageStatus.TAG_NOT_FOUND


def test_rules_that_cannot_be_read_leave_the_answer_as_it_was(ecr: Ecr) -> None:
    ecr.stubber.add_client_error(
        "batch_get_image", "RepositoryNotFoundException", "no repository", http_status_code=400
    )
    ecr.stubber.add_client_error("describe_pull_through_cache_rules", "AccessDeniedException", "no")
    (nginx,) = ecr.resolve(
        {"Nginx": {"Repository": "docker-hub/library/nginx", "Tag": "1.27"}}
    ).images
    assert nginx.status is ImageStatus.REPOSITORY_NOT_FOUND
