"""The lifecycle evaluator against 400 generated policies and repositories (``lifecycle_cases``,
fixed seed).

For every case and every pinned image: the evaluator never raises and always returns a verdict;
the tag matches it spends (counted by its ``Budget``) stay within one pass over the listing per
rule, however many images are pinned; the verdicts shared by one ``Evaluation`` equal each image
evaluated alone; and a count rule's rank is the brute-force one. A generous time limit per case
guards the count as well, never a tight one.
"""

from __future__ import annotations

import time

from resolver.engine.lifecycle import (
    Counted,
    CountType,
    Evaluation,
    Rule,
    StoredImage,
    TagStatus,
    evaluate,
)
from resolver.model import Retention, RetentionKind

from .lifecycle_cases import COUNT_TYPES, HUGE_COUNTS, NOW, LifecycleCase, lifecycle_cases

CASES = list(lifecycle_cases())
SECONDS_PER_CASE = 5.0  # generous: a case takes milliseconds; a backtracking match, minutes


def test_the_cases_cover_what_ecr_accepts() -> None:
    rules = [rule for case in CASES for rule in case.policy.rules]
    patterns = [pattern for rule in rules for pattern in rule.patterns]
    tags = [tag for case in CASES for image in case.listing for tag in image.tags]
    assert {rule.count_type.value for rule in rules} == set(COUNT_TYPES)
    assert {rule.tag_status for rule in rules} == set(TagStatus)
    assert {(rule.action.value, rule.storage_class.value) for rule in rules} == {
        ("expire", "standard"),
        ("expire", "archive"),
        ("transition", "standard"),
        ("transition", "archive"),
    }
    assert max(pattern.count("*") for pattern in patterns) == 4
    assert "*a*a*a*c" in patterns and any(rule.prefixes for rule in rules)
    assert max(map(len, tags)) == 300
    assert set(HUGE_COUNTS) <= {rule.count for rule in rules}
    assert [case.text for case in lifecycle_cases()] == [case.text for case in CASES]  # fixed


def test_every_verdict_is_given_within_one_pass_per_rule() -> None:
    failures: dict[str, str] = {}
    for case in CASES:
        started = time.monotonic()
        try:
            problem = _check(case)
        except Exception as exc:  # noqa: BLE001 - the point: nothing may escape
            problem = f"raised {type(exc).__name__}: {exc}"[:300]
        seconds = time.monotonic() - started
        if problem is None and seconds > SECONDS_PER_CASE:
            problem = f"took {seconds:.1f} s"
        if problem is not None:
            failures[case.label] = problem
    shown = dict(list(failures.items())[:10])
    assert not failures, f"{len(failures)} of {len(CASES)} cases failed, e.g. {shown}"


def _check(case: LifecycleCase) -> str | None:
    """What is wrong with the verdicts for ``case`` (None: nothing)."""
    budget = Counted()
    evaluation = Evaluation(case.policy, case.listing, now=NOW, budget=budget)
    verdicts = {digest: evaluation.verdict(digest) for digest in case.pinned}
    if not all(isinstance(verdict, Retention) for verdict in verdicts.values()):
        return f"not a verdict: {verdicts}"
    if verdicts[case.pinned[-1]].kind is not RetentionKind.UNKNOWN:
        return f"an unlisted image is {verdicts[case.pinned[-1]]}"
    bound = _one_pass_per_rule(case.policy.rules, case.listing)
    if budget.spent > bound:
        return f"{budget.spent} tag matches for {len(case.pinned) - 1} images, over {bound}"
    for digest in reversed(case.pinned):
        alone = evaluate(case.policy, case.listing, digest, now=NOW)
        if alone != verdicts[digest]:
            return f"{digest}: {verdicts[digest]} shared, {alone} alone"
    return _wrong_rank(case, verdicts)


def _one_pass_per_rule(rules: tuple[Rule, ...], listing: tuple[StoredImage, ...]) -> int:
    """Every rule matching every distinct set of tags in the listing against all its patterns:
    the most a whole evaluation may spend, whatever the number of images judged."""
    tag_sets = {(image.archived, image.tags) for image in listing}
    tags = sum(len(image_tags) for _, image_tags in tag_sets)
    return sum(len(rule.patterns or rule.prefixes) for rule in rules) * tags


def _wrong_rank(case: LifecycleCase, verdicts: dict[str, Retention]) -> str | None:
    """A count rule that governs a pinned image must rank it as sorting its selection does."""
    images = {image.digest: image for image in case.listing}
    for digest, verdict in verdicts.items():
        image = images.get(digest)
        if image is None or image.archived:
            continue
        rule = next((rule for rule in case.policy.rules if rule.selects(image)), None)
        if rule is None or rule.count_type is not CountType.IMAGE_COUNT_MORE_THAN:
            continue
        if rule.keeps_all and verdict.kind is RetentionKind.LIMITED:
            continue  # the count keeps it; only its tags moving limit it, and that is what it says
        selected = sorted(
            (item for item in case.listing if rule.selects(item)),
            key=lambda item: (-item.order_time.timestamp(), item.digest),
        )
        rank = 1 + [item.digest for item in selected].index(digest)
        expected = f"rule {rule.priority} "
        said = f"; this is #{rank} of {len(selected)}"
        if not verdict.reason.startswith(expected) or said not in verdict.reason:
            return f"{digest}: {verdict.value!r}, expected #{rank} of {len(selected)}"
    return None
