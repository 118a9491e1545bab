"""ECR lifecycle policies, evaluated for the pinned images of one repository: no AWS call.

``Evaluation(policy, listing, now=...).verdict(digest)`` answers how long the image survives the
policy as things stand (``evaluate``: one image alone). It follows the ECR user guide's
"Lifecycle policy evaluation rules" (``LifecyclePolicies.html``) and "Lifecycle policy
properties" (``lifecycle_policy_parameters``):

* Every rule sees every image its selection matches (``tagStatus``, ``tagPrefixList`` or
  ``tagPatternList``, ``storageClass``), whatever higher-priority rules do with them: "rules can
  never mark images that are marked by higher priority rules, but can still identify them". So a
  ``imageCountMoreThan`` count runs over the rule's whole selection.
* Rules apply in ``rulePriority`` order, lowest first, and "an image that matches the tagging
  requirements of a rule cannot be expired or archived by a rule with a lower priority". Hence an
  image's fate is decided by the *first* rule whose selection matches it — the governing rule —
  and by that rule alone: "an image is expired or archived by exactly one or zero rules".
* ``tagPrefixList`` / ``tagPatternList``: an image matches when *all* listed prefixes (patterns)
  match *some* of its tags; ``*`` in a pattern matches any run of characters, and nothing else is
  special. ``any`` selects every image, ``untagged`` the images without tags.
* ``imageCountMoreThan n``: the rule's images newest first by push time (the restore time for an
  image restored from the archive); all beyond the first ``n`` are selected. A count at or above
  ECR's default quota of images per repository (100,000) never selects one as things stand:
  that is how a policy says "keep" (``Rule.keeps_all``).
* ``sinceImagePushed n``: pushed more than ``n`` days ago. ``sinceImagePulled n``: last pulled
  more than ``n`` days ago — the push time if never pulled, the restore time if not pulled since a
  restore. ``sinceImageTransitioned n``: archived more than ``n`` days ago (archive rules only).
  The user guide bounds ``countNumber`` only below ("positive integers"): a day past the
  calendar's last (9999-12-31) never comes, and the rule never selects the image.
* ``expire`` deletes; ``transition`` moves to the archive storage class, where an image cannot be
  pulled. Both end a deployment's ability to pull the image, so both count as the image going.
* Rules select images of one storage class (``storageClass``, ``standard`` unless it says
  ``archive``); the listing holds the repository's active images, as DescribeImages lists them.

Its cost is bounded by the listing, not by how many images are pinned: each rule decides each
distinct set of tags once (``Evaluation`` remembers), a tag pattern matches in linear time
(``Glob``: no regular expression, so no backtracking), and every tag match is spent from a
``Budget`` that can stop the evaluation (``OutOfTime``: the caller's deadline).

Protection tags (``pinned-*``, model ``PROTECTION_TAG_PREFIX``) are what CI never moves: an image
that carries one keeps it when its other tags move, and it is ``Safe`` only when a rule that keeps
every image selects it first. Otherwise the verdict says why the tag does not protect it (a
``tagStatus: any`` rule ignores tags; another rule comes before the one that keeps ``pinned-*``;
no rule keeps them).

What it cannot know: future pushes and pulls, and tags that move. It reports the first two as
what they would take ("this is #1 of 5" under "keeps the 3 newest"), and the third as the rule
that would govern the image once its tags are gone — a digest-pinned image becomes *untagged*
when CI moves its tag, and "expire untagged images" rules then take it.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Any, Protocol, TypeVar

from ..model import PROTECTION_TAG_PREFIX, Retention, RetentionKind
from ..values import frozen

E = TypeVar("E", bound=Enum)


# ECR's default quota of images per repository (the user guide's service quotas): a count rule
# that keeps this many or more cannot select an image as things stand.
REPOSITORY_IMAGE_QUOTA = 100_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TagStatus(Enum):
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    ANY = "any"


class CountType(Enum):
    IMAGE_COUNT_MORE_THAN = "imageCountMoreThan"
    SINCE_IMAGE_PUSHED = "sinceImagePushed"
    SINCE_IMAGE_PULLED = "sinceImagePulled"
    SINCE_IMAGE_TRANSITIONED = "sinceImageTransitioned"


class ActionType(Enum):
    EXPIRE = "expire"
    TRANSITION = "transition"  # to the archive storage class: no pull until restored


class StorageClass(Enum):
    STANDARD = "standard"
    ARCHIVE = "archive"


@frozen
class StoredImage:
    """One image of the repository, as DescribeImages describes it."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime
    last_pulled: datetime | None = None  # lastRecordedPullTime
    last_activated: datetime | None = None  # restored from the archive (lastActivatedAt)
    archived: bool = False  # imageStatus ARCHIVED
    last_archived: datetime | None = None  # lastArchivedAt

    @property
    def order_time(self) -> datetime:
        """What ``imageCountMoreThan`` sorts by: the push, or the last restore from the archive."""
        return self.last_activated or self.pushed_at

    @property
    def pull_time(self) -> datetime:
        """What ``sinceImagePulled`` measures from."""
        pulled = self.last_pulled
        if self.last_activated and (pulled is None or pulled < self.last_activated):
            return self.last_activated  # not pulled since it was restored
        return pulled or self.pushed_at

    @property
    def storage_class(self) -> StorageClass:
        return StorageClass.ARCHIVE if self.archived else StorageClass.STANDARD


