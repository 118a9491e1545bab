"""Generated lifecycle policies and repositories, from a fixed seed, for the evaluator's fuzz.

Policies are what ECR accepts and then some: up to five rules of every ``tagStatus``,
``countType`` and action, ``tagPatternList`` patterns with up to ECR's four wildcards (among them
the review's ``*a*a*a*c``), prefixes, storage classes, and counts from 1 to far past the
calendar. Repositories hold up to 150 images with up to four tags of up to 300 characters (ECR's
longest), many of them long runs of one letter that a pattern almost matches, pushed, pulled,
restored and archived at random times. The same seed gives the same cases on every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from resolver.engine.lifecycle import LifecyclePolicy, StoredImage, parse_policy

from .cases import SEED

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CASES = 400
MOST_PINNED = 20  # a template's images in one repository, generously
HUGE_COUNTS = (99_999, 999_999, 99_999_999, 2**31 - 1, 10**18, 10**100)
COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)


@dataclass(frozen=True)
class LifecycleCase:
    label: str
    text: str  # the policy as GetLifecyclePolicy returns it
    policy: LifecyclePolicy
    listing: tuple[StoredImage, ...]
    pinned: tuple[str, ...]  # digests judged; the last is not listed


def lifecycle_cases() -> Iterator[LifecycleCase]:
    rng = random.Random(SEED)
    for number in range(CASES):
        rules = [_rule(rng, priority) for priority in rng.sample(range(1, 100), rng.randint(1, 5))]
        text = json.dumps({"rules": rules})
        listing = _listing(rng)
        chosen = rng.sample(listing, min(len(listing), rng.randint(1, MOST_PINNED)))
        pinned = (*(image.digest for image in chosen), "sha256:" + "f" * 64)
        yield LifecycleCase(f"case {number}", text, parse_policy(text), tuple(listing), pinned)


# --- policies -----------------------------------------------------------------------------------


def _rule(rng: random.Random, priority: int) -> dict[str, Any]:
    count_type = rng.choice([*COUNT_TYPES, "imageCountMoreThan"])  # the costly kind, twice
    selection: dict[str, Any] = {
        "tagStatus": rng.choice(["tagged", "tagged", "untagged", "any"]),
        "countType": count_type,
        "countNumber": _count(rng),
    }
    if count_type != "imageCountMoreThan":
        selection["countUnit"] = "days"
    if selection["tagStatus"] == "tagged":
        key = rng.choice(["tagPatternList", "tagPatternList", "tagPrefixList"])
        make = _pattern if key == "tagPatternList" else _prefix
        selection[key] = [make(rng) for _ in range(rng.randint(1, 3))]
    # The archive class is what sinceImageTransitioned rules select; others now and then too.
    archive = count_type == "sinceImageTransitioned" or rng.random() < 0.1
    selection["storageClass"] = "archive" if archive else rng.choice(["standard", "Standard"])
    action: dict[str, Any] = {"type": rng.choice(["expire", "transition"])}
    if action["type"] == "transition":
        action["targetStorageClass"] = "archive"
    return {"rulePriority": priority, "selection": selection, "action": action}


def _count(rng: random.Random) -> int:
    if rng.random() < 0.3:
        return rng.choice(HUGE_COUNTS)
    return rng.choice([1, 2, 3, 5, 14, 30, 90, 365, rng.randint(1, 5_000)])


def _pattern(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return "*a*a*a*c"
    stars = rng.randint(0, 4)
    return "*".join(_text(rng, longest=rng.choice([2, 4, 40])) for _ in range(stars + 1)) or "*"


def _prefix(rng: random.Random) -> str:
    return _text(rng, longest=rng.choice([3, 10, 300])) or "a"


def _text(rng: random.Random, *, longest: int) -> str:
    return "".join(rng.choices("aab-c1", k=rng.randint(0, longest)))


# --- repositories -------------------------------------------------------------------------------


def _listing(rng: random.Random) -> list[StoredImage]:
    size = rng.choice([1, 3, 10, 60, 150])
    return [_image(rng, n) for n in range(size)]


def _image(rng: random.Random, n: int) -> StoredImage:
    pushed = NOW - timedelta(days=rng.uniform(0, 4_000))
    archived = rng.random() < 0.1
    return StoredImage(
        digest=f"sha256:{rng.getrandbits(256):064x}",
        tags=tuple(dict.fromkeys(_tag(rng, n) for _ in range(rng.choice([0, 1, 1, 2, 4])))),
        pushed_at=pushed,
        last_pulled=_after(rng, pushed),
        last_activated=_after(rng, pushed),
        archived=archived,
        last_archived=_after(rng, pushed) if archived else None,
    )


def _tag(rng: random.Random, n: int) -> str:
    kind = rng.random()
    if kind < 0.3:  # what a regex backtracks on: a long run a pattern almost matches
        run = "a" * rng.randint(250, 300) + rng.choice(["b", "c", "ac", "aaac"])
        return (run + f"{n:03d}")[-300:]
    if kind < 0.5:
        return (f"{n:03d}" + "a" * 300)[:299] + "c"
    return (_text(rng, longest=rng.choice([8, 300])) + f"-{n}")[-300:]


def _after(rng: random.Random, moment: datetime) -> datetime | None:
    if rng.random() < 0.5:
        return None
    return moment + (NOW - moment) * rng.random()
