"""Assuming roles: session names within STS's rules, one AssumeRole per role whatever the
concurrency, refusals in words that name the fix, and STS through the region's own endpoint.
(Over HTTP with three accounts: tests/functional/test_roles.py.)"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from resolver.engine.ecr.failures import RoleUnavailableError
from resolver.engine.ecr.roles import (
    DEFAULT_SESSION_NAME,
    Credentials,
    RoleSessions,
    regional_sts,
    session_name,
)
from resolver.model import AssumedRole

READER = AssumedRole("arn:aws:iam::210987654321:role/reader", "210987654321", "aws")
TOOLS = AssumedRole("arn:aws:iam::333344445555:role/tools", "333344445555", "aws", "tak-prod")
FUNCTION_ROLE = "arn:aws:iam::123456789012:role/image-resolver-ResolverRole-ABC"
STS_RULES = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


# --- session names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("tak-prod", "Images"), "tak-prod.Images"),
        (("resolver-plan-alice@example.com",), "resolver-plan-alice@example.com"),
        (("stack with spaces/and:colons", "Images"), "stack-with-spaces-and-colons.Images"),
        (("", ""), DEFAULT_SESSION_NAME),
        (("x",), DEFAULT_SESSION_NAME),  # one character is below STS's minimum
        (("ünïcode",), "-n-code"),  # \w is ASCII for STS
    ],
)
def test_session_names_follow_sts_rules(parts: tuple[str, ...], expected: str) -> None:
    name = session_name(*parts)
    assert name == expected
    assert STS_RULES.fullmatch(name)


def test_long_session_names_keep_their_start_and_stay_apart() -> None:
    stack = "s" * 128  # CloudFormation's longest stack name
    first, second = session_name(stack, "ImagesA"), session_name(stack, "ImagesB")
    assert len(first) == len(second) == 64
    assert first.startswith("s" * 50) and first != second
    assert STS_RULES.fullmatch(first) and STS_RULES.fullmatch(second)


# --- one AssumeRole per role ---------------------------------------------------------------------


class FakeSts:
    """``assume_role`` answers (or raises) per role ARN; ``hold`` keeps a role's call waiting."""

    def __init__(self, refusals: dict[str, ClientError | EndpointConnectionError] | None = None):
        self.calls: list[dict[str, Any]] = []
        self.refusals = refusals or {}
        self.hold: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}
        self.meta = type("Meta", (), {"region_name": "ap-southeast-2"})()
        self._lock = threading.Lock()

    def assume_role(self, **request: Any) -> dict[str, Any]:
        with self._lock:
            self.calls.append(request)
        arn = request["RoleArn"]
        if arn in self.entered:
            self.entered[arn].set()
        if arn in self.hold:
            assert self.hold[arn].wait(10), "never released"
        if arn in self.refusals:
            raise self.refusals[arn]
        number = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{number}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
            }
        }


def sessions(sts: FakeSts, *, caller: Callable[[], str] = lambda: FUNCTION_ROLE) -> RoleSessions:
    return RoleSessions(sts=lambda: sts, name="tak-prod.Images", caller=caller)


