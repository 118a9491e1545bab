"""Fifty builds, two stacks, a lifecycle policy applied every day: what a stack pins survives
with protection, and is lost without it.

CI pushes ``api-<n>`` and moves ``stable`` every day. ``prod`` deploys build 20 once and stays on
it; ``dev`` deploys every tenth build. The policy is a common one — keep the 10 newest ``api-*``
images, expire untagged images after 14 days — plus, with protection, the rule that keeps
``pinned-*`` first and the one that expires what protection hands back. Each day ends with one
lifecycle run (``devkit.lifecycle_run``: the resolver's evaluator, deleting what it selects).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import ensure_repository, manifest, push
from devkit.lifecycle_run import expire
from devkit.receiver import ResponseReceiver
from devkit.seed import expire_untagged, keep_newest
from resolver.cloudformation.app import handler
from resolver.protection.lifecycle_rule import KEEP_PINNED_RULE, UNPINNED_RULE

from .conftest import Ecr

REPO = "app"
BUILDS = 50
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
KEEP_10_API = keep_newest(10, "api-", 10)
UNTAGGED_14 = expire_untagged(20, days=14)


@pytest.fixture
def run(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    yield lambda protect: _simulate(ecr, stacks, receiver, protect=protect)


def _simulate(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, *, protect: bool
) -> dict[str, Any]:
    client = ecr.client()
    ensure_repository(client, REPO)
    rules = [KEEP_10_API, UNTAGGED_14]
    if protect:
        rules = [dict(KEEP_PINNED_RULE), dict(UNPINNED_RULE), *rules]
    client.put_lifecycle_policy(
        repositoryName=REPO, lifecyclePolicyText=json.dumps({"rules": rules})
    )
    prod = stacks.add(Stack(handler=handler, receiver=receiver, name="prod"))
    dev = stacks.add(Stack(handler=handler, receiver=receiver, name="dev"))
    pinned_by_prod: set[str] = set()
    dev_sets: list[set[str]] = []
    expired: set[str] = set()
    for build in range(1, BUILDS + 1):
        day = START + timedelta(days=build)
        for tag, content in ((f"api-{build:02d}", f"api:{build}"), ("stable", f"web:{build}")):
            if tag == "stable" and build > 1:
                _, digest = ecr.emulator.move_tag(REPO, tag, manifest(content))
            else:
                digest = push(client, REPO, tag, manifest(content))
            ecr.emulator.set_pushed_at(REPO, digest, day)
        properties = _properties(build, protect=protect)
        if build == 20:
            assert prod.create(properties) == "CREATE_COMPLETE"
            pinned_by_prod = _digests(prod)
        if build % 10 == 0:
            action = dev.create if dev.resource is None else dev.update
            assert action(properties) in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
            dev_sets.append(_digests(dev))
        expired |= set(expire(client, REPO, now=day + timedelta(hours=12)))
    remaining = {
        d["imageDigest"] for d in client.describe_images(repositoryName=REPO)["imageDetails"]
    }
    return {
        "prod": pinned_by_prod,
        "dev": _digests(dev),
        # Released at least two deploys (20 days) ago: past the 14 days unpinned-* images get.
        "dev before": set().union(*dev_sets[:-2]),
        "expired": expired,
        "remaining": remaining,
    }


def _properties(build: int, *, protect: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "Repository": REPO,
        "Version": f"{build:02d}",
        "Attributes": ["Uri"],
        "Images": {"Api": {"Tag": "api-{version}"}, "Web": {"Tag": "stable"}},
    }
    if protect:
        properties["Protect"] = "Required"
    return properties


def _digests(stack: Stack) -> set[str]:
    return {
        value.split("@")[1] for key, value in stack.attributes().items() if key.endswith(".Uri")
    }


def test_with_protection_every_pinned_image_outlives_fifty_days_of_expiry(run: Any) -> None:
    outcome = run(True)
    assert outcome["expired"], "the policy did expire images: the run is not vacuous"
    assert outcome["prod"] <= outcome["remaining"]  # pinned 30 builds ago, moved tag included
    assert outcome["dev"] <= outcome["remaining"]
    # What dev ran before and nobody pins now went back to the policy, and the policy took it:
    # protection leaks nothing (the stable images came back as unpinned-* and expired).
    let_go = outcome["dev before"] - outcome["prod"] - outcome["dev"]
    assert let_go and let_go <= outcome["expired"]


def test_without_protection_the_same_run_loses_what_prod_runs(run: Any) -> None:
    outcome = run(False)
    assert outcome["prod"] & outcome["expired"] == outcome["prod"]  # both images gone
    assert outcome["dev"] <= outcome["remaining"]  # the newest survive either way
