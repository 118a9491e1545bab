"""The PhysicalResourceId: stable per resource, never random."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from resolver.cloudformation.events import CfnEvent, ReplyTo, RequestType
from resolver.cloudformation.physical_id import (
    MAX_LENGTH,
    PhysicalId,
    made_for,
    parse,
    physical_id_for,
    properties_hash,
    stable_id,
)
from resolver.model import (
    ImageResult,
    ImageSpec,
    ImageStatus,
    OnMissing,
    RecordedImage,
    Resolution,
    ResolveRequest,
    Source,
    TagMatch,
)
from resolver.references import ImageRef, Registry, Repository

STACK = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/cloudtak-dev/6f1c2a10-cb6e"


def event(
    logical_id: str = "Images", *, stack: str = STACK, physical_id: str | None = None
) -> CfnEvent:
    return CfnEvent(
        RequestType.CREATE if physical_id is None else RequestType.UPDATE,
        ReplyTo("https://x", stack, "r", logical_id),
        properties={"ServiceToken": "x", "Images": {}},
        physical_resource_id=physical_id,
    )


def test_physical_id_is_stable_and_distinct_per_resource() -> None:
    first = physical_id_for(event())
    assert first == physical_id_for(event())
    assert first.startswith("cloudtak-dev-Images-")
    assert first == stable_id(STACK, "Images")
    assert physical_id_for(event("Other")) != first
    assert physical_id_for(event(stack=STACK.replace("6f1c", "7f1c"))) != first


def test_update_and_delete_keep_the_id_cloudformation_knows() -> None:
    assert physical_id_for(event(physical_id="given")) == "given"


def test_a_malformed_stack_id_or_long_names_still_give_a_short_readable_key() -> None:
    assert stable_id("", "").startswith("stack-Resource-")
    long = stable_id(STACK, "L" * 255)
    assert long == f"cloudtak-dev-{'L' * 40}-{long[-10:]}"
    assert long != stable_id(STACK, "L" * 254)  # the hash still tells them apart


# --- the r1 format: the deployed set carried in the id ------------------------------------------

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
D1, D2, D3 = ("sha256:" + c * 64 for c in "1a2")


def result(name: str, status: ImageStatus, **fields: Any) -> ImageResult:
    match = fields.pop("match", TagMatch.EXACT)
    spec = ImageSpec(name, ImageRef(REPO, tag=f"{name.lower()}-*"), match=match)
    digest = fields.get("digest")
    uri = REPO.uri + "@" + digest if digest else ""
    return ImageResult(spec, status, uri, Source.PREBUILT if digest else Source.NONE, **fields)


def resolution(*images: ImageResult, version: str | None = None) -> Resolution:
    return Resolution(images, OnMissing.REPORT, version=version)


def test_the_set_round_trips_through_the_id() -> None:
    images = (
        result("Web", ImageStatus.FOUND, digest=D1, tagged_digest=D1),
        result("Fn", ImageStatus.FOUND, digest=D2, tagged_digest=D3),  # pinned child of an index
        result(
            "Api",
            ImageStatus.VULNERABLE,
            digest=D3,
            tagged_digest=D3,
            match=TagMatch.PATTERN,
            ref=ImageRef(REPO, tag="api-00000002"),
        ),
        result("Gone", ImageStatus.TAG_NOT_FOUND),
    )
    resolved = resolution(*images, version="3f9a1c2e")
    text = str(made_for(event(), resolved))
    assert len(text) <= MAX_LENGTH
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.key, parsed.revision, parsed.version) == (
        stable_id(STACK, "Images"),
        resolved.revision,
        "3f9a1c2e",
    )
    assert parsed.properties_hash == properties_hash({"Images": {}})
    request = ResolveRequest(tuple(image.spec for image in images), on_missing=OnMissing.REPORT)
    assert parsed.recorded(request) == {
        "Api": RecordedImage(ImageStatus.VULNERABLE, D3, None, "api-00000002"),
        "Fn": RecordedImage(ImageStatus.FOUND, D2, D3, None),
        "Gone": RecordedImage(ImageStatus.TAG_NOT_FOUND),
        "Web": RecordedImage(ImageStatus.FOUND, D1, None, None),
    }
    # Other images (here: one fewer, or in another repository) are not what the id records.
    assert parsed.recorded(replace(request, images=request.images[:3])) is None
    elsewhere = Repository(Registry("123456789012", "ap-southeast-2"), "other")
    moved = tuple(
        replace(spec, ref=replace(spec.ref, repository=elsewhere)) for spec in request.images
    )
    assert parsed.recorded(replace(request, images=moved)) is None
    assert str(parsed) == text


def test_the_id_changes_exactly_with_the_revision() -> None:
    one = str(made_for(event(), resolution(result("Api", ImageStatus.FOUND, digest=D1))))
    same = str(made_for(event(), resolution(result("Api", ImageStatus.FOUND, digest=D1))))
    moved = str(made_for(event(), resolution(result("Api", ImageStatus.FOUND, digest=D2))))
    assert one == same != moved


def test_a_set_too_large_to_carry_keeps_the_revision_only() -> None:
    many = [result(f"Image{i:02d}", ImageStatus.FOUND, digest=D1) for i in range(30)]
    text = str(made_for(event(), resolution(*many, version="3f9a1c2e")))
    assert len(text) <= MAX_LENGTH
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.images, parsed.version) == (None, None)
    assert parsed.revision == resolution(*many).revision


def pattern_images(count: int, tag_length: int) -> list[ImageResult]:
    return [
        result(
            f"Image{i:02d}",
            ImageStatus.FOUND,
            digest=D1,
            match=TagMatch.PATTERN,
            ref=ImageRef(REPO, tag=f"image{i:02d}-".ljust(tag_length, "x")),
        )
        for i in range(count)
    ]


def request_for(images: list[ImageResult]) -> ResolveRequest:
    return ResolveRequest(tuple(image.spec for image in images), on_missing=OnMissing.REPORT)


def test_a_set_is_carried_whole_or_not_at_all() -> None:
    """Twelve digests fit, their chosen tags do not: dropping the tags would leave a record
    that could not say which tag each pattern chose, so nothing is carried."""
    digests_only = str(made_for(event(), resolution(*pattern_images(12, 1))))
    assert parse(digests_only).images is not None  # type: ignore[union-attr]
    images = pattern_images(12, 60)
    parsed = parse(str(made_for(event(), resolution(*images))))
    assert parsed is not None and parsed.images is None
    assert parsed.recorded(request_for(images)) is None


def test_a_pattern_entry_without_its_tag_is_no_record() -> None:
    images = pattern_images(1, 12)
    text = str(made_for(event(), resolution(*images)))
    untagged = text.rsplit("=", 1)[0]  # as an id cut short would read
    assert parse(text).recorded(request_for(images)) is not None  # type: ignore[union-attr]
    assert parse(untagged).recorded(request_for(images)) is None  # type: ignore[union-attr]


@pytest.mark.parametrize("version", ["3f9a1c2e", "release 2026/12:01", "v" * 200, "ünï"])
def test_any_version_is_carried_exactly(version: str) -> None:
    text = str(
        made_for(event(), resolution(result("Api", ImageStatus.FOUND, digest=D1), version=version))
    )
    assert text.count(":") == 5  # the separators stay the id's own
    parsed = parse(text)
    assert parsed is not None and parsed.images is not None
    assert parsed.version == version


def test_a_versioned_image_without_the_version_is_no_record() -> None:
    spec = ImageSpec("Api", ImageRef(REPO, tag="api-{version}"), match=TagMatch.LATEST_VERSION)
    found = ImageResult(spec, ImageStatus.FOUND, REPO.uri + "@" + D1, Source.PREBUILT, digest=D1)
    request = ResolveRequest((spec,), on_missing=OnMissing.REPORT)
    with_version = parse(str(made_for(event(), resolution(found, version="41"))))
    without = parse(str(made_for(event(), resolution(found))))
    assert with_version is not None and with_version.recorded(request) is not None
    assert without is not None and without.recorded(request) is None


def test_the_same_set_means_every_recorded_field() -> None:
    def made(*images: ImageResult, version: str | None = None) -> PhysicalId:
        parsed = parse(str(made_for(event(), resolution(*images, version=version))))
        assert parsed is not None
        return parsed

    found = result("Api", ImageStatus.FOUND, digest=D1)
    assert made(found).same_set(made(found))
    assert not made(found).same_set(made(replace(found, status=ImageStatus.VULNERABLE)))
    assert not made(found).same_set(made(found, version="2"))
    chosen = replace(found, spec=replace(found.spec, match=TagMatch.PATTERN))
    one, two = (replace(chosen, ref=ImageRef(REPO, tag=tag)) for tag in ("api-1", "api-2"))
    assert made(one).revision == made(two).revision  # the same digest, by another tag
    assert not made(one).same_set(made(two))


@pytest.mark.parametrize(
    "text",
    [
        "cloudtak-dev-Images-8de3296763",  # an id from an earlier version
        "a:r2:rev:hash::F" + "A" * 43,  # another format
        "a:r1:rev:hash::X" + "A" * 43,  # unknown status letter
        "a:r1:rev:hash::t" + "A" * 43,  # an absent image carries no digest
        "a:r1:rev:hash::F",  # a found image does
        "",
    ],
)
def test_anything_else_is_not_an_r1_id(text: str) -> None:
    assert parse(text) is None


def test_properties_hash_ignores_cloudformations_own_keys() -> None:
    base = {"Images": {"Api": {"Tag": "a"}}}
    assert properties_hash({**base, "ServiceToken": "x", "ServiceTimeout": "300"}) == (
        properties_hash(base)
    )
    assert properties_hash({**base, "Revision": "2"}) != properties_hash(base)
