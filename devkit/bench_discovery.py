"""``make bench``, part 4: ``Version: latest`` over a repository of 5,000 tagged images.

Four components (cloudtak-, events-, pmtiles-, data-<version>) of 1,250 versions each, one push
per hour of history; the newest version lacks its pmtiles image, so the coherent choice is the one
before it. Images are put straight into moto's backend (thousands of HTTP pushes would dominate the
run); the resolver then reads them over HTTP through the 50 ms latency proxy like any other call.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from resolver.engine import resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.model import Resolution
from resolver.properties import parse_request
from resolver.references import Registry

from .ecr_emulator import (
    ACCOUNT_ID,
    FAKE_CREDENTIALS,
    REGION,
    digest_of,
    ensure_repository,
    manifest,
    patched_environ,
    running_emulator,
)
from .ecr_proxy import EcrProxy

REPOSITORY = "tak-bench-artifacts"
COMPONENTS = ("cloudtak", "events", "pmtiles", "data")
VERSIONS = 1250
RUNS = 3
LATENCY_SECONDS = 0.05


def _version(i: int) -> str:
    return f"{i:08x}"


def seed_history() -> str:
    """Put 5,000 images into moto's backend; returns the version a correct resolver picks."""
    from moto.ecr.models import ecr_backends

    backend = ecr_backends[ACCOUNT_ID][REGION]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(VERSIONS):
        for component in COMPONENTS:
            if i == VERSIONS - 1 and component == "pmtiles":
                continue  # the newest version is incomplete: CI is still pushing it
            tag = f"{component}-{_version(i)}"
            body = manifest(f"{component}:{i}")
            image = backend.put_image(REPOSITORY, body.decode(), tag, None, digest_of(body))
            image.image_pushed_at = int((start + timedelta(hours=i)).timestamp())
    return _version(VERSIONS - 2)


def discovery_bench() -> None:
    with (
        running_emulator() as ecr,
        EcrProxy(ecr.endpoint, latency_seconds=LATENCY_SECONDS) as proxy,
        patched_environ(FAKE_CREDENTIALS),
    ):
        ensure_repository(ecr.client(), REPOSITORY)
        started = time.perf_counter()
        expected = seed_history()
        seeded_in = time.perf_counter() - started
        properties = {
            "Repository": REPOSITORY,
            "Version": "latest",
            "Images": {c.title(): {"Tag": f"{c}-{{version}}"} for c in COMPONENTS},
        }
        request = parse_request(properties, default_registry=Registry(ACCOUNT_ID, REGION))
        with patched_environ({"AWS_ENDPOINT_URL_ECR": proxy.endpoint}):
            clients = EcrClients()
            resolve(request, clients=clients)  # warm-up: clients made, connections open
            proxy.reset()
            proxy.latency_seconds = LATENCY_SECONDS
            walls, resolution = [], None
            for _ in range(RUNS):
                t0 = time.perf_counter()
                resolution = resolve(request, clients=clients)
                walls.append((time.perf_counter() - t0) * 1000)
            calls = dict(proxy.calls)
            tracemalloc.start()
            resolve(request, clients=clients)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert isinstance(resolution, Resolution)
    verdict = "PASS" if resolution.version == expected else f"MISS (expected {expected})"
    per_run = {op: n // RUNS for op, n in calls.items()}
    print(f"\n4. Discovery: Version: latest over {VERSIONS * 4 - 1:,} tagged images, 4 components")
    print(f"   seeded in {seeded_in:.1f} s (straight into moto's backend)")
    print(f"   version chosen            {resolution.version}   (newest complete set) {verdict}")
    print(f"   ECR calls per resolution  {per_run}")
    print("   (moto returns one DescribeImages page; ECR pages at 1,000: 5 pages here)")
    print(
        f"   wall time, median of {RUNS}   {statistics.median(walls):.0f} ms, {LATENCY_SECONDS * 1000:.0f} ms per call injected"
    )
    print(f"   peak Python memory        {peak / 1_048_576:.1f} MiB (tracemalloc, one resolution)")
