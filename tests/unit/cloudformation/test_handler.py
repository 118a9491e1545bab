"""``handle``: a typed event in, the response out — ECR answered by botocore's Stubber."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.stub import Stubber

from devkit.ecr_emulator import DOCKER_MANIFEST, digest_of, manifest
from devkit.events import load_event
from resolver.cloudformation.events import CfnEvent, RequestType, parse_event
from resolver.cloudformation.handler import handle, timeout_answer
from resolver.cloudformation.response import MAX_BODY_BYTES, CfnResponse, Status, encode
from resolver.cloudformation.services import Services
from resolver.cloudformation.trust import StackPolicy
from resolver.engine import Deadline
from resolver.engine.ecr.batch_get_image import ACCEPTED_MEDIA_TYPES
from resolver.engine.ecr.clients import EcrClients
from resolver.references import Registry

STABLE_ID = "cloudtak-dev-Images-8de3296763"
ACCOUNT = "123456789012"


@dataclass
class Context:
    remaining_seconds: float = 60.0
    invoked_function_arn: str = f"arn:aws:lambda:ap-southeast-2:{ACCOUNT}:function:resolver"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_seconds * 1000)


@dataclass
class Stacks:
    rolling: bool | None = False
    asked: list[str] = field(default_factory=list)

    def rolling_back(self, stack_id: str, *, deadline: Deadline) -> bool | None:
        assert deadline.remaining() is not None  # always bounded
        self.asked.append(stack_id)
        return self.rolling


@dataclass
class Metrics:
    added: dict[str, float] = field(default_factory=dict)

    def add_metric(self, *, name: str, unit: Any, value: float) -> None:
        self.added[name] = value


def services(stubber: Stubber, stacks: Stacks | None = None) -> Services:
    clients = EcrClients(client=stubber.client)
    return Services(clients=clients, stacks=stacks or Stacks(), metrics=Metrics())


def event(name: str = "create.json", **properties: Any) -> CfnEvent:
    raw = load_event(name)
    raw["ResourceProperties"] = {**raw["ResourceProperties"], **properties}
    parsed = parse_event(raw)
    assert isinstance(parsed, CfnEvent)
    return parsed


def one_image(**properties: Any) -> CfnEvent:
    return event(Repository="app", Images={"Api": {"Tag": "api-1"}}, Version="", **properties)


def answer_found(stubber: Stubber, tag: str = "api-1") -> str:
    body = manifest(tag)
    stubber.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageTag": tag, "imageDigest": digest_of(body)},
                    "imageManifest": body.decode(),
                    "imageManifestMediaType": DOCKER_MANIFEST,
                }
            ],
            "failures": [],
        },
        {
            "registryId": ACCOUNT,
            "repositoryName": "app",
            "imageIds": [{"imageTag": tag}],
            "acceptedMediaTypes": list(ACCEPTED_MEDIA_TYPES),
        },
    )
    return digest_of(body)


def test_found_images_become_data(stubber: Stubber) -> None:
    digest = answer_found(stubber)
    svc = services(stubber)
    response = handle(one_image(), Context(), services=svc)
    assert response.status is Status.SUCCESS, response.reason
    assert response.physical_resource_id.startswith(f"{STABLE_ID}:r1:")
    assert (
        response.data["Api.Uri"] == f"{ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/app@{digest}"
    )
    assert response.data["BuildRequired"] == "false"
    assert svc.metrics.added == {"ImagesFound": 1, "ImagesMissing": 0, "EcrCalls": 1}  # type: ignore[union-attr]
    stubber.assert_no_pending_responses()


def test_delete_answers_success_without_reading_anything(stubber: Stubber) -> None:
    stacks = Stacks()
    response = handle(
        event("delete.json", Images="garbage"), Context(), services=services(stubber, stacks)
    )
    assert (response.status, response.physical_resource_id) == (Status.SUCCESS, STABLE_ID)
    assert response.data == {}
    assert stacks.asked == []


def test_invalid_properties_fail_before_any_call(stubber: Stubber) -> None:
    response = handle(event(UsePreBuiltImages="yes"), Context(), services=services(stubber))
    assert response.status is Status.FAILED
    assert response.reason == 'UsePreBuiltImages: \'yes\' is not a boolean. Use "true" or "false".'
    assert response.data == {}


def test_only_an_update_asks_whether_the_stack_is_rolling_back(stubber: Stubber) -> None:
    stacks = Stacks()
    answer_found(stubber)
    handle(one_image(), Context(), services=services(stubber, stacks))
    assert stacks.asked == []
    update = replace(one_image(), request_type=event("update-tag-moved.json").request_type)
    answer_found(stubber)
    handle(update, Context(), services=services(stubber, stacks))
    assert stacks.asked == [update.stack_id]


def test_an_ecr_error_fails_without_calling_anything_missing(stubber: Stubber) -> None:
    stubber.add_client_error("batch_get_image", "AccessDeniedException", "User is not authorized")
    response = handle(one_image(), Context(), services=services(stubber))
    assert response.status is Status.FAILED
    assert "AccessDeniedException: User is not authorized" in response.reason
    assert "not reported as missing" in response.reason


def test_a_response_over_4096_bytes_fails_with_how_to_trim_it(stubber: Stubber) -> None:
    images = {f"Service{i:02d}": {"Tag": f"svc-{i}"} for i in range(30)}
    properties: dict[str, Any] = {"Repository": "app", "Images": images, "OnMissing": "Report"}
    properties["Attributes"] = ["Uri", "Digest", "TagUri", "Source", "Status", "BuildRequired"]
    stubber.add_response(
        "batch_get_image",
        {
            "images": [],
            "failures": [
                {
                    "imageId": {"imageTag": f"svc-{i}"},
                    "failureCode": "ImageNotFound",
                    "failureReason": "x",
                }
                for i in range(30)
            ],
        },
    )
    response = handle(event(**properties, Version=""), Context(), services=services(stubber))
    assert response.status is Status.FAILED
    assert "over CloudFormation's 4096-byte limit" in response.reason
    assert "Attributes: [Uri] would need" in response.reason
    assert response.size() <= MAX_BODY_BYTES


def test_a_bug_is_reported_as_one_and_points_at_the_log(stubber: Stubber) -> None:
    class Broken(EcrClients):
        def for_registry(self, registry: Registry) -> Any:
            raise ZeroDivisionError("internal detail")

    svc = replace(services(stubber), clients=Broken())
    response = handle(one_image(), Context(), services=svc)
    assert response.status is Status.FAILED
    assert response.reason == (
        "Unexpected error in the image resolver (ZeroDivisionError); see the function's log for "
        "request req-1."
    )
    assert json.loads(json.dumps(response.data)) == {}


# --- rollbacks ---------------------------------------------------------------------------------


def created_then_rolled_back(stubber: Stubber, stacks: Stacks) -> tuple[CfnResponse, CfnEvent]:
    """Create answers set A; the rollback Update returns to the Create's properties."""
    answer_found(stubber)
    created = handle(one_image(), Context(), services=services(stubber))
    rollback = replace(
        one_image(),
        request_type=RequestType.UPDATE,
        physical_resource_id=created.physical_resource_id,
    )
    return created, rollback


