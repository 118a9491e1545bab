"""Answering recorded images again, and checking they still exist — ECR by botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from devkit.ecr_emulator import digest_of
from devkit.image_indexes import buildx_multiarch
from resolver.engine.ecr.batch_get_image import ACCEPTED_MEDIA_TYPES
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.indexes import OCI_INDEX
from resolver.engine.replay import replay, rollback_target
from resolver.model import ImageStatus, RecordedImage, RollbackState, Source
from resolver.properties import parse_request
from resolver.references import Registry

from ...fakes import FakeClock, answered_by_request, never_sleeps

HOME = Registry("123456789012", "ap-southeast-2")
INDEX, CHILDREN = buildx_multiarch("replay")
INDEX_DIGEST = digest_of(INDEX)
AMD64 = next(iter(CHILDREN))
D1, D2 = ("sha256:" + c * 64 for c in "12")


def request(**top: Any) -> Any:
    images = {
        "Api": {"Tag": "api-{version}"},
        "Web": {"Tag": "web-*"},
        "Fn": {"Tag": "fn-1", "Lambda": "true"},
        "Gone": {"Tag": "gone-1", "Fallback": "local/gone:1"},
    }
    properties = {"Repository": "app", "Version": "latest", "OnMissing": "Fallback", **top}
    return parse_request({**properties, "Images": images}, default_registry=HOME)


RECORDED = {
    "Api": RecordedImage(ImageStatus.FOUND, D1),
    "Web": RecordedImage(ImageStatus.VULNERABLE, D2, tag="web-00000009"),
    "Fn": RecordedImage(ImageStatus.FOUND, AMD64, tagged_digest=INDEX_DIGEST),
    "Gone": RecordedImage(ImageStatus.TAG_NOT_FOUND),
}


def test_what_was_deployed_comes_back_exactly_without_a_call(
    ecr: tuple[EcrClients, Stubber],
) -> None:
    clients, _ = ecr
    done = replay(
        request(), RECORDED, version="00000007", clients=clients, deadline=FakeClock().deadline()
    )
    api, web, fn, gone = done.resolution.images
    assert api.uri == f"{HOME.host}/app@{D1}" and api.status is ImageStatus.FOUND
    assert api.tag_uri == f"{HOME.host}/app:api-00000007"  # the version that was chosen then
    assert (web.status, web.tag_uri) == (ImageStatus.VULNERABLE, f"{HOME.host}/app:web-00000009")
    assert (fn.digest, fn.tagged_digest) == (AMD64, INDEX_DIGEST)
    assert (gone.uri, gone.source) == ("local/gone:1", Source.FALLBACK)  # the same policy
    assert done.resolution.version == "00000007"
    assert (done.resolution.ecr_calls, done.unverified) == (0, ())


def test_platforms_are_read_again_from_the_tagged_index(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    stubber.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageDigest": INDEX_DIGEST},
                    "imageManifest": INDEX.decode(),
                    "imageManifestMediaType": OCI_INDEX,
                }
            ],
            "failures": [
                {
                    "imageId": {"imageDigest": d},
                    "failureCode": "ImageNotFound",
                    "failureReason": "x",
                }
                for d in (D1, D2)
            ],
        },
        {
            "registryId": "123456789012",
            "repositoryName": "app",
            "imageIds": [{"imageDigest": d} for d in sorted((D1, D2, INDEX_DIGEST))],
            "acceptedMediaTypes": list(ACCEPTED_MEDIA_TYPES),
        },
    )
    done = replay(
        request(Attributes="Uri,Platforms"),
        RECORDED,
        version="00000007",
        clients=clients,
        deadline=FakeClock().deadline(),
    )
    api, _, fn, _ = done.resolution.images
    assert fn.platforms == ("linux/amd64", "linux/arm64/v8")
    assert api.uri.endswith(D1)  # gone from ECR, still what was deployed
    assert done.unverified == ("Api's platforms (ImageNotFound)", "Web's platforms (ImageNotFound)")


def test_findings_are_read_again_reported_and_never_gated_or_waited_for() -> None:
    client = boto3.Session().client(
        "ecr", region_name="ap-southeast-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    manifests = {D1: "{}", D2: "{}", INDEX_DIGEST: INDEX.decode()}
    answered_by_request(
        client,
        "BatchGetImage",
        lambda asked: {
            "images": [
                {"imageId": i, "imageManifest": manifests[i["imageDigest"]]}
                for i in asked["imageIds"]
            ]
        },
    )
    scans: dict[str, dict[str, Any]] = {
        D1: {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
        D2: {
            "imageScanStatus": {"status": "COMPLETE"},
            "imageScanFindings": {"findingSeverityCounts": {"HIGH": 5}},
        },
        AMD64: {"imageScanStatus": {"status": "IN_PROGRESS"}},
    }
    answered_by_request(
        client, "DescribeImageScanFindings", lambda asked: scans[asked["imageId"]["imageDigest"]]
    )
    clock = FakeClock(on_sleep=never_sleeps)  # a scan in progress is not waited for
    done = replay(
        request(FailOnSeverity="HIGH", Attributes="Uri,Findings"),
        RECORDED,
        version="00000007",
        clients=EcrClients(client=client),
        deadline=clock.deadline(),
    )
    api, web, fn, _ = done.resolution.images
    assert (api.status, web.status, fn.status) == (
        ImageStatus.FOUND,  # its findings unknown, yet never a lookup failure
        ImageStatus.VULNERABLE,  # as recorded
        ImageStatus.FOUND,
    )
    assert [i.scan.summary() if i.scan else "" for i in (api, web, fn)] == [
        "Unknown: AccessDeniedException",
        "CRITICAL=0,HIGH=5,MEDIUM=0,LOW=0",
        "InProgress",
    ]
    assert web.detail == ""  # reported, not judged again
    assert done.unverified == ("Api's findings (AccessDeniedException)",)


def test_without_time_for_ecr_the_choice_is_exact_and_the_rest_is_said(
    ecr: tuple[EcrClients, Stubber],
) -> None:
    done = replay(
        request(Attributes="Uri,Tags"),
        RECORDED,
        version="00000007",
        clients=None,
        deadline=FakeClock().deadline(),
    )
    assert done.resolution.images[0].uri.endswith(D1)
    assert done.unverified


def test_the_rollback_target_is_ready_missing_or_unknown(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    expected = {
        "registryId": "123456789012",
        "repositoryName": "app",
        "imageIds": [{"imageDigest": d} for d in sorted((D1, D2, AMD64))],
        "acceptedMediaTypes": list(ACCEPTED_MEDIA_TYPES),
    }

    def answer(failures: dict[str, str]) -> dict[str, Any]:
        return {
            "images": [
                {"imageId": {"imageDigest": d}, "imageManifest": "{}"}
                for d in (D1, D2, AMD64)
                if d not in failures
            ],
            "failures": [
                {"imageId": {"imageDigest": d}, "failureCode": code, "failureReason": "x"}
                for d, code in failures.items()
            ],
        }

    stubber.add_response("batch_get_image", answer({}), expected)
    stubber.add_response("batch_get_image", answer({D2: "ImageNotFound"}), expected)
    stubber.add_response("batch_get_image", answer({D1: "KmsError"}), expected)
    deadline = FakeClock().deadline()
    ready, calls = rollback_target(request(), RECORDED, clients=clients, deadline=deadline)
    assert (ready.summary(), calls) == ("Ready", 1)
    missing, _ = rollback_target(request(), RECORDED, clients=clients, deadline=deadline)
    assert missing.summary() == "Missing: Web"
    unknown, _ = rollback_target(request(), RECORDED, clients=clients, deadline=deadline)
    assert unknown.state is RollbackState.UNKNOWN
    assert unknown.summary() == "Unknown: ECR could not say whether Api still exists (KmsError)"
