"""The README's diagrams are parsed by mermaid itself, in Node: without Node or the checker's
packages (``make setup`` installs them) the tests skip with the reason, and fail under CI
(CI=true), as tests/cdk's do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "devkit" / "mermaid"


def require_mermaid() -> str:
    """The ``node`` to run the checker with; skips (or fails under CI) when it cannot run."""
    node = shutil.which("node")
    if node is None:
        missing = "the README's diagrams are parsed by mermaid in Node.js: install node"
    elif not (CHECKER / "node_modules" / "mermaid").is_dir():
        missing = f"mermaid is not installed in {CHECKER.relative_to(ROOT)}: make setup installs it"
    else:
        return node
    if os.environ.get("CI"):
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing)