def test_a_rollback_answers_the_recorded_set_without_asking_ecr(stubber: Stubber) -> None:
    stacks = Stacks(rolling=True)
    created, rollback = created_then_rolled_back(stubber, stacks)
    svc = services(stubber, stacks)
    answer = handle(rollback, Context(), services=svc)  # no ECR answer is queued: none is asked
    assert answer.status is Status.SUCCESS
    assert answer.physical_resource_id == created.physical_resource_id
    assert answer.data == created.data
    assert svc.metrics.added == {"Rollbacks": 1}  # type: ignore[union-attr]


def test_a_rollback_never_fails_even_when_nothing_can_be_read(stubber: Stubber) -> None:
    stacks = Stacks(rolling=True)
    _, rollback = created_then_rolled_back(stubber, stacks)
    broken = replace(rollback, properties={"Images": "garbage"})  # no longer validates
    svc = services(stubber, stacks)
    answer = handle(broken, Context(), services=svc)
    assert answer.status is Status.SUCCESS
    assert svc.metrics.added["RollbackDegraded"] == 1  # type: ignore[union-attr]


def test_with_the_status_unknown_the_properties_decide(stubber: Stubber) -> None:
    stacks = Stacks(rolling=None)
    created, rollback = created_then_rolled_back(stubber, stacks)
    # The properties the id was made from: a rollback, answered from the record.
    assert handle(rollback, Context(), services=services(stubber, stacks)).data == created.data
    # Other properties: an ordinary update, resolved (and here failing on a missing image).
    forward = replace(rollback, properties={**rollback.properties, "Revision": "2"})
    stubber.add_response(
        "batch_get_image",
        {
            "images": [],
            "failures": [
                {
                    "imageId": {"imageTag": "api-1"},
                    "failureCode": "ImageNotFound",
                    "failureReason": "x",
                }
            ],
        },
    )
    answer = handle(forward, Context(), services=services(stubber, stacks))
    assert answer.status is Status.FAILED
    assert answer.physical_resource_id == created.physical_resource_id


def test_out_of_time_a_rollback_is_answered_from_the_record(stubber: Stubber) -> None:
    created, rollback = created_then_rolled_back(stubber, Stacks())
    answer = timeout_answer(rollback, Context())
    assert answer is not None
    assert (answer.status, answer.data) == (Status.SUCCESS, created.data)
    # Anything that does not look like a rollback is left to the plain FAILED.
    assert timeout_answer(one_image(), Context()) is None
    other = replace(rollback, properties={**rollback.properties, "Revision": "2"})
    assert timeout_answer(other, Context()) is None


