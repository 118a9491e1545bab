"""Stacks as 0.2.0 created them: the real 0.2.0 Lambda, its answers kept as test fixtures.

``python -m devkit.legacy`` takes the 0.2.0 sources from git (``RELEASE``), runs that version's
Lambda entry point in a subprocess against the local ECR emulator — driven by the same
CloudFormation stand-in as the tests — and writes what CloudFormation recorded for each scenario
(properties, PhysicalResourceId, attributes, the images pushed) to ``tests/fixtures/v0.2.0/``.
``tests/functional/test_upgrade.py`` then updates, rolls back and deletes those resources with
this version. The fixtures are committed: CI needs neither git history nor the old code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from .cloudformation import Stack
from .ecr_emulator import ensure_repository, manifest, push, running_emulator
from .receiver import ResponseReceiver

RELEASE = "516e726"  # the last commit of 0.2.0 (CHANGELOG: 0.2.0)
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "v0.2.0"
REPOSITORY = "tak-dev-baseinfra-artifacts"
STACK_ID = (
    "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/cloudtak-dev/"
    "6f1c2a10-cb6e-11ef-9a3c-0a5b1e2d3c4f"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    pushed: dict[str, str]  # tag -> the manifest seed CI pushed before the Create
    properties: dict[str, Any]


def _many(count: int) -> dict[str, Any]:
    return {f"I{i:02d}": {"Tag": f"i{i:02d}-00000001"} for i in range(count)}


SCENARIOS = (
    Scenario(
        "exact-tags",
        {"api-00000001": "api:1", "ev-00000001": "ev:1"},
        {
            "Repository": REPOSITORY,
            "Version": "00000001",
            "Images": {"Api": {"Tag": "api-{version}"}, "Ev": {"Tag": "ev-{version}"}},
            "Attributes": ["Uri", "Digest", "TagUri", "Status", "BuildRequired"],
        },
    ),
    Scenario(
        "pattern-and-digest",
        {"api-00000001": "api:1", "ev-00000001": "ev:1"},
        {
            "Repository": REPOSITORY,
            "Images": {
                "Api": {"Tag": "api-*"},
                "Ev": {"Digest": "sha256:" + "0" * 64},  # replaced by the pushed digest below
            },
        },
    ),
    Scenario(
        # 0.2.0 could not carry 22 digests in its id: it kept the revision only.
        "too-many-to-record",
        {f"i{i:02d}-00000001": f"image:{i}" for i in range(22)},
        {"Repository": REPOSITORY, "Attributes": ["Uri"], "Images": _many(22)},
    ),
    Scenario(
        # Free text 0.2.0 accepted and this version refuses (control characters): a rollback to
        # these properties must still answer.
        "revision-with-a-newline",
        {"api-00000001": "api:1"},
        {
            "Repository": REPOSITORY,
            "Revision": "build 42\nfrom CI",
            "Images": {"Api": {"Tag": "api-00000001"}},
        },
    ),
)


def legacy_handler(source: Path, environment: dict[str, str]) -> Callable[[Any, Any], None]:
    """The 0.2.0 Lambda entry point, run in a fresh interpreter on each event."""
    program = (
        "import json, sys\n"
        "from devkit.lambda_context import LambdaContext\n"
        "from resolver.cloudformation.app import handler\n"
        "handler(json.load(sys.stdin), LambdaContext(float(sys.argv[1])))\n"
    )

    def handle(event: Any, context: Any) -> None:
        env = {**os.environ, **environment, "PYTHONPATH": f"{source}{os.pathsep}{ROOT}"}
        subprocess.run(
            [sys.executable, "-c", program, str(context.timeout_seconds)],
            input=json.dumps(event),
            text=True,
            env=env,
            check=True,
            capture_output=True,
        )

    return handle


@contextmanager
def release_sources(commit: str = RELEASE) -> Iterator[Path]:
    """``src/`` of ``commit``, extracted from git into a temporary folder."""
    archive = subprocess.run(
        ["git", "archive", commit, "src/resolver"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder) / "src"


def record(scenario: Scenario, stack: Stack, client: Any) -> dict[str, Any]:
    ensure_repository(client, REPOSITORY)
    digests = {
        tag: push(client, REPOSITORY, tag, manifest(seed)) for tag, seed in scenario.pushed.items()
    }
    properties = json.loads(json.dumps(scenario.properties))
    for body in properties["Images"].values():
        if "Digest" in body:
            body["Digest"] = digests["ev-00000001"]
    status = stack.create(properties)
    if status != "CREATE_COMPLETE" or stack.resource is None:
        raise RuntimeError(f"{scenario.name}: 0.2.0 answered {stack.calls[-1].answer}")
    return {
        "scenario": scenario.name,
        "release": RELEASE,
        "stackId": stack.stack_id,
        "pushed": scenario.pushed,
        "properties": properties,
        "physicalResourceId": stack.resource.physical_id,
        "attributes": stack.resource.attributes,
    }


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with release_sources() as source, running_emulator() as emulator:
        environment = {**emulator.environment(), "IMAGE_RESOLVER_LOCAL": "true"}
        for scenario in SCENARIOS:
            reset = urllib.request.Request(f"{emulator.endpoint}/moto-api/reset", method="POST")
            urllib.request.urlopen(reset, timeout=5).close()
            with ResponseReceiver() as receiver:
                stack = Stack(handler=legacy_handler(source, environment), receiver=receiver)
                stack.stack_id = STACK_ID
                fixture = record(scenario, stack, emulator.client())
            path = FIXTURES / f"{scenario.name}.json"
            path.write_text(json.dumps(fixture, indent=2) + "\n", encoding="utf-8")
            print(f"{path.relative_to(ROOT)}: {fixture['physicalResourceId'][:60]}...")


if __name__ == "__main__":
    main()
