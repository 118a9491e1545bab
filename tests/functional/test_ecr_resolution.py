"""The core against ECR over HTTP: moto's server behind a proxy that can add faults."""

from __future__ import annotations

import inspect
import sys
import time
from collections import Counter
from types import FrameType
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.ecr_proxy import Fault
from devkit.seed import ARTIFACTS, VERSION
from resolver.engine import Deadline, resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.errors import LookupFailedError
from resolver.model import ImageStatus, Source
from resolver.properties import parse_request
from resolver.references import Registry

from ..fakes import FakeClock
from .conftest import Ecr

HOME = Registry("123456789012", "ap-southeast-2")
ABSENT_DIGEST = "sha256:" + "0" * 64


def request(images: dict[str, Any], **top: Any) -> Any:
    return parse_request(
        {"OnMissing": "Report", "Repository": "app", **top, "Images": images}, default_registry=HOME
    )


def test_found_missing_and_repository_missing(ecr: Ecr, clients: EcrClients) -> None:
    client = ecr.client()
    ensure_repository(client, "app")
    ensure_repository(client, "team/etl-tasks")
    api = push(client, "app", "api-1", manifest("api-1"))
    etl = push(client, "team/etl-tasks", "data-1", manifest("data-1"))
    resolution = resolve(
        request(
            {
                "Api": {"Tag": "api-1"},
                "Gone": {"Tag": "api-404"},
                "Etl": {"Repository": "team/etl-tasks", "Tag": "data-1"},
                "Pinned": {"Digest": api},
                "GoneDigest": {"Digest": ABSENT_DIGEST},
                "NoRepo": {"Repository": "never-created", "Tag": "x"},
            }
        ),
        clients=clients,
    )
    by_name = {image.name: image for image in resolution.images}
    assert {name: image.status for name, image in by_name.items()} == {
        "Api": ImageStatus.FOUND,
        "Gone": ImageStatus.TAG_NOT_FOUND,
        "Etl": ImageStatus.FOUND,
        "Pinned": ImageStatus.FOUND,
        "GoneDigest": ImageStatus.DIGEST_NOT_FOUND,
        "NoRepo": ImageStatus.REPOSITORY_NOT_FOUND,
    }
    registry = "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com"
    assert by_name["Api"].uri == f"{registry}/app@{api}"
    assert by_name["Api"].digest == api
    assert by_name["Etl"].uri == f"{registry}/team/etl-tasks@{etl}"
    assert by_name["Pinned"].uri == f"{registry}/app@{api}"
    assert by_name["Gone"].uri == ""
    assert by_name["Gone"].source is Source.NONE
    # app, team/etl-tasks and never-created: one call each, whatever the image count.
    assert ecr.calls() == 3
    # The images not found get a second look: app's archived and restoring images are listed
    # (never-created has none to list), and the registry's pull-through cache rules read once.
    assert (ecr.calls("DescribeImages"), ecr.calls("DescribePullThroughCacheRules")) == (2, 1)
    assert resolution.ecr_calls == 3 + 2 + 1
    assert resolution.missing == (by_name["Gone"], by_name["GoneDigest"], by_name["NoRepo"])


STAGES = {"pipeline", "lookup", "discovery", "absence", "waiting", "metadata", "retention"}
STAGES |= {"gates", "gate", "policy"}


