"""The Makefile's set-up and deploy targets, run by make itself in a scratch copy: a wrong Python,
the demo's and the tests' install sets, ``make build`` / ``make deploy`` (with a stand-in ``sam``
that records what it was asked), and ``make invoke``'s exit codes. Nothing here installs the
project's packages or reaches AWS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devkit import sam

from .conftest import ROOT, require

pytestmark = pytest.mark.e2e

FUTURE = time.time() + 60  # stamps newer than anything copied


def scratch(tmp_path: Path, *paths: str) -> Path:
    """A folder with the Makefile and the named files or folders of this checkout."""
    folder = tmp_path / "checkout"
    for relative in ("Makefile", "pyproject.toml", "src/resolver/__init__.py", *paths):
        source, target = ROOT / relative, folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(
                source, target, ignore=shutil.ignore_patterns("node_modules", "__pycache__")
            )
        else:
            shutil.copy2(source, target)
    return folder


def script(path: Path, *, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def stamp(*paths: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (FUTURE, FUTURE))


def make(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=folder,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# A python3 that is not 3.11+: answers --version like Python 3.10 and fails the Makefile's check.
OLD_PYTHON = 'case "$1" in --version) echo "Python 3.10.13" ;; *) exit 1 ;; esac'


def test_a_python_older_than_3_11_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = scratch(tmp_path)
    old = script(tmp_path / "bin" / "python3", body=OLD_PYTHON)
    result = make(folder, "demo", f"PYTHON={old}")
    assert result.returncode == 2
    assert (
        f"make: {old} is Python 3.10.13; the resolver needs Python 3.11 or newer." in result.stderr
    )
    assert "make demo PYTHON=python3.12" in result.stderr
    assert "Traceback" not in result.stderr and not (folder / ".venv").exists()


def test_a_venv_another_python_made_is_rebuilt(tmp_path: Path) -> None:
    """As after a first try with python3.10: the next run says so and starts again."""
    folder = scratch(tmp_path)
    script(folder / ".venv" / "bin" / "python", body=OLD_PYTHON)
    stamp(folder / ".venv" / ".created", folder / ".venv" / ".installed-demo")
    rebuilt = make(folder, ".venv/.created", f"PYTHON={sys.executable}")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (
        "make: .venv was made by Python 3.10.13, not 3.11+: rebuilding it with " in rebuilt.stdout
    )
    assert not (folder / ".venv" / ".installed-demo").exists()  # the old installs go with it
    checked = subprocess.run(
        [
            folder / ".venv" / "bin" / "python",
            "-c",
            "import sys; print(sys.version_info >= (3, 11))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.stdout.strip() == "True"
    again = make(folder, ".venv/.created", f"PYTHON={sys.executable}")
    assert again.returncode == 0 and "rebuilding" not in again.stdout


def _wrapper_venv(folder: Path, *stamps: str) -> Path:
    """A .venv whose python is this one, with the given install stamps."""
    venv = folder / ".venv"
    script(venv / "bin" / "python", body=f'exec "{sys.executable}" "$@"')
    stamp(*(venv / name for name in (".created", *stamps)))
    return venv


def test_a_venv_made_for_the_demo_is_completed_by_make_test(tmp_path: Path) -> None:
    folder = scratch(tmp_path)
    venv = _wrapper_venv(folder, ".installed-demo")
    assert make(folder, "-q", ".venv/.installed-demo").returncode == 0
    assert make(folder, "-q", ".venv/.installed-dev").returncode == 1  # out of date: installs
    planned = make(folder, "-n", "test").stdout
    assert "pip install --quiet -e '.[dev]'" in planned
    assert "pip install --quiet -e '.[demo]'" not in make(folder, "-n", "demo").stdout
    stamp(venv / ".installed-dev", venv / ".installed-demo")  # what the dev install leaves
    assert make(folder, "-q", ".venv/.installed-demo").returncode == 0
    assert make(folder, "-q", ".venv/.installed-dev").returncode == 0


def test_each_install_says_what_it_installs(tmp_path: Path) -> None:
    folder = scratch(tmp_path)
    _wrapper_venv(folder)
    demo = make(folder, "-n", "demo").stdout
    assert "Installing what the demo runs into .venv: boto3, crhelper and Powertools" in demo
    assert "moto (the local ECR). The first time takes about" in demo
    everything = make(folder, "-n", "setup").stdout
    assert "aws-cdk-lib" in everything and "Installing the SAM CLI" in everything


# A stand-in for the SAM CLI: records its arguments; ``build`` leaves a built function, with
# bytecode when SAM_BYTECODE is set.
FAKE_SAM = """echo "$@" >> "$SAM_LOG"
if [ "$1" = build ]; then
  mkdir -p .aws-sam/build/ResolverFunction/resolver
  touch .aws-sam/build/ResolverFunction/resolver/__init__.py
  if [ -n "$SAM_BYTECODE" ]; then touch .aws-sam/build/ResolverFunction/resolver/model.pyc; fi
