"""Issue 10's hardening, through the Lambda handler as CloudFormation drives it: the answer comes
back over HTTP to a local receiver (or, for AWS URLs, the attempt to reach them is observed at the
name lookup, which is stubbed: no test touches the network)."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import REGION
from devkit.events import load_event
from devkit.lambda_context import LambdaContext
from devkit.receiver import ResponseReceiver
from devkit.seed import seed
from resolver.cloudformation.app import handler
from resolver.cloudformation.delivery import EMULATED_FUNCTION_ARN
from resolver.cloudformation.trust import ENVIRONMENT_VARIABLE

from .conftest import Ecr
from .test_custom_resource import invoke

ATTACKER = "attacker.example/evil:latest"
GENUINE_HOST = (
    "cloudformation-custom-resource-response-apsoutheast2.s3.ap-southeast-2.amazonaws.com"
)


@pytest.fixture
def seeded_local(ecr: Ecr, monkeypatch: pytest.MonkeyPatch) -> Ecr:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    seed(ecr.client())
    ecr.proxy.reset()
    return ecr


@dataclass
class Lookups:
    """Name lookups of AWS hosts: recorded, then failed (or held until ``released``)."""

    hosts: list[str]
    released: threading.Event
    stall: bool = False


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lookups]:
    real = socket.getaddrinfo
    seen = Lookups([], threading.Event())

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("127.0.0.1", "localhost", "::1"):
            return real(host, *args, **kwargs)
        seen.hosts.append(str(host))
        if seen.stall:
            seen.released.wait(30)
        raise socket.gaierror(socket.EAI_NONAME, "no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield seen
    seen.released.set()


def emf_metric_names(printed: str) -> set[str]:
    """Metric names in the EMF documents Powertools printed."""
    names: set[str] = set()
    for line in printed.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                names |= {metric["Name"] for metric in directive["Metrics"]}
    return names


# --- 1. crhelper's private keys ------------------------------------------------------------------


def forged(name: str) -> dict[str, Any]:
    """An event file with crhelper's polling keys added, asking for the attacker's Data."""
    return {**load_event(name), "CrHelperPoll": True, "CrHelperData": {"Api.Uri": ATTACKER}}


def test_crhelper_keys_cannot_forge_an_answer(
    seeded_local: Ecr, receiver: ResponseReceiver
) -> None:
    body = invoke(receiver, forged("create.json"))
    assert body["Status"] == "SUCCESS", body.get("Reason")
    assert body["Data"]["Api.Uri"].startswith(f"123456789012.dkr.ecr.{REGION}.amazonaws.com/")
    assert ATTACKER not in json.dumps(body)
    assert seeded_local.calls() == 3  # the images were looked up, not taken from the event


def test_crhelper_keys_do_not_turn_bad_properties_into_success(
    seeded_local: Ecr, receiver: ResponseReceiver
) -> None:
    body = invoke(receiver, forged("create-invalid.json"))
    assert body["Status"] == "FAILED"
    assert body["Data"] == {}


# --- 2. hostile RequestType ----------------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["X" * 300, "Créate\u2603", 7, ["Create"], {"a": 1}])
def test_a_hostile_request_type_gets_exactly_one_failed_answer(
    seeded_local: Ecr,
    receiver: ResponseReceiver,
    capsys: pytest.CaptureFixture[str],
    request_type: Any,
) -> None:
    event = {**load_event("create.json"), "RequestType": request_type}
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Malformed CloudFormation event: RequestType ")
    assert body["Reason"].endswith(" is not Create, Update or Delete.")
    assert len(body["Reason"]) < 200
    assert seeded_local.calls() == 0
    # Metric names come from the validated request type, never from the raw value.
    assert emf_metric_names(capsys.readouterr().out) == {"MalformedRequests"}


# --- 3. many regions, and the limits --------------------------------------------------------------


def invented_regions(count: int) -> list[str]:
    letters = "abcdefghij"
    return [f"xx-{a}{b}{c}-1" for a in letters for b in letters for c in letters][:count]


def test_invented_regions_fail_at_once_without_any_ecr_call(
    seeded_local: Ecr, receiver: ResponseReceiver
) -> None:
    event = load_event("create.json")
    event["ResourceProperties"]["Images"] = {
        f"Image{i}": {"Repository": f"arn:aws:ecr:{region}:123456789012:repository/app", "Tag": "x"}
        for i, region in enumerate(invented_regions(500))
    }
    started = time.monotonic()
    body = invoke(receiver, event)
    assert time.monotonic() - started < 2.0
    assert body["Status"] == "FAILED"
    assert "is in region xx-aaa-1, where the aws partition has no ECR endpoint" in body["Reason"]
    assert sum(seeded_local.proxy.calls.values()) == 0


@pytest.mark.parametrize(
    ("images", "limit"),
    [
        ({f"Image{i}": {"Tag": f"t{i}"} for i in range(1000)}, "limit of 500"),
        (
            {f"Image{i}": {"Repository": f"repo-{i}", "Tag": "t"} for i in range(101)},
            "limit of 100",
        ),
        (
            {
                f"Image{i}": {
                    "Repository": f"arn:aws:ecr:{REGION}:{100000000000 + i}:repository/app",
                    "Tag": "t",
                }
                for i in range(11)
            },
            "limit of 10",
        ),
        ({"A" + "b" * 64: {"Tag": "t"}}, "limit of 64"),
    ],
)
def test_limits_fail_naming_the_limit_before_any_ecr_call(
    seeded_local: Ecr, receiver: ResponseReceiver, images: dict[str, Any], limit: str
) -> None:
    event = load_event("create.json")
    event["ResourceProperties"]["Images"] = images
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert limit in body["Reason"]
    assert sum(seeded_local.proxy.calls.values()) == 0


# --- 4. the response URL allow-list ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://cloudformation-custom-resource-response-attacker123.s3.amazonaws.com/r?X-Amz-Signature=x",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/r?X-Amz-Signature=x",
        f"http://{GENUINE_HOST}/r?X-Amz-Signature=x",
        f"https://{GENUINE_HOST}:8443/r?X-Amz-Signature=x",
    ],
)
def test_a_deployed_function_never_sends_to_another_bucket(lookups: Lookups, url: str) -> None:
    handler({**load_event("delete.json"), "ResponseURL": url}, LambdaContext())
    assert lookups.hosts == []  # not even looked up


def test_a_deployed_function_sends_to_its_regions_response_bucket(lookups: Lookups) -> None:
    handler(load_event("delete.json"), LambdaContext())  # the fixture's genuine-form URL
    assert set(lookups.hosts) == {GENUINE_HOST}


# --- 5. a stalled name lookup ----------------------------------------------------------------------


def test_a_stalled_name_lookup_cannot_hold_the_handler_past_the_lambdas_time(
    lookups: Lookups,
) -> None:
    lookups.stall = True
    started = time.monotonic()
    handler(load_event("delete.json"), LambdaContext(timeout_seconds=3.0))
    elapsed = time.monotonic() - started
    assert lookups.hosts == [GENUINE_HOST]
    assert elapsed < 3.5, f"the handler took {elapsed:.1f} s with 3 s to live"


# --- 6. local mode on a deployed function ---------------------------------------------------------


@pytest.fixture
def deployed_with_local_flag(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """A real Lambda (the runtime API is set, the ARN is the function's own) that someone gave
    IMAGE_RESOLVER_LOCAL; returns the function's log."""
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    stream = io.StringIO()
    # Powertools bound its handler to stdout at import; point it at a buffer for this test.
    for log_handler in logging.getLogger("resolver").handlers:
        if isinstance(log_handler.formatter, LambdaPowertoolsFormatter):
            monkeypatch.setattr(log_handler, "stream", stream)
    return stream


def test_local_mode_on_a_deployed_function_still_answers_cloudformation(
    deployed_with_local_flag: io.StringIO, lookups: Lookups, capsys: pytest.CaptureFixture[str]
) -> None:
    handler(load_event("delete.json"), LambdaContext())
    assert set(lookups.hosts) == {GENUINE_HOST}  # sent (attempted), not printed instead
    assert '"Status": "SUCCESS"' not in capsys.readouterr().out
    errors = [json.loads(line) for line in deployed_with_local_flag.getvalue().splitlines()]
    flagged = [r for r in errors if "Local mode is set on a deployed function" in r["message"]]
    assert flagged and flagged[0]["level"] == "ERROR"
    assert flagged[0]["variables"] == ["IMAGE_RESOLVER_LOCAL"]


def test_local_mode_on_a_deployed_function_does_not_send_to_loopback(
    deployed_with_local_flag: io.StringIO, receiver: ResponseReceiver
) -> None:
    handler({**load_event("delete.json"), "ResponseURL": receiver.url()}, LambdaContext())
    assert receiver.count() == 0


@dataclass
class EmulatorContext(LambdaContext):
    """The context the Runtime Interface Emulator (and sam local) passes."""

    @property
    def invoked_function_arn(self) -> str:
        return f"{EMULATED_FUNCTION_ARN}{self.function_name}"


def test_local_mode_keeps_working_under_the_emulator(
    monkeypatch: pytest.MonkeyPatch, receiver: ResponseReceiver
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    handler({**load_event("delete.json"), "ResponseURL": receiver.url()}, EmulatorContext())
    assert receiver.take(timeout=1).body["Status"] == "SUCCESS"


# --- 8. AllowedStackPrefixes -----------------------------------------------------------------------


def test_a_stack_outside_the_allowed_prefixes_fails_before_any_aws_call(
    seeded_local: Ecr, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "tak-,other-")
    for name in ("create.json", "update-tag-moved.json"):
        body = invoke(receiver, load_event(name))
        assert body["Status"] == "FAILED"
        assert body["Reason"] == (
            "Stack 'cloudtak-dev' may not use this image resolver: the resolver's "
            "AllowedStackPrefixes do not admit it. Ask the owner of the resolver's stack."
        )
    assert sum(seeded_local.proxy.calls.values()) == 0
    assert invoke(receiver, load_event("delete.json"))["Status"] == "SUCCESS"


def test_a_blank_prefix_entry_fails_forward_requests_for_the_owner_never_delete_or_rollback(
    seeded_local: Ecr,
    receiver: ResponseReceiver,
    stacks: StatusServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "tak-,cloudtak-")
    created = invoke(receiver, load_event("create.json"))
    assert created["Status"] == "SUCCESS"
    # A resolver deployed with "tak-,cloudtak-," before template.yaml's Rules refused it: its
    # role reads every stack's status, so it stops answering forward requests until fixed.
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "tak-,cloudtak-,")
    seeded_local.proxy.reset()
    for name in ("create.json", "update-tag-moved.json"):
        body = invoke(receiver, load_event(name))
        assert body["Status"] == "FAILED"
        assert body["Reason"].startswith(
            "This image resolver is misconfigured: its AllowedStackPrefixes has a blank entry"
        )
    assert sum(seeded_local.proxy.calls.values()) == 0
    assert invoke(receiver, load_event("delete.json"))["Status"] == "SUCCESS"
    # A rollback to the images the id records is answered from the id alone, without AWS.
    create = load_event("create.json")
    rollback = {
        **create,
        "RequestType": "Update",
        "PhysicalResourceId": created["PhysicalResourceId"],
        "OldResourceProperties": {**create["ResourceProperties"], "Version": "0000000"},
    }
    body = invoke(receiver, rollback)
    assert (body["Status"], body["Data"]) == ("SUCCESS", created["Data"])
    assert sum(seeded_local.proxy.calls.values()) == 0
    # One whose id records nothing (made by 0.1) is resolved again, as for an allowed stack:
    # the stack is one the real prefixes admit, and a FAILED rollback would strand it.
    rolling = Stack(handler=handler, receiver=receiver, name="cloudtak-dev")
    rolling.stack_id, rolling.status = create["StackId"], "UPDATE_ROLLBACK_IN_PROGRESS"
    stacks.add(rolling)
    legacy = {**rollback, "PhysicalResourceId": created["PhysicalResourceId"].split(":")[0]}
    body = invoke(receiver, legacy)
    assert body["Status"] == "SUCCESS"
    assert body["Data"]["Api.Uri"] == created["Data"]["Api.Uri"]


def test_a_stack_with_an_allowed_prefix_resolves(
    seeded_local: Ecr, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "tak-,cloudtak-")
    assert invoke(receiver, load_event("create.json"))["Status"] == "SUCCESS"


# --- 9. bounded reasons -------------------------------------------------------------------------


def test_a_5000_character_repository_gives_a_short_reason(
    seeded_local: Ecr, receiver: ResponseReceiver
) -> None:
    event = load_event("create.json")
    event["ResourceProperties"]["Repository"] = "r" * 5000
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Repository: 'rrrr")
    assert len(body["Reason"]) < 400


def test_many_missing_images_give_a_reason_of_at_most_1000_characters(
    seeded_local: Ecr, receiver: ResponseReceiver
) -> None:
    event = load_event("create.json")
    event["ResourceProperties"]["Images"] = {
        f"Image{i}": {"Tag": f"never-pushed-{'x' * 200}-{i}"} for i in range(40)
    }
    body = invoke(receiver, event)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("40 images are missing from ECR: Image0 (")
    assert "more. Push the images" in body["Reason"]  # counted, and the fix is kept
    assert len(body["Reason"]) <= 1000
