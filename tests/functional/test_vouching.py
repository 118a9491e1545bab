"""Deploy only what CI vouched for — the signature gate, the lock, the replication wait, tag
mutability and semantic-version order — through ``resolve`` and ``enforce`` against the ECR
emulator over HTTP (signing status, referrers and replication status are the emulator's own:
``devkit.ecr_emulator``), faults injected by the proxy."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import (
    add_referrer,
    ensure_repository,
    manifest,
    push,
    set_replication_status,
    set_signing_status,
)
from devkit.ecr_proxy import Fault
from devkit.image_indexes import buildx_single_with_provenance, push_index
from devkit.receiver import ResponseReceiver
from resolver.cloudformation.app import handler
from resolver.cloudformation.attributes import build_data
from resolver.engine import enforce, resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.ecr.referrers import COSIGN_SIGNATURE, NOTARY_SIGNATURE
from resolver.engine.indexes import OCI_INDEX
from resolver.errors import (
    LockMismatchError,
    LookupFailedError,
    NotReplicatedError,
    UnsignedImagesError,
)
from resolver.model import (
    Attribute,
    ImageStatus,
    Resolution,
    VerdictState,
    Waiting,
    WaitingFor,
)
from resolver.properties import parse_request
from resolver.references import Registry

from ..fakes import FakeClock, never_sleeps
from .conftest import Ecr

HOME = Registry("123456789012", "ap-southeast-2")
REPO = "tak-dev-baseinfra-artifacts"
PROFILE = "arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci_release"
OTHER_PROFILE = "arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/nightly"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
NEW_OPERATIONS = (
    "DescribeImageSigningStatus",
    "ListImageReferrers",
    "DescribeImageReplicationStatus",
    "DescribeRepositories",
)


def run(
    clients: EcrClients,
    images: dict[str, Any],
    *,
    clock: FakeClock | None = None,
    heard: list[Waiting] | None = None,
    **top: Any,
) -> Resolution:
    properties = {"OnMissing": "Report", "Repository": REPO, **top, "Images": images}
    clock = clock or FakeClock(on_sleep=never_sleeps)
    return resolve(
        parse_request(properties, default_registry=HOME),
        clients=clients,
        deadline=clock.deadline(),
        observer=heard.append if heard is not None else None,
    )


def pushed(ecr: Ecr, *tags: str, repository: str = REPO) -> dict[str, str]:
    client = ecr.client()
    ensure_repository(client, repository)
    return {tag: push(client, repository, tag, manifest(f"{repository}:{tag}")) for tag in tags}


def new_calls(ecr: Ecr) -> dict[str, int]:
    return {operation: ecr.calls(operation) for operation in NEW_OPERATIONS}


# --- no feature, no call -------------------------------------------------------------------------


def test_nothing_asked_makes_none_of_the_new_calls(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, Attributes="Uri,Status,Findings")
    assert resolution.images[0].signature is None
    assert new_calls(ecr) == dict.fromkeys(NEW_OPERATIONS, 0)


# --- the signature gate: ECR managed signing -----------------------------------------------------


def test_a_complete_managed_signature_admits_the_image(ecr: Ecr, clients: EcrClients) -> None:
    digests = pushed(ecr, "api-1", "events-1")
    set_signing_status(REPO, digests["api-1"], OTHER_PROFILE, "FAILED", failure_code="X")
    set_signing_status(REPO, digests["api-1"], PROFILE, "COMPLETE")
    set_signing_status(REPO, digests["events-1"], PROFILE, "COMPLETE")
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}, "Events": {"Tag": "events-1"}},
        RequireSignature=PROFILE,
        Attributes=["Uri", "Status", "Signature"],
    )
    enforce(resolution)
    data = build_data(resolution, (Attribute.STATUS, Attribute.SIGNATURE))
    assert data["Api.Status"] == "Found"
    assert data["Api.Signature"] == data["Events.Signature"] == "Signed: ci_release"
    # One call per image, concurrently; no referrer listing (only a profile was asked for).
    assert new_calls(ecr)["DescribeImageSigningStatus"] == 2
    assert new_calls(ecr)["ListImageReferrers"] == 0


def test_an_unknown_profile_leaves_the_image_unsigned(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_signing_status(REPO, digest, OTHER_PROFILE, "COMPLETE")  # signed, by another profile
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature=[PROFILE])
    (api,) = resolution.images
    assert api.status is ImageStatus.UNSIGNED
    assert api.signature is not None and api.signature.value == "Unsigned"
    assert api.uri.endswith(f"@{digest}")  # still pinned: OnUnsigned decides, as OnVulnerable does
    with pytest.raises(UnsignedImagesError) as refused:
        enforce(resolution)
    message = str(refused.value)
    assert "no COMPLETE managed signature by ci_release (ECR reports only nightly)" in message
    assert "OnUnsigned: Report" in message


def test_report_deploys_an_unsigned_image_and_says_so(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        RequireSignature=PROFILE,
        OnUnsigned="Report",
        Attributes="Uri,Status,Signature",
    )
    enforce(resolution)  # no error
    data = build_data(resolution, (Attribute.STATUS, Attribute.SIGNATURE))
    assert (data["Api.Status"], data["Api.Signature"]) == ("Unsigned", "Unsigned")
    assert "ECR reports no managed signing for it" in resolution.images[0].detail


def test_signing_in_progress_is_waited_for(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_signing_status(REPO, digest, PROFILE, "IN_PROGRESS")

    def ecr_finishes_signing(seconds: float) -> None:
        if seconds >= 3.0:  # the second sleep
            set_signing_status(REPO, digest, PROFILE, "COMPLETE")

    heard: list[Waiting] = []
    clock = FakeClock(on_sleep=ecr_finishes_signing)
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        clock=clock,
        heard=heard,
        RequireSignature=PROFILE,
        ScanWaitSeconds="30",
    )
    enforce(resolution)
    assert resolution.images[0].signature is not None
    assert resolution.images[0].signature.value == "Signed: ci_release"
    assert clock.slept == [2.0, 3.0]
    assert heard == [
        Waiting(("Api",), slept=0.0, budget=30, reason=WaitingFor.SIGNATURE),
        Waiting(("Api",), slept=2.0, budget=30, reason=WaitingFor.SIGNATURE),
    ]
    assert ecr.calls("DescribeImageSigningStatus") == 3


def test_signing_still_in_progress_at_the_end_blocks(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_signing_status(REPO, digest, PROFILE, "IN_PROGRESS")
    clock = FakeClock()
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        clock=clock,
        RequireSignature=PROFILE,
        ScanWaitSeconds="5",
    )
    assert clock.slept == [2.0, 3.0]  # 5 s: the next 4.5 s would overrun
    (api,) = resolution.images
    assert api.status is ImageStatus.UNSIGNED
    assert api.signature is not None and api.signature.value == "InProgress"
    with pytest.raises(UnsignedImagesError, match="signing with profile ci_release is still"):
        enforce(resolution)


def test_failed_signing_is_a_precise_error(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_signing_status(
        REPO,
        digest,
        PROFILE,
        "FAILED",
        failure_code="SigningProfileRevoked",
        failure_reason="The signing profile was revoked",
    )
    resolution = run(
        clients, {"Api": {"Tag": "api-1"}}, RequireSignature=PROFILE, Attributes="Uri,Signature"
    )
    assert build_data(resolution, (Attribute.SIGNATURE,))["Api.Signature"] == (
        "Failed: SigningProfileRevoked"
    )
    with pytest.raises(UnsignedImagesError) as refused:
        enforce(resolution)
    assert (
        "ECR managed signing with profile ci_release failed (SigningProfileRevoked: The signing "
        "profile was revoked)" in str(refused.value)
    )


# --- the signature gate: referrers ---------------------------------------------------------------


def test_notation_and_sigstore_referrers_are_present_not_verified(
    ecr: Ecr, clients: EcrClients
) -> None:
    digests = pushed(ecr, "api-1", "events-1", "data-1", "tools-1")
    add_referrer(REPO, digests["api-1"], NOTARY_SIGNATURE)
    add_referrer(
        REPO,
        digests["events-1"],
        BUNDLE,
        annotations={
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": SIGN_PREDICATE,
        },
    )
    add_referrer(REPO, digests["tools-1"], COSIGN_SIGNATURE)
    # An attestation is not a signature: SLSA provenance in a Sigstore bundle, an SBOM.
    add_referrer(
        REPO,
        digests["data-1"],
        BUNDLE,
        annotations={
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1",
        },
    )
    add_referrer(REPO, digests["data-1"], "application/spdx+json")
    resolution = run(
        clients,
        {name: {"Tag": f"{name.lower()}-1"} for name in ("Api", "Events", "Data", "Tools")},
        RequireSignature="Notation,Sigstore",
        OnUnsigned="Report",
        Attributes="Uri,Signature",
    )
    data = build_data(resolution, (Attribute.SIGNATURE,))
    assert data == {
        "Api.Signature": "Signed: Notation (not verified)",
        "Events.Signature": "Signed: Sigstore (not verified)",
        "Tools.Signature": "Signed: Sigstore (not verified)",
        "Data.Signature": "Unsigned",
        **{k: v for k, v in data.items() if "." not in k},
    }
    assert "no Notation or Sigstore signature among its referrers" in resolution.images[2].detail
    assert ecr.calls("ListImageReferrers") == 4
    assert ecr.calls("DescribeImageSigningStatus") == 0  # no profile was asked for


def test_a_signature_past_the_first_page_is_found(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    attestation = {"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"}
    for _ in range(60):  # attestations of the bundle type fill the first page of 50
        add_referrer(REPO, digest, BUNDLE, annotations=attestation)
    add_referrer(
        REPO, digest, BUNDLE, annotations={"dev.sigstore.bundle.content": "message-signature"}
    )
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature="Sigstore")
    enforce(resolution)
    assert ecr.calls("ListImageReferrers") == 2
    assert resolution.ecr_calls == 1 + 2  # BatchGetImage, two pages


def test_lambda_pinned_to_a_platform_counts_the_index_signature(
    ecr: Ecr, clients: EcrClients
) -> None:
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_single_with_provenance("events")
    index_digest = push_index(ecr.client(), REPO, "events-1", index, children, media_type=OCI_INDEX)
    set_signing_status(REPO, index_digest, PROFILE, "COMPLETE")  # the index, as pushed
    resolution = run(
        clients, {"Events": {"Tag": "events-1", "Lambda": "true"}}, RequireSignature=PROFILE
    )
    enforce(resolution)
    (events,) = resolution.images
    assert events.digest != index_digest and events.tagged_digest == index_digest
    # The child and the index are both asked (either signature counts), concurrently.
    assert ecr.calls("DescribeImageSigningStatus") == 2


def test_any_one_listed_signature_admits_and_ends_the_reading(
    ecr: Ecr, clients: EcrClients
) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    add_referrer(REPO, digest, NOTARY_SIGNATURE)
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature=[PROFILE, "Notation"])
    enforce(resolution)
    assert ecr.calls("ListImageReferrers") == 1
    assert ecr.calls("DescribeImageSigningStatus") == 0  # already admitted by the referrer


def test_a_signature_of_another_image_does_not_count(ecr: Ecr, clients: EcrClients) -> None:
    digests = pushed(ecr, "api-1", "api-2")
    add_referrer(REPO, digests["api-2"], NOTARY_SIGNATURE)
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature="Notation")
    assert resolution.images[0].status is ImageStatus.UNSIGNED


# --- the signature gate: what ECR will not say ----------------------------------------------------


def test_throttling_is_retried(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_signing_status(REPO, digest, PROFILE, "COMPLETE")
    ecr.proxy.fail_next("DescribeImageSigningStatus", Fault("ThrottlingException"))
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature=PROFILE)
    enforce(resolution)
    assert ecr.calls("DescribeImageSigningStatus") == 2  # botocore's standard retry


def test_access_denied_fails_the_lookup_and_names_the_grant(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")
    ecr.proxy.fail_next("DescribeImageSigningStatus", Fault("AccessDeniedException"))
    with pytest.raises(LookupFailedError) as failed:
        run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature=PROFILE)
    message = str(failed.value)
    assert "Api (" in message and "AccessDeniedException" in message
    assert "SupplyChainChecks=true" in message
    assert "not reported as missing" in message


def test_access_denied_under_report_is_unknown(
    ecr: Ecr, clients: EcrClients, caplog: pytest.LogCaptureFixture
) -> None:
    pushed(ecr, "api-1")
    ecr.proxy.fail_next("ListImageReferrers", Fault("AccessDeniedException"))
    with caplog.at_level(logging.WARNING):
        resolution = run(
            clients,
            {"Api": {"Tag": "api-1"}},
            RequireSignature="Notation",
            OnUnsigned="Report",
            Attributes="Uri,Signature",
        )
    enforce(resolution)
    assert build_data(resolution, (Attribute.SIGNATURE,))["Api.Signature"] == (
        "Unknown: AccessDeniedException"
    )
    assert resolution.images[0].status is ImageStatus.FOUND  # not judged: nothing to say
    unknown = [getattr(r, "unknown", None) for r in caplog.records if "unknown" in r.getMessage()]
    assert unknown == [["Api's signature (AccessDeniedException)"]]


def test_the_signature_attribute_alone_describes(ecr: Ecr, clients: EcrClients) -> None:
    digests = pushed(ecr, "api-1", "events-1")
    set_signing_status(REPO, digests["api-1"], PROFILE, "COMPLETE")
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}, "Events": {"Tag": "events-1"}, "Gone": {"Tag": "gone-1"}},
        Attributes="Uri,Status,Signature",
    )
    enforce(resolution)  # never judged
    data = build_data(resolution, (Attribute.STATUS, Attribute.SIGNATURE))
    assert data["Api.Signature"] == "Signed: ci_release"
    assert data["Events.Signature"] == "Unsigned"
    assert (data["Events.Status"], data["Gone.Signature"]) == ("Found", "Skipped")
    assert new_calls(ecr)["DescribeImageSigningStatus"] == 2
    assert new_calls(ecr)["ListImageReferrers"] == 2


# --- the lock: planned equals deployed -----------------------------------------------------------


def test_the_lock_passes_what_the_plan_saw_and_refuses_a_moved_tag(
    ecr: Ecr, clients: EcrClients
) -> None:
    digests = pushed(ecr, "api-1", "events-1")
    lock = f"Api={digests['api-1']},Events={digests['events-1']}"
    enforce(
        run(clients, {"Api": {"Tag": "api-1"}, "Events": {"Tag": "events-1"}}, ExpectedDigests=lock)
    )
    # A lock that vouches for every digest needs no word on the tags.
    assert new_calls(ecr)["DescribeRepositories"] == 0
    moved = ecr.emulator.move_tag(REPO, "api-1", manifest("rebuilt"))[1]
    resolution = run(
        clients, {"Api": {"Tag": "api-1"}, "Events": {"Tag": "events-1"}}, ExpectedDigests=lock
    )
    api, events = resolution.images
    assert (api.status, events.status) == (ImageStatus.LOCK_MISMATCH, ImageStatus.FOUND)
    assert api.digest == moved  # what ECR answers now is what would be deployed
    with pytest.raises(LockMismatchError) as refused:
        enforce(resolution)
    message = str(refused.value)
    assert f"the plan saw {digests['api-1'][:19]}, ECR now answers {moved[:19]}" in message
    assert "resolver plan --emit lock" in message


def test_report_deploys_the_moved_tag(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    ecr.emulator.move_tag(REPO, "api-1", manifest("rebuilt"))
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        ExpectedDigests={"Api": digest},
        OnLockMismatch="Report",
    )
    enforce(resolution)
    assert resolution.images[0].status is ImageStatus.LOCK_MISMATCH


# --- replication ----------------------------------------------------------------------------------


def test_replication_is_waited_for_in_each_region(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_replication_status(REPO, digest, "us-west-2", "COMPLETE")
    set_replication_status(REPO, digest, "eu-west-1", "IN_PROGRESS")

    def ecr_replicates(seconds: float) -> None:
        set_replication_status(REPO, digest, "eu-west-1", "COMPLETE")

    heard: list[Waiting] = []
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        clock=FakeClock(on_sleep=ecr_replicates),
        heard=heard,
        WaitForReplication=["us-west-2", "eu-west-1"],
    )
    enforce(resolution)
    assert resolution.images[0].replication is not None
    assert resolution.images[0].replication.state is VerdictState.PASSED
    assert heard == [Waiting(("Api",), slept=0.0, budget=60, reason=WaitingFor.REPLICATION)]
    assert ecr.calls("DescribeImageReplicationStatus") == 2


def test_failed_replication_is_reported_with_its_reason(ecr: Ecr, clients: EcrClients) -> None:
    digest = pushed(ecr, "api-1")["api-1"]
    set_replication_status(REPO, digest, "us-west-2", "FAILED", failure_code="KMS_ERROR")
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, WaitForReplication="true")
    assert resolution.images[0].status is ImageStatus.NOT_REPLICATED
    with pytest.raises(
        NotReplicatedError, match=r"replication to us-west-2 \(123456789012\) failed: KMS_ERROR"
    ):
        enforce(resolution)


def test_a_region_ecr_never_reports_ends_not_replicated(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")
    clock = FakeClock()
    resolution = run(
        clients,
        {"Api": {"Tag": "api-1"}},
        clock=clock,
        WaitForReplication="us-west-2",
        ScanWaitSeconds="10",
    )
    assert clock.slept == [2.0, 3.0, 4.5]
    with pytest.raises(NotReplicatedError, match="not reported for us-west-2"):
        enforce(resolution)


def test_true_waits_only_for_what_ecr_reports(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")  # a registry without replication: nothing to wait for
    enforce(run(clients, {"Api": {"Tag": "api-1"}}, WaitForReplication="true"))


def test_replication_ecr_will_not_report_fails_the_lookup(ecr: Ecr, clients: EcrClients) -> None:
    pushed(ecr, "api-1")
    ecr.proxy.fail_next("DescribeImageReplicationStatus", Fault("AccessDeniedException"))
    with pytest.raises(LookupFailedError, match="ecr:DescribeImageReplicationStatus"):
        run(clients, {"Api": {"Tag": "api-1"}}, WaitForReplication="true")


# --- tag mutability --------------------------------------------------------------------------------


def test_tag_mutability_says_whether_the_tag_can_move(
    ecr: Ecr, clients: EcrClients, caplog: pytest.LogCaptureFixture
) -> None:
    client = ecr.client()
    client.create_repository(repositoryName="fixed", imageTagMutability="IMMUTABLE")
    client.create_repository(
        repositoryName="mostly-fixed",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest*"}],
    )
    digests = pushed(ecr, "api-1", "events-1")
    push(client, "fixed", "data-1", manifest("data"))
    push(client, "mostly-fixed", "latest-x", manifest("x"))
    push(client, "mostly-fixed", "v1", manifest("v1"))
    images = {
        "Api": {"Tag": "api-1"},
        "Events": {"Tag": "events-1"},
        "Data": {"Repository": "fixed", "Tag": "data-1"},
        "Latest": {"Repository": "mostly-fixed", "Tag": "latest-x"},
        "Pinned": {"Repository": "mostly-fixed", "Tag": "v1"},
        "ByDigest": {"Digest": digests["api-1"]},
    }
    with caplog.at_level(logging.WARNING):
        resolution = run(
            clients,
            images,
            ExpectedDigests={"Events": digests["events-1"]},
            Attributes="Uri,TagMutability",
        )
    data = build_data(resolution, (Attribute.TAG_MUTABILITY,))
    assert {k: v for k, v in data.items() if k.endswith(".TagMutability")} == {
        "Api.TagMutability": "Mutable: no lock or signature",
        "Events.TagMutability": "Mutable",  # the lock vouches for the digest
        "Data.TagMutability": "Immutable",
        "Latest.TagMutability": "Mutable: no lock or signature",
        "Pinned.TagMutability": "Immutable",
        "ByDigest.TagMutability": "",  # no tag to move
    }
    assert ecr.calls("DescribeRepositories") == 1  # one registry: one call
    assert "neither lock nor signature" in caplog.text


def test_a_repository_ecr_will_not_describe_is_unknown_never_a_failure(
    ecr: Ecr, clients: EcrClients
) -> None:
    pushed(ecr, "api-1")
    ecr.proxy.fail_next("DescribeRepositories", Fault("AccessDeniedException"))
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, Attributes="Uri,TagMutability")
    enforce(resolution)
    assert build_data(resolution, (Attribute.TAG_MUTABILITY,))["Api.TagMutability"] == (
        "Unknown: AccessDeniedException"
    )


def test_a_gate_reads_repositories_only_for_what_it_does_not_vouch_for(
    ecr: Ecr, clients: EcrClients
) -> None:
    digests = pushed(ecr, "api-1", "events-1")
    set_signing_status(REPO, digests["api-1"], PROFILE, "COMPLETE")
    resolution = run(clients, {"Api": {"Tag": "api-1"}}, RequireSignature=PROFILE)
    assert resolution.images[0].tag_mutability is None
    assert ecr.calls("DescribeRepositories") == 0  # signed: the tag moving changes nothing
    resolution = run(
        clients, {"Events": {"Tag": "events-1"}}, RequireSignature=PROFILE, OnUnsigned="Report"
    )
    verdict = resolution.images[0].tag_mutability
    assert verdict is not None and verdict.value == "Mutable: no lock or signature"
    assert ecr.calls("DescribeRepositories") == 1


# --- order: semantic versions ----------------------------------------------------------------------


def test_semver_order_picks_the_highest_version(
    ecr: Ecr, clients: EcrClients, caplog: pytest.LogCaptureFixture
) -> None:
    digests = pushed(ecr, "tools-1.10.0", "tools-1.9.0", "tools-1.10.0-rc.1")
    base = datetime.now(UTC) - timedelta(days=3)
    for n, tag in enumerate(("tools-1.10.0", "tools-1.10.0-rc.1", "tools-1.9.0")):
        ecr.emulator.set_pushed_at(REPO, digests[tag], base + timedelta(hours=n))
    with caplog.at_level(logging.WARNING):
        by_push = run(clients, {"Tools": {"Tag": "tools-*"}})
    assert by_push.images[0].image_ref.tag == "tools-1.9.0"  # the newest push, a backport
    assert "The newest push is not the highest version" in caplog.text
    by_version = run(clients, {"Tools": {"Tag": "tools-*"}}, Order="Semver")
    # 1.10 above 1.9 (not as text), and a pre-release below its release.
    assert by_version.images[0].image_ref.tag == "tools-1.10.0"


def test_semver_version_latest_takes_the_highest_complete_version(
    ecr: Ecr, clients: EcrClients
) -> None:
    digests = pushed(ecr, "api-1.2.0", "events-1.2.0", "api-1.1.5", "events-1.1.5", "api-1.3.0")
    base = datetime.now(UTC) - timedelta(days=3)
    for n, tag in enumerate(
        ("api-1.2.0", "events-1.2.0", "api-1.3.0", "api-1.1.5", "events-1.1.5")
    ):
        ecr.emulator.set_pushed_at(REPO, digests[tag], base + timedelta(hours=n))
    images = {"Api": {"Tag": "api-{version}"}, "Events": {"Tag": "events-{version}"}}
    assert run(clients, images, Version="latest").version == "1.1.5"  # the newest complete push
    assert run(clients, images, Version="latest", Order="Semver").version == "1.2.0"


# --- through the custom resource: Create and Update fail, a rollback never does -------------------


@pytest.fixture
def stack(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Stack:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    ensure_repository(ecr.client(), REPO)
    return stacks.add(Stack(handler=handler, receiver=receiver))


def test_an_unsigned_image_fails_the_create_with_its_reason(stack: Stack, ecr: Ecr) -> None:
    pushed(ecr, "api-1")
    properties = {
        "Repository": REPO,
        "RequireSignature": PROFILE,
        "Images": {"Api": {"Tag": "api-1"}},
    }
    assert stack.create(properties) == "ROLLBACK_COMPLETE"
    (create, *_) = stack.calls
    assert create.status == "FAILED"
    assert create.answer["Reason"].startswith("1 image(s) without a signature RequireSignature")


@pytest.mark.parametrize("gate", ["signature", "lock"])
def test_a_refused_update_rolls_back_to_what_ran_and_never_fails(
    stack: Stack, ecr: Ecr, gate: str
) -> None:
    first = pushed(ecr, "stable")["stable"]
    set_signing_status(REPO, first, PROFILE, "COMPLETE")
    vouched: dict[str, Any] = (
        {"RequireSignature": PROFILE}
        if gate == "signature"
        else {"ExpectedDigests": f"Api={first}"}
    )
    properties = {
        "Repository": REPO,
        "Attributes": ["Uri", "Status", "Signature"],
        **vouched,
        "Images": {"Api": {"Tag": "stable"}},
    }
    assert stack.create(properties) == "CREATE_COMPLETE"
    before = stack.attributes()
    ecr.emulator.move_tag(REPO, "stable", manifest("unvouched rebuild"))  # unsigned, unplanned
    mark = len(stack.calls)
    assert stack.update({**properties, "Revision": "stable re-pushed"}) == (
        "UPDATE_ROLLBACK_COMPLETE"
    )
    update, back = stack.calls_since(mark)
    assert update.status == "FAILED"
    assert ("without a signature" if gate == "signature" else "not what the plan saw") in (
        update.answer["Reason"]
    )
    assert back.stack_status == "UPDATE_ROLLBACK_IN_PROGRESS" and back.status == "SUCCESS"
    assert stack.attributes() == before  # the image that ran, signature read again
