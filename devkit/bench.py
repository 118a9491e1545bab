"""``make bench``: the batched resolver against naive per-image lookups, and cold-import time.

A report, not a test: targets are marked PASS or MISS and the exit status is 0 either way (non-zero
only if something breaks, e.g. a path resolves a wrong digest).

1. 40 images in 4 repositories sit in the local ECR emulator, reached through a proxy that sleeps
   50 ms per ECR call. The resolver (``parse_request`` → ``resolve``), a naive loop of one
   ``DescribeImages`` per image, and a single ``BatchGetImage`` (the floor) each get one untimed
   warm-up call, as in a warm Lambda, then are timed over several runs. The resolver and the
   round trip once more, straight to moto, show how much of a call is the emulator's own time.
2. Fresh interpreters time ``import resolver.app`` (the Lambda handler module) against the floor
   any Python Lambda calling ECR pays: ``import boto3`` plus one ECR client.
3. ``Version: latest`` over a 5,000-image repository (``bench_discovery``): calls, wall time and
   peak memory.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resolver.ecr_clients import EcrClients
from resolver.ecr_query import ACCEPTED_MEDIA_TYPES, BATCH_LIMIT
from resolver.references import Registry
from resolver.resolve import resolve
from resolver.spec import ResolveRequest, parse_request

from .bench_discovery import discovery_bench
from .ecr_emulator import (
    ACCOUNT_ID,
    FAKE_CREDENTIALS,
    REGION,
    ensure_repository,
    manifest,
    patched_environ,
    push,
    running_emulator,
)
from .ecr_proxy import EcrProxy

RUNS = 5
IMPORT_RUNS = 7
LATENCY_SECONDS = 0.05
REPOSITORIES = ("bench/api", "bench/worker", "bench/web", "bench/etl")
TAGS_PER_REPOSITORY = 10
SPEEDUP_TARGET = 20.0  # naive / ours, at least
ROUND_TRIP_TARGET = 1.5  # ours / one round trip, at most
IMPORT_TARGET = 1.25  # resolver.app / (boto3 + client), at most

SRC = Path(__file__).resolve().parent.parent / "src"

# (repository, tag) -> the digest pushed for it
Images = Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class Outcome:
    """What one lookup path answered, and how many ECR calls it says it made."""

    digests: dict[tuple[str, str], str]
    calls: int


@dataclass(frozen=True)
class Measurement:
    seconds: list[float]
    proxy_calls: list[int]  # per timed run, as the proxy counted them
    own_calls: list[int]  # per timed run, as the path itself reports them

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


# --- 1. lookups through the latency proxy ------------------------------------------------------


def seed(client: Any) -> dict[tuple[str, str], str]:
    """Push ``TAGS_PER_REPOSITORY`` distinct manifests into each repository, straight to moto."""
    images: dict[tuple[str, str], str] = {}
    for repo in REPOSITORIES:
        ensure_repository(client, repo)
        for n in range(TAGS_PER_REPOSITORY):
            tag = f"build-{n:02d}"
            images[repo, tag] = push(client, repo, tag, manifest(f"{repo}:{tag}"))
    return images


def build_request(images: Images) -> ResolveRequest:
    """The request a template would send: one named image per (repository, tag), bare names."""
    properties = {
        "Images": {
            f"Image{i:02d}": {"Repository": repo, "Tag": tag}
            for i, (repo, tag) in enumerate(images)
        }
    }
    return parse_request(properties, default_registry=Registry(ACCOUNT_ID, REGION))


def expected_calls(images: Images) -> int:
    per_repository = Counter(repo for repo, _tag in images)
    return sum(math.ceil(count / BATCH_LIMIT) for count in per_repository.values())


def ours(request: ResolveRequest, clients: EcrClients) -> Outcome:
    resolution = resolve(request, clients=clients)
    digests = {
        (image.spec.ref.repository.name, image.spec.ref.tag or ""): image.digest or ""
        for image in resolution.images
    }
    return Outcome(digests, resolution.ecr_calls)


def naive(client: Any, images: Images) -> Outcome:
    """What people write by hand: one ``DescribeImages`` per image, one after another."""
    digests: dict[tuple[str, str], str] = {}
    for repo, tag in images:
        answer = client.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])
        digests[repo, tag] = answer["imageDetails"][0]["imageDigest"]
    return Outcome(digests, len(images))


def round_trip(client: Any, batch: Images) -> Outcome:
    """One ``BatchGetImage`` of one repository's images, exactly one of our calls: the floor."""
    (repo,) = {repo for repo, _ in batch}
    answer = client.batch_get_image(
        registryId=ACCOUNT_ID,
        repositoryName=repo,
        imageIds=[{"imageTag": tag} for _, tag in batch],
        acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
    )
    found = {
        (repo, i["imageId"]["imageTag"]): i["imageId"]["imageDigest"] for i in answer["images"]
    }
    return Outcome(found, 1)


