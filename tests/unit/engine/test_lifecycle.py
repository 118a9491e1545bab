"""Lifecycle-policy evaluation without AWS: every rule kind, their interactions, and the worked
examples of the ECR user guide (``lifecycle_policy_examples``), each with its documented result;
what an evaluation costs (tag matches, counted) and what stops it."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from resolver.engine.lifecycle import (
    OUT_OF_TIME,
    ActionType,
    Counted,
    CountType,
    Evaluation,
    Glob,
    LifecyclePolicy,
    PolicyUnreadable,
    Rule,
    StorageClass,
    StoredImage,
    TagStatus,
    evaluate,
    parse_policy,
)
from resolver.model import Retention, RetentionKind

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def ago(days: float = 0, *, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def image(name: str, *tags: str, pushed: datetime, **more: Any) -> StoredImage:
    """An image whose digest derives from ``name``, so tests can refer to it by name."""
    return StoredImage(digest=digest(name), tags=tags, pushed_at=pushed, **more)


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def rule(priority: int, selection: Mapping[str, Any], action: str = "expire") -> dict[str, Any]:
    wire_action: dict[str, Any] = {"type": action}
    if action == "transition":
        wire_action["targetStorageClass"] = "archive"
    return {"rulePriority": priority, "selection": dict(selection), "action": wire_action}


def policy(*rules: dict[str, Any]) -> LifecyclePolicy:
    """Through the parser, as the policy text GetLifecyclePolicy returns."""
    return parse_policy(json.dumps({"rules": list(rules)}))


def verdicts(
    lifecycle: LifecyclePolicy | None, listing: Sequence[StoredImage]
) -> dict[str, RetentionKind]:
    names = {item.digest: name for name in NAMES for item in listing if item.digest == digest(name)}
    return {
        names[item.digest]: evaluate(lifecycle, listing, item.digest, now=NOW).kind
        for item in listing
    }


NAMES = [*"ABCDEF", "app1", "app2", "app3", "app4", "app5", "pinned", "other", "newer", "child"]
S, L, X = RetentionKind.SAFE, RetentionKind.LIMITED, RetentionKind.EXPIRING


def count(n: int, tag_status: str = "any", **filters: list[str]) -> dict[str, Any]:
    return {"tagStatus": tag_status, "countType": "imageCountMoreThan", "countNumber": n, **filters}


def since(count_type: str, days: int, tag_status: str = "any", **filters: Any) -> dict[str, Any]:
    return {
        "tagStatus": tag_status,
        "countType": count_type,
        "countUnit": "days",
        "countNumber": days,
        **filters,
    }


# --- the user guide's worked examples, with their documented outcomes ---------------------------

# "Filtering on multiple rules", repository of examples A and B.
MULTI = [
    image("A", "beta-1", "prod-1", pushed=ago(10)),
    image("B", "beta-2", "prod-2", pushed=ago(9)),
    image("C", "beta-3", pushed=ago(8)),
]
# "Filtering on multiple tags in a single rule", example A.
MULTI_TAGS_A = [
    image("A", "alpha-1", pushed=ago(12)),
    image("B", "beta-1", pushed=ago(11)),
    image("C", "alpha-2", "beta-2", pushed=ago(10)),
    image("D", "alpha-3", pushed=ago(4)),
    image("E", "beta-3", pushed=ago(3)),
    image("F", "alpha-4", "beta-4", pushed=ago(2)),
]
# ... example B: "tags are not exclusive".
MULTI_TAGS_B = [
    image("A", "alpha-1", "beta-1", "gamma-1", pushed=ago(10)),
    image("B", "alpha-2", "beta-2", pushed=ago(9)),
    image("C", "alpha-3", "beta-3", "gamma-2", pushed=ago(8)),
]
# "Filtering on all images", example A.
ALL_A = [
    image("A", "alpha-1", pushed=ago(4)),
    image("B", "beta-1", pushed=ago(3)),
    image("C", pushed=ago(2)),
    image("D", "alpha-2", pushed=ago(1)),
]
# ... example B. D and E are both "pushed 1 day ago"; the documented outcome (rule 3 keeps E,
# rule 2 spares E) places E just inside the day and D just outside it.
ALL_B = [
    image("A", "alpha-1", "beta-1", pushed=ago(4)),
    image("B", pushed=ago(3)),
    image("C", "alpha-2", pushed=ago(2)),
    image("D", "git hash", pushed=ago(1, hours=1)),
    image("E", pushed=ago(0, hours=23)),
]

GUIDE_EXAMPLES = [
    pytest.param(
        policy(
            rule(1, count(1, "tagged", tagPatternList=["prod*"])),
            rule(2, count(1, "tagged", tagPatternList=["beta*"])),
        ),
        MULTI,
        {"A": X, "B": L, "C": L},  # "Result: Image A is expired."
        id="multiple-rules-A",
    ),
    pytest.param(
        policy(
            rule(1, count(1, "tagged", tagPatternList=["beta*"])),
            rule(2, count(1, "tagged", tagPatternList=["prod*"])),
        ),
        MULTI,
        {"A": X, "B": X, "C": L},  # "Result: Images A and B are expired."
        id="multiple-rules-B",
    ),
    pytest.param(
        policy(rule(1, since("sinceImagePushed", 5, "tagged", tagPatternList=["alpha*", "beta*"]))),
        MULTI_TAGS_A,
        {"A": S, "B": S, "C": X, "D": S, "E": S, "F": L},  # "Result: Image C is expired."
        id="multiple-tags-A",
    ),
    pytest.param(
        policy(rule(1, count(1, "tagged", tagPatternList=["alpha*", "beta*"]))),
        MULTI_TAGS_B,
        {"A": X, "B": X, "C": L},  # "Result: Images A and B are expired."
        id="multiple-tags-B",
    ),
    pytest.param(
        policy(rule(1, count(1))),
        ALL_A,
        {"A": X, "B": X, "C": X, "D": L},  # "Result: Images A, B, and C are expired."
        id="all-images-A",
    ),
    pytest.param(
        policy(
            rule(1, count(1, "tagged", tagPatternList=["alpha*"])),
            rule(2, since("sinceImagePushed", 1, "untagged")),
            rule(3, count(1)),
        ),
        ALL_B,
        {"A": X, "B": X, "C": L, "D": X, "E": L},  # "Result: Images A, B, and D are expired."
        id="all-images-B",
    ),
]


@pytest.mark.parametrize(("lifecycle", "listing", "expected"), GUIDE_EXAMPLES)
def test_the_user_guides_worked_examples(
    lifecycle: LifecyclePolicy,
    listing: list[StoredImage],
    expected: dict[str, RetentionKind],
) -> None:
    assert verdicts(lifecycle, listing) == expected


def test_a_higher_priority_rule_still_counts_images_a_later_rule_cannot_take() -> None:
    # multiple-rules-A, in detail: rule 2 counts A, B and C and would take A and B, but B
    # matches rule 1's tagging requirements: only rule 1 may take it, and rule 1 keeps it.
    lifecycle = policy(
        rule(1, count(1, "tagged", tagPatternList=["prod*"])),
        rule(2, count(1, "tagged", tagPatternList=["beta*"])),
    )
    assert evaluate(lifecycle, MULTI, digest("B"), now=NOW) == Retention(
        RetentionKind.LIMITED, "rule 1 keeps the newest prod* image; this is #1 of 2"
    )
    assert evaluate(lifecycle, MULTI, digest("C"), now=NOW) == Retention(
        RetentionKind.LIMITED, "rule 2 keeps the newest beta* image; this is #1 of 3"
    )


# --- selection: tagStatus, tagPrefixList, tagPatternList, storageClass --------------------------


@pytest.mark.parametrize(
    ("selection", "tags", "selected"),
    [
        ({"tagStatus": "any"}, (), True),
        ({"tagStatus": "any"}, ("v1",), True),
        ({"tagStatus": "untagged"}, (), True),
        ({"tagStatus": "untagged"}, ("v1",), False),
        ({"tagStatus": "tagged", "tagPrefixList": ["prod"]}, (), False),
        # tagPrefixList: every prefix must start some tag (not necessarily the same one).
        ({"tagStatus": "tagged", "tagPrefixList": ["prod"]}, ("production",), True),
        ({"tagStatus": "tagged", "tagPrefixList": ["prod"]}, ("preprod",), False),
        ({"tagStatus": "tagged", "tagPrefixList": ["prod", "v1"]}, ("prod-a", "v1.2"), True),
        ({"tagStatus": "tagged", "tagPrefixList": ["prod", "v1"]}, ("prod-a",), False),
        ({"tagStatus": "tagged", "tagPrefixList": ["Prod"]}, ("prod",), False),  # case matters
        # tagPatternList: `*` is any run of characters, including none...
        ({"tagStatus": "tagged", "tagPatternList": ["prod*"]}, ("prod",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["prod*"]}, ("production-team1",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["*prod*"]}, ("repo-production",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["*prod*"]}, ("prod-team",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["prod*"]}, ("my-prod",), False),
        # ...and the whole tag must match: no implicit trailing wildcard.
        ({"tagStatus": "tagged", "tagPatternList": ["prod"]}, ("prod1",), False),
        ({"tagStatus": "tagged", "tagPatternList": ["*test*1*2*3"]}, ("a-test-1-2-3",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["*test*1*2*3"]}, ("a-test-1-2-3-4",), False),
        # Nothing but `*` is special: not `.`, `?` or `[`.
        ({"tagStatus": "tagged", "tagPatternList": ["v1.2*"]}, ("v1x2",), False),
        ({"tagStatus": "tagged", "tagPatternList": ["v1.?"]}, ("v1.3",), False),
        ({"tagStatus": "tagged", "tagPatternList": ["v1.?"]}, ("v1.?",), True),
        ({"tagStatus": "tagged", "tagPatternList": ["[0-9]*"]}, ("7",), False),
        # Several patterns: all must match, each by some tag.
        ({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"]}, ("alpha-1",), False),
        ({"tagStatus": "tagged", "tagPatternList": ["alpha*", "beta*"]}, ("beta", "alpha"), True),
    ],
)
def test_selection(selection: dict[str, Any], tags: tuple[str, ...], selected: bool) -> None:
    parsed = policy(rule(1, {**selection, "countType": "imageCountMoreThan", "countNumber": 5}))
    (only,) = parsed.rules
    assert only.selects(image("A", *tags, pushed=ago(1))) is selected


def test_archive_rules_see_only_archived_images_and_standard_rules_only_active_ones() -> None:
    archive_rule, standard_rule = policy(
        rule(1, since("sinceImageTransitioned", 90, storageClass="archive")),
        rule(2, count(1)),
    ).rules
    active = image("A", "v1", pushed=ago(200))
    archived = image("B", "v1", pushed=ago(200), archived=True, last_archived=ago(100))
    assert (archive_rule.selects(active), archive_rule.selects(archived)) == (False, True)
    assert (standard_rule.selects(active), standard_rule.selects(archived)) == (True, False)


# --- tag patterns: linear time, no backtracking --------------------------------------------------


@cache
def by_definition(pattern: str, tag: str) -> bool:
    """ECR's ``*`` as the user guide defines it: any run of characters, including none, tried
    every way (exponential: for short strings only)."""
    if not pattern:
        return not tag
    if pattern[0] == "*":
        return any(by_definition(pattern[1:], tag[start:]) for start in range(len(tag) + 1))
    return bool(tag) and tag[0] == pattern[0] and by_definition(pattern[1:], tag[1:])


def strings(alphabet: str, longest: int) -> list[str]:
    return [
        "".join(chars)
        for length in range(longest + 1)
        for chars in itertools.product(alphabet, repeat=length)
    ]


def test_a_pattern_matches_exactly_when_some_split_of_the_tag_fits_it() -> None:
    # Every pattern of up to 5 characters over a, b and `*` (at most ECR's four `*`) against
    # every tag of up to 6 characters over a and b: leftmost placement never misses a match.
    patterns = [p for p in strings("ab*", 5) if p.count("*") <= 4]
    tags = strings("ab", 6)
    wrong = [
        (pattern, tag)
        for pattern in patterns
        for tag in tags
        if Glob.pattern(pattern).matches(tag) is not by_definition(pattern, tag)
    ]
    assert (len(patterns), len(tags), wrong) == (363, 127, [])


def test_longer_patterns_agree_with_the_definition_on_random_tags() -> None:
    rng = random.Random(20261201)
    wrong = []
    for _ in range(3_000):
        parts = ["".join(rng.choices("abc", k=rng.randint(0, 3))) for _ in range(rng.randint(1, 5))]
        pattern, tag = "*".join(parts), "".join(rng.choices("abc", k=rng.randint(0, 14)))
        if Glob.pattern(pattern).matches(tag) is not by_definition(pattern, tag):
            wrong.append((pattern, tag))
    assert wrong == []


def test_a_prefix_is_literal_and_a_pattern_says_how_it_reads() -> None:
    assert Glob.prefix("v1*").matches("v1*-x") and not Glob.prefix("v1*").matches("v1-x")
    assert str(Glob.pattern("*test*1*2*3")) == "*test*1*2*3"
    assert str(Glob.prefix("prod")) == "prod*"


def backtracking_repository(pinned: int) -> tuple[LifecyclePolicy, list[StoredImage]]:
    """The review's case: ``*a*a*a*c`` (four wildcards) against 60 tags of 300 characters that
    almost match (a regex tries every split of each), plus ``pinned`` images it does match."""
    lifecycle = policy(rule(1, count(5, "tagged", tagPatternList=["*a*a*a*c"])))
    near = [image(f"near{n}", "a" * 297 + f"{n:03d}", pushed=ago(n, hours=1)) for n in range(60)]
    hits = [image(f"hit{n}", f"{n:03d}" + "a" * 296 + "c", pushed=ago(n)) for n in range(pinned)]
    return lifecycle, near + hits


def test_four_wildcards_against_300_character_tags_cost_one_match_per_tag() -> None:
    lifecycle, listing = backtracking_repository(pinned=20)
    budget = Counted()
    evaluation = Evaluation(lifecycle, listing, now=NOW, budget=budget)
    started = time.monotonic()
    verdicts = [evaluation.verdict(item.digest) for item in listing[60:]]
    seconds = time.monotonic() - started
    assert verdicts[0] == Retention(
        L, "rule 1 keeps the 5 newest *a*a*a*c images; this is #1 of 20"
    )
    assert verdicts[19].kind is X
    assert budget.spent == 80  # each of the 80 tags matched once, for all 20 pinned images
    assert seconds < 2.0, f"{seconds:.1f} s"  # a backtracking regex takes minutes here


def test_a_large_listing_is_matched_once_per_rule_however_many_images_are_pinned() -> None:
    # 10,000 images (the most the resolver lists), half tagged app-<n>, 20 of them pinned:
    # each rule decides each tag once (5,000 matches), where one pass per pinned image took
    # 20 times that (100,020 before).
    lifecycle = policy(
        rule(1, count(50, "tagged", tagPatternList=["app-*"])), rule(2, count(100, "untagged"))
    )
    listing = [
        StoredImage(
            digest=f"sha256:{n:064x}",
            tags=(f"app-{n}",) if n % 2 else (),
            pushed_at=ago(0, hours=n / 60),
        )
        for n in range(10_000)
    ]
    budget = Counted()
    evaluation = Evaluation(lifecycle, listing, now=NOW, budget=budget)
    pinned = [item for item in listing if item.tags][:20]
    verdicts = [evaluation.verdict(item.digest) for item in pinned]
    assert budget.spent == 5_000
    assert verdicts[0] == Retention(
        L, "rule 1 keeps the 50 newest app-* images; this is #1 of 5000"
    )
    # The same verdicts as each image evaluated alone.
    assert verdicts == [evaluate(lifecycle, listing, item.digest, now=NOW) for item in pinned]


def test_a_spent_budget_stops_the_evaluation_with_out_of_time() -> None:
    lifecycle, listing = backtracking_repository(pinned=3)
    pinned = listing[60].digest
    # Ranking the rule's images takes 63 matches: a budget of 40 runs out half way.
    assert evaluate(lifecycle, listing, pinned, now=NOW, budget=Counted(limit=40)) == OUT_OF_TIME
    assert OUT_OF_TIME.value == "Unknown: out of time"
    assert evaluate(lifecycle, listing, pinned, now=NOW, budget=Counted(limit=63)).kind is L
    # Once spent, what is left needs no match (an age rule on an untagged image) still answers.
    spent = Counted(limit=0)
    untagged = policy(rule(1, since("sinceImagePushed", 14, "untagged")))
    loose = image("A", pushed=ago(30))
    assert evaluate(untagged, [loose], loose.digest, now=NOW, budget=spent).kind is X


# --- imageCountMoreThan -------------------------------------------------------------------------

APPS = [image(f"app{n}", f"app-{n}", pushed=ago(10 - n)) for n in range(1, 6)]  # app5 newest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app5", Retention(L, "rule 1 keeps the 3 newest app-* images; this is #1 of 5")),
        ("app3", Retention(L, "rule 1 keeps the 3 newest app-* images; this is #3 of 5")),
        ("app2", Retention(X, "rule 1 keeps the 3 newest app-* images; this is #4 of 5")),
        ("app1", Retention(X, "rule 1 keeps the 3 newest app-* images; this is #5 of 5")),
    ],
)
def test_image_count_more_than(name: str, expected: Retention) -> None:
    lifecycle = policy(rule(1, count(3, "tagged", tagPrefixList=["app-"])))
    assert evaluate(lifecycle, APPS, digest(name), now=NOW) == expected


def test_count_rules_that_archive_say_so() -> None:
    lifecycle = policy(rule(1, count(3, "tagged", tagPatternList=["app-*"]), "transition"))
    assert evaluate(lifecycle, APPS, digest("app1"), now=NOW) == Retention(
        X, "rule 1 archives all but the 3 newest app-* images; this is #5 of 5"
    )


def test_a_restored_image_counts_from_its_restore() -> None:
    # Pushed first, restored from the archive yesterday: for counting it is the newest.
    restored = replace_image(APPS[0], last_activated=ago(0, hours=12))
    listing = [restored, *APPS[1:]]
    lifecycle = policy(rule(1, count(3, "tagged", tagPrefixList=["app-"])))
    assert evaluate(lifecycle, listing, digest("app1"), now=NOW).reason.endswith("#1 of 5")
    assert evaluate(lifecycle, listing, digest("app3"), now=NOW).kind is X  # now #4


def test_equal_push_times_are_ordered_by_digest() -> None:
    same = [image(name, f"t-{name}", pushed=ago(1)) for name in ("A", "B", "C")]
    lifecycle = policy(rule(1, count(2)))
    ranks = {
        item.digest: evaluate(lifecycle, same, item.digest, now=NOW).reason[-7:] for item in same
    }
    assert sorted(ranks.values()) == ["#1 of 3", "#2 of 3", "#3 of 3"]
    assert ranks[min(ranks)] == "#1 of 3"


def replace_image(item: StoredImage, **changes: Any) -> StoredImage:
    return replace(item, **changes)


# --- the age rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pushed", "expected"),
    [
        (ago(13), Retention(L, "rule 1 expires images 14 days after push (after 2026-12-02)")),
        (ago(14), Retention(L, "rule 1 expires images 14 days after push (after 2026-12-01)")),
        (
            ago(14, hours=1),
            Retention(X, "rule 1 expires images 14 days after push (pushed 2026-11-17)"),
        ),
    ],
)
def test_since_image_pushed_is_older_than_the_days(pushed: datetime, expected: Retention) -> None:
    lifecycle = policy(rule(1, since("sinceImagePushed", 14)))
    item = image("A", "v1", pushed=pushed)
    assert evaluate(lifecycle, [item], item.digest, now=NOW) == expected


@pytest.mark.parametrize(
    ("more", "expected"),
    [
        # Never pulled: the push time counts.
        ({}, "rule 1 archives images 90 days without a pull (never pulled; pushed 2026-08-03)"),
        (
            {"last_pulled": ago(30)},
            "rule 1 archives images 90 days without a pull (after 2027-01-30)",
        ),
        (
            {"last_pulled": ago(91)},
            "rule 1 archives images 90 days without a pull (last pulled 2026-09-01)",
        ),
        # Restored from the archive and not pulled since: the restore counts...
        (
            {"last_pulled": ago(110), "last_activated": ago(95)},
            "rule 1 archives images 90 days without a pull (restored 2026-08-28)",
        ),
        (
            {"last_pulled": ago(110), "last_activated": ago(10)},
            "rule 1 archives images 90 days without a pull (after 2027-02-19)",
        ),
        # ...but a pull after the restore is the last pull again.
        (
            {"last_pulled": ago(5), "last_activated": ago(10)},
            "rule 1 archives images 90 days without a pull (after 2027-02-24)",
        ),
    ],
)
def test_since_image_pulled(more: dict[str, datetime], expected: str) -> None:
    lifecycle = policy(rule(1, since("sinceImagePulled", 90), "transition"))
    item = image("A", "v1", pushed=ago(120), **more)
    verdict = evaluate(lifecycle, [item], item.digest, now=NOW)
    assert verdict.reason == expected
    assert verdict.kind is (X if "after" not in expected else L)


def test_an_archived_image_is_archived_whatever_the_policy() -> None:
    item = image("A", "v1", pushed=ago(300), archived=True, last_archived=ago(200))
    for lifecycle in (
        None,
        policy(rule(1, since("sinceImageTransitioned", 90, storageClass="archive"))),
    ):
        assert evaluate(lifecycle, [item], item.digest, now=NOW) == Retention(
            RetentionKind.ARCHIVED
        )


def test_age_days_are_singular_when_one() -> None:
    lifecycle = policy(rule(1, since("sinceImagePushed", 1, "untagged")))
    item = image("A", pushed=ago(0, hours=2))
    assert evaluate(lifecycle, [item], item.digest, now=NOW).reason == (
        "rule 1 expires untagged images 1 day after push (after 2026-12-02)"
    )


# --- a pinned image whose tag moves -------------------------------------------------------------

UNTAGGED_14 = rule(2, since("sinceImagePushed", 14, "untagged"))


@pytest.mark.parametrize(
    ("rules", "tags", "pushed", "expected"),
    [
        # Only its tag keeps it: once CI moves the tag, rule 2 takes it at the next run.
        (
            [UNTAGGED_14],
            ("stable",),
            ago(30),
            Retention(
                L,
                "rule 2 expires untagged images 14 days after push (pushed 2026-11-01); "
                "only tag stable keeps this one",
            ),
        ),
        (
            [UNTAGGED_14],
            ("stable", "v3"),
            ago(30),
            Retention(
                L,
                "rule 2 expires untagged images 14 days after push (pushed 2026-11-01); "
                "only tags stable, v3 keep this one",
            ),
        ),
        # Young enough that even untagged it survives a while: the date it would go.
        (
            [UNTAGGED_14],
            ("stable",),
            ago(3),
            Retention(
                L,
                "once tag stable moves, rule 2 expires untagged images 14 days after push "
                "(after 2026-12-12)",
            ),
        ),
        # A tagged rule governs now, the untagged rule once the tag moves: both are said.
        (
            [rule(1, count(20, "tagged", tagPrefixList=["stable"])), UNTAGGED_14],
            ("stable",),
            ago(30),
            Retention(
                L,
                "rule 1 keeps the 20 newest stable* images; this is #1 of 1; "
                "rule 2 expires untagged images 14 days after push (pushed 2026-11-01); "
                "only tag stable keeps this one",
            ),
        ),
        # An `any` rule governs tagged and untagged alike: nothing more to say.
        (
            [rule(1, since("sinceImagePushed", 60))],
            ("stable",),
            ago(30),
            Retention(L, "rule 1 expires images 60 days after push (after 2026-12-31)"),
        ),
        # No rule takes untagged images, none matches its tags: safe as things stand.
        (
            [rule(1, count(3, "tagged", tagPrefixList=["dev-"]))],
            ("stable",),
            ago(30),
            Retention(RetentionKind.SAFE),
        ),
    ],
)
def test_what_happens_when_the_tag_moves(
    rules: list[dict[str, Any]], tags: tuple[str, ...], pushed: datetime, expected: Retention
) -> None:
    item = image("pinned", *tags, pushed=pushed)
    assert evaluate(policy(*rules), [item], item.digest, now=NOW) == expected


def test_once_untagged_the_image_counts_among_the_untagged_images() -> None:
    # "Keep 2 untagged": two newer untagged images exist, so the pinned image, untagged, is #3.
    listing = [
        image("pinned", "latest", pushed=ago(5)),
        image("other", pushed=ago(2)),
        image("newer", pushed=ago(1)),
    ]
    lifecycle = policy(rule(1, count(2, "untagged")))
    assert evaluate(lifecycle, listing, digest("pinned"), now=NOW) == Retention(
        L,
        "rule 1 keeps the 2 newest untagged images; this is #3 of 3; only tag latest keeps this one",
    )
    # An older untagged image leaves it room: #2 of 3.
    listing[1] = image("other", pushed=ago(9))
    assert evaluate(lifecycle, listing, digest("pinned"), now=NOW) == Retention(
        L,
        "once tag latest moves, rule 1 keeps the 2 newest untagged images; this is #2 of 3",
    )


def test_a_protective_rule_first_keeps_later_rules_off_the_image() -> None:
    # The classic "keep prod forever" rule at priority 1: the `any` rule cannot take prod images.
    lifecycle = policy(
        rule(1, count(1000, "tagged", tagPrefixList=["prod"])),
        rule(2, since("sinceImagePushed", 30)),
    )
    listing = [image("A", "prod-1", pushed=ago(400)), image("B", "dev-1", pushed=ago(400))]
    assert evaluate(lifecycle, listing, digest("A"), now=NOW).kind is L
    assert evaluate(lifecycle, listing, digest("B"), now=NOW) == Retention(
        X, "rule 2 expires images 30 days after push (pushed 2025-10-27)"
    )


# --- counts past the calendar -------------------------------------------------------------------

# The user guide bounds countNumber only below ("positive integers (0 is not an accepted
# value)"), and "keep forever" is written as a huge count: 99999, 999999, 99999999. From a push
# in 2026 the calendar (datetime.max, 9999-12-31) ends 2,914,xxx days on.
PUSHED = ago(30)
LAST_DAY = (datetime.max.replace(tzinfo=UTC) - PUSHED).days  # the largest count with a date


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (999_999, Retention(L, "rule 1 expires images 999999 days after push (after 4764-09-27)")),
        (
            LAST_DAY,
            Retention(L, f"rule 1 expires images {LAST_DAY} days after push (after 9999-12-31)"),
        ),
        *(
            (
                days,
                Retention(
                    RetentionKind.SAFE,
                    f"rule 1 expires images {days} days after push (never: later than 9999-12-31)",
                ),
            )
            for days in (LAST_DAY + 1, 99_999_999, 999_999_999, 2**31 - 1, 2**63, 10**100)
        ),
    ],
)
def test_a_count_past_the_calendar_never_selects(days: int, expected: Retention) -> None:
    lifecycle = policy(rule(1, since("sinceImagePushed", days)))
    item = image("A", "v1", pushed=PUSHED)
    assert evaluate(lifecycle, [item], item.digest, now=NOW) == expected


@pytest.mark.parametrize(
    "count_type", ["sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"]
)
@pytest.mark.parametrize("action", ["expire", "transition"])
def test_every_age_rule_takes_a_huge_count(count_type: str, action: str) -> None:
    archive = {"storageClass": "archive"} if count_type == "sinceImageTransitioned" else {}
    lifecycle = policy(rule(1, since(count_type, 99_999_999, **archive), action))
    item = image("A", "v1", pushed=ago(400), last_pulled=ago(300))
    listed = [replace(item, archived=True, last_archived=ago(200)) if archive else item]
    verdict = evaluate(lifecycle, listed, item.digest, now=NOW)
    # Archived images are Archived whatever the rule; the rest are kept "forever".
    expected = RetentionKind.ARCHIVED if archive else RetentionKind.SAFE
    assert (verdict.kind, verdict.reason.endswith("(never: later than 9999-12-31)")) == (
        expected,
        not archive,
    )


@pytest.mark.parametrize("kept", [100_000, 99_999_999, 10**100])
def test_a_count_a_repository_cannot_reach_keeps_the_image(kept: int) -> None:
    """ECR's default quota is 100,000 images per repository: a count rule that keeps that many
    is how a policy says "keep" (AWS's own idiom: a count far beyond what a repository holds)."""
    lifecycle = policy(rule(1, count(kept, "tagged", tagPrefixList=["app-"])))
    assert evaluate(lifecycle, APPS, digest("app1"), now=NOW) == Retention(
        RetentionKind.SAFE,
        f"rule 1 keeps the {kept} newest app-* images; this is #5 of 5 "
        "(never: a repository holds 100,000 images by default)",
    )


def test_a_count_below_the_quota_only_limits_the_image() -> None:
    lifecycle = policy(rule(1, count(99_999, "tagged", tagPrefixList=["app-"])))
    assert evaluate(lifecycle, APPS, digest("app1"), now=NOW) == Retention(
        L, "rule 1 keeps the 99999 newest app-* images; this is #5 of 5"
    )


def test_kept_forever_by_its_tag_only_while_the_tag_stays() -> None:
    # The common "never expire dev" rule first, then "expire untagged after 14 days": the tag
    # alone keeps the image, so that is what the verdict says.
    lifecycle = policy(
        rule(1, since("sinceImagePushed", 99_999_999, "tagged", tagPrefixList=["dev"])),
        UNTAGGED_14,
    )
    item = image("pinned", "dev-1", pushed=ago(30))
    assert evaluate(lifecycle, [item], item.digest, now=NOW) == Retention(
        L,
        "rule 2 expires untagged images 14 days after push (pushed 2026-11-01); "
        "only tag dev-1 keeps this one",
    )


# --- no policy, and what cannot be known ---------------------------------------------------------


def test_no_policy_is_safe_and_an_unlisted_image_is_unknown() -> None:
    item = image("A", "v1", pushed=ago(1000))
    assert evaluate(None, [item], item.digest, now=NOW) == Retention(RetentionKind.SAFE)
    assert evaluate(policy(), [item], item.digest, now=NOW) == Retention(RetentionKind.SAFE)
    assert evaluate(None, [item], digest("B"), now=NOW) == Retention(
        RetentionKind.UNKNOWN, "not among the repository's listed images"
    )


def test_values_are_short_and_read_as_documented() -> None:
    assert Retention(RetentionKind.SAFE).value == "Safe"
    assert Retention(RetentionKind.ARCHIVED).value == "Archived"
    assert Retention(L, "rule 1 keeps 3").value == "Limited: rule 1 keeps 3"
    assert Retention(RetentionKind.UNKNOWN, "AccessDeniedException").value == (
        "Unknown: AccessDeniedException"
    )


# --- reading the policy -------------------------------------------------------------------------


def test_rules_are_read_in_priority_order_whatever_their_order_in_the_document() -> None:
    parsed = policy(
        rule(10, since("sinceImagePushed", 7, "untagged")),
        rule(2, count(5, "tagged", tagPatternList=["v*"]), "transition"),
    )
    assert parsed.rules == (
        Rule(
            2,
            TagStatus.TAGGED,
            CountType.IMAGE_COUNT_MORE_THAN,
            5,
            ActionType.TRANSITION,
            patterns=("v*",),
        ),
        Rule(10, TagStatus.UNTAGGED, CountType.SINCE_IMAGE_PUSHED, 7, ActionType.EXPIRE),
    )


def test_a_policy_as_ecr_stores_it() -> None:
    # GetLifecyclePolicy hands back the text as it was put: any case and layout ECR accepted.
    text = """{"rules": [{"rulePriority": 1, "description": "archive stale",
        "selection": {"tagStatus": "ANY", "storageClass": "Standard", "countType": "sinceImagePulled",
                      "countUnit": "days", "countNumber": 90},
        "action": {"type": "Transition", "targetStorageClass": "archive"}}]}"""
    (only,) = parse_policy(text).rules
    assert (only.tag_status, only.storage_class, only.count_type, only.action) == (
        TagStatus.ANY,
        StorageClass.STANDARD,
        CountType.SINCE_IMAGE_PULLED,
        ActionType.TRANSITION,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "no 'rules' list"),
        ('{"rules": {}}', "no 'rules' list"),
        ('{"rules": [7]}', "rule #1 is not an object"),
        ('{"rules": [{"selection": {}, "action": {}}]}', "rule #1 has no integer rulePriority"),
        ('{"rules": [{"rulePriority": true}]}', "rule #1 has no integer rulePriority"),
        ('{"rules": [{"rulePriority": 3, "action": {}}]}', "rule 3 lacks a selection"),
        (json.dumps({"rules": [rule(1, count(0))]}), "rule 1: countNumber is not a positive"),
        (json.dumps({"rules": [rule(1, count(2, "some"))]}), "rule 1: tagStatus 'some'"),
        (
            json.dumps({"rules": [rule(1, {**count(2), "countType": "sinceImageBuilt"})]}),
            "rule 1: countType 'sinceImageBuilt' is not one ECR documents",
        ),
        (json.dumps({"rules": [rule(1, count(2), "delete")]}), "rule 1: action type 'delete'"),
        (
            json.dumps({"rules": [rule(1, {**count(2, "tagged"), "tagPrefixList": "prod"})]}),
            "rule 1: tagPrefixList is not a list of strings",
        ),
        (
            json.dumps({"rules": [rule(4, count(2)), rule(4, count(3))]}),
            "two rules share a rulePriority",
        ),
    ],
)
def test_a_policy_it_cannot_evaluate_is_refused_with_where(text: str, message: str) -> None:
    with pytest.raises(PolicyUnreadable, match=message):
        parse_policy(text)


