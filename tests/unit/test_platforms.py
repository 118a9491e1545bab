"""Platform names: parsing, aliases, ordering."""

from __future__ import annotations

import pytest

from resolver.platforms import Platform

# ---------------------------------------------------------------------------- Platform


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm64", Platform("linux", "arm64")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm/7", Platform("linux", "arm", "v7")),
        ("windows/amd64", Platform("windows", "amd64")),
        ("  Linux/AMD64 ", Platform("linux", "amd64")),
        ("linux/aarch64", Platform("linux", "arm64")),
        ("linux/aarch64/v8", Platform("linux", "arm64", "v8")),
        ("linux/x86_64", Platform("linux", "amd64")),
        ("linux/x86-64", Platform("linux", "amd64")),
        ("linux/armhf", Platform("linux", "arm", "v7")),
        ("linux/armhf/v7", Platform("linux", "arm", "v7")),
        ("linux/armel", Platform("linux", "arm", "v6")),
        ("linux/i386", Platform("linux", "386")),
    ],
)
def test_parse_accepts_platforms_and_aliases(text: str, expected: Platform) -> None:
    parsed = Platform.parse(text)
    assert parsed == expected
    assert parsed.variant == expected.variant


@pytest.mark.parametrize(
    "text",
    [
        "",
        "linux",
        "linux/",
        "/amd64",
        "linux//v7",
        "linux/arm/v7/extra",
        "linux amd64",
        "linux/amd64:latest",
        "linux/armhf/v6",
        "amd64\n",
    ],
)
def test_parse_rejects_junk_naming_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"os/arch\[/variant\]|means arm/v7") as raised:
        Platform.parse(text)
    assert repr(text) in str(raised.value)


def test_parse_error_names_the_form() -> None:
    with pytest.raises(ValueError, match=r"expected the form os/arch\[/variant\]"):
        Platform.parse("amd64")


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        (Platform("linux", "arm64"), "linux/arm64"),
        (Platform("linux", "arm", "v7"), "linux/arm/v7"),
        (Platform.parse("linux/aarch64/v8"), "linux/arm64/v8"),
    ],
)
def test_str_round_trips(platform: Platform, text: str) -> None:
    assert str(platform) == text
    assert Platform.parse(str(platform)) == platform


def test_platforms_sort_and_hash_with_and_without_variant() -> None:
    mixed = [
        Platform("linux", "arm64", "v8"),
        Platform("linux", "arm64"),
        Platform("linux", "amd64"),
        Platform("linux", "arm", "v7"),
    ]
    assert [str(p) for p in sorted(mixed)] == [
        "linux/amd64",
        "linux/arm/v7",
        "linux/arm64",
        "linux/arm64/v8",
    ]
    assert Platform("linux", "arm64") != Platform("linux", "arm64", "v8")
    assert len({Platform("linux", "arm64"), Platform.parse("linux/aarch64")}) == 1
