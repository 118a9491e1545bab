"""Deployment-artifact checks run the real tools: cfn-lint, the SAM CLI, Python 3.13, the Lambda
Runtime Interface Emulator. `make test` installs them; a missing one fails under CI and is skipped,
with the reason, elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from devkit import sam

ROOT = sam.ROOT
T = TypeVar("T")


def require(find: Callable[[], T]) -> T:
    try:
        return find()
    except sam.ToolMissingError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def tool(name: str) -> str:
    return require(lambda: sam.find_tool(name))


@pytest.fixture(scope="session")
def aws_sam_before() -> bool:
    """Whether the checkout had a ``.aws-sam`` (a user's own build) before the tests built."""
    return (ROOT / ".aws-sam").exists()


@pytest.fixture(scope="session")
def built_function(
    tmp_path_factory: pytest.TempPathFactory, aws_sam_before: bool
) -> Iterator[Path]:
    """``sam build`` once per session, into a temporary folder; yields the function's build."""
    tool("sam")
    build_dir = tmp_path_factory.mktemp("sam-build")
    result = sam.sam_build(build_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    yield build_dir / "ResolverFunction"