# --- protection tags (pinned-*) -----------------------------------------------------------------

PIN = "pinned-app-Images-Api-0123456789-3f6ef6cf7e59"
KEEP_PINNED = rule(1, count(999_999, "tagged", tagPatternList=["pinned-*"]))
PINNED = image("pinned", "api-1", PIN, pushed=ago(40))


def test_a_pinned_image_is_safe_when_a_rule_keeps_pinned_images_first() -> None:
    lifecycle = policy(
        KEEP_PINNED,
        rule(2, since("sinceImagePushed", 14, "untagged")),
        rule(3, since("sinceImagePushed", 30)),
    )
    verdict = evaluate(lifecycle, [PINNED], PINNED.digest, now=NOW)
    assert verdict.kind is S  # and no "once tag api-1 moves": the protection tag stays
    assert verdict.reason.startswith("rule 1 keeps the 999999 newest pinned-* images; this is #1")


def test_an_any_rule_ignores_the_protection_tag() -> None:
    lifecycle = policy(rule(2, since("sinceImagePushed", 30)))
    assert evaluate(lifecycle, [PINNED], PINNED.digest, now=NOW) == Retention(
        X,
        "rule 2 expires images 30 days after push (pushed 2026-10-22); "
        "pinned, but rule 2 (any, sinceImagePushed 30 days) ignores tags",
    )


