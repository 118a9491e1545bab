"""The CDK examples (examples/cdk-python here; examples/cdk-typescript in cdk/test/example.test.ts)
synthesized as a user runs them, and the context flow of the README: synth with the version, plan
the template, synth with the plan's context — and only the missing image is built."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import require_cdk

require_cdk()

import aws_cdk as cdk  # noqa: E402 - only once Node.js and aws-cdk-lib are known to be there
from aws_cdk.assertions import Match, Template  # noqa: E402

from devkit.ecr_emulator import manifest, push  # noqa: E402
from devkit.seed import ARTIFACTS, VERSION  # noqa: E402
from resolver.planner.cli import main  # noqa: E402
from resolver.planner.exit_codes import ExitCode  # noqa: E402
from tests.functional.conftest import Ecr  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ENV = cdk.Environment(account="123456789012", region="ap-southeast-2")
REPO_ARN = f"arn:aws:ecr:ap-southeast-2:123456789012:repository/{ARTIFACTS}"
TOKEN = "arn:aws:lambda:ap-southeast-2:123456789012:function:image-resolver-resolver"


def example_stack() -> Any:
    """``CloudTakStack`` from examples/cdk-python, loaded as the example's app.py would."""
    path = ROOT / "examples" / "cdk-python" / "cloudtak_stack.py"
    spec = importlib.util.spec_from_file_location("cloudtak_stack", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CloudTakStack


def synth(context: dict[str, str], outdir: Path) -> tuple[Template, list[str], Path]:
    """The stack's template, the Docker images its assembly builds, and the template's file."""
    app = cdk.App(context=context, outdir=str(outdir))
    stack = example_stack()(app, "CloudTak", env=ENV)
    directory = Path(app.synth().directory)
    assets = json.loads((directory / f"{stack.artifact_id}.assets.json").read_text())
    template_file = directory / f"{stack.artifact_id}.template.json"
    return Template.from_stack(stack), list(assets.get("dockerImages", {})), template_file


def get_att(attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [Match.string_like_regexp("^Images"), attribute]}


def test_the_python_example_deploys_pinned_uris_everywhere(tmp_path: Path) -> None:
    template, images, _ = synth({"imageVersion": VERSION, "missingImages": "Pmtiles"}, tmp_path)
    assert len(images) == 1
    (resolver,) = template.find_resources("Custom::ImageResolver").values()
    sent = resolver["Properties"]
    assert sent["Repository"] == {"Fn::ImportValue": "TAK-Dev-BaseInfra-EcrArtifactsRepoArn"}
    assert [name for name, image in sent["Images"].items() if "Fallback" in image] == ["Pmtiles"]
    assert sent["Protect"] == "BestEffort"
    assert "ExpectedDigests" not in sent  # no lock in the context
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": [Match.object_like({"Image": get_att("Api.Uri")})]},
    )
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Code": {"ImageUri": get_att("Events.Uri")}}
    )
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Code": {"ImageUri": get_att("Pmtiles.Uri")}}
    )
    template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    template.has_resource_properties(
        "AWS::Batch::JobDefinition",
        {"ContainerProperties": Match.object_like({"Image": get_att("Data.Uri")})},
    )


def test_a_synth_without_the_version_fails_with_the_resolvers_message(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"^Images.Api.Tag: 'cloudtak-\{version\}' uses"):
        synth({}, tmp_path)


def test_the_context_flow_builds_only_the_missing_image(
    seeded: Ecr, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # CI pushed cloudtak-, events- and data-<version>; pmtiles- is missing (devkit.seed).
    push(seeded.client(), ARTIFACTS, f"data-{VERSION}", manifest("data-v1"))
    # 1. Synth with the version CI knows (the commit): the plan reads the resolver's properties
    #    from the template. Without a plan, every fallback build is an asset (none is built yet).
    _, first, template_file = synth({"imageVersion": VERSION}, tmp_path / "first")
    assert len(first) == 4

    # 2. Plan it: the context, and the lock (the digests the plan saw) for imageDigests.
    def plan(emit: str) -> str:
        code = main(
            [
                "plan", "--endpoint-url", seeded.proxy.endpoint, "--template", str(template_file),
                "--emit", emit,
                "--import", f"TAK-Dev-BaseInfra-EcrArtifactsRepoArn={REPO_ARN}",
                "--import", f"image-resolver-ServiceToken={TOKEN}",
            ]
        )  # fmt: skip
        assert code == ExitCode.BUILD_NEEDED
        return capsys.readouterr().out

    arguments = plan("cdk-context").split()
    assert arguments[::2] == ["--context"] * (len(arguments) // 2)
    context = dict(argument.split("=", 1) for argument in arguments[1::2])
    assert context["missingImages"] == "Pmtiles"
    assert context["imageVersion"] == VERSION
    lock = plan("lock").strip()
    assert [pair.split("=")[0] for pair in lock.split(",")] == ["Api", "Events", "Data"]
    # 3. Deploy with the plan's context: one asset, for the one missing image, and the lock.
    template, second, _ = synth({**context, "imageDigests": lock}, tmp_path / "second")
    assert len(second) == 1
    (resolver,) = template.find_resources("Custom::ImageResolver").values()
    assert resolver["Properties"]["ExpectedDigests"] == lock
