"""Locating what an id records in repository listings: whole digests, prefixes (all candidates
kept), a protected set by its tags; and what cannot be located is said, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from resolver.engine.lifecycle import StoredImage
from resolver.protection.inventory import Listings, Wanted
from resolver.protection.naming import Owner
from resolver.references import Registry, Repository

REGISTRY = Registry("123456789012", "ap-southeast-2")
API, WEB = Repository(REGISTRY, "api"), Repository(REGISTRY, "web")
WHEN = datetime(2026, 12, 1, tzinfo=UTC)
OWNER = Owner("arn:aws:cloudformation:ap-southeast-2:123456789012:stack/prod/1", "Images")


def digest(char: str, *, head: str = "") -> str:
    return "sha256:" + (head + char * 64)[:64]


def image(d: str, *tags: str) -> StoredImage:
    return StoredImage(d, tags, WHEN)


LISTINGS = Listings(
    {
        API: (
            image(digest("a", head="abcdef12"), "api-1"),
            image(digest("b", head="abcdef12"), "api-2"),
            image(digest("c"), "api-3", OWNER.tag("Api", "3f6ef6cf7e59")),
        ),
        WEB: (image(digest("a", head="abcdef12"), "copy"), image(digest("d"))),
    }
)


def test_a_whole_digest_is_in_use_in_every_repository_that_lists_it() -> None:
    located = LISTINGS.locate(Wanted(digests=(digest("a", head="abcdef12"),)))
    assert located.images == (
        (API, digest("a", head="abcdef12")),
        (WEB, digest("a", head="abcdef12")),
    )
    assert located.missing == () and located.notes == ()


def test_a_prefix_keeps_every_image_it_could_be() -> None:
    located = LISTINGS.locate(Wanted(prefixes=("sha256:abcdef12",)))
    assert {d for _, d in located.images} == {
        digest("a", head="abcdef12"),
        digest("b", head="abcdef12"),
    }
    assert located.notes == ("sha256:abcdef12… matches 2 images: all are kept",)


def test_a_protected_set_is_found_by_its_tags() -> None:
    located = LISTINGS.locate(Wanted(tagged_set=(OWNER.prefix, "3f6ef6cf7e59")))
    assert located.images == ((API, digest("c")),)
    other = LISTINGS.locate(Wanted(tagged_set=(OWNER.prefix, "000000000000")))
    assert other.images == () and other.missing


def test_what_is_not_listed_is_said() -> None:
    located = LISTINGS.locate(Wanted(digests=(digest("e"),), prefixes=("sha256:999999",)))
    assert located.images == ()
    assert len(located.missing) == 2
    assert LISTINGS.locate(Wanted(why_not="no record")).missing == ("no record",)
