"""The Lambda handler end to end, as CloudFormation drives it: each event file in ``events/`` goes
in, the response comes back over HTTP to a local receiver."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import REGION
from devkit.events import event_names, load_event
from devkit.lambda_context import LambdaContext
from devkit.receiver import ResponseReceiver
from devkit.seed import VERSION, move_cloudtak_tag, seed
from resolver.cloudformation.app import handler, send
from resolver.cloudformation.crhelper_adapter import CrhelperAdapter
from resolver.cloudformation.delivery import Destinations
from resolver.cloudformation.events import CfnEvent, parse_event
from resolver.cloudformation.response import MAX_BODY_BYTES, CfnResponse, Status

from .conftest import Ecr

STABLE_ID = "cloudtak-dev-Images-8de3296763"  # the events' resource: stack name, logical id, hash
LOCAL = Destinations(region=REGION, local=True)
SUMMARY = {
    "BuildRequired",
    "MissingImages",
    "Revision",
    "Version",
    "RollbackTarget",
    "RollbackRecord",
}
DEFAULT_ATTRS = ("Uri", "Digest", "Status", "BuildRequired")
ALL_ATTRS = ("Uri", "Digest", "TagUri", "Source", "Status", "BuildRequired", "Retention")


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")


@pytest.fixture
def seeded(ecr: Ecr, local: None) -> Ecr:
    seed(ecr.client())
    ecr.proxy.reset()
    return ecr


def invoke(
    receiver: ResponseReceiver, event: dict[str, Any], context: LambdaContext | None = None
) -> dict[str, Any]:
    event = {**event, "ResponseURL": receiver.url()}
    handler(event, context or LambdaContext())
    received = receiver.take(timeout=1)
    assert receiver.count() == 0, "exactly one response per event"
    assert len(received.raw) <= MAX_BODY_BYTES
    assert received.headers.get("Content-Type") == ""  # what the pre-signed URL is signed for
    assert received.path.endswith("?X-Amz-Signature=fake")
    body = received.body
    assert body["StackId"] == event["StackId"]
    assert body["RequestId"] == event["RequestId"]
    assert body["LogicalResourceId"] == event["LogicalResourceId"]
    answered = body["PhysicalResourceId"]
    if body["Status"] == "FAILED" or event["RequestType"] == "Delete":
        # The id CloudFormation knows; for a failed Create, the resource's stable key.
        assert answered == event.get("PhysicalResourceId", STABLE_ID)
    elif answered != event.get("PhysicalResourceId"):  # a rollback keeps the id it was sent
        # What was resolved, carried in an id that starts with the same stable key.
        assert answered.startswith(f"{STABLE_ID}:r1:{body['Data']['Revision']}:")
    return body


def keys(images: list[str], attrs: tuple[str, ...]) -> set[str]:
    return {f"{name}.{attr}" for name in images for attr in attrs} | SUMMARY


# What CloudFormation must receive for each fixture, with the images of devkit.seed pushed.
EXPECTED = {
    "create.json": ("SUCCESS", keys(["Api", "Events", "Data", "Pinned"], DEFAULT_ATTRS), 3),
    "create-fallback.json": (
        "SUCCESS",
        keys(["Api", "Events", "Data", "Pinned", "Pmtiles"], ALL_ATTRS),
        3,
    ),
    "update-tag-moved.json": (
        "SUCCESS",
        keys(["Api", "Events", "Data", "Pinned", "Pmtiles"], ALL_ATTRS),
        3,
    ),
    # Answered from the set its PhysicalResourceId records: no ECR call at all.
    "update-rollback.json": (
        "SUCCESS",
        keys(["Api", "Events", "Data", "Pinned", "Pmtiles"], ALL_ATTRS),
        0,
    ),
    "create-prebuilt-off.json": ("SUCCESS", keys(["Api", "Events"], DEFAULT_ATTRS), 0),
    # Protect: one more BatchGetImage per repository reads the tags and manifests to write from.
    "create-protected.json": (
        "SUCCESS",
        keys(["Api", "Events", "Data", "Pinned"], ("Uri", "Protected")) | {"Protection"},
        6,
    ),
    "create-missing.json": ("FAILED", set(), 3),
    "create-invalid.json": ("FAILED", set(), 0),
    "delete.json": ("SUCCESS", set(), 0),
}


def test_every_event_file_has_an_expectation() -> None:
    assert set(event_names()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file(seeded: Ecr, receiver: ResponseReceiver, name: str) -> None:
    status, data_keys, calls = EXPECTED[name]
    body = invoke(receiver, load_event(name))
    assert body["Status"] == status, body.get("Reason")
    assert set(body["Data"]) == data_keys
    assert seeded.calls() == calls
    if status == "FAILED":
        assert body["Reason"]
        assert body["Data"] == {}


def test_all_found(seeded: Ecr, receiver: ResponseReceiver) -> None:
    data = invoke(receiver, load_event("create.json"))["Data"]
    assert data["BuildRequired"] == "false"
    assert data["MissingImages"] == ""
    for name in ("Api", "Events", "Data", "Pinned"):
        assert data[f"{name}.Status"] == "Found"
        assert (
            data[f"{name}.Uri"] == data[f"{name}.Uri"].split("@")[0] + "@" + data[f"{name}.Digest"]
        )
    assert data["Data.Uri"].startswith(
        f"123456789012.dkr.ecr.{REGION}.amazonaws.com/team/etl-tasks@sha256:"
    )


def test_missing_image_reason_names_image_repository_tag_and_the_fix(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    reason = invoke(receiver, load_event("create-missing.json"))["Reason"]
    assert reason.startswith(
        f"1 image is missing from ECR: Pmtiles (tak-dev-baseinfra-artifacts:pmtiles-{VERSION} "
        "in 123456789012/ap-southeast-2): tag not found."
    )
    assert "UsePreBuiltImages: false" in reason


def test_fallback_and_prebuilt_off(seeded: Ecr, receiver: ResponseReceiver) -> None:
    event = load_event("create-fallback.json")
    data = invoke(receiver, event)["Data"]
    fallback = event["ResourceProperties"]["Images"]["Pmtiles"]["Fallback"]
    assert (data["Pmtiles.Status"], data["Pmtiles.Uri"], data["Pmtiles.Source"]) == (
        "TagNotFound",
        fallback,
        "fallback",
    )
    assert data["Pmtiles.TagUri"].endswith(f"/tak-dev-baseinfra-artifacts:pmtiles-{VERSION}")
    assert (data["BuildRequired"], data["MissingImages"]) == ("true", "Pmtiles")

    off = invoke(receiver, load_event("create-prebuilt-off.json"))["Data"]
    assert off["Api.Status"] == off["Events.Status"] == "Skipped"
    assert off["Api.Uri"].endswith(":api-local-build")
    assert off["MissingImages"] == "Api,Events"


def test_lifecycle_create_tag_moves_update_delete(seeded: Ecr, receiver: ResponseReceiver) -> None:
    created = invoke(receiver, load_event("create-fallback.json"))
    # devkit.seed's lifecycle policy: 5 images per tag prefix, untagged ones 14 days after push.
    retention = {key: value for key, value in created["Data"].items() if "Retention" in key}
    assert retention == {
        "Api.Retention": "Limited: rule 1 keeps the 5 newest cloudtak-* images; this is #1 of 1",
        "Events.Retention": "Limited: rule 2 keeps the 5 newest events-* images; this is #1 of 1",
        "Data.Retention": "Safe",  # team/etl-tasks has no lifecycle policy
        "Pinned.Retention": "Safe",
        "Pmtiles.Retention": "",  # the Fallback: not an image of ECR's to judge
    }
    new_digest = move_cloudtak_tag(seeded.emulator)
    updated = invoke(receiver, load_event("update-tag-moved.json"))
    assert updated["Status"] == "SUCCESS"
    assert updated["Data"]["Api.Digest"] == new_digest != created["Data"]["Api.Digest"]
    assert updated["Data"]["Api.Uri"].endswith(f"@{new_digest}")
    assert updated["Data"]["Events.Uri"] == created["Data"]["Events.Uri"]
    assert updated["Data"]["Revision"] != created["Data"]["Revision"]

    started = time.monotonic()
    deleted = invoke(receiver, load_event("delete.json"))
    assert time.monotonic() - started < 0.5
    assert deleted["Status"] == "SUCCESS"


def test_the_rollback_fixture_returns_to_the_images_before_the_tag_moved(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    created = invoke(receiver, load_event("create-fallback.json"))
    move_cloudtak_tag(seeded.emulator)
    assert invoke(receiver, load_event("update-tag-moved.json"))["Data"] != created["Data"]
    rollback = load_event("update-rollback.json")
    # The fixture's id is the one the Create answered: the same images, the same digests.
    assert rollback["PhysicalResourceId"] == created["PhysicalResourceId"]
    back = invoke(receiver, rollback)
    assert back["Status"] == "SUCCESS"
    # The old cloudtak digest, though the tag moved; Retention is read again: that image is now
    # untagged, which the lifecycle policy treats differently.
    retention = {key for key in created["Data"] if key.endswith(".Retention")}
    assert retention
    for key, value in created["Data"].items():
        if key not in retention:
            assert back["Data"][key] == value, key
    assert back["Data"]["Api.Retention"] != created["Data"]["Api.Retention"]


def test_delete_succeeds_at_once_even_for_properties_that_never_validated(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    event = load_event("delete.json")
    event["ResourceProperties"] = {"Images": "garbage", "UsePreBuiltImages": "maybe"}
    started = time.monotonic()
    body = invoke(receiver, event)
    assert time.monotonic() - started < 0.5
    assert body["Status"] == "SUCCESS"
    assert seeded.calls() == 0


BAD_PROPERTIES = [
    (
        {"UsePreBuiltImages": "yes"},
        'UsePreBuiltImages: \'yes\' is not a boolean. Use "true" or "false".',
    ),
    (
        {"OnMissing": "Skip"},
        "OnMissing: 'Skip' is not an allowed value. Use one of Fail | Fallback | Report.",
    ),
    ({"Imagez": {}}, "Imagez: {} is not a known property. Did you mean Images?"),
    ({"Images": {"Api": {"Tag": "x", "Digest": "sha256:1"}}}, "Images.Api: "),
    ({"Version": ""}, "Images.Api.Tag: 'cloudtak-{version}' uses {version} but Version is empty."),
    (
        {"Repository": "arn:aws:ecr:nowhere"},
        "Repository: 'arn:aws:ecr:nowhere' is not an ECR repository ARN",
    ),
    # Only "" means "not set": blanks and nulls used to be silently ignored.
    ({"UsePreBuiltImages": " "}, "UsePreBuiltImages: ' ' is only whitespace."),
    ({"OnMissing": None}, "OnMissing: null is null."),
    ({"Attributes": [None]}, "Attributes: null is null."),
]


@pytest.mark.parametrize(("change", "reason"), BAD_PROPERTIES)
def test_bad_properties_fail_before_any_ecr_call(
    seeded: Ecr, receiver: ResponseReceiver, change: dict[str, Any], reason: str
) -> None:
    event = load_event("create.json")
    event["ResourceProperties"].update(change)
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(reason)
    assert sum(seeded.proxy.calls.values()) == 0


def test_too_many_attributes_fail_with_a_reason_that_says_how_to_trim(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    event = load_event("create.json")
    props = event["ResourceProperties"]
    props["Attributes"] = list(ALL_ATTRS)
    props["OnMissing"] = "Report"
    props["Images"] = {f"Service{i:02d}": {"Tag": f"svc-{i}-{{version}}"} for i in range(24)}
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith(
        "Attributes: 'Uri, Digest, TagUri, Source, Status, BuildRequired, Retention' makes the "
        "response"
    )
    assert "Select fewer attributes (Attributes: [Uri] would need" in body["Reason"]

    props["Attributes"] = ["Uri"]
    assert invoke(receiver, event)["Status"] == "SUCCESS"


def test_ecr_errors_fail_the_resource_and_are_not_missing(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    from devkit.ecr_proxy import Fault

    seeded.proxy.fail_next(
        "BatchGetImage", Fault("AccessDeniedException", "User is not authorized")
    )
    body = invoke(receiver, load_event("create.json"))
    assert body["Status"] == "FAILED"
    assert "AccessDeniedException: User is not authorized" in body["Reason"]
    assert "not reported as missing" in body["Reason"]


def test_a_slow_ecr_still_gets_an_answer_before_the_lambda_times_out(
    seeded: Ecr, receiver: ResponseReceiver
) -> None:
    seeded.proxy.latency_seconds = 3.0
    started = time.monotonic()
    # 6 s left: 5 s are kept back for answering, so ECR gets 1 s.
    body = invoke(receiver, load_event("create.json"), LambdaContext(timeout_seconds=6.0))
    assert time.monotonic() - started < 2.0
    assert body["Status"] == "FAILED"
    assert "Timeout: ECR did not answer before the time limit" in body["Reason"]


def _hangs_until(released: threading.Event) -> Callable[[CfnEvent, Any], CfnResponse]:
    """A ``handle`` that works until ``released``, then would answer SUCCESS."""

    def handle(event: CfnEvent, context: Any) -> CfnResponse:
        released.wait(10)
        return CfnResponse(Status.SUCCESS, "late", event.reply_to)

    return handle


def _typed(event: dict[str, Any]) -> CfnEvent:
    parsed = parse_event(event)
    assert isinstance(parsed, CfnEvent)
    return parsed


def test_the_timeout_guard_answers_once_even_if_the_work_never_ends(
    receiver: ResponseReceiver,
) -> None:
    event = _typed({**load_event("create.json"), "ResponseURL": receiver.url()})
    released = threading.Event()
    adapter = CrhelperAdapter(handle=_hangs_until(released), send=partial(send, destinations=LOCAL))
    threading.Timer(1.0, released.set).start()  # the work ends after the timer answered
    adapter.run(event, LambdaContext(timeout_seconds=3.0))  # the timer fires at 0.5 s
    first = receiver.take(timeout=0)
    assert first.body["Status"] == "FAILED"
    assert "ran out of time" in first.body["Reason"]
    assert first.body["PhysicalResourceId"] == STABLE_ID  # a Create that failed: the key
    assert receiver.count() == 0  # the late SUCCESS was not sent


def test_response_put_is_bounded_when_the_receiver_keeps_failing(local: None) -> None:
    with ResponseReceiver(status=500) as failing:
        event = {**load_event("delete.json"), "ResponseURL": failing.url()}
        started = time.monotonic()
        handler(event, LambdaContext())
        assert time.monotonic() - started < 3.0
        assert failing.count() == 3  # three attempts, then give up


def test_an_unreachable_response_url_does_not_hang(local: None) -> None:
    event = {**load_event("delete.json"), "ResponseURL": "http://127.0.0.1:9/response"}
    started = time.monotonic()
    handler(event, LambdaContext())
    assert time.monotonic() - started < 3.0


def test_outside_local_mode_only_aws_urls_are_sent_to(receiver: ResponseReceiver) -> None:
    handler({**load_event("delete.json"), "ResponseURL": receiver.url()}, LambdaContext())
    assert receiver.count() == 0


def test_local_mode_prints_what_it_would_send_to_aws(
    local: None, capsys: pytest.CaptureFixture[str]
) -> None:
    handler(load_event("delete.json"), LambdaContext())  # the fixture's real-looking S3 URL
    printed = capsys.readouterr().out
    body = json.loads(printed[printed.index("{\n") : printed.index("\n}") + 2])
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == STABLE_ID  # the fixture's, given back


def test_logs_are_json_with_request_keys_and_never_the_response_url(
    seeded: Ecr, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    # Powertools bound its handler to stdout at import; point it at a buffer for this test.
    for log_handler in logging.getLogger("resolver").handlers:
        if isinstance(log_handler.formatter, LambdaPowertoolsFormatter):
            monkeypatch.setattr(log_handler, "stream", stream)
    invoke(receiver, load_event("create-missing.json"))
    logged = stream.getvalue()
    assert "X-Amz-Signature" not in logged
    records = [json.loads(line) for line in logged.splitlines() if line.strip()]
    failure = next(r for r in records if r["message"] == "Resolution failed")
    assert failure["level"] == "WARNING"
    assert failure["logical_resource_id"] == "Images"
    assert failure["request_id"] == "5d1f0c2e-0004-4c1a-9b7e-7a1d2c3b4a04"
    assert failure["stack_id"].endswith("stack/cloudtak-dev/6f1c2a10-cb6e-11ef-9a3c-0a5b1e2d3c4f")
    assert "Pmtiles" in failure["reason"]
    resolved = next(r for r in records if r["message"] == "Resolved images")
    assert resolved["statuses"]["Pmtiles"] == "TagNotFound"
    assert "Uri" not in logged  # attribute values stay out of the logs


def test_the_handler_does_not_return_while_the_timeout_answer_is_in_flight() -> None:
    release = threading.Event()
    with ResponseReceiver() as receiver:
        original = receiver.received.put

        def slow_put(item: Any, *args: Any, **kwargs: Any) -> None:
            release.wait(1.0)  # the PUT is "on the wire" for up to a second
            original(item, *args, **kwargs)

        receiver.received.put = slow_put  # type: ignore[method-assign]
        event = _typed({**load_event("create.json"), "ResponseURL": receiver.url()})
        work_done = threading.Event()
        adapter = CrhelperAdapter(
            handle=_hangs_until(work_done), send=partial(send, destinations=LOCAL)
        )
        threading.Timer(0.8, work_done.set).start()
        threading.Timer(1.2, release.set).start()
        adapter.run(event, LambdaContext(timeout_seconds=3.0))  # timer fires at 0.5 s
        # By the time the handler returns, the FAILED answer has been received.
        assert receiver.count() == 1
        assert receiver.take(timeout=0).body["Status"] == "FAILED"


@pytest.mark.parametrize("missing", ["StackId", "RequestId", "LogicalResourceId", "RequestType"])
def test_a_malformed_event_still_gets_a_failed_answer(
    local: None, receiver: ResponseReceiver, missing: str
) -> None:
    event = {**load_event("create.json"), "ResponseURL": receiver.url()}
    del event[missing]
    handler(event, LambdaContext())
    body = receiver.take(timeout=1).body
    assert body["Status"] == "FAILED"
    assert body["Reason"] == f"Malformed CloudFormation event: no {missing}."


@pytest.mark.parametrize(
    ("stack_status", "expected"),
    [("UPDATE_IN_PROGRESS", "FAILED"), ("UPDATE_ROLLBACK_IN_PROGRESS", "SUCCESS")],
)
def test_a_rollback_is_not_blocked_by_new_findings(
    seeded: Ecr, stacks: StatusServer, receiver: ResponseReceiver, stack_status: str, expected: str
) -> None:
    stack = stacks.add(Stack(handler=handler, receiver=receiver, status=stack_status))
    repo = "tak-dev-baseinfra-artifacts"
    seeded.client().start_image_scan(
        repositoryName=repo, imageId={"imageTag": "cloudtak-3f9a1c2e"}
    )  # HIGH=1
    event = load_event("update-tag-moved.json")
    # An id from before the upgrade: nothing recorded, so the rollback resolves again.
    event.update(StackId=stack.stack_id, PhysicalResourceId="consumer-Images-1")
    event["ResourceProperties"]["FailOnSeverity"] = "HIGH"
    handler({**event, "ResponseURL": receiver.url()}, LambdaContext())
    body = receiver.take(timeout=1).body
    assert body["Status"] == expected, body["Reason"]
    if expected == "SUCCESS":
        assert body["Data"]["Api.Status"] == "Vulnerable"  # reported, not enforced
        assert body["PhysicalResourceId"] == "consumer-Images-1"  # a rollback keeps its id
    else:
        assert "blocked by the vulnerability gate: Api" in body["Reason"]
