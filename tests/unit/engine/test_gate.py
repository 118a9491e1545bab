"""The vulnerability gate on a fake clock, ECR answered by botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from resolver.engine.ecr.clients import EcrClients
from resolver.engine.fanout import Deadline
from resolver.engine.gate import apply_gate, read_findings
from resolver.engine.gates import Reading
from resolver.errors import LookupFailedError
from resolver.model import (
    Attribute,
    ImageResult,
    ImageSpec,
    ImageStatus,
    ResolveRequest,
    ScanState,
    Severity,
    Source,
)
from resolver.references import ImageRef, Registry, Repository

from ...fakes import FakeClock, answered_by_request, never_sleeps

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
DIGEST = "sha256:" + "a" * 64
CHILDREN = ("sha256:" + "b" * 64, "sha256:" + "c" * 64)


def image(
    *, fail_on: Severity | None = Severity.HIGH, children: tuple[str, ...] = ()
) -> ImageResult:
    spec = ImageSpec("Api", ImageRef(REPO, tag="api-1"), fail_on=fail_on)
    return ImageResult(
        spec, ImageStatus.FOUND, REPO.uri + "@" + DIGEST, Source.PREBUILT, DIGEST, children=children
    )


def request(img: ImageResult, **fields: Any) -> ResolveRequest:
    return ResolveRequest((img.spec,), **fields)


def add_scans(
    request: ResolveRequest,
    images: tuple[ImageResult, ...],
    *,
    clients: EcrClients,
    deadline: Deadline,
) -> tuple[tuple[ImageResult, ...], int]:
    """Findings read, then the gate applied: the pipeline's two steps."""
    reading = Reading(clients, deadline, wait_seconds=request.scan_wait_seconds)
    read, calls = read_findings(request, images, reading=reading)
    return apply_gate(request, read), calls


def complete(**counts: int) -> dict[str, Any]:
    return {
        "imageScanStatus": {"status": "COMPLETE", "description": "done"},
        "imageScanFindings": {"findingSeverityCounts": counts},
    }


def expected(digest: str = DIGEST) -> dict[str, Any]:
    return {
        "registryId": "123456789012",
        "repositoryName": "app",
        "imageId": {"imageDigest": digest},
        "maxResults": 1,
    }


def test_findings_at_the_threshold_block(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    stubber.add_response("describe_image_scan_findings", complete(HIGH=2, LOW=7), expected())
    img = image()
    clock = FakeClock(on_sleep=never_sleeps)
    (gated,), calls = add_scans(request(img), (img,), clients=clients, deadline=clock.deadline())
    assert gated.status is ImageStatus.VULNERABLE
    assert gated.detail == "2 finding(s) at HIGH or above (CRITICAL=0,HIGH=2,MEDIUM=0,LOW=7)"
    assert calls == 1


def test_findings_below_the_threshold_pass(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    stubber.add_response("describe_image_scan_findings", complete(MEDIUM=3), expected())
    img = image()
    (gated,), _ = add_scans(request(img), (img,), clients=clients, deadline=FakeClock().deadline())
    assert gated.status is ImageStatus.FOUND
    assert gated.scan is not None and gated.scan.state is ScanState.COMPLETE


def test_a_scan_in_progress_is_polled_within_scan_wait_seconds(
    ecr: tuple[EcrClients, Stubber],
) -> None:
    clients, stubber = ecr
    running = {"imageScanStatus": {"status": "IN_PROGRESS", "description": "scanning"}}
    for _ in range(3):
        stubber.add_response("describe_image_scan_findings", running, expected())
    stubber.add_response("describe_image_scan_findings", complete(CRITICAL=1), expected())
    img = image()
    clock = FakeClock()
    (gated,), calls = add_scans(
        request(img, scan_wait_seconds=10), (img,), clients=clients, deadline=clock.deadline()
    )
    assert clock.slept == [2.0, 3.0, 4.5]
    assert gated.status is ImageStatus.VULNERABLE
    assert calls == 4


def test_never_scanned_blocks_only_under_require_scan(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    for _ in range(2):
        stubber.add_client_error(
            "describe_image_scan_findings", "ScanNotFoundException", expected_params=expected()
        )
    img = image()
    (lenient,), _ = add_scans(
        request(img), (img,), clients=clients, deadline=FakeClock().deadline()
    )
    assert lenient.status is ImageStatus.FOUND
    (strict,), _ = add_scans(
        request(img, require_scan=True), (img,), clients=clients, deadline=FakeClock().deadline()
    )
    assert strict.status is ImageStatus.NOT_SCANNED
    assert strict.detail == "no completed scan (the image has never been scanned)"


def test_an_unpinned_index_is_judged_by_all_its_images() -> None:
    client = boto3.Session().client(
        "ecr", region_name="ap-southeast-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    highs = {CHILDREN[0]: 1, CHILDREN[1]: 2}  # the two are read concurrently, in any order
    asked = answered_by_request(
        client,
        "DescribeImageScanFindings",
        lambda request: complete(HIGH=highs[request["imageId"]["imageDigest"]]),
    )
    img = image(children=CHILDREN)
    (gated,), calls = add_scans(
        request(img), (img,), clients=EcrClients(client=client), deadline=FakeClock().deadline()
    )
    assert sorted(asked, key=str) == [expected(CHILDREN[0]), expected(CHILDREN[1])]
    assert gated.detail.startswith("3 finding(s) at HIGH or above")
    assert calls == 2


def test_an_error_is_a_lookup_failure_never_a_verdict(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, stubber = ecr
    stubber.add_client_error(
        "describe_image_scan_findings", "AccessDeniedException", "no", expected_params=expected()
    )
    img = image()
    with pytest.raises(LookupFailedError, match="AccessDeniedException: no"):
        add_scans(request(img), (img,), clients=clients, deadline=FakeClock().deadline())


def test_nothing_is_read_unless_a_gate_or_findings_ask(ecr: tuple[EcrClients, Stubber]) -> None:
    clients, _ = ecr
    img = image(fail_on=None)
    assert add_scans(request(img), (img,), clients=clients, deadline=FakeClock().deadline()) == (
        (img,),
        0,
    )
    assert request(img, attributes=(Attribute.FINDINGS,)).scans_needed
