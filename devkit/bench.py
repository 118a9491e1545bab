"""``make bench``: the resolver against the lookups people write by hand, and cold start.

A report, not a test: targets are marked PASS or MISS and the exit status is 0 either way
(non-zero only if something breaks, e.g. a path resolves a wrong digest).

1. 40 images in 4 repositories sit in the local ECR emulator, reached through a proxy that sleeps
   50 ms per ECR call. Side by side: the resolver (``parse_request`` → ``resolve``); the naive
   loop (one ``DescribeImages`` per image); a competent loop (one batched ``BatchGetImage`` per
   repository, in turn); the same with a small thread pool (the strongest fair baseline); and a
   single ``BatchGetImage`` (the floor). Each gets one untimed warm-up call, as in a warm Lambda.
   1b. The same lookup through a role, beside it without one (``bench_roles``).
2. Cold start, as Lambda pays it before the first ECR call: importing the handler module of the
   *built* artifact (``src/Makefile``, bytecode included) and creating the first ECR client,
   against the floor any Python Lambda calling ECR pays (``import boto3`` and one ECR client).
   Fresh interpreters, interleaved; on the runtime's Python (3.13) when this machine has it.
3. The planner's start-up: ``resolver --help`` and the imports of ``resolver plan``, against
   ``import boto3``.
4. ``Version: latest`` over a 5,000-image repository (``bench_discovery``).
5. What the gates that vouch for a digest cost, counted on the wire (``bench_vouching``).
6. What ``Protect`` costs in ECR calls, step by step, beside the same stack without it
   (``bench_protection``).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from resolver.engine import resolve
from resolver.engine.ecr.batch_get_image import ACCEPTED_MEDIA_TYPES
from resolver.engine.ecr.batches import BATCH_LIMIT
from resolver.engine.ecr.clients import EcrClients
from resolver.model import ResolveRequest
from resolver.properties import parse_request
from resolver.references import Registry

from .bench_coldstart import cold_start_bench, planner_bench
from .bench_discovery import discovery_bench
from .bench_protection import protection_bench
from .bench_roles import roles_bench
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
HOME = Registry(ACCOUNT_ID, REGION)
LATENCY_SECONDS = 0.05
REPOSITORIES = ("bench/api", "bench/worker", "bench/web", "bench/etl")
TAGS_PER_REPOSITORY = 10
SPEEDUP_TARGET = 20.0  # naive / ours, at least
ROUND_TRIP_TARGET = 1.5  # ours / one round trip, at most


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


def batched(client: Any, repo: str, tags: list[str]) -> dict[tuple[str, str], str]:
    """One ``BatchGetImage`` for one repository's tags (at most 100 here)."""
    answer = client.batch_get_image(
        registryId=ACCOUNT_ID,
        repositoryName=repo,
        imageIds=[{"imageTag": tag} for tag in tags],
        acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
    )
    return {(repo, i["imageId"]["imageTag"]): i["imageId"]["imageDigest"] for i in answer["images"]}


def by_repository(images: Images) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for repo, tag in images:
        grouped.setdefault(repo, []).append(tag)
    return grouped


def competent(client: Any, images: Images) -> Outcome:
    """What a competent engineer writes: one batched call per repository, one after another."""
    grouped = by_repository(images)
    digests: dict[tuple[str, str], str] = {}
    for repo, tags in grouped.items():
        digests |= batched(client, repo, tags)
    return Outcome(digests, len(grouped))


def thread_pool(client: Any, images: Images, pool: ThreadPoolExecutor) -> Outcome:
    """The strongest fair baseline: the competent loop, repositories fetched concurrently."""
    grouped = by_repository(images)
    digests: dict[tuple[str, str], str] = {}
    for found in pool.map(lambda item: batched(client, *item), grouped.items()):
        digests |= found
    return Outcome(digests, len(grouped))


def round_trip(client: Any, batch: Images) -> Outcome:
    """One ``BatchGetImage`` of one repository's images, exactly one of our calls: the floor."""
    (repo,) = {repo for repo, _ in batch}
    return Outcome(batched(client, repo, [tag for _, tag in batch]), 1)


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
        clients.for_registry(HOME)  # created now, while the environment names the endpoint
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
        by_hand = clients_for(proxy.endpoint).for_registry(HOME)  # same config, own connections
        direct = clients_for(ecr.endpoint)
        with ThreadPoolExecutor(max_workers=len(REPOSITORIES)) as pool:
            results = {
                "ours": measure("ours", lambda: ours(request, resolver), images, proxy.calls),
                "naive": measure("naive", lambda: naive(by_hand, images), images, proxy.calls),
                "loop": measure("loop", lambda: competent(by_hand, images), images, proxy.calls),
                "pool": measure(
                    "pool", lambda: thread_pool(by_hand, images, pool), images, proxy.calls
                ),
                "trip": measure("trip", lambda: round_trip(by_hand, one), one, proxy.calls),
                "moto ours": measure("moto ours", lambda: ours(request, direct), images, None),
                "moto trip": measure(
                    "moto trip", lambda: round_trip(direct.for_registry(HOME), one), one, None
                ),
            }
    print_lookups(images, results)


ROWS = (
    ("ours", "ours: resolve(), one BatchGetImage per repo"),
    ("naive", "naive: DescribeImages per image, in turn"),
    ("loop", "competent: BatchGetImage per repo, in turn"),
    ("pool", "thread pool: BatchGetImage per repo, 4 threads"),
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
    loop = results["loop"].median_ms / ours_.median_ms
    print(f"   competent loop / ours   {loop:6.2f}x   (what concurrency across repositories wins)")
    pool = results["pool"].median_ms / ours_.median_ms
    print(
        f"   thread pool / ours      {pool:6.2f}x   (same calls, same concurrency: the price of "
        "validation, typed results and the deadline)"
    )
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
        f"call per path (a warm Lambda); wall time by time.perf_counter, median of {RUNS} runs."
    )


def main() -> int:
    print_header()
    lookup_bench()
    roles_bench()
    cold_start_bench()
    planner_bench()
    discovery_bench()
    from .bench_vouching import vouching_bench  # it imports this module's helpers

    vouching_bench()
    protection_bench()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
