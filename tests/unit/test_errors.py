"""Errors read as one line that names what, where and the fix."""

from __future__ import annotations

from resolver.errors import (
    MAX_LISTED_PROBLEMS,
    MAX_SHOWN_CHARS,
    ImageProblem,
    InvalidPropertyError,
    LookupFailedError,
    MissingImagesError,
    ResolverError,
    StackNotAllowedError,
    TemplateError,
    VulnerableImagesError,
    shown,
)

PROBLEM = ImageProblem("Api", "app:api-1 in 123456789012/ap-southeast-2", "tag not found")


def test_invalid_property_names_property_value_problem_and_fix() -> None:
    error = InvalidPropertyError("OnMissing", "Skip", "is not an allowed value", "Use Fail.")
    assert str(error) == "OnMissing: 'Skip' is not an allowed value. Use Fail."
    assert InvalidPropertyError("Images.Api.Tag", None, "is required", "Set it.").value is None
    assert str(InvalidPropertyError("X", None, "is required", "Set it.")).startswith("X: (absent)")


def test_a_long_value_is_cut_to_80_characters_with_an_ellipsis() -> None:
    message = str(InvalidPropertyError("Repository", "r" * 5000, "is too long", "Shorten it."))
    assert message == f"Repository: '{'r' * 76}... is too long. Shorten it."
    assert len(shown("r" * 5000)) == MAX_SHOWN_CHARS
    assert shown("r" * 10) == "'rrrrrrrrrr'"
    assert shown(None) == "(absent)"


def test_a_long_property_path_is_cut_too() -> None:
    # The path carries user-chosen keys: a 5,000-character misspelt property, say.
    message = str(InvalidPropertyError("K" * 5000, "v", "is not a known property", "Fix it."))
    assert len(message) < 200
    assert message.startswith("KKK") and "...: 'v' is not a known property" in message


def test_a_long_list_of_image_problems_names_the_first_few_and_counts_the_rest() -> None:
    problems = [
        ImageProblem(f"Image{i}", f"app:{'t' * 300} in 1/r", "tag not found") for i in range(40)
    ]
    message = str(MissingImagesError(problems, "Push them."))
    assert message.startswith("40 images are missing from ECR: Image0 (app:ttt")
    assert f"Image{MAX_LISTED_PROBLEMS - 1} (" in message
    assert f"Image{MAX_LISTED_PROBLEMS} (" not in message
    assert f"; and {40 - MAX_LISTED_PROBLEMS} more. Push them." in message
    assert len(message) < 1000


def test_a_stack_outside_the_allowed_prefixes_is_pointed_to_the_resolvers_owner() -> None:
    # Not the prefixes, nor renaming advice: a name is only a convention (README, "Trust boundary").
    message = str(StackNotAllowedError("other-app"))
    assert message == (
        "Stack 'other-app' may not use this image resolver: the resolver's AllowedStackPrefixes "
        "do not admit it. Ask the owner of the resolver's stack."
    )


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