def test_a_request_passes_each_stage_in_one_pass(seeded: Ecr, clients: EcrClients) -> None:
    """The pipeline calls the stages in order; none returns to a hub, and the policy decides once.

    Counted as calls into a stage module from another module (``sys.setprofile``, this thread:
    only ECR reads run on others), on a request that uses every stage and waits one round.
    """
    properties = {
        "Repository": ARTIFACTS,
        "Version": "latest",
        "OnMissing": "Fallback",
        "WaitSeconds": "3",
        "FailOnSeverity": "CRITICAL",
        "Attributes": ["Uri", "Findings", "PushedAt", "Retention"],
        "Images": {
            "CloudTak": {"Tag": "cloudtak-{version}"},
            "Events": {"Tag": "events-{version}"},
            "Tools": {"Tag": "cloudtak-*"},
            "Pmtiles": {"Tag": f"pmtiles-{VERSION}", "Fallback": "local/pmtiles:dev"},
        },
    }
    entered: Counter[tuple[str, str]] = Counter()

    def count(frame: FrameType, event: str, _: object) -> None:
        code = frame.f_code
        if event != "call" or code.co_flags & inspect.CO_GENERATOR or code.co_name == "<module>":
            return  # neither a generator closed by the collector nor an import is a call
        callee = frame.f_globals.get("__name__", "").removeprefix("resolver.engine.")
        caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
        caller, within = caller.removeprefix("resolver.engine."), caller.startswith("resolver.")
        if callee in STAGES and within and caller != callee:  # from one engine module to another
            entered[(caller, callee)] += 1

    clock = FakeClock()
    sys.setprofile(count)
    try:
        resolution = resolve(
            parse_request(properties, default_registry=HOME),
            clients=clients,
            deadline=clock.deadline(),
        )
    finally:
        sys.setprofile(None)
    assert resolution.images[3].uri == "local/pmtiles:dev"  # missing, waited for, fallen back
    assert clock.slept == [2.0]  # two rounds

    def callers(stage: str) -> dict[str, int]:
        return {caller: n for (caller, callee), n in entered.items() if callee == stage}

    assert callers("policy") == {"pipeline": 1}  # decided once, at the end of the lookups
    assert callers("lookup") == {"pipeline": 1, "waiting": 1}  # once a round
    assert callers("waiting") == {"pipeline": 1}
    # The gate family runs once (and is asked whether tags' mutability is wanted); the
    # vulnerability gate, its member, reads the findings and then judges them.
    assert callers("gates") == {"pipeline": 2}
    assert callers("gate") == {"gates": 2}
    # What a describing stage calls back into itself (the evaluator's budget, say) is its own.
    assert callers("metadata")["pipeline"] == callers("retention")["pipeline"] == 1
    assert set(callers("discovery")) == set(callers("absence")) == {"lookup"}


def test_cross_account_and_cross_region_references(ecr: Ecr) -> None:
    # moto keeps one backend per region and ignores registryId; what matters here is what we send
    # and the URIs we build.
    west = ecr.client("us-west-2")
    ensure_repository(west, "shared/base")
    digest = push(west, "shared/base", "v7", manifest("shared-base-v7"))
    session = boto3.Session()
    sent: list[dict[str, Any]] = []
    session.events.register(
        "provide-client-params.ecr.BatchGetImage", lambda params, **_: sent.append(params)
    )
    resolution = resolve(
        request(
            {
                "Base": {
                    "Repository": "arn:aws:ecr:us-west-2:210987654321:repository/shared/base",
                    "Tag": "v7",
                },
                "Same": {
                    "Repository": "210987654321.dkr.ecr.us-west-2.amazonaws.com/shared/base",
                    "Tag": "v7",
                },
            }
        ),
        clients=EcrClients(session=session),
    )
    base, same = resolution.images
    assert base.status is ImageStatus.FOUND
    assert base.uri == f"210987654321.dkr.ecr.us-west-2.amazonaws.com/shared/base@{digest}"
    assert same.uri == base.uri
    # Both spellings name one repository: one call, to the right registry and region.
    assert len(sent) == 1
    assert sent[0]["registryId"] == "210987654321"
    assert sent[0]["repositoryName"] == "shared/base"
    assert sorted(i["imageTag"] for i in sent[0]["imageIds"]) == ["v7"]
    assert "application/vnd.oci.image.index.v1+json" in sent[0]["acceptedMediaTypes"]


def test_throttling_is_retried_by_botocore_until_it_succeeds(ecr: Ecr, clients: EcrClients) -> None:
    client = ecr.client()
    ensure_repository(client, "app")
    push(client, "app", "api-1", manifest("api-1"))
    ecr.proxy.fail_next("BatchGetImage", Fault("ThrottlingException", "Rate exceeded"))
    resolution = resolve(request({"Api": {"Tag": "api-1"}}), clients=clients)
    assert resolution.images[0].status is ImageStatus.FOUND
    assert ecr.calls() == 2  # one throttled attempt, one success: still one logical call
    assert resolution.ecr_calls == 1


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        (Fault("AccessDeniedException", "not authorized to perform: ecr:BatchGetImage"), 1),
        (Fault("ThrottlingException", "Rate exceeded"), 2),
        (Fault("ServerException", "internal", status=500), 2),
    ],
)
def test_errors_are_never_reported_as_missing(ecr: Ecr, fault: Fault, attempts: int) -> None:
    ensure_repository(ecr.client(), "app")
    ecr.proxy.fail_next("BatchGetImage", *[fault] * 5)
    clients = EcrClients(
        session=boto3.Session(),
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}),
    )
    with pytest.raises(LookupFailedError) as caught:
        resolve(request({"Api": {"Tag": "api-1"}}), clients=clients)
    message = str(caught.value)
    assert f"Api (app:api-1 in 123456789012/ap-southeast-2): {fault.code}" in message
    assert "not reported as missing" in message
    assert ecr.calls() == attempts


