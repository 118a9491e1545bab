"""The rule users add, checked by the evaluator itself: with it first, a pinned image is Safe;
whether a policy has it is decided as ECR orders rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from devkit.seed import expire_untagged, keep_newest
from resolver.engine.lifecycle import StoredImage, evaluate, parse_policy
from resolver.model import RetentionKind
from resolver.protection.lifecycle_rule import (
    KEEP_PINNED_RULE,
    UNPINNED_RULE,
    keeps_pinned,
    rule_text,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
UNTAGGED_14 = expire_untagged(5, days=14)
KEEP_5_API = keep_newest(3, "api-", 5)
ANY_30 = {
    "rulePriority": 9,
    "selection": {
        "tagStatus": "any",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 30,
    },
    "action": {"type": "expire"},
}


def _policy(*rules: Any) -> Any:
    return parse_policy(json.dumps({"rules": list(rules)}))


@pytest.mark.parametrize(
    ("rules", "kept"),
    [
        ((KEEP_PINNED_RULE, UNTAGGED_14, ANY_30), True),
        ((UNTAGGED_14, {**KEEP_PINNED_RULE, "rulePriority": 6}, ANY_30), True),  # untagged first
        ((KEEP_5_API, {**KEEP_PINNED_RULE, "rulePriority": 4}), False),  # api-* comes first
        ((UNTAGGED_14, ANY_30), False),
        ((UNTAGGED_14,), True),  # nothing selects a tagged image
    ],
    ids=["first", "after untagged", "after api-*", "missing", "untagged only"],
)
def test_the_rule_counts_only_before_every_rule_that_can_take_a_tagged_image(
    rules: tuple[Any, ...], kept: bool
) -> None:
    assert keeps_pinned(_policy(*rules)) is kept
    assert keeps_pinned(None)


def test_with_the_rule_a_pinned_image_is_safe_by_the_evaluator() -> None:
    lifecycle = _policy(KEEP_PINNED_RULE, UNPINNED_RULE, UNTAGGED_14, ANY_30)
    pinned = StoredImage(
        "sha256:" + "1" * 64, ("api-1", "pinned-x-Images-Api-0-1"), NOW.replace(year=2020)
    )
    released = StoredImage(
        "sha256:" + "2" * 64, ("unpinned-x-Images-Api-0-1",), NOW.replace(year=2020)
    )
    assert (
        evaluate(lifecycle, [pinned, released], pinned.digest, now=NOW).kind is RetentionKind.SAFE
    )
    assert (
        evaluate(lifecycle, [pinned, released], released.digest, now=NOW).kind
        is RetentionKind.EXPIRING
    )


def test_the_printed_rule_is_json_ecr_accepts() -> None:
    assert json.loads(rule_text()) == KEEP_PINNED_RULE
    assert keeps_pinned(_policy(json.loads(rule_text())))