def refused(code: str, message: str = "no", status: int = 403) -> ClientError:
    error: Any = {"Error": {"Code": code, "Message": message}}
    error["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(error, "AssumeRole")


def test_many_threads_asking_for_one_role_make_one_call() -> None:
    sts = FakeSts()
    sts.hold[READER.arn] = threading.Event()
    roles = sessions(sts)
    answers: list[Credentials] = []

    def ask() -> None:
        answers.append(roles.credentials(READER))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    sts.hold[READER.arn].set()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 8 and len(set(answers)) == 1
    assert sts.calls == [{"RoleArn": READER.arn, "RoleSessionName": "tak-prod.Images"}]


def test_one_role_waiting_on_sts_holds_up_no_other() -> None:
    sts = FakeSts()
    sts.hold[READER.arn], sts.entered[READER.arn] = threading.Event(), threading.Event()
    roles = sessions(sts)
    slow = threading.Thread(target=roles.credentials, args=(READER,))
    slow.start()
    assert sts.entered[READER.arn].wait(10)  # the reader's AssumeRole is in flight...
    assert roles.credentials(TOOLS).access_key_id  # ...and the tools role is answered meanwhile
    sts.hold[READER.arn].set()
    slow.join(10)
    assert sts.calls[1] == {
        "RoleArn": TOOLS.arn,
        "RoleSessionName": "tak-prod.Images",
        "ExternalId": "tak-prod",
    }


def test_a_refusal_is_kept_and_raised_for_every_read() -> None:
    sts = FakeSts({READER.arn: refused("AccessDenied")})
    roles = sessions(sts)
    for _ in range(3):
        with pytest.raises(RoleUnavailableError) as caught:
            roles.credentials(READER)
    assert len(sts.calls) == 1
    assert caught.value.failure.code == "AccessDenied"


@pytest.mark.parametrize(
    ("role", "error", "said"),
    [
        (
            READER,
            refused("AccessDenied"),
            f"sts:AssumeRole on {READER.arn} was refused: its trust policy must allow "
            f"{FUNCTION_ROLE}, whose own policy must allow sts:AssumeRole on the role (for the "
            "function: its stack's AssumableRoleArns)",
        ),
        (TOOLS, refused("AccessDenied"), f"must allow {FUNCTION_ROLE} with this ExternalId,"),
        (READER, refused("ExpiredToken", status=400), "the credentials asking have expired"),
        (READER, refused("ExpiredTokenException", status=400), "have expired; renew them"),
        (
            READER,
            refused("RegionDisabledException"),
            "STS is deactivated in ap-southeast-2 for the caller's account; activate it (IAM, "
            "Account settings, Security Token Service endpoints)",
        ),
        (READER, refused("Throttling", "Rate exceeded", 400), "failed: Rate exceeded"),
        (
            READER,
            EndpointConnectionError(endpoint_url="https://sts.ap-southeast-2.amazonaws.com"),
            "failed: Could not connect to the endpoint URL",
        ),
    ],
    ids=["trust", "external-id", "expired", "expired-exception", "region", "other", "network"],
)
def test_refusals_name_the_role_and_the_fix(
    role: AssumedRole, error: ClientError | EndpointConnectionError, said: str
) -> None:
    with pytest.raises(RoleUnavailableError) as caught:
        sessions(FakeSts({role.arn: error})).credentials(role)
    assert said in str(caught.value)
    assert "tak-prod" not in str(caught.value).replace("tak-prod.Images", "")  # no ExternalId


def test_the_caller_is_asked_for_only_when_a_trust_is_refused() -> None:
    asked: list[str] = []

    def caller() -> str:
        asked.append("who")
        return FUNCTION_ROLE

    roles = sessions(FakeSts({TOOLS.arn: refused("AccessDenied")}), caller=caller)
    roles.credentials(READER)
    assert asked == []
    with pytest.raises(RoleUnavailableError):
        roles.credentials(TOOLS)
    assert asked == ["who"]


# --- STS through the region's own endpoint -----------------------------------------------------


def maker(region: str) -> Callable[..., Any]:
    session = boto3.Session(region_name=region)

    def make(*, endpoint_url: str | None) -> Any:
        return session.client("sts", region_name=region, endpoint_url=endpoint_url)

    return make


@pytest.mark.parametrize(
    ("region", "suffix", "endpoint"),
    [
        ("us-east-1", "amazonaws.com", "https://sts.us-east-1.amazonaws.com"),
        ("ap-southeast-2", "amazonaws.com", "https://sts.ap-southeast-2.amazonaws.com"),
        ("cn-north-1", "amazonaws.com.cn", "https://sts.cn-north-1.amazonaws.com.cn"),
    ],
)
@pytest.mark.parametrize("setting", ["", "legacy", "regional"])
def test_sts_is_asked_in_the_regions_own_endpoint_whatever_botocore_defaults_to(
    region: str, suffix: str, endpoint: str, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore before 1.40 (and ``legacy`` now) sends us-east-1 and other early regions to
    the global sts.amazonaws.com: a dependency on us-east-1 the resolver does not take."""
    if setting:
        monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", setting)
    client = regional_sts(maker(region), region, suffix, endpoint_url=None)
    assert client.meta.endpoint_url == endpoint


def test_a_configured_endpoint_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        regional_sts(
            maker("us-east-1"), "us-east-1", "amazonaws.com", endpoint_url="http://x:1"
        ).meta.endpoint_url
        == "http://x:1"
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000")
    client = regional_sts(maker("us-east-1"), "us-east-1", "amazonaws.com", endpoint_url=None)
    assert client.meta.endpoint_url == "http://127.0.0.1:5000"