fi"""


def _with_fake_sam(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    folder = scratch(tmp_path, "devkit")
    sam_venv = tmp_path / "sam-venv"
    script(sam_venv / "bin" / "sam", body=FAKE_SAM)
    script(sam_venv / "bin" / "python", body=f'exec "{sys.executable}" "$@"')
    stamp(sam_venv / ".installed")
    log = tmp_path / "sam.log"
    env = {
        "PATH": f"{sam_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SAM_LOG": str(log),
        "SAM_VENV": str(sam_venv),
    }
    return folder, env, log


def test_make_build_says_when_the_package_ships_without_bytecode(tmp_path: Path) -> None:
    folder, env, log = _with_fake_sam(tmp_path)
    built = make(folder, "build", env=env)
    assert built.returncode == 0, built.stderr
    assert "make build: sam build (src/Makefile packages the function)" in built.stdout
    assert "the package ships without bytecode" in built.stderr
    assert "rm -rf .aws-sam && make build" in built.stderr
    assert log.read_text().splitlines() == ["build"]
    with_bytecode = make(folder, "build", env={**env, "SAM_BYTECODE": "1"})
    assert with_bytecode.returncode == 0 and "bytecode" not in with_bytecode.stderr


def test_make_deploy_builds_then_deploys_guided_or_with_a_samconfig_environment(
    tmp_path: Path,
) -> None:
    folder, env, log = _with_fake_sam(tmp_path)
    assert make(folder, "deploy", "ENV=dev", env=env).returncode == 0
    # A shell's own $ENV (sh reads it as a start-up file) is not a samconfig environment.
    assert make(folder, "deploy", env={**env, "ENV": "/etc/shrc"}).returncode == 0
    assert log.read_text().splitlines() == [
        "build --config-env dev",
        "deploy --config-env dev",
        "build",
        "deploy --guided",
    ]


# The built function's runner, stood in for: answers the Makefile's version check, then exits as
# devkit.rie_invoke would (FAKE_EXIT).
FAKE_RUNNER = """case "$1" in -c) exit 0 ;; esac
echo "the custom resource answered FAILED (exit 6): 1 image is missing from ECR" >&2
exit "$FAKE_EXIT\""""


@pytest.mark.parametrize(("runner_exit", "make_exit"), [(0, 0), (6, 0), (1, 2)])
def test_make_invoke_treats_a_failed_answer_as_an_answer(
    tmp_path: Path, runner_exit: int, make_exit: int
) -> None:
    folder = scratch(tmp_path, "events/create.json")
    venv = folder / ".venv"
    script(venv / "bin" / "python", body=FAKE_RUNNER)
    stamp(*(venv / name for name in (".created", ".installed-demo", ".installed-dev")))
    stamp(tmp_path / "sam-venv" / ".installed")
    result = make(
        folder,
        "invoke",
        env={"FAKE_EXIT": str(runner_exit), "SAM_VENV": str(tmp_path / "sam-venv")},
    )
    assert result.returncode == make_exit
    assert ("***" in result.stderr) == (make_exit != 0)  # make's own error only for a broken run


def test_make_invokes_runner_says_a_failed_answer_is_one() -> None:
    """``make invoke EVENT=events/create-missing.json``'s program, for real: the response, then one
    line that says the custom resource answered FAILED, with `resolver invoke`'s exit code. (Not
    beside test_rie_invoke.py's function: the emulator's runtime API has one fixed port.)"""
    require(sam.rie_binary)
    ran = subprocess.run(
        [sys.executable, "-m", "devkit.rie_invoke", "events/create-missing.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ran.returncode == 6, ran.stderr
    assert '"Status": "FAILED"' in ran.stdout
    assert ran.stderr.splitlines()[-1].startswith(
        "the custom resource answered FAILED (exit 6): 1 image is missing from ECR: Pmtiles"
    )
    assert "Traceback" not in ran.stderr


def test_the_runtime_python_is_looked_for_once(tmp_path: Path) -> None:
    """A bench run builds several times, for several interpreters: one probe serves them all."""
    probes = tmp_path / "probes"
    script(tmp_path / "bin" / "python3.13", body=f'echo probe >> "{probes}"; echo "Python 3.13.0"')
    asked = subprocess.run(
        [
            sys.executable,
            "-c",
            "from devkit import sam\n"
            "for _ in range(3):\n"
            "    assert sam.runtime_python_found()\n"
            "    assert 'SAM_CLI_TELEMETRY' in sam.runtime_env()",
        ],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert asked.returncode == 0, asked.stderr
    assert probes.read_text().splitlines() == ["probe"]
