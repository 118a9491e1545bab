"""Discovery, multi-arch pinning, the vulnerability gate, waiting for a push, and metadata —
through ``resolve`` (and the handler) against the ECR emulator over HTTP."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.events import load_event
from devkit.image_indexes import (
    buildx_multiarch,
    buildx_single_with_provenance,
    docker_manifest_list,
    push_index,
    soci_v2_index,
)
from devkit.lambda_context import LambdaContext
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.attributes import build_data
from resolver.engine import enforce, resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.indexes import DOCKER_MANIFEST_LIST, OCI_INDEX
from resolver.errors import LookupFailedError, MissingImagesError, VulnerableImagesError
from resolver.model import (
    Attribute,
    ImageStatus,
    OnVulnerable,
    Resolution,
    Source,
    Waiting,
    WaitingFor,
)
from resolver.properties import parse_request
from resolver.references import Registry

from ..fakes import FakeClock, never_sleeps
from .conftest import Ecr

HOME = Registry("123456789012", "ap-southeast-2")
REPO = "tak-dev-baseinfra-artifacts"


def run(clients: EcrClients, images: dict[str, Any], **top: Any) -> Resolution:
    properties = {"OnMissing": "Report", "Repository": REPO, **top, "Images": images}
    return resolve(
        parse_request(properties, default_registry=HOME),
        clients=clients,
        deadline=FakeClock(on_sleep=never_sleeps).deadline(),
    )


def by_name(resolution: Resolution) -> dict[str, Any]:
    return {image.name: image for image in resolution.images}


def push_tags(ecr: Ecr, tags: list[str], repository: str = REPO) -> dict[str, str]:
    client = ecr.client()
    ensure_repository(client, repository)
    return {tag: push(client, repository, tag, manifest(f"{repository}:{tag}")) for tag in tags}


# --- discovery -----------------------------------------------------------------------------------


def test_tag_pattern_resolves_to_a_matching_image(ecr: Ecr, clients: EcrClients) -> None:
    digests = push_tags(ecr, ["cloudtak-00000001", "cloudtak-00000002", "events-00000003"])
    resolution = run(clients, {"Api": {"Tag": "cloudtak-*"}, "Nope": {"Tag": "pmtiles-*"}})
    api, nope = resolution.images
    assert api.status is ImageStatus.FOUND
    # Pushed in the same second (moto keeps whole seconds): the greatest tag wins the tie.
    assert api.image_ref.tag == "cloudtak-00000002"
    assert api.digest == digests["cloudtak-00000002"]
    assert api.tag_uri.endswith(f"/{REPO}:cloudtak-00000002")
    assert (nope.status, nope.detail, nope.tag_uri) == (
        ImageStatus.TAG_NOT_FOUND,
        "no tag matches pmtiles-*",
        "",
    )
    # One listing for the repository, however many patterns use it, then one BatchGetImage.
    assert ecr.calls("DescribeImages") == 1
    assert ecr.calls("BatchGetImage") == 1


def test_version_latest_picks_the_newest_complete_set(ecr: Ecr, clients: EcrClients) -> None:
    complete = ["cloudtak-aaaa0001", "events-aaaa0001", "pmtiles-aaaa0001", "data-aaaa0001"]
    digests = push_tags(ecr, [*complete, "cloudtak-ffff0002", "events-ffff0002", "data-ffff0002"])
    images = {
        "CloudTak": {"Tag": "cloudtak-{version}"},
        "Events": {"Tag": "events-{version}"},
        "PmTiles": {"Tag": "pmtiles-{version}"},
        "Data": {"Tag": "data-{version}"},
    }
    resolution = run(clients, images, Version="latest")
    assert resolution.version == "aaaa0001"  # ffff0002 lacks pmtiles: skipped, not half-used
    assert {i.name: i.digest for i in resolution.images} == {
        "CloudTak": digests["cloudtak-aaaa0001"],
        "Events": digests["events-aaaa0001"],
        "PmTiles": digests["pmtiles-aaaa0001"],
        "Data": digests["data-aaaa0001"],
    }
    assert build_data(resolution, (Attribute.URI,))["Version"] == "aaaa0001"
    assert ecr.calls("DescribeImages") == 1


def test_no_coherent_version_is_missing_with_the_reason(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["cloudtak-aaaa0001", "events-bbbb0002"])
    properties = {
        "Repository": REPO,
        "Version": "latest",
        "Images": {"Api": {"Tag": "cloudtak-{version}"}, "Events": {"Tag": "events-{version}"}},
    }
    resolution = resolve(parse_request(properties, default_registry=HOME), clients=clients)
    assert {i.status for i in resolution.images} == {ImageStatus.TAG_NOT_FOUND}
    with pytest.raises(MissingImagesError, match="no version has all 2 components"):
        enforce(resolution)


# --- multi-architecture --------------------------------------------------------------------------


def test_platform_pins_the_child_of_a_buildx_index(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_multiarch("api")
    index_digest = push_index(ecr.client(), REPO, "api-1", index, children, media_type=OCI_INDEX)
    resolution = run(
        clients,
        {
            "Arm": {"Tag": "api-1", "Platform": "linux/arm64"},
            "Any": {"Tag": "api-1"},
            "S390": {"Tag": "api-1", "Platform": "linux/s390x"},
        },
    )
    arm, whole, s390 = resolution.images
    arm_child = json.loads(index)["manifests"][1]
    assert arm_child["platform"]["architecture"] == "arm64"
    assert arm.digest == arm_child["digest"] != index_digest
    assert arm.uri.endswith(f"/{REPO}@{arm_child['digest']}")
    assert arm.platforms == ("linux/amd64", "linux/arm64/v8")
    assert whole.digest == index_digest  # no platform asked: ECS and friends take the index
    assert s390.status is ImageStatus.PLATFORM_NOT_FOUND
    assert s390.build_required
    assert (
        s390.detail == "no linux/s390x image in the index (available: linux/amd64, linux/arm64/v8)"
    )
    data = build_data(resolution, (Attribute.PLATFORMS, Attribute.STATUS))
    assert data["Arm.Platforms"] == "linux/amd64,linux/arm64/v8"  # attestations excluded


def test_lambda_never_gets_an_index(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_single_with_provenance("worker")
    index_digest = push_index(ecr.client(), REPO, "worker-1", index, children, media_type=OCI_INDEX)
    plain = push_tags(ecr, ["plain-1"])["plain-1"]
    (worker, single) = run(
        clients,
        {
            "Worker": {"Tag": "worker-1", "Lambda": "true"},
            "Plain": {"Tag": "plain-1", "Lambda": True},
        },
    ).images
    image_entry = next(m for m in json.loads(index)["manifests"] if m["platform"]["os"] == "linux")
    assert worker.digest == image_entry["digest"] != index_digest
    assert worker.platforms == ("linux/amd64",)
    assert single.digest == plain  # a single-platform manifest passes through


@pytest.mark.parametrize("soci_first", [False, True], ids=["image-first", "soci-first"])
def test_a_soci_v2_index_entry_is_never_pinned(
    ecr: Ecr, clients: EcrClients, *, soci_first: bool
) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = soci_v2_index("fargate", soci_first=soci_first)
    index_digest = push_index(ecr.client(), REPO, "web-1", index, children, media_type=OCI_INDEX)
    resolution = run(
        clients,
        {
            "Web": {"Tag": "web-1", "Platform": "linux/amd64"},
            "Fn": {"Tag": "web-1", "Lambda": "true"},
            "Svc": {"Tag": "web-1"},
        },
        Attributes=["Uri", "Platforms"],
    )
    web, fn, svc = resolution.images
    (image,) = [m for m in json.loads(index)["manifests"] if "artifactType" not in m]
    (soci,) = [m for m in json.loads(index)["manifests"] if "artifactType" in m]
    assert soci["platform"] == image["platform"]  # same platform: only artifactType tells
    assert web.digest == fn.digest == image["digest"] != soci["digest"]
    assert fn.uri.endswith(f"/{REPO}@{image['digest']}")
    assert svc.digest == index_digest  # no platform asked: the index, for ECS to resolve
    assert svc.children == (image["digest"],)  # scanned alone: the SOCI index is no image
    assert build_data(resolution, (Attribute.PLATFORMS,))["Web.Platforms"] == "linux/amd64"


def test_docker_manifest_list_variant(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = docker_manifest_list("edge")
    push_index(ecr.client(), REPO, "edge-1", index, children, media_type=DOCKER_MANIFEST_LIST)
    (edge,) = run(clients, {"Edge": {"Tag": "edge-1", "Platform": "linux/arm/v7"}}).images
    wanted = next(m for m in json.loads(index)["manifests"] if m["platform"].get("variant") == "v7")
    assert edge.digest == wanted["digest"]


def test_a_platform_the_index_lacks_takes_its_fallback(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_multiarch("api")
    push_index(ecr.client(), REPO, "api-1", index, children, media_type=OCI_INDEX)
    image = {"Tag": "api-1", "Platform": "linux/s390x", "Fallback": "local/api:s390x"}
    resolution = run(clients, {"S390": image}, OnMissing="Fallback")
    (s390,) = resolution.images
    assert (s390.status, s390.uri, s390.source) == (
        ImageStatus.PLATFORM_NOT_FOUND,
        "local/api:s390x",
        Source.FALLBACK,
    )
    assert s390.platforms == ("linux/amd64", "linux/arm64/v8")  # what the index offers
    enforce(resolution)  # missing, with a Fallback, under OnMissing: Fallback


UNREADABLE_INDEX = {
    "images": [
        {
            "registryId": "123456789012",
            "repositoryName": REPO,
            "imageId": {"imageTag": "web-1", "imageDigest": "sha256:" + "f" * 64},
            "imageManifest": '{"manifests": "not a list"}',
            "imageManifestMediaType": OCI_INDEX,
        }
    ],
    "failures": [],
}


def test_an_unreadable_index_only_empties_platforms_unless_it_must_choose(
    ecr: Ecr, clients: EcrClients, caplog: pytest.LogCaptureFixture
) -> None:
    ecr.proxy.fail_next("BatchGetImage", Fault("", status=200, body=UNREADABLE_INDEX))
    with caplog.at_level(logging.WARNING):
        (web,) = run(clients, {"Web": {"Tag": "web-1"}}, Attributes=["Uri", "Platforms"]).images
    assert (web.status, web.digest, web.platforms) == (ImageStatus.FOUND, "sha256:" + "f" * 64, ())
    assert "Could not read the image index: Platforms is empty" in caplog.messages
    for image in (
        {"Tag": "web-1", "Platform": "linux/arm64"},
        {"Tag": "web-1", "FailOnSeverity": "HIGH"},
    ):
        ecr.proxy.fail_next("BatchGetImage", Fault("", status=200, body=UNREADABLE_INDEX))
        with pytest.raises(
            LookupFailedError, match=r"Web .*: unreadable manifest: image index has"
        ):
            run(clients, {"Web": image})  # the choice, or the gate, needs the document


# --- vulnerability gate --------------------------------------------------------------------------


def test_findings_at_or_above_the_threshold_block_the_image(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["api-1", "worker-1"])
    ecr.client().start_image_scan(
        repositoryName=REPO, imageId={"imageTag": "api-1"}
    )  # moto: HIGH=1
    ecr.client().start_image_scan(repositoryName=REPO, imageId={"imageTag": "worker-1"})
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1", "FailOnSeverity": "HIGH"}, "Worker": {"Tag": "worker-1"}},
        FailOnSeverity="CRITICAL",
        Attributes=["Uri", "Status", "Findings"],
    )
    api, worker = resolution.images
    assert api.status is ImageStatus.VULNERABLE
    assert api.detail == "1 finding(s) at HIGH or above (CRITICAL=0,HIGH=1,MEDIUM=0,LOW=0)"
    assert not api.build_required and api.uri  # found; blocked by the gate, not missing
    assert worker.status is ImageStatus.FOUND  # CRITICAL threshold: HIGH passes
    assert (
        build_data(resolution, (Attribute.FINDINGS,))["Worker.Findings"]
        == "CRITICAL=0,HIGH=1,MEDIUM=0,LOW=0"
    )
    with pytest.raises(
        VulnerableImagesError, match=r"^1 image\(s\) blocked by the vulnerability gate: Api "
    ):
        enforce(resolution)
    enforce(replace(resolution, on_vulnerable=OnVulnerable.REPORT))  # reported, not failed
    assert ecr.calls("DescribeImageScanFindings") == 2


def test_unscanned_images_fail_only_when_a_scan_is_required(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["api-1"])
    gated = {"Api": {"Tag": "api-1", "FailOnSeverity": "HIGH"}}
    (relaxed,) = run(clients, gated).images
    assert relaxed.status is ImageStatus.FOUND
    assert relaxed.scan is not None and relaxed.scan.summary() == "NotScanned"
    required = run(clients, gated, RequireScan="true")
    (strict,) = required.images
    assert strict.status is ImageStatus.NOT_SCANNED
    assert strict.detail == "no completed scan (the image has never been scanned)"
    with pytest.raises(VulnerableImagesError) as blocked:
        enforce(required)
    assert "start-image-scan" in str(blocked.value)
    assert "patched bases" not in str(blocked.value)  # nothing to rebuild: it needs a scan


def test_a_scan_in_progress_is_waited_for(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["api-1"])
    ecr.client().start_image_scan(repositoryName=REPO, imageId={"imageTag": "api-1"})
    in_progress = {"imageScanStatus": {"status": "IN_PROGRESS", "description": "scanning"}}
    ecr.proxy.fail_next("DescribeImageScanFindings", Fault("", status=200, body=in_progress))
    clock = FakeClock()
    properties = {
        "Repository": REPO,
        "FailOnSeverity": "HIGH",
        "ScanWaitSeconds": "30",
        "Images": {"Api": {"Tag": "api-1"}},
    }
    resolution = resolve(
        parse_request(properties, default_registry=HOME), clients=clients, deadline=clock.deadline()
    )
    assert clock.slept == [2.0]
    assert resolution.images[0].status is ImageStatus.VULNERABLE
    assert ecr.calls("DescribeImageScanFindings") == 2


# --- waiting for a concurrent push ---------------------------------------------------------------


def test_wait_seconds_polls_until_the_image_appears(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    pushed: list[str] = []

    def ci_pushes_meanwhile(seconds: float) -> None:
        assert seconds == 2.0
        pushed.append(push(ecr.client(), REPO, "api-1", manifest("late")))

    properties = {
        "Repository": REPO,
        "WaitSeconds": "60",
        "Images": {"Api": {"Tag": "api-1"}, "Ok": {"Tag": "ok-1"}},
    }
    push_tags(ecr, ["ok-1"])
    resolution = resolve(
        parse_request(properties, default_registry=HOME),
        clients=clients,
        deadline=FakeClock(on_sleep=ci_pushes_meanwhile).deadline(),
    )
    assert resolution.images[0].digest == pushed[0]
    assert ecr.calls("BatchGetImage") == 2  # first round, then only the missing image
    # The first round's second look at the missing image: archived or restoring? a cache?
    assert (ecr.calls("DescribeImages"), ecr.calls("DescribePullThroughCacheRules")) == (2, 1)
    assert resolution.ecr_calls == 2 + 2 + 1


def test_wait_seconds_gives_up_within_its_budget(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    clock = FakeClock()
    properties = {
        "Repository": REPO,
        "OnMissing": "Report",
        "WaitSeconds": "10",
        "Images": {"Api": {"Tag": "api-1"}},
    }
    resolution = resolve(
        parse_request(properties, default_registry=HOME), clients=clients, deadline=clock.deadline()
    )
    assert resolution.images[0].status is ImageStatus.TAG_NOT_FOUND
    assert clock.slept == [2.0, 3.0, 4.5]  # 9.5 s; one more (6.75 s) would overrun 10 s
    assert ecr.calls("BatchGetImage") == 4


def test_an_observer_hears_every_wait(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["api-1"])
    ecr.client().start_image_scan(repositoryName=REPO, imageId={"imageTag": "api-1"})
    in_progress = {"imageScanStatus": {"status": "IN_PROGRESS", "description": "scanning"}}
    ecr.proxy.fail_next("DescribeImageScanFindings", Fault("", status=200, body=in_progress))
    properties = {
        "Repository": REPO,
        "OnMissing": "Report",
        "WaitSeconds": "4",
        "FailOnSeverity": "HIGH",
        "ScanWaitSeconds": "30",
        "Images": {"Api": {"Tag": "api-1"}, "Pmtiles": {"Tag": "pmtiles-1"}},
    }
    heard: list[Waiting] = []
    resolve(
        parse_request(properties, default_registry=HOME),
        clients=clients,
        deadline=FakeClock().deadline(),
        observer=heard.append,
    )
    assert heard == [
        Waiting(("Pmtiles",), slept=0.0, budget=4, reason=WaitingFor.PUSH),
        Waiting(("Api",), slept=0.0, budget=30, reason=WaitingFor.SCAN),
    ]


# --- metadata ------------------------------------------------------------------------------------


def test_metadata_only_when_asked(ecr: Ecr, clients: EcrClients) -> None:
    client = ecr.client()
    ensure_repository(client, REPO)
    # moto answers BatchGetImage with the image's last tag only, so "api-1" is pushed last.
    push(client, REPO, "api-latest", manifest("api"))
    push(client, REPO, "api-1", manifest("api"))
    run(clients, {"Api": {"Tag": "api-1"}})
    assert ecr.calls("DescribeImages") == 0
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, Attributes="Uri,PushedAt,SizeInBytes,Tags")
    data = build_data(resolution, (Attribute.PUSHED_AT, Attribute.SIZE_IN_BYTES, Attribute.TAGS))
    assert data["Api.PushedAt"].endswith("Z") and data["Api.PushedAt"][:2] == "20"
    assert data["Api.SizeInBytes"] == "1469"  # moto reports the config size
    assert data["Api.Tags"] == "api-1,api-latest"
    assert ecr.calls("DescribeImages") == 1


def test_metadata_ecr_will_not_give_is_empty_and_never_fails(
    ecr: Ecr, clients: EcrClients, caplog: pytest.LogCaptureFixture
) -> None:
    push_tags(ecr, ["api-1"])
    ecr.proxy.fail_next("DescribeImages", Fault("AccessDeniedException", "no describe"))
    with caplog.at_level(logging.WARNING):
        resolution = run(
            clients, {"Api": {"Tag": "api-1"}}, OnMissing="Fail", Attributes="Uri,PushedAt,Tags"
        )
    enforce(resolution)  # found: nothing to fail
    data = build_data(resolution, (Attribute.URI, Attribute.PUSHED_AT, Attribute.TAGS))
    assert (data["Api.PushedAt"], data["Api.Tags"]) == ("", "")
    assert data["Api.Uri"] == resolution.images[0].uri != ""
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert vars(warning)["unknown"] == ["Api's PushedAt, SizeInBytes, Tags (AccessDeniedException)"]


def test_findings_ecr_will_not_give_are_unknown_unless_a_gate_needs_them(
    ecr: Ecr, clients: EcrClients
) -> None:
    push_tags(ecr, ["api-1", "web-1"])
    denied = Fault("AccessDeniedException", "no findings")
    ecr.proxy.fail_next("DescribeImageScanFindings", denied, denied)
    resolution = run(
        clients, {"Api": {"Tag": "api-1"}, "Web": {"Tag": "web-1"}}, Attributes="Uri,Findings"
    )
    data = build_data(resolution, (Attribute.FINDINGS,))
    assert data["Api.Findings"] == data["Web.Findings"] == "Unknown: AccessDeniedException"
    assert {image.status for image in resolution.images} == {ImageStatus.FOUND}
    ecr.proxy.fail_next("DescribeImageScanFindings", denied, denied)
    with pytest.raises(LookupFailedError, match=r"Web .*: AccessDeniedException: no findings"):
        run(
            clients,
            {"Api": {"Tag": "api-1"}, "Web": {"Tag": "web-1", "FailOnSeverity": "HIGH"}},
            Attributes="Uri,Findings",
        )  # the gate asked for cannot judge Web


# --- through the handler -------------------------------------------------------------------------


def test_handler_returns_the_chosen_version(ecr: Ecr, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolver.cloudformation.app import handler

    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    push_tags(ecr, ["cloudtak-aaaa0001", "events-aaaa0001"])
    event = load_event("create.json")
    event["ResourceProperties"].update(
        Version="latest",
        Images={
            "Api": {"Tag": "cloudtak-{version}", "Lambda": "true"},
            "Events": {"Tag": "events-{version}"},
        },
    )
    with ResponseReceiver() as receiver:
        handler({**event, "ResponseURL": receiver.url()}, LambdaContext())
        body = receiver.take().body
    assert body["Status"] == "SUCCESS", body.get("Reason")
    assert body["Data"]["Version"] == "aaaa0001"
    assert body["Data"]["Api.Status"] == "Found"


def test_prebuilt_off_still_reports_the_version(clients: EcrClients) -> None:
    properties = {
        "Repository": REPO,
        "Version": "3f9a1c2e",
        "UsePreBuiltImages": "false",
        "Images": {"Api": {"Tag": "api-{version}", "Fallback": "local/api:dev"}},
    }
    resolution = resolve(parse_request(properties, default_registry=HOME), clients=clients)
    assert build_data(resolution, (Attribute.URI,))["Version"] == "3f9a1c2e"


def test_a_failed_wait_round_keeps_the_last_definite_answer(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    slept: list[float] = []

    def ecr_goes_away(seconds: float) -> None:
        slept.append(seconds)
        ecr.proxy.fail_next("BatchGetImage", Fault("AccessDeniedException", "revoked"))

    properties = {
        "Repository": REPO,
        "OnMissing": "Report",
        "WaitSeconds": "30",
        "Images": {"Api": {"Tag": "api-1"}},
    }
    resolution = resolve(
        parse_request(properties, default_registry=HOME),
        clients=clients,
        deadline=FakeClock(on_sleep=ecr_goes_away).deadline(),
    )
    assert slept == [2.0]  # the failed round ended the wait
    assert resolution.images[0].status is ImageStatus.TAG_NOT_FOUND


def test_waiting_for_a_coherent_version_keeps_the_version(ecr: Ecr, clients: EcrClients) -> None:
    push_tags(ecr, ["api-aaaa0001"])

    def ev_lands_meanwhile(seconds: float) -> None:
        push_tags(ecr, ["ev-aaaa0001"])

    properties = {
        "Repository": REPO,
        "Version": "latest",
        "WaitSeconds": "10",
        "Images": {"Api": {"Tag": "api-{version}"}, "Ev": {"Tag": "ev-{version}"}},
    }
    request = parse_request(properties, default_registry=HOME)
    resolution = resolve(
        request, clients=clients, deadline=FakeClock(on_sleep=ev_lands_meanwhile).deadline()
    )
    assert resolution.version == "aaaa0001"
    assert {i.image_ref.tag for i in resolution.images} == {"api-aaaa0001", "ev-aaaa0001"}
    assert ecr.calls("DescribeImages") == 2  # both components listed again, together


def test_the_gate_reads_every_image_of_an_unpinned_index(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_multiarch("web")
    push_index(ecr.client(), REPO, "web-1", index, children, media_type=OCI_INDEX)
    runnable = [
        m["digest"] for m in json.loads(index)["manifests"] if m["platform"]["os"] == "linux"
    ]
    for digest in runnable:
        ecr.client().start_image_scan(repositoryName=REPO, imageId={"imageDigest": digest})
    (web,) = run(clients, {"Web": {"Tag": "web-1", "FailOnSeverity": "HIGH"}}).images
    assert web.status is ImageStatus.VULNERABLE
    assert web.detail == "2 finding(s) at HIGH or above (CRITICAL=0,HIGH=2,MEDIUM=0,LOW=0)"
    assert ecr.calls("DescribeImageScanFindings") == 2  # one per runnable image, none for the index


def test_metadata_of_a_pinned_child_describes_the_tagged_index(
    ecr: Ecr, clients: EcrClients
) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_single_with_provenance("fn")
    push_index(ecr.client(), REPO, "fn-1", index, children, media_type=OCI_INDEX)
    resolution = run(clients, {"Fn": {"Tag": "fn-1", "Lambda": "true"}}, Attributes="Uri,Tags")
    assert build_data(resolution, (Attribute.TAGS,))["Fn.Tags"] == "fn-1"
