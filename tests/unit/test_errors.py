"""Errors read as one line that names what, where and the fix."""

from __future__ import annotations

from resolver.errors import (
    ImageProblem,
    InvalidPropertyError,
    LookupFailedError,
    MissingImagesError,
    ResolverError,
    TemplateError,
    VulnerableImagesError,
)

PROBLEM = ImageProblem("Api", "app:api-1 in 123456789012/ap-southeast-2", "tag not found")


def test_invalid_property_names_property_value_problem_and_fix() -> None:
    error = InvalidPropertyError("OnMissing", "Skip", "is not an allowed value", "Use Fail.")
    assert str(error) == "OnMissing: 'Skip' is not an allowed value. Use Fail."
    assert InvalidPropertyError("Images.Api.Tag", None, "is required", "Set it.").value is None
    assert str(InvalidPropertyError("X", None, "is required", "Set it.")).startswith("X: (absent)")


def test_a_long_value_is_cut() -> None:
    message = str(InvalidPropertyError("Repository", "r" * 5000, "is too long", "Shorten it."))
    assert len(message) < 150
    assert "...'" in message


def test_image_errors_list_each_image_with_where_and_why() -> None:
    assert str(MissingImagesError([PROBLEM], "Push it.")) == (
        "1 image is missing from ECR: Api (app:api-1 in 123456789012/ap-southeast-2): "
        "tag not found. Push it."
    )
    assert str(MissingImagesError([PROBLEM, PROBLEM], "Push.")).startswith("2 images are missing")
    assert "were not reported as missing" in str(LookupFailedError([PROBLEM]))
    assert "blocked by the vulnerability gate" in str(VulnerableImagesError([PROBLEM]))


def test_the_gate_names_the_fix_for_what_blocked() -> None:
    vulnerable = str(VulnerableImagesError([PROBLEM]))
    assert "Rebuild the vulnerable images on patched bases" in vulnerable
    assert "scan" not in vulnerable.split(": tag not found.")[1]
    # A never-scanned image needs a scan, not a rebuild.
    unscanned = str(VulnerableImagesError([], unscanned=[PROBLEM]))
    assert "Rebuild" not in unscanned
    assert "start-image-scan" in unscanned and "RequireScan: false" in unscanned
    both = VulnerableImagesError([PROBLEM], unscanned=[PROBLEM])
    assert len(both.problems) == 2 and "Rebuild" in str(both) and "RequireScan" in str(both)


def test_template_errors_name_where_and_the_function() -> None:
    error = TemplateError(
        "Images.Properties.Tag", "no such parameter", intrinsic="Ref", fix="Add it."
    )
    assert str(error) == "Images.Properties.Tag: Ref: no such parameter. Add it."
    assert isinstance(error, ResolverError)
