"""The CLI's surface as a newcomer meets it: help, a command forgotten, a file mistyped,
credentials not exported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devkit import serve
from devkit.events import EVENTS_DIR
from resolver.planner.cli import main
from resolver.planner.exit_codes import ExitCode

from ..unit.planner.template.test_loader import ALIAS_BOMB
from .conftest import Ecr


def help_of(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def documented_codes(text: str) -> set[int]:
    return {int(code) for code in re.findall(r"^  (\d)  ", text.split("exit codes:")[1], re.M)}


def test_plan_help_groups_its_options_and_documents_every_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of("plan", capsys=capsys)
    groups = re.findall(r"^(\S[^:\n]*):\n", text, re.M)
    assert groups == [
        "options",
        "input (one of --template and --spec)",
        "template parameters and the stack",
        "output",
        "emit (what the deploy command takes)",
        "AWS",
        "example (a SAM template with samconfig.toml beside it)",
        "exit codes",
    ]
    assert "\n  resolver plan --template template.yaml --config-env prod" in text
    assert documented_codes(text) == {int(code) for code in ExitCode} - {
        ExitCode.RESOURCE_FAILED,
        ExitCode.INCOMPLETE,
    }
    gates = text.split("\n  5  ")[1].split("\n  1  ")[0]
    assert "vulnerability gate" in gates and "retention gate" in gates


def test_invoke_help_documents_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of("invoke", capsys=capsys)
    assert documented_codes(text) == {0, 1, 2, 4, 6}
    assert "--allowed-stack-prefixes" in text


def test_in_use_help_documents_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of("in-use", capsys=capsys)
    assert documented_codes(text) == {0, 1, 2, 4, 7}
    assert "--scanned-files" in text and "--stack-name" in text and "--repository" in text


def test_bare_resolver_lists_the_commands_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.INVALID
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "commands:" in captured.err
    assert re.search(r"^    plan +check a stack's images", captured.err, re.M)
    assert re.search(r"^    invoke +run the custom resource", captured.err, re.M)
    assert re.search(r"^    in-use +list every image", captured.err, re.M)
    assert "error:" not in captured.err


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere botocore looks (nor the instance metadata service)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_credentials")
def test_a_mistyped_template_is_named_before_any_aws_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No credentials and no endpoint: any AWS call would fail (exit 4) before the file was read.
    assert main(["plan", "--template", "typo.yaml"]) == ExitCode.INVALID
    err = capsys.readouterr().err
    assert err.startswith("resolver: typo.yaml: cannot read the template")
    assert err.count("\n") == 1


@pytest.mark.usefixtures("no_credentials")
def test_invoke_without_credentials_says_what_to_export(
    seeded: Ecr, capsys: pytest.CaptureFixture[str]
) -> None:
    event = str(EVENTS_DIR / "create.json")
    assert main(["invoke", event, "--endpoint-url", seeded.proxy.endpoint]) == (
        ExitCode.LOOKUP_FAILED
    )
    err = capsys.readouterr().err
    assert err.startswith("resolver: no AWS credentials found: set AWS_ACCESS_KEY_ID and ")
    assert "AWS_SECRET_ACCESS_KEY" in err
    assert err.rstrip().endswith(serve.export_line())  # the line `make emulator` prints
    assert err.count("\n") == 1
    assert seeded.calls() == 0


SPEC_BOMB = ALIAS_BOMB.split("    Properties:\n")[1].replace("      ", "")


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize(
    ("option", "text", "says"),
    [
        ("--template", ALIAS_BOMB, "line 6: found the alias *l0, and CloudFormation does not"),
        ("--spec", SPEC_BOMB, "line 2: found the alias *l0, and CloudFormation does not"),
        ("--template", "Resources: " + "[" * 5000 + "]" * 5000 + "\n", "nests values too deeply"),
        ("--spec", "Images: " + "[" * 5000 + "]" * 5000 + "\n", "nests values too deeply"),
    ],
)
def test_a_hostile_file_is_bad_input_not_a_bug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, text: str, says: str
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text)
    assert main(["plan", option, str(path)]) == ExitCode.INVALID  # was 1, "a bug", or 4
    err = capsys.readouterr().err
    assert says in err and "please report" not in err and err.count("\n") == 1
