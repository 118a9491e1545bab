"""``resolver in-use`` against the CloudFormation stand-in and the local ECR, and the planner's
lifecycle advice for ``Protect``.

The JSON is checked the way ecrm reads it (fujiwara/ecrm ``images.go``: ``LoadJSON`` unmarshals
a JSON array of strings; ``planner.go`` keeps an image when
``<registry>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest>`` is in that list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from devkit.cloudformation import Stack, StatusServer
from devkit.ecr_emulator import ACCOUNT_ID, REGION, ensure_repository, manifest, push
from devkit.image_indexes import buildx_multiarch, push_index
from devkit.receiver import ResponseReceiver
from devkit.seed import ARTIFACTS_POLICY
from resolver.cloudformation.app import handler
from resolver.cloudformation.physical_id import parse
from resolver.engine.indexes import OCI_INDEX
from resolver.planner.cli import main
from resolver.planner.exit_codes import ExitCode
from resolver.protection.lifecycle_rule import KEEP_PINNED_RULE

from .conftest import Ecr

API, WEB = "team/api", "web"
ECRM_URI = re.compile(
    r"(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[a-z0-9._/-]+)@(?P<digest>sha256:[0-9a-f]{64})"
)


def ecrm_keeps(scanned: str, repository: str, digest: str) -> bool:
    """ecrm's own test for "in use", on the JSON it loads with --scanned-files."""
    uris = json.loads(scanned)
    assert isinstance(uris, list) and all(isinstance(uri, str) for uri in uris)
    assert all(".dkr.ecr." in uri and "@" in uri for uri in uris)  # IsECRImage, IsDigestURI
    return f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{repository}@{digest}" in uris


@pytest.fixture
def deployed(
    ecr: Ecr, stacks: StatusServer, receiver: ResponseReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Stack]]:
    """prod (Protect) pins api-1 and a Lambda image from an index; dev (no Protect) pins api-2."""
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    client = ecr.client()
    for repo in (API, WEB, "unrelated"):
        ensure_repository(client, repo)
    for n in (1, 2, 3):
        push(client, API, f"api-{n}", manifest(f"api:{n}"))
    index, children = buildx_multiarch("web")
    push_index(client, WEB, "web-1", index, children, media_type=OCI_INDEX)
    push(client, "unrelated", "x", manifest("unrelated"))
    prod = stacks.add(Stack(handler=handler, receiver=receiver, name="prod"))
    dev = stacks.add(Stack(handler=handler, receiver=receiver, name="dev"))
    assert (
        prod.create(
            {
                "Protect": "BestEffort",
                "Images": {
                    "Api": {"Repository": API, "Tag": "api-1"},
                    "Web": {"Repository": WEB, "Tag": "web-1", "Lambda": "true"},
                },
            }
        )
        == "CREATE_COMPLETE"
    )
    assert dev.create({"Images": {"Api": {"Repository": API, "Tag": "api-2"}}}) == "CREATE_COMPLETE"
    yield {"prod": prod, "dev": dev}


def in_use(*args: str) -> int:
    return main(["in-use", "--account-id", ACCOUNT_ID, *args])


def pinned(stack: Stack) -> set[tuple[str, str]]:
    """(repository, digest) of every image the stack's attributes pin, indexes included."""
    found = set()
    for key, value in stack.attributes().items():
        if key.endswith(".Uri"):
            repository, digest = value.split("/", 1)[1].split("@")
            found.add((repository, digest))
    return found