def measure(
    name: str, path: Callable[[], Outcome], expected: Images, counted: Counter[str] | None
) -> Measurement:
    """One untimed warm-up call (checked against what was pushed), then ``RUNS`` timed ones.

    ``counted`` is the proxy's per-operation call counter; ``None`` for a path that bypasses it.
    """
    if path().digests != expected:
        raise RuntimeError(f"{name}: resolved digests other than those pushed")
    seconds: list[float] = []
    proxy_calls: list[int] = []
    own_calls: list[int] = []
    for _ in range(RUNS):
        before = counted.total() if counted is not None else 0
        started = time.perf_counter()
        outcome = path()
        seconds.append(time.perf_counter() - started)
        if counted is not None:
            proxy_calls.append(counted.total() - before)
        own_calls.append(outcome.calls)
    return Measurement(seconds, proxy_calls, own_calls)


def clients_for(endpoint: str) -> EcrClients:
    """Clients as the Lambda makes them, with botocore finding ``endpoint`` in the environment."""
    clients = EcrClients()
    with patched_environ({"AWS_ENDPOINT_URL_ECR": endpoint}):
        clients.for_region(REGION)  # created now, while the environment names the endpoint
    return clients


def lookup_bench() -> None:
    with (
        running_emulator() as ecr,
        EcrProxy(ecr.endpoint, latency_seconds=LATENCY_SECONDS) as proxy,
        patched_environ(FAKE_CREDENTIALS),
    ):
        images = seed(ecr.client())  # straight to moto: not counted, no latency
        request = build_request(images)
        first_repo = next(iter(images))[0]
        one = {key: digest for key, digest in images.items() if key[0] == first_repo}
        resolver = clients_for(proxy.endpoint)
        by_hand = clients_for(proxy.endpoint).for_region(REGION)  # same config, own connections
        direct = clients_for(ecr.endpoint)
        results = {
            "ours": measure("ours", lambda: ours(request, resolver), images, proxy.calls),
            "naive": measure("naive", lambda: naive(by_hand, images), images, proxy.calls),
            "trip": measure("trip", lambda: round_trip(by_hand, one), one, proxy.calls),
            "moto ours": measure("moto ours", lambda: ours(request, direct), images, None),
            "moto trip": measure(
                "moto trip", lambda: round_trip(direct.for_region(REGION), one), one, None
            ),
        }
    print_lookups(images, results)


ROWS = (
    ("ours", "ours: resolve(), one BatchGetImage per repo"),
    ("naive", "naive: DescribeImages per image, in turn"),
    ("trip", "one BatchGetImage of one repo's 10 (the floor)"),
    ("moto ours", "ours, straight to moto (no proxy, no latency)"),
    ("moto trip", "one BatchGetImage, straight to moto"),
)


def print_lookups(images: Images, results: Mapping[str, Measurement]) -> None:
    repos = len({repo for repo, _tag in images})
    print(
        f"\n1. Lookups: {len(images)} images in {repos} repositories ({TAGS_PER_REPOSITORY} tags "
        f"each), {LATENCY_SECONDS * 1000:.0f} ms injected per ECR call"
    )
    print(f"   {'':<46} {'ECR calls':^11}   wall time, median of {RUNS}")
    print(f"   {'path':<46} {'proxy':>5} {'own':>5}   (min..max)")
    for key, label in ROWS:
        m = results[key]
        print(f"   {label:<46} {span(m.proxy_calls):>5} {span(m.own_calls):>5}   {wall(m)}")
    print_lookup_verdicts(images, results)


