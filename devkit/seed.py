"""The images the demo, the event fixtures in ``events/`` and the ``examples/`` expect.

``tak-dev-baseinfra-artifacts`` mirrors the first real user's repository: CI pushed
``cloudtak-``, ``events-`` and ``data-`` images for version 3f9a1c2e, but not ``pmtiles-``; its
lifecycle policy keeps the 5 newest images per tag prefix and expires untagged images 14 days
after their push (the images a tag moved away from).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .ecr_emulator import REGION, EcrEmulator, ensure_repository, manifest, push

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


# Each example template, with the parameter overrides it is planned with and the images it then
# expects pushed: (region, repository, tag). examples/cloudtak.yaml imports its repository ARN
# and has PmTiles missing on purpose, like the events: see CLOUDTAK_EXAMPLE.
EXAMPLE_IMAGES: dict[str, tuple[list[str], list[tuple[str, str, str]]]] = {
    "consumer-ecs-lambda.yaml": (
        ["ImageVersion=1a2b3c4d"],
        [(REGION, "my-app", "api-1a2b3c4d"), (REGION, "my-app", "worker-1a2b3c4d")],
    ),
    "ecs-service.yaml": (
        ["ImageVersion=1a2b3c4d", "VpcSubnets=subnet-1", "SecurityGroup=sg-1", "Cluster=main"],
        [(REGION, "web", "web-1a2b3c4d"), ("us-east-1", "shared/otel-collector", "v0.98.0")],
    ),
    "batch-job.yaml": (["ImageVersion=1a2b3c4d"], [(REGION, "team/etl-tasks", "etl-1a2b3c4d")]),
}
# examples/cloudtak.yaml keeps every image in the artifacts repository, Data included.
CLOUDTAK_EXAMPLE_IMAGES = [(REGION, ARTIFACTS, f"data-{VERSION}")]


def seed_examples(client_for: Callable[[str], Any]) -> list[str]:
    """Push what ``examples/`` expect (beyond ``seed``); ``client_for(region)`` gives an ECR client.

    Returns ``region/repo:tag`` of each image pushed.
    """
    wanted = [image for _, images in EXAMPLE_IMAGES.values() for image in images]
    pushed = []
    for region, repository, tag in [*wanted, *CLOUDTAK_EXAMPLE_IMAGES]:
        client = client_for(region)
        ensure_repository(client, repository)
        push(client, repository, tag, manifest(f"{repository}:{tag}"))
        pushed.append(f"{region}/{repository}:{tag}")
    return pushed
