"""The README's path for a newcomer, followed as written: every local command works by copy and
paste, ``make help`` lists every target, and mistakes are reported before any slow work."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
README_PORT = "127.0.0.1:5000"
BIN = Path(sys.executable).parent


def readme_commands_needing_the_emulator() -> list[str]:
    """Command lines of the README's bash blocks that name the emulator's address."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL):
        for command in block.replace("\\\n", " ").splitlines():
            if README_PORT in command:
                commands.append(command.split("  #")[0].strip())
    return commands


def run(*command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[int, dict[str, str], subprocess.Popen[str]]]:
    """``make emulator``'s program on a free port: (port, what it says to export, the process)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devkit.serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    announced = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        announced.append(line)
        if line.startswith("Ctrl-C stops the emulator") or not line:
            break
    exports = next(line for line in announced if line.strip().startswith("export "))
    environment = dict(pair.split("=", 1) for pair in exports.split()[1:])
    yield port, environment, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_the_readme_has_local_commands() -> None:
    commands = readme_commands_needing_the_emulator()
    assert any(command.startswith("resolver invoke") for command in commands)
    assert any(command.startswith("resolver plan") for command in commands)


@pytest.mark.parametrize("command", readme_commands_needing_the_emulator())
def test_each_readme_command_works_against_make_emulator(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]], command: str
) -> None:
    port, exports, _ = emulator
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **exports,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", command.replace(README_PORT, f"127.0.0.1:{port}")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # 0 all found, 3 build needed, 6 invoke answered FAILED: answers. 1, 2, 4 are dead ends.
    assert result.returncode in (0, 3, 6), result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulator_stops_on_ctrl_c(
    emulator: tuple[int, dict[str, str], subprocess.Popen[str]],
) -> None:
    _, _, process = emulator
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert process.stderr is not None
    assert "emulator stopped" in process.stderr.read()


def test_the_emulator_says_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = run(sys.executable, "-m", "devkit.serve", "--port", str(port))
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert f"PORT={port + 1} make emulator" in result.stderr


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony is not None
    return set(phony.group(1).split())


def test_make_help_lists_every_target() -> None:
    result = run("make", "--no-print-directory", "help")
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("make ")}
    assert listed == _make_targets() - {"help"}
    defined = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert defined == _make_targets()  # every target is phony, so help can list them all


def test_make_invoke_checks_the_event_before_building() -> None:
    started = time.monotonic()
    result = run("make", "--no-print-directory", "invoke", "EVENT=events/typo.json")
    assert result.returncode == 2
    assert "make invoke: no event file events/typo.json; use one of: " in result.stderr
    assert "events/create.json" in result.stderr
    assert "Traceback" not in result.stderr and "sam build" not in result.stderr
    assert time.monotonic() - started < 10  # no setup, no build


def test_the_invoke_runner_checks_the_event_first(capsys: pytest.CaptureFixture[str]) -> None:
    from devkit.rie_invoke import main

    assert main(["events/typo.json"]) == 2
    assert capsys.readouterr().err == "make invoke: no event file events/typo.json; see events/\n"


def test_the_demo_shows_the_ci_decision_before_the_deploy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "devkit.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    decision, deploy = out.index("0. CI decides before the deploy"), out.index("1. Create")
    assert decision < deploy
    plan = out[decision:deploy]
    assert "IMAGE    REPOSITORY" in plan and "Pmtiles  tak-dev-baseinfra-artifacts" in plan
    assert "exit 3: build needed" in plan
    assert "Api.Uri follows the moved tag: yes" in out