def print_lookup_verdicts(images: Images, results: Mapping[str, Measurement]) -> None:
    ours_, naive_, trip = results["ours"], results["naive"], results["trip"]
    moto_ours, moto_trip = results["moto ours"], results["moto trip"]
    want = expected_calls(images)
    met = set(ours_.proxy_calls + ours_.own_calls) == {want}
    print(
        f"   calls, ours {span(ours_.proxy_calls)} vs expected Σ⌈images per repo / {BATCH_LIMIT}⌉ "
        f"= {want}: {'PASS' if met else 'MISS'};  naive {span(naive_.proxy_calls)} "
        f"(one per image: {len(images)})"
    )
    speedup = naive_.median_ms / ours_.median_ms
    print(f"   naive / ours            {speedup:6.1f}x   {at_least(speedup, SPEEDUP_TARGET)}")
    floor = ours_.median_ms / trip.median_ms
    print(f"   ours / one round trip   {floor:6.2f}x   {at_most(floor, ROUND_TRIP_TARGET)}")
    overhead = trip.median_ms - LATENCY_SECONDS * 1000 - moto_trip.median_ms
    print(
        f"   one round trip = {LATENCY_SECONDS * 1000:.0f} ms injected + "
        f"{moto_trip.median_ms:.1f} ms moto + {overhead:.1f} ms proxy and loopback"
    )
    print(
        f"   ours straight to moto = {moto_ours.median_ms / moto_trip.median_ms:.1f}x one moto call "
        "(moto, the proxy and the client share this process and its GIL)"
    )


# --- 2. cold import --------------------------------------------------------------------------

IMPORTS = {
    "app": "import resolver.app",
    "floor": 'import boto3; boto3.client("ecr", region_name="ap-southeast-2")',
    "boto3": "import boto3",
    "powertools": "from aws_lambda_powertools import Logger, Metrics",
    "crhelper": "import crhelper",
}


def child_environment() -> dict[str, str]:
    """A clean environment, as a Lambda has: fake credentials and region, no endpoint."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC),
        "POWERTOOLS_METRICS_NAMESPACE": "ImageResolver",
        **FAKE_CREDENTIALS,
    }


def import_seconds(statement: str, environment: Mapping[str, str]) -> float:
    """Seconds ``statement`` takes in a fresh interpreter, timed inside it."""
    program = (
        "import time\n"
        "started = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - started)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", program],
        env=dict(environment),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(child.stdout.strip().splitlines()[-1])


def import_bench() -> None:
    environment = child_environment()
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for statement in IMPORTS.values():  # untimed: writes .pyc files, warms the page cache
        import_seconds(statement, environment)
    for _ in range(IMPORT_RUNS):  # interleaved, so drift in machine load hits every statement
        for name, statement in IMPORTS.items():
            samples[name].append(import_seconds(statement, environment))
    ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    ratio = ms["app"] / ms["floor"]
    print(f"\n2. Cold import: median of {IMPORT_RUNS} fresh interpreters each, interleaved")
    print(f"   {IMPORTS['app'] + '  (the Lambda handler module)':<72} {ms['app']:5.0f} ms")
    print(f"   {IMPORTS['floor'] + '  (floor)':<72} {ms['floor']:5.0f} ms")
    print(f"   resolver.app / floor    {ratio:6.2f}x   {at_most(ratio, IMPORT_TARGET)}")
    print(
        f"   alone: import boto3 {ms['boto3']:.0f} ms · Powertools Logger, Metrics "
        f"{ms['powertools']:.0f} ms · import crhelper {ms['crhelper']:.0f} ms"
    )
    print(
        f"   the ECR client ≈ floor - import boto3 = {ms['floor'] - ms['boto3']:.0f} ms "
        "(resolver.app makes it on the first invocation, not at import)"
    )


# --- report ----------------------------------------------------------------------------------


def span(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}..{high}"


def wall(m: Measurement) -> str:
    low, high = min(m.seconds) * 1000, max(m.seconds) * 1000
    return f"{m.median_ms:7.1f} ms ({low:.1f}..{high:.1f})"


def at_least(value: float, target: float) -> str:
    return f"target >= {target:g}x   {'PASS' if value >= target else 'MISS'}"


def at_most(value: float, target: float) -> str:
    return f"target <= {target:g}x   {'PASS' if value <= target else 'MISS'}"


def print_header() -> None:
    print("ECR image resolver benchmark")
    print(
        f"   {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.platform()} ({platform.machine()}, {os.cpu_count()} CPUs)"
    )
    print(
        f"   How measured: moto's ECR server on 127.0.0.1 behind a proxy sleeping "
        f"{LATENCY_SECONDS * 1000:.0f} ms per call; ECR clients created and warmed by one untimed "
        f"call per path (a warm Lambda); wall time by time.perf_counter, median of {RUNS} runs; "
        f"imports timed inside fresh interpreters (after one untimed run each, for .pyc files)."
    )


def main() -> int:
    print_header()
    lookup_bench()
    import_bench()
    discovery_bench()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
