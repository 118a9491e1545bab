"""The images the demo and the event fixtures in ``events/`` expect in the emulator.

``tak-dev-baseinfra-artifacts`` mirrors the first real user's repository: CI pushed
``cloudtak-``, ``events-`` and ``data-`` images for version 3f9a1c2e, but not ``pmtiles-``; its
lifecycle policy keeps the 5 newest images per tag prefix and expires untagged images 14 days
after their push (the images a tag moved away from).
"""

from __future__ import annotations

import json
from typing import Any

from .ecr_emulator import EcrEmulator, ensure_repository, manifest, push

VERSION = "3f9a1c2e"
ARTIFACTS = "tak-dev-baseinfra-artifacts"
ETL = "team/etl-tasks"
PINNED = "other-repo"


def keep_newest(priority: int, prefix: str, count: int) -> dict[str, Any]:
    """A lifecycle rule: keep the ``count`` newest images with a tag starting ``prefix``."""
    return {
        "rulePriority": priority,
        "description": f"Keep the {count} newest {prefix}* images",
        "selection": {
            "tagStatus": "tagged",
            "tagPrefixList": [prefix],
            "countType": "imageCountMoreThan",
            "countNumber": count,
        },
        "action": {"type": "expire"},
    }


def expire_untagged(priority: int, *, days: int) -> dict[str, Any]:
    """A lifecycle rule: expire untagged images ``days`` after their push."""
    return {
        "rulePriority": priority,
        "description": f"Expire untagged images {days} days after their push",
        "selection": {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": days,
        },
        "action": {"type": "expire"},
    }


ARTIFACTS_POLICY = {
    "rules": [
        keep_newest(1, "cloudtak-", 5),
        keep_newest(2, "events-", 5),
        keep_newest(3, "pmtiles-", 5),
        expire_untagged(4, days=14),
    ]
}


def seed(client: Any) -> dict[str, str]:
    """Create the repositories and push the present images; returns ``{repo:tag: digest}``."""
    for repo in (ARTIFACTS, ETL, PINNED):
        ensure_repository(client, repo)
    client.put_lifecycle_policy(
        repositoryName=ARTIFACTS, lifecyclePolicyText=json.dumps(ARTIFACTS_POLICY)
    )
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


def move_cloudtak_tag(emulator: EcrEmulator) -> str:
    """Re-push ``cloudtak-<version>`` with a rebuilt image, as CI does with a mutable tag; the
    image it leaves stays in the repository, untagged, as in ECR. Returns the new digest."""
    _, new = emulator.move_tag(ARTIFACTS, f"cloudtak-{VERSION}", manifest("cloudtak-v2-rebuilt"))
    return new