def test_the_retention_gate_fails_the_resource_naming_the_rule(stubber: Stubber) -> None:
    digest = answer_found(stubber)
    policy = {
        "rules": [
            {
                "rulePriority": 3,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["api-"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    stubber.add_response(
        "get_lifecycle_policy",
        {"lifecyclePolicyText": json.dumps(policy)},
        {"registryId": ACCOUNT, "repositoryName": "app"},
    )
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "imageDigest": digest,
                    "imageTags": ["api-1"],
                    "imagePushedAt": datetime(2026, 1, 1, tzinfo=UTC),
                },
                {
                    "imageDigest": "sha256:" + "9" * 64,
                    "imageTags": ["api-2"],
                    "imagePushedAt": datetime(2026, 2, 1, tzinfo=UTC),
                },
            ]
        },
    )
    response = handle(one_image(OnRetentionRisk="Fail"), Context(), services=services(stubber))
    assert response.status is Status.FAILED
    assert response.reason == (
        "1 image(s) would not outlive the repository's lifecycle policy: Api (app:api-1 in "
        "123456789012/ap-southeast-2): Expiring: rule 3 keeps the newest api-* image; this is "
        "#2 of 2. Pin an image the policy keeps (push a new one, or keep this one with a tag its "
        "rules spare), change the policy, or set OnRetentionRisk: Report."
    )
    assert response.data == {}
    stubber.assert_no_pending_responses()


# --- hardening: who may ask, and what may be asked ------------------------------------------------


def test_a_stack_outside_the_allowed_prefixes_fails_before_any_aws_call(stubber: Stubber) -> None:
    stacks = Stacks(rolling=True)
    svc = replace(services(stubber, stacks), allowed_stacks=StackPolicy(("tak-",)))
    update = replace(one_image(), request_type=RequestType.UPDATE)
    response = handle(update, Context(), services=svc)
    assert response.status is Status.FAILED
    assert response.reason == (
        "Stack 'cloudtak-dev' may not use this image resolver: the resolver's "
        "AllowedStackPrefixes do not admit it. Ask the owner of the resolver's stack."
    )
    assert stacks.asked == []  # not even DescribeStacks
    stubber.assert_no_pending_responses()  # and no ECR call (the stubber has none queued)


def test_an_allowed_stack_resolves_and_any_stack_may_delete(stubber: Stubber) -> None:
    answer_found(stubber)
    allowed = replace(services(stubber), allowed_stacks=StackPolicy(("cloudtak-",)))
    assert handle(one_image(), Context(), services=allowed).status is Status.SUCCESS
    refused = replace(services(stubber), allowed_stacks=StackPolicy(("tak-",)))
    delete = handle(event("delete.json"), Context(), services=refused)
    assert delete.status is Status.SUCCESS  # a Delete is never blocked: the resolver owns nothing


def test_invented_regions_fail_at_once_without_making_clients() -> None:
    made: list[str] = []

    class Counting(EcrClients):
        def for_registry(self, registry: Registry) -> Any:
            made.append(registry.region)
            return super().for_registry(registry)

    # 500 syntactically valid but invented regions: xx-aaa-1, xx-aab-1, ...
    regions = [f"xx-{a}{b}{c}-1" for a in "abcdefgh" for b in "abcdefgh" for c in "abcdefgh"]
    images = {
        f"Image{i}": {
            "Repository": f"arn:aws:ecr:{region}:123456789012:repository/app",
            "Tag": "v1",
        }
        for i, region in enumerate(regions[:500])
    }
    svc = Services(clients=Counting(), stacks=Stacks())
    started = time.monotonic()
    response = handle(event(Images=images, Version=""), Context(), services=svc)
    assert time.monotonic() - started < 2.0
    assert response.status is Status.FAILED
    assert response.reason.startswith(
        "Images.Image0.Repository: 'arn:aws:ecr:xx-aaa-1:123456789012:repository/app' is in "
        "region xx-aaa-1, where the aws partition has no ECR endpoint."
    )
    assert made == []


def test_the_region_check_uses_botocores_own_list_of_ecr_regions() -> None:
    clients = EcrClients()
    assert {"us-east-1", "ap-southeast-2", "eu-west-1"} <= clients.ecr_regions("aws")
    assert clients.ecr_regions("aws-cn") >= {"cn-north-1", "cn-northwest-1"}
    assert "us-gov-west-1" in clients.ecr_regions("aws-us-gov")
    assert "xx-fake-1" not in clients.ecr_regions("aws")
    assert clients.ecr_regions("aws") is clients.ecr_regions("aws")  # read once


def test_a_huge_repository_gives_a_reason_under_1000_characters(stubber: Stubber) -> None:
    for repository in ("r" * 5000, "arn:aws:ecr:us-west-2:123456789012:repository/" + "r" * 5000):
        huge = event(Repository=repository, Images={"Api": {"Tag": "api-1"}}, Version="")
        response = handle(huge, Context(), services=services(stubber))
        assert response.status is Status.FAILED
        assert len(json.loads(encode(response))["Reason"]) < 400
