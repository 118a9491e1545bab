"""Choosing images from a listing: glob tags, versions, and the coherent ``latest`` set."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from resolver.engine.tag_choice import (
    ListedImage,
    Match,
    NoCoherentVersion,
    VersionChoice,
    all_versions,
    captured,
    coherent_latest,
    newest_matching,
    semver_key,
    versions,
)
from resolver.model import TagOrder

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CLOUDTAK = {
    "CloudTak": "cloudtak-{version}",
    "Events": "events-{version}",
    "PmTiles": "pmtiles-{version}",
    "Data": "data-{version}",
}


def img(minute: int, *tags: str) -> ListedImage:
    """An image pushed ``minute`` minutes after T0; its digest derives from both."""
    digest = "sha256:" + hashlib.sha256(f"{minute}:{','.join(tags)}".encode()).hexdigest()
    return ListedImage(digest=digest, tags=tags, pushed_at=T0 + timedelta(minutes=minute))


def cloudtak(pushes: Iterable[tuple[int, str]]) -> dict[str, tuple[list[ListedImage], str]]:
    """The CloudTAK layout: one repository, four components, pushes given as (minute, tag)."""
    listing = [img(minute, tag) for minute, tag in pushes]
    return {name: (listing, template) for name, template in CLOUDTAK.items()}


def release(minute: int, version: str, *parts: str) -> list[tuple[int, str]]:
    """One CI run: the given parts (default all four) of ``version`` pushed at ``minute``."""
    return [(minute, f"{part}-{version}") for part in parts or CLOUDTAK_PARTS]


CLOUDTAK_PARTS = ("cloudtak", "events", "pmtiles", "data")


# --- newest_matching ----------------------------------------------------------------------------

LISTING = (
    img(0, "cloudtak-00000001", "stable"),
    img(5, "cloudtak-0000000a"),
    img(9, "events-0000000f"),
    img(3, "CLOUDTAK-ffffffff"),
    img(7, "cloudtak-zzzzzzzz", "cloudtak-prod"),  # several tags, two match cloudtak-*
    img(2, "v1", "v2", "v10"),
)


@pytest.mark.parametrize(
    ("pattern", "expected_tag", "expected_minute"),
    [
        ("cloudtak-*", "cloudtak-zzzzzzzz", 7),  # newest push wins; same image: greatest tag
        ("cloudtak-0000000?", "cloudtak-0000000a", 5),
        ("cloudtak-[0-9a-f][0-9a-f]*", "cloudtak-0000000a", 5),
        ("cloudtak-0000000[0-9]", "cloudtak-00000001", 0),
        ("cloudtak-[!0-9]*", "cloudtak-zzzzzzzz", 7),
        ("CLOUDTAK-*", "CLOUDTAK-ffffffff", 3),  # case-sensitive both ways
        ("*", "events-0000000f", 9),
        ("st*", "stable", 0),  # a matching tag that is not the image's first
        ("v?", "v2", 2),  # one image, two matching tags: the greatest tag
        ("v1*", "v10", 2),
    ],
)
def test_newest_matching(pattern: str, expected_tag: str, expected_minute: int) -> None:
    match = newest_matching(LISTING, pattern)
    assert match is not None
    assert match.tag == expected_tag
    assert match.image.pushed_at == T0 + timedelta(minutes=expected_minute)
    assert expected_tag in match.image.tags


@pytest.mark.parametrize("pattern", ["cloudtak", "pmtiles-*", "cloudtak-?", "Cloudtak-*", "[]"])
def test_newest_matching_without_a_match_is_none(pattern: str) -> None:
    assert newest_matching(LISTING, pattern) is None


def test_newest_matching_of_nothing_is_none() -> None:
    assert newest_matching([], "*") is None


def test_newest_matching_breaks_equal_push_times_by_tag_then_digest_in_any_order() -> None:
    same_time = [img(1, "app-b"), img(1, "app-c"), img(1, "app-a")]
    for listing in (same_time, same_time[::-1]):
        match = newest_matching(listing, "app-*")
        assert match is not None
        assert match.tag == "app-c"
    twins = [
        ListedImage("sha256:" + "1" * 64, ("x",), T0),
        ListedImage("sha256:" + "2" * 64, ("x",), T0),
    ]
    for listing in (twins, twins[::-1]):
        match = newest_matching(listing, "x")
        assert match is not None
        assert match.image.digest == "sha256:" + "2" * 64


# --- versions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "tags", "expected"),
    [
        (
            "cloudtak-{version}",
            [
                "cloudtak-3f9a1c2e",
                "cloudtak-",
                "events-3f9a1c2e",
                "xcloudtak-1",
                "cloudtak-a_b.c-d",
            ],
            {"3f9a1c2e": "cloudtak-3f9a1c2e", "a_b.c-d": "cloudtak-a_b.c-d"},
        ),
        (
            "{version}-api",
            ["1.2.3-api", "1.2.3-api-old", "-api", "rc-1-api", "api"],
            {"1.2.3": "1.2.3-api", "rc-1": "rc-1-api"},
        ),
        (
            "v1.{version}+build",  # . and + are literal, not regex
            ["v1.7+build", "v1x7+build", "v1.7build", "v1.7++build", "v1.8+buildd"],
            {"7": "v1.7+build"},
        ),
        (
            "app-{version}",  # case-sensitive literal
            ["App-1", "APP-2", "app-3"],
            {"3": "app-3"},
        ),
        (
            "{version}",
            ["latest", "3f9a1c2e"],
            {"latest": "latest", "3f9a1c2e": "3f9a1c2e"},
        ),
        (
            "{version}-{version}",  # a repeated placeholder repeats the same value
            ["a-a", "a-b", "x-y-x-y"],
            {"a": "a-a", "x-y": "x-y-x-y"},
        ),
        (
            "[x]{version}(y)",
            ["[x]1(y)", "x1y", "[x]1(y)z"],
            {"1": "[x]1(y)"},
        ),
    ],
)
def test_versions(template: str, tags: list[str], expected: dict[str, str]) -> None:
    listing = [img(i, tag) for i, tag in enumerate(tags)]
    found = versions(listing, template)
    assert {version: match.tag for version, match in found.items()} == expected
    for match in found.values():
        assert match.tag in match.image.tags


def test_versions_keeps_the_newest_image_for_a_tag_listed_twice() -> None:
    old, new = img(1, "app-1"), img(2, "app-1", "other")
    for listing in ([old, new], [new, old]):
        assert versions(listing, "app-{version}")["1"].image is new


def test_versions_of_an_image_with_several_tags() -> None:
    image = img(0, "app-1", "app-2", "latest")
    assert {v: m.image for v, m in versions([image], "app-{version}").items()} == {
        "1": image,
        "2": image,
    }


def test_a_template_without_version_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="does not contain"):
        versions([], "cloudtak-latest")


# --- coherent_latest ----------------------------------------------------------------------------


def chosen(components: Mapping[str, tuple[Iterable[ListedImage], str]]) -> VersionChoice:
    result = coherent_latest(components)
    assert isinstance(result, VersionChoice), result
    return result


def test_cloudtak_newest_version_lacking_pmtiles_falls_back_to_the_previous_complete_one() -> None:
    components = cloudtak(
        release(0, "11111111")
        + release(10, "22222222")
        + release(20, "33333333", "cloudtak", "events", "data")  # pmtiles build failed
    )
    choice = chosen(components)
    assert choice.version == "22222222"
    assert {name: match.tag for name, match in choice.matches.items()} == {
        "CloudTak": "cloudtak-22222222",
        "Events": "events-22222222",
        "PmTiles": "pmtiles-22222222",
        "Data": "data-22222222",
    }
    assert list(choice.matches) == list(CLOUDTAK)
    assert choice.pushed_at == T0 + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("pushes", "expected"),
    [
        pytest.param(
            # A's components mostly early, but data-A lands last: A completed later than B.
            release(0, "aaaaaaaa", "cloudtak", "events", "pmtiles")
            + release(10, "bbbbbbbb")
            + release(30, "aaaaaaaa", "data"),
            "aaaaaaaa",
            id="slowest-component-decides",
        ),
        pytest.param(
            # Both complete late: A's slowest component lands at 30, B's at 40 -> B.
            release(0, "aaaaaaaa", "cloudtak", "events", "pmtiles")
            + release(30, "aaaaaaaa", "data")
            + release(5, "bbbbbbbb", "events", "pmtiles", "data")
            + release(40, "bbbbbbbb", "cloudtak"),
            "bbbbbbbb",
            id="latest-completion-wins",
        ),
        pytest.param(
            # Same completion time: the lexicographically greatest version.
            release(0, "aaaaaaaa") + release(0, "cccccccc") + release(0, "bbbbbbbb"),
            "cccccccc",
            id="tie-greatest-version",
        ),
        pytest.param(
            # The newest image overall belongs to an incomplete version; it is not used.
            release(0, "aaaaaaaa") + release(50, "ffffffff", "cloudtak", "events", "pmtiles"),
            "aaaaaaaa",
            id="incomplete-newest-skipped",
        ),
        pytest.param(
            # A tag re-pushed later (same tag, newer image) is what counts.
            release(0, "aaaaaaaa") + release(10, "bbbbbbbb") + release(20, "aaaaaaaa", "events"),
            "aaaaaaaa",
            id="re-push-moves-completion",
        ),
    ],
)
def test_coherent_latest_ordering(pushes: list[tuple[int, str]], expected: str) -> None:
    assert chosen(cloudtak(pushes)).version == expected


def test_re_pushed_tag_picks_the_newer_image() -> None:
    choice = chosen(cloudtak(release(0, "aaaaaaaa") + release(20, "aaaaaaaa", "events")))
    assert choice.matches["Events"].image.pushed_at == T0 + timedelta(minutes=20)
    assert choice.matches["Data"].image.pushed_at == T0


def test_components_in_different_repositories() -> None:
    api = [img(0, "1.0-api"), img(10, "1.1-api"), img(30, "1.2-api")]
    web = [img(5, "web-1.0"), img(20, "web-1.1")]  # web-1.2 not built yet
    worker = [img(1, "1.0"), img(2, "1.1"), img(3, "1.2"), img(4, "latest")]
    choice = chosen(
        {
            "Api": (api, "{version}-api"),
            "Web": (web, "web-{version}"),
            "Worker": (worker, "{version}"),
        }
    )
    assert choice.version == "1.1"
    assert choice.matches["Api"].image is api[1]
    assert choice.matches["Web"].image is web[1]
    assert choice.matches["Worker"].image is worker[1]
    assert choice.pushed_at == T0 + timedelta(minutes=20)


def test_a_one_shot_listing_shared_by_components_is_read_once() -> None:
    listing = [img(0, tag) for _, tag in release(0, "12345678")]
    shared = iter(listing)
    choice = chosen({name: (shared, template) for name, template in CLOUDTAK.items()})
    assert choice.version == "12345678"


def test_a_single_component() -> None:
    assert chosen({"App": ([img(0, "app-1"), img(1, "app-2")], "app-{version}")}).version == "2"


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        pytest.param(
            cloudtak(
                release(0, "00000000", "pmtiles")
                + release(5, "11111111", "cloudtak", "events", "data")
                + release(10, "3f9a1c2e", "cloudtak", "events", "data")
            ),
            "no version has all 4 components (CloudTak, Events, PmTiles, Data); "
            "newest candidate 3f9a1c2e lacks PmTiles",
            id="newest-candidate-lacks-one",
        ),
        pytest.param(
            cloudtak(
                release(0, "11111111", "cloudtak", "pmtiles")
                + release(5, "22222222", "events", "data", "pmtiles")
                + release(10, "3f9a1c2e", "cloudtak", "pmtiles")
            ),
            "no version has all 4 components (CloudTak, Events, PmTiles, Data); "
            "newest candidate 3f9a1c2e lacks Events and Data",
            id="newest-candidate-lacks-two",
        ),
        pytest.param(
            cloudtak(
                release(0, "11111111", "events", "pmtiles", "data")
                + release(3, "aaaaaaaa", "cloudtak")
                + release(3, "bbbbbbbb", "cloudtak")
            ),
            "no version has all 4 components (CloudTak, Events, PmTiles, Data); "
            "newest candidate bbbbbbbb lacks Events, PmTiles and Data",
            id="candidate-tie-greatest-version",
        ),
        pytest.param(
            cloudtak(release(0, "11111111", "events", "pmtiles", "data")),
            "no tag matches cloudtak-{version}",
            id="component-without-versions",
        ),
        pytest.param(
            cloudtak(release(0, "11111111", "events", "pmtiles")),
            "no tag matches cloudtak-{version} or data-{version}",
            id="two-components-without-versions",
        ),
        pytest.param(
            {"A": ([], "{version}"), "B": ([img(0, "x")], "{version}"), "C": ([], "{version}")},
            "no tag matches {version}",
            id="same-template-named-once",
        ),
        pytest.param({}, "no image's Tag uses {version}", id="no-components"),
    ],
)
def test_no_coherent_version_reasons(
    components: dict[str, tuple[list[ListedImage], str]], reason: str
) -> None:
    assert coherent_latest(components) == NoCoherentVersion(reason)


def test_match_is_a_value() -> None:
    image = img(0, "a")
    assert Match("a", image) == Match("a", image)


# --- Order: Semver --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.9.0", "1.10.0"),  # numbers, not text
        ("1.10.0-rc.1", "1.10.0"),  # a pre-release below its release
        ("1.0.0-alpha", "1.0.0-alpha.1"),  # more identifiers rank higher (semver.org §11)
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),  # numeric identifiers below alphanumeric ones
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("2", "v2.0.1"),  # missing parts are 0; a leading v is allowed
        ("9", "10"),  # build numbers order as numbers
    ],
)
def test_semantic_versions_order_as_semver_says(lower: str, higher: str) -> None:
    low, high = semver_key(lower), semver_key(higher)
    assert low is not None and high is not None
    assert low < high


@pytest.mark.parametrize("text", ["3f9a1c2e", "latest", "1.2.3.4", "v", "1..2", ""])
def test_what_is_not_a_version(text: str) -> None:
    assert semver_key(text) is None


@pytest.mark.parametrize(
    ("pattern", "tag", "version"),
    [
        ("api-*", "api-1.2.0", "1.2.0"),
        ("v*", "v1.2.0", "1.2.0"),
        ("release-*-amd64", "release-2.1-amd64", "2.1"),
        ("app-[0-9]*", "app-1.0", "1.0"),
        ("exact", "exact", "exact"),
    ],
)
def test_a_pattern_captures_what_its_wildcards_match(pattern: str, tag: str, version: str) -> None:
    assert captured(pattern, tag) == version


def test_semver_order_ranks_by_version_and_skips_tags_without_one() -> None:
    listing = [
        img(0, "app-1.10.0"),
        img(1, "app-1.9.0"),
        img(2, "app-nightly"),
        img(3, "app-1.10.1-rc.1"),
    ]
    assert_tag(newest_matching(listing, "app-*"), "app-1.10.1-rc.1")  # by push
    assert_tag(newest_matching(listing, "app-*", order=TagOrder.SEMVER), "app-1.10.1-rc.1")
    assert_tag(
        newest_matching(listing[:3], "app-*", order=TagOrder.SEMVER), "app-1.10.0"
    )  # nightly is no version: never a candidate
    assert newest_matching([img(0, "app-nightly")], "app-*", order=TagOrder.SEMVER) is None


def test_semver_version_latest_takes_the_highest_complete_version() -> None:
    components = cloudtak(
        [*release(0, "1.2.0"), *release(5, "1.1.9"), *release(9, "1.3.0", "cloudtak")]
    )
    by_push = coherent_latest(components)
    by_version = coherent_latest(components, order=TagOrder.SEMVER)
    assert isinstance(by_push, VersionChoice) and by_push.version == "1.1.9"
    assert isinstance(by_version, VersionChoice) and by_version.version == "1.2.0"


def test_semver_version_latest_without_versions_says_so() -> None:
    result = coherent_latest(cloudtak(release(0, "3f9a1c2e")), order=TagOrder.SEMVER)
    assert result == NoCoherentVersion("no {version} value is a semantic version (Order: Semver)")


def test_all_versions_needs_every_text_to_be_one() -> None:
    assert all_versions(["1.0", "2.0.1"])
    assert not all_versions(["1.0", "3f9a1c2e"])  # a git hash scheme, with an all-digit one
    assert not all_versions([])


def assert_tag(match: Match | None, tag: str) -> None:
    assert match is not None and match.tag == tag
