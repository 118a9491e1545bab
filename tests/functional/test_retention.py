"""``Retention`` and ``OnRetentionRisk`` through ``resolve`` and the Lambda handler: lifecycle
policies stored in the ECR emulator (moto stores them but never evaluates them) and read over HTTP;
botocore's Stubber plays ECR for what moto lacks (archive rules, pull times, errors)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.events import load_event
from devkit.image_indexes import buildx_single_with_provenance, push_index
from devkit.lambda_context import LambdaContext
from devkit.receiver import ResponseReceiver
from devkit.seed import expire_untagged, keep_newest
from resolver.cloudformation.app import handler
from resolver.cloudformation.attributes import build_data
from resolver.cloudformation.physical_id import RecordKind
from resolver.engine import Deadline, enforce, resolve
from resolver.engine.ecr import describe_images
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.indexes import OCI_INDEX
from resolver.errors import RetentionRiskError
from resolver.model import Attribute, ImageStatus, Resolution, RetentionKind
from resolver.properties import parse_request
from resolver.references import Registry

from ..fakes import FakeClock, never_sleeps
from .conftest import Ecr

HOME = Registry("123456789012", "ap-southeast-2")
REPO = "tak-dev-baseinfra-artifacts"
NOW = datetime.now(UTC)


def run(
    clients: EcrClients, images: dict[str, Any], deadline: Deadline | None = None, **top: Any
) -> Resolution:
    properties = {"OnMissing": "Report", "Repository": REPO, **top, "Images": images}
    if deadline is None:
        deadline = FakeClock(on_sleep=never_sleeps, wall=NOW).deadline()
    return resolve(
        parse_request(properties, default_registry=HOME), clients=clients, deadline=deadline
    )


def put_policy(ecr: Ecr, *rules: dict[str, Any], repository: str = REPO) -> None:
    ecr.client().put_lifecycle_policy(
        repositoryName=repository, lifecyclePolicyText=json.dumps({"rules": list(rules)})
    )


def expire(
    priority: int, tag_status: str, count_type: str, count: int, **filters: list[str]
) -> dict[str, Any]:
    """A lifecycle rule that expires what it selects."""
    selection = {"tagStatus": tag_status, "countType": count_type, "countNumber": count, **filters}
    if count_type != "imageCountMoreThan":
        selection["countUnit"] = "days"
    return {"rulePriority": priority, "selection": selection, "action": {"type": "expire"}}


def push_dated(ecr: Ecr, tag: str, days_ago: float, repository: str = REPO) -> str:
    digest = push(ecr.client(), repository, tag, manifest(f"{repository}:{tag}:{days_ago}"))
    ecr.emulator.set_pushed_at(repository, digest, NOW - timedelta(days=days_ago))
    return digest


@pytest.fixture
def apps(ecr: Ecr) -> dict[str, str]:
    """app-1 … app-5, pushed 9 … 5 days ago (app-5 newest), under "keep the 3 newest app-*"."""
    ensure_repository(ecr.client(), REPO)
    digests = {f"app-{n}": push_dated(ecr, f"app-{n}", 10 - n) for n in range(1, 6)}
    put_policy(ecr, keep_newest(1, "app-", 3), expire_untagged(2, days=14))
    return digests


def test_retention_from_a_stored_policy_over_http(
    ecr: Ecr, clients: EcrClients, apps: dict[str, str]
) -> None:
    resolution = run(
        clients,
        {"Newest": {"Tag": "app-5"}, "Oldest": {"Tag": "app-1"}, "Third": {"Tag": "app-3"}},
        Attributes=["Uri", "Retention"],
    )
    data = build_data(resolution, (Attribute.RETENTION,), rollback_record=RecordKind.FULL)
    assert data == {
        "Newest.Retention": "Limited: rule 1 keeps the 3 newest app-* images; this is #1 of 5",
        "Oldest.Retention": "Expiring: rule 1 keeps the 3 newest app-* images; this is #5 of 5",
        "Third.Retention": "Limited: rule 1 keeps the 3 newest app-* images; this is #3 of 5",
        "BuildRequired": "false",
        "MissingImages": "",
        "Revision": resolution.revision,
        "Version": "",
        "RollbackTarget": "Ready",
        "RollbackRecord": "Full",
    }
    # One policy read and one listing for the repository, however many images it holds.
    assert (ecr.calls("GetLifecyclePolicy"), ecr.calls("DescribeImages")) == (1, 1)
    assert resolution.ecr_calls == 1 + 1 + 1  # BatchGetImage, GetLifecyclePolicy, one page


def test_no_policy_is_read_unless_retention_is_asked_for(
    ecr: Ecr, clients: EcrClients, apps: dict[str, str]
) -> None:
    (image,) = run(clients, {"Oldest": {"Tag": "app-1"}}).images
    assert image.retention is None
    assert (ecr.calls("GetLifecyclePolicy"), ecr.calls("DescribeImages")) == (0, 0)


def test_a_repository_without_a_policy_is_safe_and_never_listed(
    ecr: Ecr, clients: EcrClients, apps: dict[str, str]
) -> None:
    ensure_repository(ecr.client(), "team/no-policy")
    push_dated(ecr, "v1", 400, repository="team/no-policy")
    resolution = run(
        clients,
        {"Old": {"Repository": "team/no-policy", "Tag": "v1"}, "App": {"Tag": "app-2"}},
        Attributes=["Retention"],
    )
    old, app = resolution.images
    assert old.retention is not None and old.retention.value == "Safe"
    assert app.retention is not None and app.retention.kind is RetentionKind.EXPIRING
    assert ecr.calls("GetLifecyclePolicy") == 2
    assert ecr.calls("DescribeImages") == 1  # only the repository that has a policy


def test_a_pinned_digest_whose_tag_moved_is_expiring(ecr: Ecr, clients: EcrClients) -> None:
    # The loudest failure in the field: a stack pins stable's digest, CI moves stable, the old
    # image is now untagged and "expire untagged after 14 days" deletes it.
    ensure_repository(ecr.client(), REPO)
    old = push_dated(ecr, "stable", 30)
    put_policy(ecr, expire_untagged(1, days=14))
    (before,) = run(clients, {"Api": {"Tag": "stable"}}, Attributes=["Retention"]).images
    pushed = (NOW - timedelta(days=30)).date().isoformat()
    assert before.digest == old
    assert before.retention is not None
    assert before.retention.value == (
        f"Limited: rule 1 expires untagged images 14 days after push (pushed {pushed}); "
        "only tag stable keeps this one"
    )
    moved_from, new = ecr.emulator.move_tag(REPO, "stable", manifest("rebuilt"))  # CI re-pushes
    assert moved_from == old
    after = run(
        clients,
        {"Pinned": {"Digest": old}, "Api": {"Tag": "stable"}},
        Attributes=["Retention"],
        OnRetentionRisk="Fail",
    )
    pinned, moved = after.images
    assert pinned.retention is not None
    assert pinned.retention.value == (
        f"Expiring: rule 1 expires untagged images 14 days after push (pushed {pushed})"
    )
    with pytest.raises(RetentionRiskError, match=r"Pinned \(.*\): Expiring: rule 1 expires"):
        enforce(after)
    assert moved.digest == new
    due = (NOW + timedelta(days=14)).date().isoformat()
    assert moved.retention is not None
    assert moved.retention.value == (
        f"Limited: once tag stable moves, rule 1 expires untagged images 14 days after push "
        f"(after {due})"
    )


def test_on_retention_risk_fail_refuses_an_expiring_image_naming_the_rule(
    ecr: Ecr, clients: EcrClients, apps: dict[str, str]
) -> None:
    images = {"Oldest": {"Tag": "app-1", "OnRetentionRisk": "Fail"}, "Newest": {"Tag": "app-5"}}
    resolution = run(clients, images, OnRetentionRisk="Report")
    assert resolution.images[0].status is ImageStatus.FOUND  # found: the gate is enforce's
    with pytest.raises(RetentionRiskError) as caught:
        enforce(resolution)
    message = str(caught.value)
    assert message.startswith(
        "1 image(s) would not outlive the repository's lifecycle policy: Oldest ("
        f"{REPO}:app-1 in 123456789012/ap-southeast-2): Expiring: rule 1 keeps the 3 newest "
        "app-* images; this is #5 of 5."
    )
    assert "OnRetentionRisk: Report" in message
    # Report (the default) never fails; neither does a Limited image under Fail.
    enforce(run(clients, {"Oldest": {"Tag": "app-1"}}, Attributes=["Retention"]))
    enforce(run(clients, {"Newest": {"Tag": "app-5"}}, OnRetentionRisk="Fail"))


def test_an_index_pinned_for_lambda_is_judged_by_its_index(ecr: Ecr, clients: EcrClients) -> None:
    # The child buildx pushes is untagged, but ECR does not expire an image a manifest list
    # references: what can expire is the index the tag names.
    ensure_repository(ecr.client(), REPO)
    index, children = buildx_single_with_provenance("worker")
    index_digest = push_index(ecr.client(), REPO, "worker-1", index, children, media_type=OCI_INDEX)
    for child in children:
        ecr.emulator.set_pushed_at(REPO, child, NOW - timedelta(days=40))
    ecr.emulator.set_pushed_at(REPO, index_digest, NOW - timedelta(days=40))
    put_policy(ecr, keep_newest(1, "worker-", 5), expire_untagged(2, days=14))
    (worker,) = run(
        clients, {"Worker": {"Tag": "worker-1", "Lambda": "true"}}, Attributes=["Retention"]
    ).images
    assert worker.digest != index_digest and worker.tagged_digest == index_digest
    assert worker.retention is not None
    assert worker.retention.value.startswith(
        "Limited: rule 1 keeps the 5 newest worker-* images; this is #1 of 1; "
        "rule 2 expires untagged images 14 days after push"
    )


# --- what a policy costs to evaluate, and the deadline ------------------------------------------


def create(receiver: ResponseReceiver, images: dict[str, Any], seconds: float) -> dict[str, Any]:
    """A Create through the Lambda handler, with ``seconds`` to live; CloudFormation's answer."""
    event = load_event("create.json")
    event["ResponseURL"] = receiver.url()
    event["ResourceProperties"] = {
        **event["ResourceProperties"],
        "Repository": REPO,
        "Images": images,
        "Attributes": ["Uri", "Retention"],
    }
    handler(event, LambdaContext(timeout_seconds=seconds))
    body: dict[str, Any] = receiver.take(timeout=1).body
    assert receiver.count() == 0, "exactly one answer"
    return body


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")


