"""``make bench``, part 6: what ``Protect`` costs in ECR calls, beside the same stack without it.

One stack, 20 images in 2 repositories (``Attributes: [Uri]``), driven through the custom
resource's handler by the CloudFormation stand-in, every ECR call through the 50 ms latency
proxy: Create, the same Create delivered again, an Update that keeps the images (and its cleanup
Delete), an Update to new images (and its cleanup Delete), and the stack's Delete — once without
``Protect``, once with it. Calls are counted per operation by the proxy.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .cloudformation import Stack, StatusServer
from .ecr_emulator import (
    FAKE_CREDENTIALS,
    ensure_repository,
    manifest,
    patched_environ,
    push,
    running_emulator,
)
from .ecr_proxy import EcrProxy
from .lambda_context import LambdaContext
from .receiver import ResponseReceiver

LATENCY_SECONDS = 0.05
REPOSITORIES = ("api", "web")
PER_REPOSITORY = 10
STEPS = (
    "Create",
    "Create, delivered again",
    "Update, same images (+ cleanup Delete)",
    "Update, new images (+ cleanup Delete)",
    "Delete",
)


def _repository(name: str, *, protect: bool) -> str:
    # moto's backend is one per process: each run has repositories of its own.
    return f"bench-{'protected' if protect else 'plain'}/{name}"


def _properties(build: str, *, protect: bool, revision: str = "") -> dict[str, Any]:
    images = {
        f"{name.title()}{n:02d}": {
            "Repository": _repository(name, protect=protect),
            "Tag": f"{build}-{n:02d}",
        }
        for name in REPOSITORIES
        for n in range(PER_REPOSITORY)
    }
    properties: dict[str, Any] = {"Attributes": ["Uri"], "Images": images, "Revision": revision}
    if protect:
        properties["Protect"] = "BestEffort"
    return properties


def _both() -> tuple[list[tuple[Counter[str], float]], ...]:
    """Both runs in one environment: the handler keeps its clients for the process, as a warm
    Lambda does, so they must keep talking to the same proxy."""
    with (
        running_emulator() as ecr,
        EcrProxy(ecr.endpoint) as proxy,
        StatusServer() as status,
        ResponseReceiver() as receiver,
        patched_environ(
            {
                **FAKE_CREDENTIALS,
                "AWS_ENDPOINT_URL_ECR": proxy.endpoint,
                "AWS_ENDPOINT_URL_CLOUDFORMATION": status.endpoint,
                "IMAGE_RESOLVER_LOCAL": "true",
                # Powertools prints each invocation's metrics to stdout: not this report's.
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        ),
    ):
        client = ecr.client()
        for protect in (False, True):
            for name in REPOSITORIES:
                repo = _repository(name, protect=protect)
                ensure_repository(client, repo)
                for build in ("b1", "b2"):
                    for n in range(PER_REPOSITORY):
                        push(client, repo, f"{build}-{n:02d}", manifest(f"{repo}:{build}:{n}"))
        return tuple(_run(status, receiver, proxy, protect=protect) for protect in (False, True))


def _run(
    status: StatusServer, receiver: ResponseReceiver, proxy: EcrProxy, *, protect: bool
) -> list[tuple[Counter[str], float]]:
    from resolver.cloudformation.app import handler  # imported once the environment is set

    _quiet()
    name = "protected" if protect else "plain"
    stack = status.add(Stack(handler=handler, receiver=receiver, name=name))
    proxy.latency_seconds = 0.0
    stack.create(_properties("b2", protect=protect))  # warm: clients made, connections open
    stack.delete()
    stack = status.add(Stack(handler=handler, receiver=receiver, name=name))
    proxy.latency_seconds = LATENCY_SECONDS

    def again() -> None:
        event = stack.calls[0].event
        handler({**event, "ResponseURL": receiver.url("again")}, LambdaContext(120.0))
        receiver.take(timeout=60)

    steps: list[Callable[[], Any]] = [
        lambda: stack.create(_properties("b1", protect=protect)),
        again,
        lambda: stack.update(_properties("b1", protect=protect, revision="bump")),
        lambda: stack.update(_properties("b2", protect=protect)),
        stack.delete,
    ]
    measured = []
    for step in steps:
        proxy.calls.clear()
        started = time.perf_counter()
        step()
        measured.append((Counter(proxy.calls), time.perf_counter() - started))
    return measured


def _quiet() -> None:
    """The handler logs JSON lines to stdout; the report should stay readable."""
    import logging

    logging.getLogger("resolver").setLevel(logging.ERROR)


def protection_bench() -> None:
    plain, protected = _both()
    images = len(REPOSITORIES) * PER_REPOSITORY
    print(
        f"\n6. Protect: ECR calls of one stack, {images} images in {len(REPOSITORIES)} "
        f"repositories, {LATENCY_SECONDS * 1000:.0f} ms injected per call"
    )
    print(f"   {'step':<40} {'without Protect':>17}   with Protect")
    for label, (before, before_s), (after, after_s) in zip(STEPS, plain, protected, strict=True):
        print(
            f"   {label:<40} {sum(before.values()):>3} calls {before_s * 1000:5.0f} ms   "
            f"{sum(after.values()):>3} calls {after_s * 1000:5.0f} ms  {_by_operation(after)}"
        )
    update_same = protected[2][0]
    extra = sum(update_same.values()) - sum(plain[2][0].values())
    print(
        f"   an Update that keeps the images: {extra} extra ECR calls with Protect "
        f"{'PASS' if extra == 0 else 'MISS'} (target 0); a Create delivered again writes "
        f"{protected[1][0]['PutImage']} tags {'PASS' if protected[1][0]['PutImage'] == 0 else 'MISS'}"
    )


def _by_operation(calls: Counter[str]) -> str:
    return json.dumps(dict(sorted(calls.items())), separators=(",", ":")).replace('"', "")


if __name__ == "__main__":
    protection_bench()