def test_the_json_is_what_ecrm_keeps_every_pinned_image_by(
    deployed: dict[str, Stack], ecr: Ecr, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert in_use("--output", "json") == ExitCode.OK
    scanned = capsys.readouterr().out
    uris = json.loads(scanned)
    assert all(ECRM_URI.fullmatch(uri) for uri in uris) and uris == sorted(uris)
    for stack in deployed.values():
        for repository, digest in pinned(stack):
            assert ecrm_keeps(scanned, repository, digest)
    # The Lambda image was pinned to its linux/amd64 child: the index it came from is kept too.
    web_index = ecr.client().describe_images(repositoryName=WEB, imageIds=[{"imageTag": "web-1"}])
    assert ecrm_keeps(scanned, WEB, web_index["imageDetails"][0]["imageDigest"])
    assert len(uris) == 4  # api-1, api-2, the web index and its child: nothing else
    assert not any("unrelated" in uri or "api-3" in uri for uri in uris)


def test_the_table_names_each_stack_and_resource(
    deployed: dict[str, Stack], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert in_use("--stack-name", "dev", "prod") == ExitCode.OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["STACK", "RESOURCE", "RECORD", "REPOSITORY", "DIGEST"]
    assert re.search(r"^dev +Images +Full +team/api +sha256:", out, re.M)
    assert out.rstrip().endswith("4 image(s) in use by 2 resolver resource(s) in 2 stack(s).")


def test_an_abbreviated_record_is_completed_from_the_listings(
    deployed: dict[str, Stack], capsys: pytest.CaptureFixture[str]
) -> None:
    dev = deployed["dev"]
    assert dev.resource is not None
    full = parse(dev.resource.physical_id)
    assert full is not None and full.images is not None
    cut = tuple(replace(i, digest=(i.digest or "")[: len("sha256:") + 8]) for i in full.images)
    dev.resource.physical_id = str(replace(full, images=cut))
    capsys.readouterr()
    assert in_use("--stack-name", "dev", "--output", "json") == ExitCode.OK
    ((repository, digest),) = pinned(dev)
    assert ecrm_keeps(capsys.readouterr().out, repository, digest)


def test_a_dropped_record_is_found_by_its_protection_tags_only(
    deployed: dict[str, Stack], capsys: pytest.CaptureFixture[str]
) -> None:
    for stack in deployed.values():
        assert stack.resource is not None
        record = parse(stack.resource.physical_id)
        assert record is not None
        stack.resource.physical_id = str(replace(record, version=None, images=None))
    capsys.readouterr()
    assert in_use("--output", "json") == ExitCode.INCOMPLETE
    out = capsys.readouterr()
    for repository, digest in pinned(deployed["prod"]):  # protected: its tags say
        if repository == API:
            assert ecrm_keeps(out.out, repository, digest)
    assert "resolver: not complete: dev/Images: its id records only the set's revision" in out.err


def test_what_cannot_be_located_makes_the_inventory_incomplete(
    deployed: dict[str, Stack], ecr: Ecr, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed["prod"].status = "UPDATE_IN_PROGRESS"
    capsys.readouterr()
    assert in_use("--stack-name", "prod", "gone", "--repository", API) == ExitCode.INCOMPLETE
    err = capsys.readouterr().err
    assert "stack prod is UPDATE_IN_PROGRESS: an id it may return to is not listed" in err
    assert "stack gone does not exist" in err
    assert "prod/Images: sha256:" in err and "in none of the repositories searched" in err  # web


# --- the planner's advice ---------------------------------------------------------------------


def test_the_plan_prints_the_rule_a_protected_repository_lacks(
    ecr: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = ecr.client()
    for repo, rules in ((API, ARTIFACTS_POLICY["rules"]), (WEB, [KEEP_PINNED_RULE])):
        ensure_repository(client, repo)
        push(client, repo, "v1", manifest(repo))
        client.put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=json.dumps({"rules": rules})
        )
    spec = tmp_path / "spec.yaml"
    properties: dict[str, Any] = {
        "Protect": "Required",
        "Images": {
            "Api": {"Repository": API, "Tag": "v1"},
            "Web": {"Repository": WEB, "Tag": "v1"},
        },
    }
    spec.write_text(yaml.safe_dump(properties))
    assert main(["plan", "--spec", str(spec), "--account-id", ACCOUNT_ID]) == ExitCode.OK
    err = capsys.readouterr().err
    assert f"resolver: Protect: in {API} in {ACCOUNT_ID} ({REGION}), no rule keeps pinned-*" in err
    assert WEB not in err  # its policy has the rule
    printed = json.loads(err.split("rulePriority):\n  ")[1])
    assert printed == KEEP_PINNED_RULE


def test_a_plan_with_protect_fails_for_size_exactly_when_the_create_would(
    ecr: Ecr,
    stacks: StatusServer,
    receiver: ResponseReceiver,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The function sizes its answer with Protection at its longest before it tags; the plan
    sizes it the same way, so a set that fits without Protect may not with it, in both."""
    monkeypatch.setenv("IMAGE_RESOLVER_LOCAL", "true")
    client = ecr.client()
    ensure_repository(client, API)
    push(client, API, "v1", manifest("v1"))
    name = "s" * 128  # what the plan assumes without --stack-name

    def properties(count: int, *, protect: bool) -> dict[str, Any]:
        images = {f"I{n:03d}x": {"Repository": API, "Tag": "v1"} for n in range(count)}
        chosen = {"Attributes": ["Uri", "Protected"], "Images": images}
        return {**chosen, "Protect": "BestEffort"} if protect else chosen

    def planned(count: int, *, protect: bool) -> int:
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(properties(count, protect=protect)))
        return main(["plan", "--spec", str(spec), "--account-id", ACCOUNT_ID])

    edge = next(n for n in range(10, 30) if planned(n, protect=True) == ExitCode.INVALID)
    assert planned(edge, protect=False) == ExitCode.OK  # Protect is what does not fit
    refusal = capsys.readouterr().err.splitlines()
    too_large = next(line for line in refusal if "over CloudFormation's 4096-byte limit" in line)
    stack = stacks.add(Stack(handler=handler, receiver=receiver, name=name))
    assert stack.create(properties(edge, protect=True)) == "ROLLBACK_COMPLETE"
    assert stack.calls[0].answer["Reason"] in too_large
    ok = stacks.add(Stack(handler=handler, receiver=receiver, name=name))
    assert ok.create(properties(edge - 1, protect=True)) == "CREATE_COMPLETE"