def test_four_wildcards_against_300_character_tags_answer_well_within_a_15_s_lambda(
    ecr: Ecr, receiver: ResponseReceiver, local: None
) -> None:
    # The review's case: `*a*a*a*c` against 60 tags of 300 characters that almost match. As a
    # regex each tag took ~0.1 s per pinned image, and this Create answered after 19-23 s: a
    # 15 s Lambda is killed first and CloudFormation waits out its ServiceTimeout.
    ensure_repository(ecr.client(), REPO)
    for n in range(60):
        push_dated(ecr, "a" * 297 + f"{n:03d}", 10 + n)
    hits = {f"Hit{n}": {"Tag": f"{n:03d}" + "a" * 296 + "c"} for n in range(3)}
    for n, spec in enumerate(hits.values()):
        push_dated(ecr, spec["Tag"], n)
    put_policy(ecr, expire(1, "tagged", "imageCountMoreThan", 5, tagPatternList=["*a*a*a*c"]))
    started = time.monotonic()
    body = create(receiver, hits, seconds=15)
    seconds = time.monotonic() - started
    assert body["Status"] == "SUCCESS", body["Reason"]
    kept = "Limited: rule 1 keeps the 5 newest *a*a*a*c images; this is"
    assert {key: value for key, value in body["Data"].items() if key.endswith("Retention")} == {
        f"Hit{n}.Retention": f"{kept} #{n + 1} of 3" for n in range(3)
    }
    assert seconds < 7.5, f"{seconds:.1f} s: half the Lambda's time"  # well under a second here


