"""Generated bad events, from a fixed seed: every case knows what its answer must be.

Each property case breaks exactly one thing in a valid request (``events/create.json``), so the
Reason must name that property; malformed events break the request itself; Delete events carry
garbage and must still succeed at once. The same seed gives the same cases on every run, so a
failure names a case that can be replayed.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from devkit.events import load_event
from resolver.errors import MAX_SHOWN_CHARS, clip, printable

SEED = 20261201
URL = "http://127.0.0.1:9/response?X-Amz-Signature=fuzz"  # replaced for the HTTP subset


class Expect(Enum):
    FAILED = "FAILED"  # exactly one answer, FAILED, with a Reason starting with ``names``
    SUCCESS = "SUCCESS"  # exactly one answer, SUCCESS, within a second (Delete)
    NO_ANSWER = "no answer"  # nothing says where to answer: no ResponseURL, not even an object


@dataclass(frozen=True)
class Case:
    label: str  # what was broken, to name a failing case
    event: Any
    expect: Expect
    names: tuple[str, ...] = ()  # the Reason starts with one of these


# --- values -----------------------------------------------------------------------------------

_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " -_.:/@{}[]*?!#\"'\\\t\n\r\x00\x7f\u00e9\u2603\u202e\U0001f600"
)


def junk(rng: random.Random, *, longest: int = 40) -> str:
    """Random text, quotes, controls and non-ASCII included; never empty."""
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, longest)))


def blank(rng: random.Random) -> str:
    return "".join(rng.choice(" \t\n\r") for _ in range(rng.randint(1, 5)))


def huge(rng: random.Random) -> str:
    return rng.choice("abcXYZ-\u2603") * rng.randint(2_000, 6_000)


def structure(rng: random.Random) -> Any:
    return rng.choice([[], [junk(rng)], {"k": junk(rng)}, {"Fn::GetAtt": ["X", "Y"]}, [None]])


def common(rng: random.Random) -> Any:
    """A value no property accepts: null, blank, a structure, a boolean or a huge string."""
    return rng.choice([None, blank(rng), structure(rng), huge(rng)])


def not_one_of(rng: random.Random, allowed: set[str]) -> Any:
    while True:
        value = rng.choice([junk(rng), common(rng), rng.choice([1, -1, 3.5, 1e300])])
        if not (isinstance(value, str) and value.strip().lower() in allowed):
            return value


def bad_boolean(rng: random.Random) -> Any:
    return not_one_of(rng, {"true", "false", ""})


def bad_enum(allowed: set[str]) -> Callable[[random.Random], Any]:
    return lambda rng: not_one_of(rng, {value.lower() for value in allowed} | {""})


def bad_seconds(rng: random.Random) -> Any:
    return rng.choice(
        [
            *("-1", "901", "1e3", "1.5", "0x10", "\u0661"),
            str(rng.randint(901, 10**9)),
            rng.randint(901, 10**6),
            -rng.randint(1, 99),
            *(3.25, junk(rng), common(rng), True),
        ]
    )


def bad_repository(rng: random.Random) -> Any:
    region = "xx-" + "".join(rng.choice("abcdefghij") for _ in range(4)) + "-1"
    return rng.choice(
        [
            "App",
            "a",
            "team//app",
            "-app",
            "app/",
            f"arn:aws:ecr:{region}:123456789012:repository/app",
            f"123456789012.dkr.ecr.{region}.amazonaws.com/app",
            "arn:aws:ecr:ap-southeast-2:123:repository/app",
            "arn:aws:s3:::bucket",
            "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:tag",
            "app@sha256:" + "a" * 64,
            "arn:aws:ecr:ap-southeast-2:123456789012:repository/" + "A" * rng.randint(1, 300),
            "a" * rng.randint(257, 6_000),
            "r" + junk(rng) + "\u2603",
            common(rng),
            True,
        ]
    )


def bad_tag(rng: random.Random) -> Any:
    return rng.choice(
        [
            "-x",
            ".x",
            "a b",
            "x" * rng.randint(301, 5_000),
            "api-{sha}",
            "api-{version}-*",
            "api-#*",
            "api-{",
            "\u2603",
            "a" + junk(rng) + "\u2603",
            common(rng),
            False,
        ]
    )


def bad_digest(rng: random.Random) -> Any:
    return rng.choice(
        ["sha256:abc", "md5:" + "a" * 32, "sha256:" + "A" * 64, "sha256:" + "g" * 64, common(rng)]
    )


def bad_fallback(rng: random.Random) -> Any:
    return rng.choice(["not a uri", "-x", "x" * rng.randint(1025, 5_000), "\u2603", common(rng)])


def bad_platform(rng: random.Random) -> Any:
    return rng.choice(["linux", "/", "a//b", "linux/amd64/v8/x", "linux/\u2603", common(rng), 5])


def bad_name(rng: random.Random) -> str:
    return rng.choice(
        [
            "1Api",
            "api-server",
            "Api.Uri",
            "_x",
            "",
            " ",
            "\u00c9vents",
            "A" + "b" * rng.randint(64, 3_000),
            rng.choice("0123456789-_ .") + junk(rng),
        ]
    )


def bad_attributes(rng: random.Random) -> Any:
    return rng.choice(
        [
            [None],
            [" "],
            ["Uri", junk(rng)],
            "Uri," + junk(rng, longest=10).replace(",", "") + "x",
            "Uri, ,Digest",
            {"Uri": 1},
            5,
            True,
            None,
        ]
    )


def bad_revision(rng: random.Random) -> Any:
    return rng.choice(["r" * rng.randint(257, 6_000), None, blank(rng), structure(rng), True])


def bad_version(rng: random.Random) -> Any:
    return rng.choice([None, blank(rng), structure(rng), True])


TOP_LEVEL: dict[str, Callable[[random.Random], Any]] = {
    "UsePreBuiltImages": bad_boolean,
    "RequireScan": bad_boolean,
    "OnMissing": bad_enum({"Fail", "Fallback", "Report"}),
    "OnVulnerable": bad_enum({"Fail", "Report"}),
    "FailOnSeverity": bad_enum({"CRITICAL", "HIGH", "MEDIUM", "LOW"}),
    "WaitSeconds": bad_seconds,
    "ScanWaitSeconds": bad_seconds,
    "Repository": bad_repository,
    "Version": bad_version,
    "Revision": bad_revision,
    "Attributes": bad_attributes,
}
PER_IMAGE: dict[str, Callable[[random.Random], Any]] = {
    "Tag": bad_tag,
    "Repository": bad_repository,
    "Fallback": bad_fallback,
    "Platform": bad_platform,
    "Lambda": bad_boolean,
    "FailOnSeverity": bad_enum({"CRITICAL", "HIGH", "MEDIUM", "LOW"}),
}
_KNOWN = {*TOP_LEVEL, "Images", "ServiceToken", "ServiceTimeout"}


# --- property cases -----------------------------------------------------------------------------


def _base(request_type: str) -> dict[str, Any]:
    event = load_event("update-tag-moved.json" if request_type == "Update" else "create.json")
    event["ResponseURL"] = URL
    return event


def _clipped(path: str) -> str:
    """How an error message starts for ``path``: keys are user-chosen, so the path is made
    printable and clipped like any echoed value (``errors`` has these two, unit-tested)."""
    return clip(printable(path), 2 * MAX_SHOWN_CHARS)


def property_case(rng: random.Random, index: int) -> Case:
    request_type = rng.choice(["Create", "Update"])
    event = _base(request_type)
    props = event["ResourceProperties"]
    kind = rng.choice(["top", "top", "image", "image", "name", "unknown", "images", "limit"])
    if kind == "top":
        key = rng.choice(sorted(TOP_LEVEL))
        props[key] = TOP_LEVEL[key](rng)
        names: tuple[str, ...] = (key,)
        if key == "Version" and props[key] is None:
            names = ("Version",)
    elif kind == "image":
        key = rng.choice(sorted(PER_IMAGE))
        props["Images"]["Api"][key] = PER_IMAGE[key](rng)
        names = (f"Images.Api.{key}",)
        if key == "Tag" and rng.random() < 0.3:  # a Digest instead: broken the same way
            del props["Images"]["Api"]["Tag"]
            props["Images"]["Api"]["Digest"] = bad_digest(rng)
            names = ("Images.Api.Digest", "Images.Api: ")
    elif kind == "name":
        name = bad_name(rng)
        props["Images"] = {name: {"Tag": "x"}, **props["Images"]}
        names = (_clipped(f"Images.{name}"),)
    elif kind == "unknown":
        key = junk(rng, longest=rng.choice([12, 5_000]))
        while key in _KNOWN:
            key = junk(rng)
        if rng.random() < 0.5:
            props[key] = common(rng)
            names = (_clipped(key),)
        else:
            props["Images"]["Api"][key] = "x"
            names = (_clipped(f"Images.Api.{key}"),)
    elif kind == "images":
        props["Images"] = rng.choice(
            [None, "", [], {}, "Api", 5, [{"Tag": "x"}], {"Api": rng.choice(["x", 5, [], None])}]
        )
        names = ("Images",)
    else:
        props["Images"], names = _over_a_limit(rng)
    return Case(f"#{index} {request_type} {kind} -> {names[0][:60]!r}", event, Expect.FAILED, names)


def _over_a_limit(rng: random.Random) -> tuple[dict[str, Any], tuple[str, ...]]:
    which = rng.choice(["images", "repositories", "registries"])
    if which == "images":
        count = rng.randint(501, 1_500)
        return {f"Image{i}": {"Tag": f"t{i}"} for i in range(count)}, ("Images: ",)
    if which == "repositories":
        count = rng.randint(101, 400)
        return {f"Image{i}": {"Repository": f"repo-{i}", "Tag": "t"} for i in range(count)}, (
            "Images: ",
        )
    count = rng.randint(11, 60)
    arn = "arn:aws:ecr:ap-southeast-2:{}:repository/app"
    images = {
        f"Image{i}": {"Repository": arn.format(100000000000 + i), "Tag": "t"} for i in range(count)
    }
    return images, ("Images: ",)


def not_a_map_case(rng: random.Random, index: int) -> Case:
    event = _base("Create")
    event["ResourceProperties"] = rng.choice(["Images", 5, [{"Images": {}}], True, 1.5])
    return Case(f"#{index} properties not a map", event, Expect.FAILED, ("Properties: ",))


# --- malformed events -----------------------------------------------------------------------------

_IDS = ("StackId", "RequestId", "LogicalResourceId")
_ID_LIMITS = {"StackId": 512, "RequestId": 256, "LogicalResourceId": 255}
MALFORMED = "Malformed CloudFormation event: "


def malformed_case(rng: random.Random, index: int) -> Case:
    event = _base(rng.choice(["Create", "Update"]))
    kind = rng.choice(["missing", "type", "type", "id-type", "id-long", "physical"])
    if kind == "missing":
        key = rng.choice(["RequestType", *_IDS])
        if rng.random() < 0.5:
            del event[key]
        else:
            event[key] = rng.choice(["", None, 0, [], {}])
        names = (f"{MALFORMED}no ",)
    elif kind == "type":
        event["RequestType"] = rng.choice(
            [
                "create",
                "CREATE",
                "Delete ",
                "X" * rng.randint(100, 5_000),
                junk(rng),
                7,
                ["Create"],
                {"a": 1},
                True,
            ]
        )
        names = (f"{MALFORMED}RequestType ",)
    elif kind == "id-type":
        key = rng.choice(_IDS)
        event[key] = rng.choice([7, ["x"], {"k": "v"}, True, 1.5])
        names = (f"{MALFORMED}{key} is not a string.",)
    elif kind == "id-long":
        key = rng.choice(_IDS)
        char = rng.choice(["a", "\u2603", '"'])
        width = {"a": 1, "\u2603": 6, '"': 2}[char]
        event[key] = char * (_ID_LIMITS[key] // width + rng.randint(1, 3_000))
        names = (f"{MALFORMED}{key} is longer than",)
    else:
        event["PhysicalResourceId"] = rng.choice(
            [7, ["x"], {"k": 1}, "p" * rng.randint(1_025, 5_000)]
        )
        names = (f"{MALFORMED}PhysicalResourceId ",)
    if rng.random() < 0.3:  # crhelper's private keys change nothing
        event["CrHelperPoll"] = True
        event["CrHelperData"] = {"Api.Uri": "attacker.example/evil:latest"}
    return Case(f"#{index} malformed {kind}", event, Expect.FAILED, names)


def unanswerable_case(rng: random.Random, index: int) -> Case:
    if rng.random() < 0.4:
        event: Any = rng.choice([None, [], "Create", 5, [load_event("create.json")], True])
    else:
        event = _base("Create")
        if rng.random() < 0.5:
            del event["ResponseURL"]
        else:
            event["ResponseURL"] = rng.choice(["", None, 5, ["https://x"], {"u": 1}])
        # Also malformed (without a ResponseURL a valid event still gets an attempt, refused).
        del event[rng.choice(["RequestType", *_IDS])]
    return Case(f"#{index} unanswerable", event, Expect.NO_ANSWER)


# --- Delete ---------------------------------------------------------------------------------------


def delete_case(rng: random.Random, index: int) -> Case:
    event = load_event("delete.json")
    event["ResponseURL"] = URL
    garbage = property_case(rng, index).event["ResourceProperties"]
    event["ResourceProperties"] = rng.choice([garbage, garbage, None, "x", [], {"Images": None}])
    if rng.random() < 0.3:
        event["OldResourceProperties"] = rng.choice([garbage, "x", None])
    return Case(f"#{index} delete with garbage", event, Expect.SUCCESS)


# --- the suite ------------------------------------------------------------------------------------

MIX: tuple[tuple[Callable[[random.Random, int], Case], int], ...] = (
    (property_case, 1_500),
    (not_a_map_case, 50),
    (malformed_case, 550),
    (unanswerable_case, 100),
    (delete_case, 300),
)


def cases(seed: int = SEED) -> Iterator[Case]:
    """Every case of the suite, in a fixed order, from ``seed``."""
    rng = random.Random(seed)
    index = 0
    for make, count in MIX:
        for _ in range(count):
            yield make(rng, index)
            index += 1


def with_url(case: Case, url: str) -> Case:
    event = copy.deepcopy(case.event)
    event["ResponseURL"] = url
    return Case(case.label, event, case.expect, case.names)
