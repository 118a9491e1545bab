"""Policy and summary logic on typed results (the ECR engine is exercised in tests/functional)."""

from __future__ import annotations

import pytest

from resolver.cfn_data import build_data
from resolver.errors import MissingImagesError
from resolver.references import ImageRef, Registry, Repository
from resolver.resolve import ImageResult, ImageStatus, Resolution, Source, enforce
from resolver.spec import Attribute, ImageSpec, OnMissing

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "tak-dev-baseinfra-artifacts")
DIGEST = "sha256:" + "1" * 64


def found(name: str, digest: str = DIGEST) -> ImageResult:
    spec = ImageSpec(name, ImageRef(REPO, tag=f"{name.lower()}-v1"))
    return ImageResult(
        spec, ImageStatus.FOUND, spec.ref.pinned_uri(digest), Source.PREBUILT, digest
    )


def missing(name: str, *, fallback: str | None = None) -> ImageResult:
    spec = ImageSpec(name, ImageRef(REPO, tag=f"{name.lower()}-v1"), fallback=fallback)
    if fallback:
        return ImageResult(spec, ImageStatus.TAG_NOT_FOUND, fallback, Source.FALLBACK)
    return ImageResult(spec, ImageStatus.TAG_NOT_FOUND, "", Source.NONE)


def test_revision_changes_exactly_when_a_uri_does() -> None:
    base = Resolution((found("Api"), found("Events")), OnMissing.FAIL)
    same = Resolution(
        (found("Events"), found("Api")), OnMissing.REPORT
    )  # order and policy don't matter
    moved = Resolution((found("Api", "sha256:" + "2" * 64), found("Events")), OnMissing.FAIL)
    assert base.revision == same.revision
    assert base.revision != moved.revision
    assert len(base.revision) == 12


def test_fail_policy_lists_every_missing_image_and_the_way_out() -> None:
    resolution = Resolution((found("Api"), missing("Pmtiles"), missing("Data")), OnMissing.FAIL)
    with pytest.raises(MissingImagesError) as caught:
        enforce(resolution)
    message = str(caught.value)
    assert message.startswith(
        "2 images are missing from ECR: Pmtiles (tak-dev-baseinfra-artifacts:pmtiles-v1"
    )
    assert "Data (tak-dev-baseinfra-artifacts:data-v1" in message
    assert "UsePreBuiltImages: false" in message
    assert "Api" not in message


def test_fallback_policy_fails_only_for_images_without_one() -> None:
    enforce(
        Resolution((found("Api"), missing("Pmtiles", fallback="local/p:1")), OnMissing.FALLBACK)
    )
    with pytest.raises(
        MissingImagesError,
        match=r"^1 image is missing from ECR: Data .*Give these images a Fallback",
    ):
        enforce(
            Resolution(
                (missing("Pmtiles", fallback="local/p:1"), missing("Data")), OnMissing.FALLBACK
            )
        )


def test_report_policy_never_fails() -> None:
    enforce(Resolution((missing("Pmtiles"), missing("Data")), OnMissing.REPORT))


def test_data_has_selected_attributes_and_summary() -> None:
    resolution = Resolution(
        (found("Api"), missing("Pmtiles", fallback="local/p:1")), OnMissing.FALLBACK
    )
    data = build_data(
        resolution, (Attribute.URI, Attribute.SOURCE, Attribute.TAG_URI, Attribute.BUILD_REQUIRED)
    )
    assert data == {
        "Api.Uri": f"{REPO.uri}@{DIGEST}",
        "Api.Source": "prebuilt",
        "Api.TagUri": f"{REPO.uri}:api-v1",
        "Api.BuildRequired": "false",
        "Pmtiles.Uri": "local/p:1",
        "Pmtiles.Source": "fallback",
        "Pmtiles.TagUri": f"{REPO.uri}:pmtiles-v1",
        "Pmtiles.BuildRequired": "true",
        "BuildRequired": "true",
        "MissingImages": "Pmtiles",
        "Revision": resolution.revision,
        "Version": "",
    }
