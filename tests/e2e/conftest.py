"""Deployment-artifact checks run the real tools: cfn-lint, the SAM CLI, a Python 3.13."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "3.13"  # template.yaml's python3.13


def tool(name: str) -> str:
    """A tool from the project's virtualenv or PATH; absent tools fail under CI, else skip."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: `make test` installs it (SAM CLI lives in .venv-sam)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def runtime_python_env() -> dict[str, str]:
    """An environment in which `python3.13` runs, as `sam build` needs the runtime's Python.

    pyenv shims only work when PYENV_VERSION names an installed version (see REFERENCE.md).
    """
    env = dict(os.environ, SAM_CLI_TELEMETRY="0")
    if _runs(f"python{RUNTIME}", env):
        return env
    if shutil.which("pyenv"):
        versions = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
        )
        for version in versions.stdout.split():
            if version.startswith(f"{RUNTIME}."):
                env["PYENV_VERSION"] = version
                if _runs(f"python{RUNTIME}", env):
                    return env
    message = f"sam build needs python{RUNTIME} on PATH"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _runs(command: str, env: dict[str, str]) -> bool:
    if not shutil.which(command, path=env.get("PATH")):
        return False
    result = subprocess.run([command, "--version"], capture_output=True, env=env, check=False)
    return result.returncode == 0