# --- what an evaluation may spend ----------------------------------------------------------------


class OutOfTime(Exception):
    """The budget ran out before the verdict: the image's retention is ``OUT_OF_TIME``."""


OUT_OF_TIME = Retention(RetentionKind.UNKNOWN, "out of time")


class Budget(Protocol):
    """What an evaluation may spend, in tag matches (one tag against one pattern)."""

    def spend(self, matches: int) -> None:
        """Account for ``matches`` done; raise ``OutOfTime`` to stop the evaluation."""


@dataclass
class Counted:
    """A budget counted in tag matches: ``limit`` (``None``: no limit), and what was ``spent``."""

    limit: int | None = None
    spent: int = 0

    def spend(self, matches: int) -> None:
        self.spent += matches
        if self.limit is not None and self.spent > self.limit:
            raise OutOfTime(f"{self.spent} tag matches, more than {self.limit}")


# --- tag patterns --------------------------------------------------------------------------------


@frozen
class Glob:
    """A ``tagPatternList`` pattern: ``*`` matches any run of characters, including none, and
    nothing else is special (``.``, ``?``, ``[`` stand for themselves).

    Matched without a regular expression: ``*a*a*a*c`` as a regex backtracks through every way
    to split a 300-character tag (seconds per tag). Here the text before the first ``*`` must
    start the tag, the text after the last must end it, and the parts between are found left to
    right, each at its leftmost place after the one before. Leftmost is never wrong: any match
    that places a part later can move it to the leftmost occurrence, which leaves at least as
    much of the tag for the parts after it. So a match is one left-to-right pass over the tag,
    a ``str.find`` per part, and no split is ever tried again.
    """

    parts: tuple[str, ...]  # the text between the stars: one part means no star at all

    @classmethod
    def pattern(cls, text: str) -> Glob:
        return cls(tuple(text.split("*")))

    @classmethod
    def prefix(cls, text: str) -> Glob:
        """A ``tagPrefixList`` entry: the tag starts with ``text`` (taken literally)."""
        return cls((text, ""))

    def matches(self, tag: str) -> bool:
        first, last = self.parts[0], self.parts[-1]
        if len(self.parts) == 1:
            return tag == first
        end = len(tag) - len(last)
        if end < len(first) or not tag.startswith(first) or not tag.endswith(last):
            return False
        at = len(first)
        for part in self.parts[1:-1]:
            found = tag.find(part, at, end)
            if found < 0:
                return False
            at = found + len(part)
        return True

    def __str__(self) -> str:
        return "*".join(self.parts)


