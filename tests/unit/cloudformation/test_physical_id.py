"""The PhysicalResourceId: stable per resource, never random."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from resolver.cloudformation.events import PHYSICAL_ID_LIMIT, CfnEvent, ReplyTo, RequestType
from resolver.cloudformation.physical_id import (
    ABBREVIATIONS,
    PhysicalId,
    RecordKind,
    candidates,
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
    logical_id: str = "Images",
    *,
    stack: str = STACK,
    physical_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> CfnEvent:
    return CfnEvent(
        RequestType.CREATE if physical_id is None else RequestType.UPDATE,
        ReplyTo("https://x", stack, "r", logical_id),
        properties=properties or {"ServiceToken": "x", "Images": {}},
        physical_resource_id=physical_id,
    )


def made_for(event: CfnEvent, resolution: Resolution) -> PhysicalId:
    """The most complete id: what a response with room to spare carries."""
    return next(candidates(event, resolution))


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
    assert len(text) <= PHYSICAL_ID_LIMIT
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


def test_candidates_run_from_the_full_record_to_none_each_within_the_limit() -> None:
    few = [result(f"Image{i:02d}", ImageStatus.FOUND, digest=D1) for i in range(3)]
    ids = list(candidates(event(), resolution(*few, version="3f9a1c2e")))
    assert [i.kind for i in ids] == [
        RecordKind.FULL,
        *[RecordKind.ABBREVIATED] * len(ABBREVIATIONS),
        RecordKind.DROPPED,
    ]
    assert [len(str(a)) > len(str(b)) for a, b in itertools.pairwise(ids)] == [True] * 5
    # 30 whole digests exceed the id's 1,024 characters; their prefixes do not.
    many = [result(f"Image{i:02d}", ImageStatus.FOUND, digest=D1) for i in range(30)]
    kinds = [i.kind for i in candidates(event(), resolution(*many, version="3f9a1c2e"))]
    assert kinds[0] is RecordKind.ABBREVIATED
    for made in candidates(event(), resolution(*many)):
        assert len(str(made)) <= PHYSICAL_ID_LIMIT
    # 120 images do not fit even as 6-digit prefixes: only the revision is carried.
    lots = [result(f"I{i:03d}", ImageStatus.FOUND, digest=D1) for i in range(120)]
    (only,) = candidates(event(), resolution(*lots, version="3f9a1c2e"))
    assert (only.kind, only.images, only.version) == (RecordKind.DROPPED, None, None)
    assert only.revision == resolution(*lots).revision


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
    images = pattern_images(12, 90)
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


def test_the_id_changes_with_the_properties_and_with_nothing_cloudformation_owns() -> None:
    found = resolution(result("Api", ImageStatus.FOUND, digest=D1))
    base = {"Images": {"Api": {"Tag": "a"}}}

    def made(properties: dict[str, Any]) -> str:
        return str(made_for(event(properties=properties), found))

    assert made(base) != made({**base, "Revision": "2"})  # a forward Update: a new id
    assert made(base) == made({**base, "ServiceTimeout": "300"})


def test_a_chosen_tag_or_a_status_is_part_of_the_record() -> None:
    found = result("Api", ImageStatus.FOUND, digest=D1)
    chosen = replace(found, spec=replace(found.spec, match=TagMatch.PATTERN))
    one, two = (replace(chosen, ref=ImageRef(REPO, tag=tag)) for tag in ("api-1", "api-2"))
    assert (
        made_for(event(), resolution(one)).revision == made_for(event(), resolution(two)).revision
    )
    assert str(made_for(event(), resolution(one))) != str(made_for(event(), resolution(two)))
    vulnerable = replace(found, status=ImageStatus.VULNERABLE)
    assert str(made_for(event(), resolution(found))) != str(
        made_for(event(), resolution(vulnerable))
    )


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


# --- abbreviated records: digest prefixes, completed from a listing -------------------------------


def abbreviated(images: list[ImageResult], *, version: str | None = None) -> PhysicalId:
    made = next(
        made
        for made in candidates(event(), resolution(*images, version=version))
        if made.kind is RecordKind.ABBREVIATED
        and made.images
        and len(made.images[0].digest or "") == 7 + 6
    )
    parsed = parse(str(made))
    assert parsed is not None and parsed.kind is RecordKind.ABBREVIATED
    return parsed


def test_an_abbreviated_record_is_completed_exactly_even_where_two_digests_share_the_prefix() -> (
    None
):
    deployed = "sha256:5fb3a1" + "c" * 58
    twin = "sha256:5fb3a1" + "d" * 58  # the same first six hex digits: the prefix cannot tell
    other = "sha256:" + "9" * 64
    images = [
        result("Api", ImageStatus.FOUND, digest=deployed, tagged_digest=deployed),
        result("Web", ImageStatus.FOUND, digest=other, tagged_digest=other),
        result("Gone", ImageStatus.TAG_NOT_FOUND),
    ]
    parsed = abbreviated(images)
    request = request_for(images)
    assert parsed.recorded(request) is None  # a prefix is no digest: completion comes first
    assert parsed.prefixes(request) == {REPO: {"sha256:5fb3a1", "sha256:999999"}}
    for listing in ([twin, deployed, other], [deployed, twin, other]):  # either order
        completed = parsed.completed(request, {REPO: listing})
        assert completed is not None and completed.kind is RecordKind.FULL
        recorded = completed.recorded(request)
        assert recorded is not None
        assert recorded["Api"].digest == deployed  # the revision settled it, not the order
        assert recorded["Web"].digest == other
    # The deployed image is gone and only its twin shares the prefix: not exact, so None.
    assert parsed.completed(request, {REPO: [twin, other]}) is None
    assert parsed.unmatched(request, {REPO: [other]}) == ("Api",)
    assert parsed.unmatched(request, {REPO: [twin, other]}) == ()


def test_an_abbreviated_record_keeps_tagged_digests_chosen_tags_and_the_version() -> None:
    child, index = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    fn = result("Fn", ImageStatus.FOUND, digest=child, tagged_digest=index)
    api = result(
        "Api",
        ImageStatus.FOUND,
        digest=D1,
        tagged_digest=D1,
        match=TagMatch.PATTERN,
        ref=ImageRef(REPO, tag="api-00000002"),
    )
    parsed = abbreviated([fn, api], version="3f9a1c2e")
    completed = parsed.completed(request_for([fn, api]), {REPO: [child, index, D1]})
    assert completed is not None
    assert completed.version == "3f9a1c2e"
    assert completed.recorded(request_for([fn, api])) == {
        "Api": RecordedImage(ImageStatus.FOUND, D1, None, "api-00000002"),
        "Fn": RecordedImage(ImageStatus.FOUND, child, index, None),
    }
