"""ECR lifecycle policies, evaluated for one pinned image: a pure function, no AWS call.

``evaluate(policy, listing, digest, now=...)`` answers how long the image survives the policy as
things stand. It follows the ECR user guide's "Lifecycle policy evaluation rules"
(``LifecyclePolicies.html``) and "Lifecycle policy properties" (``lifecycle_policy_parameters``):

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
  image restored from the archive); all beyond the first ``n`` are selected.
* ``sinceImagePushed n``: pushed more than ``n`` days ago. ``sinceImagePulled n``: last pulled
  more than ``n`` days ago — the push time if never pulled, the restore time if not pulled since a
  restore. ``sinceImageTransitioned n``: archived more than ``n`` days ago (archive rules only).
* ``expire`` deletes; ``transition`` moves to the archive storage class, where an image cannot be
  pulled. Both end a deployment's ability to pull the image, so both count as the image going.
* Rules select images of one storage class (``storageClass``, ``standard`` unless it says
  ``archive``); the listing holds the repository's active images, as DescribeImages lists them.

What it cannot know: future pushes and pulls, and tags that move. It reports the first two as
what they would take ("this is #1 of 5" under "keeps the 3 newest"), and the third as the rule
that would govern the image once its tags are gone — a digest-pinned image becomes *untagged*
when CI moves its tag, and "expire untagged images" rules then take it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Any, TypeVar

from ..model import Retention, RetentionKind

E = TypeVar("E", bound=Enum)


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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Rule:
    priority: int
    tag_status: TagStatus
    count_type: CountType
    count: int
    action: ActionType
    storage_class: StorageClass = StorageClass.STANDARD
    patterns: tuple[str, ...] = ()  # tagPatternList
    prefixes: tuple[str, ...] = ()  # tagPrefixList

    def selects(self, image: StoredImage) -> bool:
        """Whether the image matches this rule's selection (its "tagging requirements")."""
        if image.storage_class is not self.storage_class:
            return False
        if self.tag_status is TagStatus.ANY:
            return True
        if self.tag_status is TagStatus.UNTAGGED:
            return not image.tags
        return bool(image.tags) and all(
            any(matcher.fullmatch(tag) for tag in image.tags) for matcher in self._matchers
        )

    @cached_property
    def _matchers(self) -> tuple[re.Pattern[str], ...]:
        patterns = self.patterns or tuple(f"{prefix}*" for prefix in self.prefixes)
        return tuple(
            re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
            for pattern in patterns
        )

    def subject(self, *, plural: bool = True) -> str:
        """The images it selects, for a person: ``app-* images``, ``untagged image``."""
        noun = "images" if plural else "image"
        if self.tag_status is TagStatus.UNTAGGED:
            return f"untagged {noun}"
        if self.tag_status is TagStatus.ANY:
            return noun
        filters = self.patterns or tuple(f"{prefix}*" for prefix in self.prefixes)
        return f"{'+'.join(filters)} {noun}"


@dataclass(frozen=True)
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


# --- judging one image -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fate:
    """What the governing rule does with the image: select it now, or when (``reason``)."""

    rule: Rule
    now: bool
    reason: str


def evaluate(
    policy: LifecyclePolicy | None,
    listing: Sequence[StoredImage],
    digest: str,
    *,
    now: datetime,
) -> Retention:
    """The retention verdict for the image ``digest`` of a repository listed as ``listing``."""
    image = next((item for item in listing if item.digest == digest), None)
    if image is None:
        return Retention(RetentionKind.UNKNOWN, "not among the repository's listed images")
    if image.archived:
        return Retention(RetentionKind.ARCHIVED)
    if policy is None:
        return Retention(RetentionKind.SAFE)
    clauses = []
    governing = _governing(policy, image)
    if governing is not None:
        fate = _judge(governing, image, listing, now=now)
        if fate.now:
            return Retention(RetentionKind.EXPIRING, fate.reason)
        clauses.append(fate.reason)
    if image.tags:
        # The tag moving is an event, like a push: said when it alone keeps the image, or when
        # no rule governs the image as it is (else the value stays short: 4 KB per response).
        untagged = _once_untagged(policy, image, listing, governing, now=now)
        if untagged and (untagged.now or not clauses):
            clauses.append(untagged.reason)
    if not clauses:
        return Retention(RetentionKind.SAFE)
    return Retention(RetentionKind.LIMITED, "; ".join(clauses))


def _governing(policy: LifecyclePolicy, image: StoredImage) -> Rule | None:
    """The first rule, by priority, whose selection matches: the only one that can take it."""
    return next((rule for rule in policy.rules if rule.selects(image)), None)


def _once_untagged(
    policy: LifecyclePolicy,
    image: StoredImage,
    listing: Sequence[StoredImage],
    governing: Rule | None,
    *,
    now: datetime,
) -> _Fate | None:
    """What becomes of the image when all its tags move (CI re-pushing them elsewhere)."""
    bare = replace(image, tags=())
    rule = _governing(policy, bare)
    if rule is None or rule is governing:
        return None  # no rule takes untagged images, or the same rule governs either way
    after = [bare if item.digest == image.digest else item for item in listing]
    fate = _judge(rule, bare, after, now=now)
    noun = "tag" if len(image.tags) == 1 else "tags"
    tags = ", ".join(sorted(image.tags))
    if fate.now:
        keeps = "keeps" if len(image.tags) == 1 else "keep"
        return replace(fate, reason=f"{fate.reason}; only {noun} {tags} {keeps} this one")
    moves = "moves" if len(image.tags) == 1 else "move"
    return replace(fate, reason=f"once {noun} {tags} {moves}, {fate.reason}")


def _judge(
    rule: Rule, image: StoredImage, listing: Sequence[StoredImage], *, now: datetime
) -> _Fate:
    if rule.count_type is CountType.IMAGE_COUNT_MORE_THAN:
        return _by_count(rule, image, listing)
    start, span, event = _clock(rule.count_type, image)
    due = start + timedelta(days=rule.count)
    what = f"{_name(rule)} {_verb(rule)} {rule.subject()} {_days(rule.count)} {span}"
    if now > due:  # "older than the specified number of days"
        return _Fate(rule, now=True, reason=f"{what} ({event} {_day(start)})")
    return _Fate(rule, now=False, reason=f"{what} (after {_day(due)})")


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


def _by_count(rule: Rule, image: StoredImage, listing: Sequence[StoredImage]) -> _Fate:
    selected = sorted(
        (item for item in listing if rule.selects(item)),
        # Newest first; ECR documents no tie-break, so equal times go by digest, stably.
        key=lambda item: (-item.order_time.timestamp(), item.digest),
    )
    rank = 1 + next(i for i, item in enumerate(selected) if item.digest == image.digest)
    if rule.count == 1:
        newest = f"the newest {rule.subject(plural=False)}"
    else:
        newest = f"the {rule.count} newest {rule.subject()}"
    if rule.action is ActionType.EXPIRE:
        what = f"{_name(rule)} keeps {newest}"
    else:
        what = f"{_name(rule)} archives all but {newest}"
    return _Fate(rule, now=rank > rule.count, reason=f"{what}; this is #{rank} of {len(selected)}")


def _name(rule: Rule) -> str:
    return f"rule {rule.priority}"


def _verb(rule: Rule) -> str:
    return "expires" if rule.action is ActionType.EXPIRE else "archives"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()