# --- the policy ----------------------------------------------------------------------------------


@frozen
class Rule:
    priority: int
    tag_status: TagStatus
    count_type: CountType
    count: int
    action: ActionType
    storage_class: StorageClass = StorageClass.STANDARD
    patterns: tuple[str, ...] = ()  # tagPatternList
    prefixes: tuple[str, ...] = ()  # tagPrefixList

    def selects(self, image: StoredImage, *, budget: Budget | None = None) -> bool:
        """Whether the image matches this rule's selection (its "tagging requirements"); the
        tag matches that took are spent from ``budget``."""
        if image.storage_class is not self.storage_class:
            return False
        if self.tag_status is TagStatus.ANY:
            return True
        if self.tag_status is TagStatus.UNTAGGED:
            return not image.tags
        if not image.tags:
            return False
        matched, matches = self._tags_match(image.tags)
        if budget is not None:
            budget.spend(matches)
        return matched

    def _tags_match(self, tags: tuple[str, ...]) -> tuple[bool, int]:
        """Whether every pattern (prefix) matches some tag, and how many tag matches it took."""
        matches = 0
        for glob in self._globs:
            for tag in tags:
                matches += 1
                if glob.matches(tag):
                    break
            else:
                return False, matches
        return True, matches

    @property
    def keeps_all(self) -> bool:
        """Never selects an image, whatever its times and however many there are: a count at or
        above the repository quota, or an age past the calendar's end from any push."""
        if self.count_type is CountType.IMAGE_COUNT_MORE_THAN:
            return self.count >= REPOSITORY_IMAGE_QUOTA
        return _due(_EPOCH, self.count) is None

    def reads(self) -> str:
        """Its selection, short: ``any, sinceImagePushed 30 days``."""
        unit = " days" if self.count_type is not CountType.IMAGE_COUNT_MORE_THAN else ""
        return f"{self.tag_status.value}, {self.count_type.value} {self.count}{unit}"

    @cached_property
    def _globs(self) -> tuple[Glob, ...]:
        if self.patterns:
            return tuple(Glob.pattern(pattern) for pattern in self.patterns)
        return tuple(Glob.prefix(prefix) for prefix in self.prefixes)

    def subject(self, *, plural: bool = True) -> str:
        """The images it selects, for a person: ``app-* images``, ``untagged image``."""
        noun = "images" if plural else "image"
        if self.tag_status is TagStatus.UNTAGGED:
            return f"untagged {noun}"
        if self.tag_status is TagStatus.ANY:
            return noun
        return f"{'+'.join(str(glob) for glob in self._globs)} {noun}"


@frozen
class LifecyclePolicy:
    rules: tuple[Rule, ...]  # in priority order, lowest rulePriority first


class PolicyUnreadable(ValueError):
    """A lifecycle policy document this evaluator cannot read; the message says where."""


# --- reading the policy document ---------------------------------------------------------------


def parse_policy(text: str) -> LifecyclePolicy:
    """The ``lifecyclePolicyText`` GetLifecyclePolicy returns, as typed rules.

    ECR validates a policy when it is put, so a stored policy is well formed; this still refuses
    what it cannot evaluate rather than guessing (``PolicyUnreadable``).
    """
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise PolicyUnreadable(f"not JSON ({exc})") from exc
    raw_rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(raw_rules, list):
        raise PolicyUnreadable("no 'rules' list")
    rules = sorted((_rule(raw, position) for position, raw in enumerate(raw_rules)), key=_by_rank)
    priorities = [rule.priority for rule in rules]
    if len(set(priorities)) != len(priorities):
        raise PolicyUnreadable("two rules share a rulePriority")
    return LifecyclePolicy(tuple(rules))