def test_a_keep_forever_count_is_safe_rather_than_a_failed_create(
    ecr: Ecr, receiver: ResponseReceiver, local: None
) -> None:
    # "countNumber": 99999999 days is a valid policy (ECR bounds it only below); its date falls
    # past the calendar, which failed the Create with "Unexpected error".
    ensure_repository(ecr.client(), REPO)
    push_dated(ecr, "release-1", 400)
    put_policy(ecr, expire(1, "tagged", "sinceImagePushed", 99_999_999, tagPrefixList=["release"]))
    body = create(receiver, {"Api": {"Tag": "release-1", "OnRetentionRisk": "Fail"}}, seconds=15)
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["Data"]["Api.Retention"] == (
        "Safe: rule 1 expires release* images 99999999 days after push "
        "(never: later than 9999-12-31)"
    )


@dataclass
class Ticking(FakeClock):
    """A clock that moves on ``step`` seconds each time it is read: here work takes time."""

    step: float = 1.0

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


def test_images_not_judged_by_the_deadline_are_unknown_out_of_time(
    ecr: Ecr, clients: EcrClients
) -> None:
    # Every reading of the clock is a second later: the lookup and the two reads for the policy
    # take a few, Old's verdict two (a check, its one tag matched), and ranking the 41 images
    # for App one per tag, which is more than the 25 s allow: App is cut short half way.
    ensure_repository(ecr.client(), REPO)
    push_dated(ecr, "old-1", 60)
    for n in range(1, 41):
        push_dated(ecr, f"app-{n}", 41 - n)
    put_policy(
        ecr,
        keep_newest(2, "app-", 5),
        expire(1, "tagged", "sinceImagePushed", 30, tagPrefixList=["old-"]),
    )
    clock = Ticking(on_sleep=never_sleeps, wall=NOW)
    deadline = clock.deadline(25)
    images = {"Old": {"Tag": "old-1"}, "App": {"Tag": "app-40"}, "Later": {"Tag": "app-39"}}
    old, app, later = run(clients, images, deadline, Attributes=["Retention"]).images
    pushed = (NOW - timedelta(days=60)).date().isoformat()
    assert old.retention is not None
    assert old.retention.value == (
        f"Expiring: rule 1 expires old-* images 30 days after push (pushed {pushed})"
    )
    assert app.retention is not None and app.retention.value == "Unknown: out of time"
    assert later.retention is not None and later.retention.value == "Unknown: out of time"
    # Nothing ran on past the deadline: App was not ranked to the end (that takes 41 readings).
    assert deadline.at is not None and clock.now <= deadline.at + 2


