"""The Lambda's dependencies: one set of pins (pyproject's ``lambda`` extra), hash-locked."""

from __future__ import annotations

import re
import tomllib

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.e2e

LOCK = ROOT / "src" / "requirements.lock"


def _lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes), from the lock's ``name==version \\ --hash=...`` entries."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = LOCK.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            pin, *hashes = line.split()
            name, version = pin.split("==")
            entries[name] = (version, [h.removeprefix("--hash=sha256:") for h in hashes])
    return entries


def test_every_locked_wheel_is_pinned_exactly_with_a_hash() -> None:
    for name, (version, hashes) in _lock().items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.]*", version), name
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_carries_the_pins_of_the_lambda_extra() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(item.split("==") for item in extra["optional-dependencies"]["lambda"])
    locked = _lock()
    for name, version in pins.items():
        assert locked.get(name, ("absent",))[0] == version, f"{name}: run `make lock`"
    # boto3 is the runtime's; anything else locked is what the pins need.
    assert "boto3" not in locked and "botocore" not in locked