def _by_rank(rule: Rule) -> int:
    return rule.priority


def _rule(raw: Any, position: int) -> Rule:
    where = f"rule #{position + 1}"
    if not isinstance(raw, dict):
        raise PolicyUnreadable(f"{where} is not an object")
    priority = raw.get("rulePriority")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise PolicyUnreadable(f"{where} has no integer rulePriority")
    where = f"rule {priority}"
    selection, action = raw.get("selection"), raw.get("action")
    if not isinstance(selection, dict) or not isinstance(action, dict):
        raise PolicyUnreadable(f"{where} lacks a selection or an action")
    count = selection.get("countNumber")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise PolicyUnreadable(f"{where}: countNumber is not a positive integer")
    return Rule(
        priority=priority,
        tag_status=_choice(TagStatus, selection.get("tagStatus"), where, "tagStatus"),
        count_type=_choice(CountType, selection.get("countType"), where, "countType"),
        count=count,
        action=_choice(ActionType, action.get("type"), where, "action type"),
        storage_class=_choice(
            StorageClass, selection.get("storageClass", "standard"), where, "storageClass"
        ),
        patterns=_strings(selection.get("tagPatternList"), where, "tagPatternList"),
        prefixes=_strings(selection.get("tagPrefixList"), where, "tagPrefixList"),
    )


def _choice(kind: type[E], value: Any, where: str, name: str) -> E:
    for member in kind:
        if isinstance(value, str) and value.lower() == str(member.value).lower():
            return member
    raise PolicyUnreadable(f"{where}: {name} {value!r} is not one ECR documents")


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PolicyUnreadable(f"{where}: {name} is not a list of strings")
    return tuple(value)


# --- judging images ----------------------------------------------------------------------------


class _When(Enum):
    """When the governing rule selects the image."""

    NOW = "now"
    LATER = "later"  # after an event (more pushes) or a date
    NEVER = "never"  # its date falls past the calendar


@frozen
class _Fate:
    """What the governing rule does with the image, and why (``reason``, for a person)."""

    rule: Rule
    when: _When
    reason: str


@frozen
class _Ranking:
    """A count rule's selection, newest first, as sort keys: where any image would stand in it."""

    keys: tuple[tuple[float, str], ...]
    digests: frozenset[str]

    def place(self, image: StoredImage) -> tuple[int, int]:
        """The image's rank and the selection's size, counting the image as selected in place of
        the listed image with its digest (itself, or itself with other tags)."""
        rank = 1 + bisect_left(self.keys, _newest_first(image))
        return rank, len(self.keys) + (image.digest not in self.digests)


def _newest_first(image: StoredImage) -> tuple[float, str]:
    # ECR documents no tie-break: equal times go by digest, stably.
    return -image.order_time.timestamp(), image.digest


def evaluate(
    policy: LifecyclePolicy | None,
    listing: Sequence[StoredImage],
    digest: str,
    *,
    now: datetime,
    budget: Budget | None = None,
) -> Retention:
    """The retention verdict for the image ``digest`` of a repository listed as ``listing``."""
    return Evaluation(policy, listing, now=now, budget=budget).verdict(digest)


