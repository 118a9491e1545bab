"""``make bench``, part 1b: the cost of a role, beside the same lookup without one.

The same 40 images (4 repositories, 10 tags each) pushed to the function's own account and to an
artifacts account, each resolved by a warm function (clients kept, as a warm Lambda keeps them)
through the 50 ms latency proxy, for ECR and STS alike. Per invocation (``for_invocation``), as
the Lambda runs them:

- own credentials: the lookup alone;
- through a role: the lookup plus one AssumeRole (one STS round trip) and the role's clients;
- a second resolution in the same invocation: the role's credentials and clients are kept — the
  invocation's other stages (metadata, scans, lifecycle policies) pay nothing more for the role.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from resolver.engine import resolve
from resolver.engine.ecr.clients import EcrClients
from resolver.model import Resolution, ResolveRequest
from resolver.properties import parse_request
from resolver.references import Registry

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

ARTIFACTS = "210987654321"
READER = f"arn:aws:iam::{ARTIFACTS}:role/image-reader"
REPOSITORIES = ("bench/api", "bench/worker", "bench/web", "bench/etl")
TAGS = 10
RUNS = 5
LATENCY_SECONDS = 0.05
ROLE_COST_TARGET = 2.0  # through a role - own credentials, in round trips, at most


def seed(client: Any) -> dict[str, str]:
    """The same manifests in every account: image name -> digest."""
    digests: dict[str, str] = {}
    for repo in REPOSITORIES:
        ensure_repository(client, repo)
        for n in range(TAGS):
            name = f"{repo.split('/')[1].title()}{n:02d}"
            digests[name] = push(client, repo, f"build-{n:02d}", manifest(f"{repo}:{n}"))
    return digests


def request_in(account: str, *, role: str = "") -> ResolveRequest:
    images = {
        f"{repo.split('/')[1].title()}{n:02d}": {
            "Repository": f"arn:aws:ecr:{REGION}:{account}:repository/{repo}",
            "Tag": f"build-{n:02d}",
        }
        for repo in REPOSITORIES
        for n in range(TAGS)
    }
    return parse_request(
        {"RoleArn": role, "Images": images}, default_registry=Registry(ACCOUNT_ID, REGION)
    )


def timed(run: Callable[[], Resolution], expected: dict[str, str]) -> float:
    started = time.perf_counter()
    resolution = run()
    seconds = time.perf_counter() - started
    if {image.name: image.digest for image in resolution.images} != expected:
        raise RuntimeError("resolved digests other than those pushed")
    return seconds * 1000


def roles_bench() -> None:
    with (
        running_emulator() as ecr,
        EcrProxy(ecr.endpoint, latency_seconds=LATENCY_SECONDS) as proxy,
        patched_environ(FAKE_CREDENTIALS),
    ):
        expected = seed(ecr.client())
        if seed(ecr.client(account=ARTIFACTS)) != expected:
            raise RuntimeError("the accounts hold different images")
        own, through = request_in(ACCOUNT_ID), request_in(ARTIFACTS, role=READER)
        endpoints = {"AWS_ENDPOINT_URL_ECR": proxy.endpoint, "AWS_ENDPOINT_URL_STS": proxy.endpoint}
        with patched_environ(endpoints):
            clients = EcrClients()  # the warm function's: kept across invocations

            def invocation(request: ResolveRequest, *, twice: bool = False) -> Resolution:
                view = clients.for_invocation(session_name="bench.Images")
                if twice:
                    resolve(request, clients=view)
                return resolve(request, clients=view)

            invocation(own)  # warm-up: own clients made, connections open
            invocation(through)  # ...and STS's
            proxy.reset()
            proxy.latency_seconds = LATENCY_SECONDS
            walls: dict[str, list[float]] = {"own": [], "role": [], "again": []}
            for _ in range(RUNS):
                walls["own"].append(timed(lambda: invocation(own), expected))
                walls["role"].append(timed(lambda: invocation(through), expected))
            assumed = proxy.calls["AssumeRole"]
            for _ in range(RUNS):
                started = time.perf_counter()
                invocation(through, twice=True)
                walls["again"].append((time.perf_counter() - started) * 1000)
            assumed_twice = proxy.calls["AssumeRole"] - assumed
    report(walls, assumed=assumed, assumed_twice=assumed_twice)


def report(walls: dict[str, list[float]], *, assumed: int, assumed_twice: int) -> None:
    own, role, again = (statistics.median(walls[key]) for key in ("own", "role", "again"))
    trip = LATENCY_SECONDS * 1000
    cost = role - own
    second = again - role  # the second resolution of an invocation that assumed already
    print(
        f"\n1b. Through a role: the same {len(REPOSITORIES) * TAGS} images in another account, "
        f"{trip:.0f} ms injected per ECR and STS call; median of {RUNS} invocations"
    )
    print(f"   own credentials                          {own:7.1f} ms")
    print(
        f"   through a role (AssumeRole, then reads)  {role:7.1f} ms   {assumed / RUNS:g} AssumeRole"
    )
    print(
        f"   a second resolution, same invocation     {second:7.1f} ms   "
        f"{(assumed_twice - RUNS) / RUNS:g} more AssumeRole (kept)"
    )
    rounds = cost / trip
    verdict = "PASS" if rounds <= ROLE_COST_TARGET and assumed == RUNS else "MISS"
    print(
        f"   a role costs {cost:.1f} ms = {rounds:.2f} round trips (one STS call, the role's "
        f"clients): target <= {ROLE_COST_TARGET:g}, one AssumeRole per invocation   {verdict}"
    )