def test_a_rule_before_the_keep_rule_takes_the_pinned_image() -> None:
    lifecycle = policy(
        rule(1, count(3, "tagged", tagPrefixList=["app"])),
        {**KEEP_PINNED, "rulePriority": 2},
    )
    listing = [
        image(f"app{n}", f"app-{n}", *([PIN] if n == 1 else []), pushed=ago(n)) for n in range(1, 5)
    ]
    listing[0] = replace(listing[0], pushed_at=ago(10))  # the oldest: #4 of 4
    assert evaluate(lifecycle, listing, digest("app1"), now=NOW) == Retention(
        X,
        "rule 1 keeps the 3 newest app* images; this is #4 of 4; "
        "pinned, but rule 1 comes before rule 2, which keeps pinned-* images",
    )


def test_a_rule_that_counts_pinned_images_does_not_keep_them() -> None:
    lifecycle = policy(rule(1, count(5, "tagged", tagPatternList=["pinned-*"])))
    verdict = evaluate(lifecycle, [PINNED], PINNED.digest, now=NOW)
    assert verdict == Retention(
        L,
        "rule 1 keeps the 5 newest pinned-* images; this is #1 of 1; "
        "pinned, but no rule keeps pinned-* images",
    )


def test_the_protection_tag_keeps_the_image_once_its_own_tag_moves() -> None:
    """Without protection, "expire untagged" takes the image once CI moves api-1; with it, the
    image stays tagged, and no rule here selects it."""
    untagged = policy(rule(1, since("sinceImagePushed", 14, "untagged")))
    bare = image("pinned", "api-1", pushed=ago(40))
    assert evaluate(untagged, [bare], bare.digest, now=NOW).reason.endswith(
        "only tag api-1 keeps this one"
    )
    assert evaluate(untagged, [PINNED], PINNED.digest, now=NOW) == Retention(S)