class Evaluation:
    """A repository's policy over its listing at ``now``: the verdict for any of its images.

    What a verdict works out is kept for the next one: per rule, whether it selects a set of
    tags, and a count rule's ranking. So verdicts for every pinned image of a repository cost
    one pass over the listing per rule, not one per pinned image.
    """

    def __init__(
        self,
        policy: LifecyclePolicy | None,
        listing: Sequence[StoredImage],
        *,
        now: datetime,
        budget: Budget | None = None,
    ) -> None:
        self._policy = policy
        self._listing = tuple(listing)
        self._images = {image.digest: image for image in self._listing}
        self._now = now
        self._budget = budget if budget is not None else Counted()
        self._selections: dict[Rule, dict[tuple[bool, tuple[str, ...]], bool]] = {}
        self._rankings: dict[Rule, _Ranking] = {}

    def verdict(self, digest: str) -> Retention:
        """``digest``'s verdict; ``OUT_OF_TIME`` when the budget runs out first."""
        image = self._images.get(digest)
        if image is None:
            return Retention(RetentionKind.UNKNOWN, "not among the repository's listed images")
        if image.archived:
            return Retention(RetentionKind.ARCHIVED)
        if self._policy is None:
            return Retention(RetentionKind.SAFE)
        try:
            return self._judged(self._policy, image)
        except OutOfTime:
            return OUT_OF_TIME

    def _judged(self, policy: LifecyclePolicy, image: StoredImage) -> Retention:
        clauses = []
        kept = ""  # why the governing rule never selects it
        governing = self._governing(policy, image)
        if governing is not None:
            fate = self._fate(governing, image)
            pinned = (
                self._unkept_pin(policy, image, governing) if fate.when is not _When.NEVER else ""
            )
            if fate.when is _When.NOW:
                return Retention(RetentionKind.EXPIRING, fate.reason + pinned)
            if fate.when is _When.LATER:
                clauses.append(fate.reason + pinned)
            else:
                kept = fate.reason
        if image.tags:
            # The tag moving is an event, like a push: said when it alone keeps the image, or
            # when nothing else limits it (else the value stays short: 4 KB per response).
            untagged = self._once_untagged(policy, image, governing)
            if untagged and (untagged.when is _When.NOW or not clauses):
                clauses.append(untagged.reason)
        if not clauses:
            return Retention(RetentionKind.SAFE, kept)
        return Retention(RetentionKind.LIMITED, "; ".join(clauses))

    def _governing(self, policy: LifecyclePolicy, image: StoredImage) -> Rule | None:
        """The first rule, by priority, whose selection matches: the only one that can take it."""
        return next((rule for rule in policy.rules if self._selector(rule)(image)), None)

    def _unkept_pin(self, policy: LifecyclePolicy, image: StoredImage, governing: Rule) -> str:
        """Why a protection tag does not keep the image ``governing`` takes ("" without one)."""
        pins = _pins(image)
        if not pins:
            return ""
        if governing.tag_status is TagStatus.ANY:
            return f"; pinned, but {_name(governing)} ({governing.reads()}) ignores tags"
        alone = replace(image, tags=pins)
        keeper = next(
            (rule for rule in policy.rules if rule.keeps_all and self._selector(rule)(alone)), None
        )
        if keeper is not None:
            return (
                f"; pinned, but {_name(governing)} comes before {_name(keeper)}, which keeps "
                f"{PROTECTION_TAG_PREFIX}* images"
            )
        return f"; pinned, but no rule keeps {PROTECTION_TAG_PREFIX}* images"

    def _once_untagged(
        self, policy: LifecyclePolicy, image: StoredImage, governing: Rule | None
    ) -> _Fate | None:
        """What becomes of the image when its tags move (CI re-pushing them elsewhere); its
        protection tags stay."""
        pins = _pins(image)
        moving = tuple(tag for tag in image.tags if tag not in pins)
        if not moving:
            return None  # only protection tags: nothing that CI moves
        bare = replace(image, tags=pins)
        rule = self._governing(policy, bare)
        if rule is None or rule is governing:
            return None  # no rule takes it then, or the same rule governs either way
        fate = self._fate(rule, bare)
        if fate.when is _When.NEVER:
            return None
        noun = "tag" if len(moving) == 1 else "tags"
        tags = ", ".join(sorted(moving))
        if fate.when is _When.NOW:
            keeps = "keeps" if len(moving) == 1 else "keep"
            return replace(fate, reason=f"{fate.reason}; only {noun} {tags} {keeps} this one")
        moves = "moves" if len(moving) == 1 else "move"
        return replace(fate, reason=f"once {noun} {tags} {moves}, {fate.reason}")

    def _fate(self, rule: Rule, image: StoredImage) -> _Fate:
        if rule.count_type is CountType.IMAGE_COUNT_MORE_THAN:
            return _by_count(rule, *self._ranking(rule).place(image))
        return _by_age(rule, image, now=self._now)

    def _ranking(self, rule: Rule) -> _Ranking:
        """The images ``rule`` selects, ranked once per evaluation."""
        ranking = self._rankings.get(rule)
        if ranking is None:
            selects = self._selector(rule)
            selected = [image for image in self._listing if selects(image)]
            ranking = _Ranking(
                tuple(sorted(map(_newest_first, selected))),
                frozenset(image.digest for image in selected),
            )
            self._rankings[rule] = ranking
        return ranking

    def _selector(self, rule: Rule) -> Callable[[StoredImage], bool]:
        """``rule.selects``, decided once per storage class and set of tags."""
        known = self._selections.setdefault(rule, {})

        def selects(image: StoredImage) -> bool:
            key = (image.archived, image.tags)
            selected = known.get(key)
            if selected is None:
                selected = known[key] = rule.selects(image, budget=self._budget)
            return selected

        return selects