# --- what moto lacks: botocore's Stubber plays ECR -----------------------------------------------

ARCHIVE_STALE = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "any",
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": 90,
            },
            "action": {"type": "transition", "targetStorageClass": "archive"},
        }
    ]
}
DIGEST = "sha256:" + "a" * 64


def stubbed() -> tuple[Any, Stubber]:
    """A client whose BatchGetImage finds api-1 (digest ``DIGEST``); the test adds the rest."""
    client = boto3.client("ecr", region_name="ap-southeast-2")
    stubber = Stubber(client)
    stubber.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageTag": "api-1", "imageDigest": DIGEST},
                    "imageManifest": manifest("api").decode(),
                    "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
                }
            ],
            "failures": [],
        },
    )
    return client, stubber


def test_an_archive_rule_on_pull_time() -> None:
    client, stubber = stubbed()
    stubber.add_response(
        "get_lifecycle_policy",
        {"repositoryName": REPO, "lifecyclePolicyText": json.dumps(ARCHIVE_STALE)},
        {"registryId": "123456789012", "repositoryName": REPO},
    )
    last_pull = NOW - timedelta(days=60)
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "imageDigest": DIGEST,
                    "imageTags": ["api-1"],
                    "imagePushedAt": NOW - timedelta(days=200),
                    "lastRecordedPullTime": last_pull,
                    "imageStatus": "ACTIVE",
                }
            ]
        },
        # Every image, tagged or not (an untagged image counts for untagged rules): no filter.
        {"registryId": "123456789012", "repositoryName": REPO, "maxResults": 1000},
    )
    with stubber:
        (api,) = run(
            EcrClients(client=client), {"Api": {"Tag": "api-1"}}, Attributes=["Retention"]
        ).images
    due = (last_pull + timedelta(days=90)).date().isoformat()
    assert api.retention is not None
    assert api.retention.value == (
        f"Limited: rule 1 archives images 90 days without a pull (after {due})"
    )
    stubber.assert_no_pending_responses()


