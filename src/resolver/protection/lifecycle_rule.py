"""The lifecycle rule that makes protection tags count, and whether a policy has it.

ECR applies rules by ``rulePriority``, lowest first, and "an image that matches the tagging
requirements of a rule cannot be expired by a rule with a lower priority" (user guide, lifecycle
policy evaluation). So a protection tag keeps an image exactly when the first rule able to select
a tagged image is one that selects ``pinned-*`` and keeps every image it selects — a count far
larger than a repository holds (AWS's own "keep" idiom):

    {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["pinned-*"],
     "countType": "imageCountMoreThan", "countNumber": 999999}, "action": {"type": "expire"}}

Rules for untagged images may come before it (they never see a tagged image); any other rule
before it could take a pinned image by its other tags, and a ``tagStatus: any`` rule ignores tags
altogether. ``UNPINNED_RULE`` expires what protection hands back (``release``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..engine.ecr.clients import EcrClients
from ..engine.ecr.lifecycle_policy import NO_POLICY, lifecycle_policies
from ..engine.fanout import Deadline
from ..engine.lifecycle import (
    LifecyclePolicy,
    PolicyUnreadable,
    StoredImage,
    TagStatus,
    parse_policy,
)
from ..model import PROTECTION_TAG_PREFIX, RELEASED_TAG_PREFIX
from ..references import Repository

KEEP_PINNED_RULE: Mapping[str, Any] = {
    "rulePriority": 1,
    "description": "Keep every image a stack pins (Custom::ImageResolver Protect)",
    "selection": {
        "tagStatus": "tagged",
        "tagPatternList": [f"{PROTECTION_TAG_PREFIX}*"],
        "countType": "imageCountMoreThan",
        "countNumber": 999999,
    },
    "action": {"type": "expire"},
}
UNPINNED_RULE: Mapping[str, Any] = {
    "rulePriority": 2,
    "description": "Expire images no stack pins any more, kept only by protection",
    "selection": {
        "tagStatus": "tagged",
        "tagPatternList": [f"{RELEASED_TAG_PREFIX}*"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    },
    "action": {"type": "expire"},
}
_PROBE = StoredImage(
    "sha256:" + "0" * 64,
    (f"{PROTECTION_TAG_PREFIX}probe",),
    pushed_at=datetime(1970, 1, 1, tzinfo=UTC),
)


def keeps_pinned(policy: LifecyclePolicy | None) -> bool:
    """Whether a protection tag keeps an image under ``policy`` (no policy keeps everything)."""
    if policy is None:
        return True
    for rule in policy.rules:
        if rule.tag_status is TagStatus.UNTAGGED:
            continue  # never sees a tagged image
        if rule.keeps_all:
            if rule.selects(_PROBE):
                return True
            continue  # keeps what it selects: harmless before the rule that counts
        return False
    return True  # no rule selects a tagged image at all


def without_the_rule(
    repositories: Iterable[Repository], *, clients: EcrClients, deadline: Deadline
) -> dict[Repository, str]:
    """The repositories whose lifecycle policy does not let protection tags keep an image, each
    with why (a repository whose policy cannot be read is one of them: unknown is not kept)."""
    report = lifecycle_policies(repositories, clients=clients, deadline=deadline)
    missing: dict[Repository, str] = {}
    for repo, answer in report.answers.items():
        if answer is NO_POLICY:
            continue
        if not isinstance(answer, str):
            missing[repo] = f"its lifecycle policy could not be read ({answer.code})"
            continue
        try:
            policy = parse_policy(answer)
        except PolicyUnreadable as exc:
            missing[repo] = f"its lifecycle policy could not be read ({exc})"
            continue
        if not keeps_pinned(policy):
            missing[repo] = f"no rule keeps {PROTECTION_TAG_PREFIX}* images before the others"
    return missing


def rule_text() -> str:
    """The rule to add, as a lifecycle policy's ``rules`` entry."""
    return json.dumps(KEEP_PINNED_RULE, separators=(", ", ": "))