def _by_count(rule: Rule, rank: int, of: int) -> _Fate:
    if rule.count == 1:
        newest = f"the newest {rule.subject(plural=False)}"
    else:
        newest = f"the {rule.count} newest {rule.subject()}"
    if rule.action is ActionType.EXPIRE:
        what = f"{_name(rule)} keeps {newest}"
    else:
        what = f"{_name(rule)} archives all but {newest}"
    if rule.keeps_all:
        never = f"never: a repository holds {REPOSITORY_IMAGE_QUOTA:,} images by default"
        return _Fate(rule, _When.NEVER, reason=f"{what}; this is #{rank} of {of} ({never})")
    when = _When.NOW if rank > rule.count else _When.LATER
    return _Fate(rule, when, reason=f"{what}; this is #{rank} of {of}")


def _pins(image: StoredImage) -> tuple[str, ...]:
    """The image's protection tags: the ones CI never moves."""
    return tuple(tag for tag in image.tags if tag.startswith(PROTECTION_TAG_PREFIX))


def _by_age(rule: Rule, image: StoredImage, *, now: datetime) -> _Fate:
    start, span, event = _clock(rule.count_type, image)
    what = f"{_name(rule)} {_verb(rule)} {rule.subject()} {_days(rule.count)} {span}"
    due = _due(start, rule.count)
    if due is None:
        return _Fate(rule, _When.NEVER, reason=f"{what} (never: later than {_day(datetime.max)})")
    if now > due:  # "older than the specified number of days"
        return _Fate(rule, _When.NOW, reason=f"{what} ({event} {_day(start)})")
    return _Fate(rule, _When.LATER, reason=f"{what} (after {_day(due)})")


def _due(start: datetime, days: int) -> datetime | None:
    """``days`` after ``start``; ``None`` past the calendar's end. ECR bounds ``countNumber``
    only below, and "keep forever" is often written 99999999 days."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        return None


def _clock(count_type: CountType, image: StoredImage) -> tuple[datetime, str, str]:
    """Where an age rule's days start, how the rule reads, and what that moment was."""
    if count_type is CountType.SINCE_IMAGE_PULLED:
        start = image.pull_time
        if start == image.last_pulled:
            event = "last pulled"
        else:
            event = "restored" if start == image.last_activated else "never pulled; pushed"
        return start, "without a pull", event
    if count_type is CountType.SINCE_IMAGE_TRANSITIONED:
        return image.last_archived or image.pushed_at, "in the archive", "archived"
    return image.pushed_at, "after push", "pushed"


def _name(rule: Rule) -> str:
    return f"rule {rule.priority}"


def _verb(rule: Rule) -> str:
    return "expires" if rule.action is ActionType.EXPIRE else "archives"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()