def gated(client: Any) -> Resolution:
    """api-1 under ``OnRetentionRisk: Fail``, resolved through ``client``."""
    return run(
        EcrClients(client=client),
        {"Api": {"Tag": "api-1", "OnRetentionRisk": "Fail"}},
        Attributes=["Retention"],
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("AccessDeniedException", "Unknown: GetLifecyclePolicy: AccessDeniedException"),
        ("RepositoryNotFoundException", "Unknown: GetLifecyclePolicy: RepositoryNotFoundException"),
    ],
)
def test_a_policy_ecr_will_not_give_is_unknown_not_a_failure(error: str, expected: str) -> None:
    client, stubber = stubbed()
    stubber.add_client_error("get_lifecycle_policy", error, "denied", http_status_code=400)
    with stubber:
        resolution = gated(client)
    (api,) = resolution.images
    assert api.retention is not None and api.retention.value == expected
    enforce(resolution)  # Unknown is not a known risk: the gate lets it pass
    stubber.assert_no_pending_responses()


def test_an_unreadable_policy_is_unknown_and_never_lists() -> None:
    client, stubber = stubbed()
    stubber.add_response(
        "get_lifecycle_policy",
        # ECR's own text is at least 100 characters; the rule below lacks its selection.
        {"lifecyclePolicyText": json.dumps({"rules": [{"rulePriority": 1}]}).ljust(100)},
    )
    with stubber:
        (api,) = run(
            EcrClients(client=client), {"Api": {"Tag": "api-1"}}, Attributes=["Retention"]
        ).images
    assert api.retention is not None
    assert (
        api.retention.value
        == "Unknown: lifecycle policy unreadable: rule 1 lacks a selection or an action"
    )
    stubber.assert_no_pending_responses()


def test_a_repository_past_the_listing_bound_is_unknown_in_words(
    clients: EcrClients, apps: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(describe_images, "MAX_LISTED_IMAGES", 4)  # the repository holds 5
    resolution = run(
        clients, {"Api": {"Tag": "app-1", "OnRetentionRisk": "Fail"}}, Attributes=["Retention"]
    )
    (api,) = resolution.images
    assert api.retention is not None
    assert api.retention.value == "Unknown: more than 4 images, the most the resolver lists"
    enforce(resolution)  # not known to be at risk: the gate lets it pass


def test_a_fault_judging_one_image_is_its_unknown_not_a_failed_deployment() -> None:
    # A push time without a timezone (botocore never gives one; Stubber passes it on as written)
    # makes the age rule's date comparison raise: the verdict is Unknown, and the gate lets it
    # pass, since retention is advice.
    client, stubber = stubbed()
    policy = expire(1, "tagged", "sinceImagePushed", 14, tagPrefixList=["api-"])
    stubber.add_response(
        "get_lifecycle_policy", {"lifecyclePolicyText": json.dumps({"rules": [policy]})}
    )
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "imageDigest": DIGEST,
                    "imageTags": ["api-1"],
                    "imagePushedAt": datetime(2026, 1, 1),
                }
            ]
        },
    )
    with stubber:
        resolution = gated(client)
    (api,) = resolution.images
    assert api.retention is not None
    assert api.retention.value == "Unknown: the lifecycle policy could not be evaluated (TypeError)"
    enforce(resolution)
    stubber.assert_no_pending_responses()