def test_an_unreachable_endpoint_is_a_lookup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")  # discard port: refused
    clients = EcrClients(
        session=boto3.Session(),
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    with pytest.raises(LookupFailedError, match="EndpointConnectionError"):
        resolve(request({"Api": {"Tag": "api-1"}}), clients=clients)


def test_the_deadline_bounds_a_slow_ecr(ecr: Ecr, clients: EcrClients) -> None:
    ensure_repository(ecr.client(), "app")
    ecr.proxy.latency_seconds = 2.0
    started = time.monotonic()
    with pytest.raises(
        LookupFailedError, match="Timeout: ECR did not answer before the time limit"
    ):
        resolve(request({"Api": {"Tag": "api-1"}}), clients=clients, deadline=Deadline.after(0.3))
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "code", ["KmsError", "UpstreamAccessDenied", "UpstreamTooManyRequests", "InvalidImageTag"]
)
def test_per_image_failure_codes_fail_the_lookup(code: str) -> None:
    # moto never returns these failure codes; botocore's Stubber plays ECR here.
    client = boto3.client("ecr", region_name="ap-southeast-2")
    stubber = Stubber(client)
    stubber.add_response(
        "batch_get_image",
        {
            "images": [],
            "failures": [
                {
                    "imageId": {"imageTag": "api-1"},
                    "failureCode": code,
                    "failureReason": "reason text",
                }
            ],
        },
    )
    with stubber, pytest.raises(LookupFailedError, match=f"Api .*: {code}: reason text"):
        resolve(request({"Api": {"Tag": "api-1"}}), clients=EcrClients(client=client))
    stubber.assert_no_pending_responses()


def test_access_denied_on_one_repository_fails_the_whole_resolution() -> None:
    client = boto3.client("ecr", region_name="ap-southeast-2")
    stubber = Stubber(client)
    stubber.add_client_error(
        "batch_get_image", "AccessDeniedException", "no access", http_status_code=400
    )
    with stubber, pytest.raises(LookupFailedError, match="AccessDeniedException: no access"):
        resolve(request({"Api": {"Tag": "api-1"}}), clients=EcrClients(client=client))


def test_a_lambda_image_in_another_region_is_wrong_region_not_found(ecr: Ecr) -> None:
    """Lambda pulls only from its own region: found in us-west-2, a Lambda image of a function in
    ap-southeast-2 would fail the function's create. It is WrongRegion (build needed, or
    replicate), takes its Fallback as a missing image would, and an ECS image there is Found."""
    west = ecr.client("us-west-2")
    ensure_repository(west, "shared/fn")
    push(west, "shared/fn", "v1", manifest("fn-v1"))
    there = "arn:aws:ecr:us-west-2:123456789012:repository/shared/fn"
    resolution = resolve(
        request(
            {
                "Fn": {"Repository": there, "Tag": "v1", "Lambda": "true"},
                "Local": {"Repository": there, "Tag": "v1", "Lambda": "true", "Fallback": "a/b:1"},
                "Task": {"Repository": there, "Tag": "v1"},
            },
            OnMissing="Fallback",
        ),
        clients=EcrClients(session=boto3.Session()),
    )
    fn, local, task = resolution.images
    assert (fn.status, fn.uri, fn.build_required) == (ImageStatus.WRONG_REGION, "", True)
    assert "Lambda pulls only from the function's own region, ap-southeast-2" in fn.detail
    assert (local.status, local.uri, local.source) == (
        ImageStatus.WRONG_REGION,
        "a/b:1",
        Source.FALLBACK,
    )
    assert task.status is ImageStatus.FOUND
