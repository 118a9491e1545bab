"""Load the fixtures in ``events/``, pointing ResponseURL at a local receiver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def event_names() -> list[str]:
    return sorted(path.name for path in EVENTS_DIR.glob("*.json"))


def load_event(name: str, *, response_url: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    if response_url is not None:
        event["ResponseURL"] = response_url
    return event
