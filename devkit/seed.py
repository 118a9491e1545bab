"""The images the demo and the event fixtures in ``events/`` expect in the emulator.

``tak-dev-baseinfra-artifacts`` mirrors the first real user's repository: CI pushed
``cloudtak-``, ``events-`` and ``data-`` images for version 3f9a1c2e, but not ``pmtiles-``.
"""

from __future__ import annotations

from typing import Any

from .ecr_emulator import ensure_repository, manifest, push

VERSION = "3f9a1c2e"
ARTIFACTS = "tak-dev-baseinfra-artifacts"
ETL = "team/etl-tasks"
PINNED = "other-repo"


def seed(client: Any) -> dict[str, str]:
    """Create the repositories and push the present images; returns ``{repo:tag: digest}``."""
    for repo in (ARTIFACTS, ETL, PINNED):
        ensure_repository(client, repo)
    pushed = {
        (ARTIFACTS, f"cloudtak-{VERSION}"): "cloudtak-v1",
        (ARTIFACTS, f"events-{VERSION}"): "events-v1",
        (ETL, f"data-{VERSION}"): "data-v1",
        (PINNED, "v1"): "pinned-v1",
    }
    return {
        f"{repo}:{tag}": push(client, repo, tag, manifest(seed))
        for (repo, tag), seed in pushed.items()
    }


def move_cloudtak_tag(client: Any) -> str:
    """Re-push ``cloudtak-<version>`` with a rebuilt image, as CI does with a mutable tag."""
    return push(client, ARTIFACTS, f"cloudtak-{VERSION}", manifest("cloudtak-v2-rebuilt"))
