"""Where a response may go, when local mode applies, and how a PUT is bounded."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from resolver.cloudformation.delivery import (
    EMULATED_FUNCTION_ARN,
    Destinations,
    SendPolicy,
    Target,
    deliver,
    in_real_lambda,
    target_for,
)

SYDNEY = Destinations(region="ap-southeast-2")
BUCKET = "cloudformation-custom-resource-response-apsoutheast2"
KEY = "/arn%3Aaws%3Acloudformation%3Aap-southeast-2%3A123456789012%3Astack/s/1%7CImages%7Cr?X-Amz-Signature=x"

# CloudFormation's response URLs as they appear in AWS's docs and in real events (README, "Trust
# boundary" lists the sources): virtual-hosted and path style, global and regional endpoints.
GENUINE = [
    (SYDNEY, f"https://{BUCKET}.s3.ap-southeast-2.amazonaws.com{KEY}"),
    (SYDNEY, f"https://{BUCKET}.s3-ap-southeast-2.amazonaws.com{KEY}"),
    (SYDNEY, f"https://{BUCKET}.s3.amazonaws.com{KEY}"),
    (SYDNEY, f"https://{BUCKET}.s3.amazonaws.com:443{KEY}"),
    (SYDNEY, f"https://s3.ap-southeast-2.amazonaws.com/{BUCKET}{KEY}"),
    (SYDNEY, f"https://s3-ap-southeast-2.amazonaws.com/{BUCKET}{KEY}"),
    (SYDNEY, f"https://s3.amazonaws.com/{BUCKET}{KEY}"),
    (SYDNEY, f"HTTPS://{BUCKET.upper()}.S3.AMAZONAWS.COM{KEY}"),  # host names are case-blind
    (
        Destinations(region="us-east-1"),
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{KEY}",
    ),
    (
        Destinations(region="us-east-1"),
        f"https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com{KEY}",
    ),
    (
        Destinations(region="cn-north-1", partition="aws-cn"),
        f"https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn{KEY}",
    ),
    (
        Destinations(region="us-gov-west-1", partition="aws-us-gov"),
        f"https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com{KEY}",
    ),
]


@pytest.mark.parametrize(("destinations", "url"), GENUINE)
def test_cloudformations_response_bucket_of_the_functions_region_is_sent_to(
    destinations: Destinations, url: str
) -> None:
    assert target_for(url, destinations=destinations) is Target.SEND


REFUSED = [
    # Look-alike buckets: anyone can create one with the prefix.
    f"https://cloudformation-custom-resource-response-attacker123.s3.amazonaws.com{KEY}",
    f"https://{BUCKET}x.s3.amazonaws.com{KEY}",
    f"https://s3.amazonaws.com/cloudformation-custom-resource-response-attacker123{KEY}",
    f"https://s3.amazonaws.com/{BUCKET}x{KEY}",
    # Another region's (or partition's) bucket: CloudFormation uses the stack's region.
    f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.ap-southeast-2.amazonaws.com.cn{KEY}",
    f"https://{BUCKET}.s3.us-east-1.amazonaws.com{KEY}",
    # Right bucket name, wrong scheme, port, host or shape.
    f"http://{BUCKET}.s3.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.amazonaws.com:8443{KEY}",
    f"https://{BUCKET}.s3.amazonaws.com:99999{KEY}",
    f"https://user@{BUCKET}.s3.amazonaws.com{KEY}",
    f"https://evil.example.com@{BUCKET}.s3.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.amazonaws.com.evil.example{KEY}",
    f"https://{BUCKET}.execute-api.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.evil.example/{KEY}",
    f"https://evil.example/{BUCKET}{KEY}",
    f"https://s3.amazonaws.com/{KEY}",
    f"https://s3.amazonaws.com/x/{BUCKET}{KEY}",
    "https://my-own-bucket.s3.amazonaws.com/x",
    "https://my-alb-1234.us-east-1.elb.amazonaws.com/x",
    "http://127.0.0.1:8080/r",
    "not a url",
    "",
]


@pytest.mark.parametrize("url", REFUSED)
def test_everything_else_is_refused_outside_local_mode(url: str) -> None:
    assert target_for(url, destinations=SYDNEY) is Target.REFUSE


# S3's FIPS and dual-stack endpoints, in every partition's DNS suffix, virtual-hosted and path
# style: the forms of S3's endpoint table and of botocore's S3 endpoint rules (README, "Trust
# boundary"). Each partition's response bucket is named after its region.
ENDPOINT_FORMS = [
    "s3.{region}.{suffix}",
    "s3-{region}.{suffix}",
    "s3.dualstack.{region}.{suffix}",
    "s3-fips.{region}.{suffix}",
    "s3-fips.dualstack.{region}.{suffix}",
]
HOMES = [
    ("ap-southeast-2", "aws", "amazonaws.com"),
    ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
    ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
    ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
    ("eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"),
    ("us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"),
    ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"),
]


def _bucket(region: str) -> str:
    return f"cloudformation-custom-resource-response-{region.replace('-', '')}"


@pytest.mark.parametrize(("region", "partition", "suffix"), HOMES)
@pytest.mark.parametrize("form", ENDPOINT_FORMS)
def test_fips_and_dual_stack_endpoints_of_every_partition_are_sent_to(
    region: str, partition: str, suffix: str, form: str
) -> None:
    home = Destinations(region=region, partition=partition)
    endpoint = form.format(region=region, suffix=suffix)
    assert (
        target_for(f"https://{_bucket(region)}.{endpoint}{KEY}", destinations=home) is Target.SEND
    )
    assert (
        target_for(f"https://{endpoint}/{_bucket(region)}{KEY}", destinations=home) is Target.SEND
    )


FIPS_LOOK_ALIKES = [
    # No region: S3's FIPS and dual-stack endpoints are regional only.
    f"https://{BUCKET}.s3-fips.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.dualstack.amazonaws.com{KEY}",
    f"https://s3-fips.dualstack.amazonaws.com/{BUCKET}{KEY}",
    # Invented spellings and orders.
    f"https://{BUCKET}.s3-fips-ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3-dualstack.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.dualstack-ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.dualstack.s3-fips.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3-fips.dualstack.fips.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3-accelerate.dualstack.amazonaws.com{KEY}",
    # Another region, partition suffix or dual-stack suffix (S3 uses the partition's DNS suffix).
    f"https://{BUCKET}.s3-fips.us-east-1.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3-fips.ap-southeast-2.c2s.ic.gov{KEY}",
    f"https://{BUCKET}.s3-fips.ap-southeast-2.api.aws{KEY}",
    f"https://{BUCKET}.s3.dualstack.ap-southeast-2.amazonaws.com.evil.example{KEY}",
    # Look-alike buckets and paths on genuine FIPS and dual-stack endpoints.
    f"https://cloudformation-custom-resource-response-attacker.s3-fips.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}x.s3.dualstack.ap-southeast-2.amazonaws.com{KEY}",
    f"https://s3-fips.dualstack.ap-southeast-2.amazonaws.com/{BUCKET}x{KEY}",
    f"https://s3.dualstack.ap-southeast-2.amazonaws.com/x/{BUCKET}{KEY}",
    # Right host, wrong scheme or port.
    f"http://{BUCKET}.s3-fips.ap-southeast-2.amazonaws.com{KEY}",
    f"https://{BUCKET}.s3.dualstack.ap-southeast-2.amazonaws.com:444{KEY}",
]


@pytest.mark.parametrize("url", FIPS_LOOK_ALIKES)
def test_fips_and_dual_stack_look_alikes_are_refused(url: str) -> None:
    assert target_for(url, destinations=SYDNEY) is Target.REFUSE


def test_a_partition_is_sent_to_only_in_its_own_regions_and_suffix() -> None:
    iso = Destinations(region="us-iso-east-1", partition="aws-iso")
    genuine = f"https://cloudformation-custom-resource-response-usisoeast1.s3.us-iso-east-1.c2s.ic.gov{KEY}"
    assert target_for(genuine, destinations=iso) is Target.SEND
    commercial_suffix = genuine.replace("c2s.ic.gov", "amazonaws.com")
    assert target_for(commercial_suffix, destinations=iso) is Target.REFUSE
    wrong_partition = Destinations(region="us-iso-east-1", partition="aws-iso-b")
    assert target_for(genuine, destinations=wrong_partition) is Target.REFUSE


def test_without_a_known_region_no_aws_url_is_sent_to() -> None:
    url = f"https://{BUCKET}.s3.amazonaws.com{KEY}"
    assert target_for(url, destinations=Destinations(region="")) is Target.REFUSE
    assert target_for(url, destinations=Destinations("ap-southeast-2", "aws-iso")) is Target.REFUSE


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1:8080/r", Target.SEND),
        ("http://[::1]:8080/r", Target.SEND),
        ("http://localhost:8080/r", Target.SEND),
        ("https://127.0.0.1:8443/r", Target.SEND),
        (f"https://{BUCKET}.s3.amazonaws.com{KEY}", Target.PRINT),
        ("http://10.0.0.1/r", Target.PRINT),
        ("ftp://127.0.0.1/r", Target.PRINT),
        ("http://127.0.0.1:notaport/r", Target.PRINT),
        ("", Target.PRINT),
    ],
)
def test_local_mode_sends_to_loopback_and_prints_the_rest(url: str, target: Target) -> None:
    local = Destinations(region="ap-southeast-2", local=True)
    assert target_for(url, destinations=local) is target


FUNCTION = "arn:aws:lambda:ap-southeast-2:123456789012:function:image-resolver-resolver"
IN_LAMBDA = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_REGION": "ap-southeast-2"}


@pytest.mark.parametrize(
    ("arn", "environ", "real"),
    [
        (FUNCTION, IN_LAMBDA, True),
        # The emulators (RIE, sam local) also run the runtime API, but report a fixed ARN.
        (f"{EMULATED_FUNCTION_ARN}image-resolver", {**IN_LAMBDA, "AWS_SAM_LOCAL": "true"}, False),
        (f"{EMULATED_FUNCTION_ARN}image-resolver", IN_LAMBDA, False),
        # In-process runs (tests, the demo, `resolver invoke`) have no runtime API.
        (FUNCTION, {"AWS_REGION": "ap-southeast-2"}, False),
    ],
)
def test_a_real_lambda_is_told_from_emulators_and_tests(
    arn: str, environ: dict[str, str], real: bool
) -> None:
    assert in_real_lambda(function_arn=arn, environ=environ) is real


@pytest.mark.parametrize("flag", ["IMAGE_RESOLVER_LOCAL", "AWS_SAM_LOCAL"])
def test_a_local_flag_on_a_deployed_function_is_ignored_with_an_error(
    flag: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="resolver.cloudformation.delivery"):
        deployed = Destinations.for_function(FUNCTION, {**IN_LAMBDA, flag: "true"})
    assert deployed == Destinations(region="ap-southeast-2", partition="aws", local=False)
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "Local mode is set on a deployed function and is ignored" in record.getMessage()
    url = f"https://{BUCKET}.s3.ap-southeast-2.amazonaws.com{KEY}"
    assert target_for(url, destinations=deployed) is Target.SEND  # never printed instead


def test_local_flags_work_under_the_emulator_and_in_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulated = f"{EMULATED_FUNCTION_ARN}image-resolver"
    rie = Destinations.for_function(emulated, {**IN_LAMBDA, "IMAGE_RESOLVER_LOCAL": "true"})
    assert (rie.region, rie.local) == ("us-east-1", True)
    in_process = Destinations.for_function(FUNCTION, {"IMAGE_RESOLVER_LOCAL": "1"})
    assert (in_process.region, in_process.local) == ("ap-southeast-2", True)
    assert not Destinations.for_function(FUNCTION, {"IMAGE_RESOLVER_LOCAL": "no"}).local
    assert caplog.records == []


def test_the_region_comes_from_the_environment_without_a_function_arn() -> None:
    china = Destinations.for_function("", {"AWS_REGION": "cn-northwest-1"})
    assert (china.region, china.partition) == ("cn-northwest-1", "aws-cn")
    sovereign = Destinations.for_function("", {"AWS_REGION": "eusc-de-east-1"})
    assert (sovereign.region, sovereign.partition) == ("eusc-de-east-1", "aws-eusc")


@pytest.mark.parametrize(
    ("arn", "region", "partition"),
    [
        (
            "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:r",
            "us-isob-east-1",
            "aws-iso-b",
        ),
        (
            "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:r",
            "eusc-de-east-1",
            "aws-eusc",
        ),
    ],
)
def test_the_functions_own_partition_comes_from_its_arn(
    arn: str, region: str, partition: str
) -> None:
    own = Destinations.for_function(arn, {"AWS_REGION": region})
    assert (own.region, own.partition) == (region, partition)


# --- a bounded PUT -------------------------------------------------------------------------------


@pytest.fixture
def stalled_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Name lookups of anything but loopback hang until released, then fail: no real network.

    Socket timeouts do not cover getaddrinfo, which is what a stalled resolver looks like.
    """
    released = threading.Event()
    real = socket.getaddrinfo

    def stalling(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("127.0.0.1", "localhost", "::1"):
            return real(host, *args, **kwargs)
        released.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "lookup stalled, then failed")

    monkeypatch.setattr(socket, "getaddrinfo", stalling)
    yield released
    released.set()


