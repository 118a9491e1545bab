"""The SAM CLI and what ``sam build`` uses on this kind of machine, found once for the tests,
``make invoke`` and anyone else.

The SAM CLI lives in its own virtualenv (``.venv-sam``: it pins an older boto3). ``sam build``
runs ``src/Makefile``, which needs only python3 and make; with the runtime's Python (python3.13)
on PATH it also ships bytecode. pyenv shims only run when PYENV_VERSION names an installed
version, so that is set when one is found.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = "3.13"  # template.yaml: python3.13
SAM_VENV = ROOT / ".venv-sam"


class ToolMissingError(RuntimeError):
    pass


def find_tool(name: str) -> str:
    """A tool from the project's virtualenv, the SAM virtualenv, or PATH."""
    for folder in (Path(sys.executable).parent, SAM_VENV / "bin"):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise ToolMissingError(f"{name} is not installed: `make setup` installs it")
    return found


def runtime_env() -> dict[str, str]:
    """The environment for the SAM CLI: ``python3.13`` runs in it when this machine has one."""
    env = dict(os.environ, SAM_CLI_TELEMETRY="0")
    pyenv_version = _runtime().pyenv_version
    return env if pyenv_version is None else dict(env, PYENV_VERSION=pyenv_version)


def runtime_python_found() -> bool:
    return _runtime().found


@dataclass(frozen=True)
class _Runtime:
    found: bool
    pyenv_version: str | None = None  # the PYENV_VERSION that makes the shim run


@functools.cache
def _runtime() -> _Runtime:
    """Looked for once per process: each probe starts an interpreter (through a pyenv shim), and
    a bench run asks per build and per interpreter."""
    if _runs(f"python{RUNTIME}", os.environ):
        return _Runtime(found=True)
    if shutil.which("pyenv"):
        listed = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
        )
        for version in listed.stdout.split():
            if version.startswith(f"{RUNTIME}.") and _runs(
                f"python{RUNTIME}", dict(os.environ, PYENV_VERSION=version)
            ):
                return _Runtime(found=True, pyenv_version=version)
    return _Runtime(found=False)


def _runs(command: str, env: Mapping[str, str]) -> bool:
    if not shutil.which(command, path=env.get("PATH")):
        return False
    return (
        subprocess.run([command, "--version"], capture_output=True, env=env, check=False).returncode
        == 0
    )


def sam_build(build_dir: Path) -> subprocess.CompletedProcess[str]:
    """``sam build`` into ``build_dir``; ``--no-cached`` keeps ``.aws-sam/`` out of the clone."""
    command = [find_tool("sam"), "build", "--build-dir", str(build_dir), "--no-cached"]
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=runtime_env(),
        timeout=600,
        check=False,
    )


def rie_binary() -> Path:
    """The Lambda Runtime Interface Emulator that ships inside the SAM CLI package."""
    sam_python = SAM_VENV / "bin" / "python"
    python = str(sam_python) if sam_python.exists() else sys.executable
    located = subprocess.run(
        [python, "-c", "import os, samcli; print(os.path.dirname(samcli.__file__))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if located.returncode != 0:
        raise ToolMissingError("the SAM CLI package is not installed: `make setup` installs it")
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    binary = Path(located.stdout.strip()) / "local" / "rapid" / f"aws-lambda-rie-{arch}"
    if not binary.exists():
        raise ToolMissingError(f"this SAM CLI has no runtime interface emulator at {binary}")
    return binary