def put_stalled(policy: SendPolicy, *, deadline_in: float) -> tuple[bool, float]:
    """Deliver to a genuine URL whose name lookup stalls: (sent?, seconds it took)."""
    url = f"https://{BUCKET}.s3.ap-southeast-2.amazonaws.com{KEY}"
    started = time.monotonic()
    sent = deliver(url, b"{}", destinations=SYDNEY, policy=policy, deadline=started + deadline_in)
    return sent, time.monotonic() - started


def test_a_stalled_name_lookup_cannot_hold_the_put_past_its_deadline(
    stalled_dns: threading.Event,
) -> None:
    policy = SendPolicy(attempts=3, timeout_seconds=5.0, backoff_seconds=0.1)
    sent, elapsed = put_stalled(policy, deadline_in=1.0)
    assert sent is False
    assert elapsed < 1.5, f"the PUT took {elapsed:.1f} s against a 1 s deadline"


def test_each_stalled_attempt_is_given_up_after_its_own_timeout(
    stalled_dns: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    policy = SendPolicy(attempts=2, timeout_seconds=0.3, backoff_seconds=0.0)
    with caplog.at_level(logging.WARNING, logger="resolver.cloudformation.delivery"):
        _, elapsed = put_stalled(policy, deadline_in=10.0)
    failures = [r for r in caplog.records if r.getMessage() == "Response PUT failed"]
    assert [r.attempt for r in failures] == [1, 2]  # type: ignore[attr-defined]
    assert all("stalled" in r.error for r in failures)  # type: ignore[attr-defined]
    assert elapsed < 1.5
    assert "X-Amz-Signature" not in caplog.text  # the pre-signed URL never reaches the log


def test_a_refused_url_is_logged_by_host_only(caplog: pytest.LogCaptureFixture) -> None:
    url = f"https://cloudformation-custom-resource-response-attacker.s3.amazonaws.com{KEY}"
    with caplog.at_level(logging.ERROR, logger="resolver.cloudformation.delivery"):
        assert not deliver(
            url, b"{}", destinations=SYDNEY, policy=SendPolicy(), deadline=time.monotonic() + 1
        )
    (record,) = caplog.records
    assert record.host == "cloudformation-custom-resource-response-attacker.s3.amazonaws.com"  # type: ignore[attr-defined]
    assert "X-Amz-Signature" not in caplog.text
