"""Pairing ECR's answer with the request: by identity, never by position."""

from __future__ import annotations

from resolver.engine.ecr.batch_get_image import Answer, FetchedImage, match_response
from resolver.engine.ecr.failures import EcrFailure, FailureKind
from resolver.references import ImageRef, Registry, Repository

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
D1, D2, D3 = ("sha256:" + c * 64 for c in "123")


FOUND = "found"


def kind(answer: Answer) -> FailureKind | str:
    return FOUND if isinstance(answer, FetchedImage) else answer.kind


def image(tag: str | None, digest: str) -> dict[str, object]:
    image_id = {"imageDigest": digest} | ({"imageTag": tag} if tag else {})
    return {"imageId": image_id, "imageManifest": "{}", "imageManifestMediaType": "m"}


def test_images_are_matched_by_tag_or_digest_in_any_order() -> None:
    refs = [ImageRef(REPO, tag="a"), ImageRef(REPO, tag="b"), ImageRef(REPO, digest=D3)]
    answer = {"images": [image(None, D3), image("b", D2), image("a", D1)], "failures": []}
    result = match_response(refs, answer)
    assert {ref.tag or ref.digest: getattr(a, "digest", None) for ref, a in result.items()} == {
        "a": D1,
        "b": D2,
        D3: D3,
    }
    assert {kind(answer) for answer in result.values()} == {FOUND}


def test_failures_are_classified_per_image() -> None:
    refs = [ImageRef(REPO, tag="gone"), ImageRef(REPO, tag="locked"), ImageRef(REPO, tag="ok")]
    answer = {
        "images": [image("ok", D1)],
        "failures": [
            {
                "imageId": {"imageTag": "locked"},
                "failureCode": "KmsError",
                "failureReason": "key disabled",
            },
            {
                "imageId": {"imageTag": "gone"},
                "failureCode": "ImageNotFound",
                "failureReason": "not found",
            },
        ],
    }
    result = match_response(refs, answer)
    assert kind(result[refs[0]]) is FailureKind.IMAGE_NOT_FOUND
    assert result[refs[1]] == EcrFailure("KmsError", "key disabled")
    assert kind(result[refs[1]]) is FailureKind.ERROR
    assert kind(result[refs[2]]) == FOUND


def test_unnamed_not_found_failures_are_attributed_only_when_the_sets_agree() -> None:
    # moto answers a missing digest with imageId {"imageTag": "null"}.
    refs = [ImageRef(REPO, digest=D1), ImageRef(REPO, tag="a")]
    unnamed = {
        "imageId": {"imageTag": "null"},
        "failureCode": "ImageNotFound",
        "failureReason": "x",
    }
    result = match_response(refs, {"images": [image("a", D2)], "failures": [unnamed]})
    assert kind(result[refs[0]]) is FailureKind.IMAGE_NOT_FOUND

    # One unnamed failure, two unanswered ids: no guessing, both are lookup failures.
    two = [ImageRef(REPO, digest=D1), ImageRef(REPO, digest=D2)]
    result = match_response(two, {"images": [], "failures": [unnamed]})
    assert {kind(answer) for answer in result.values()} == {FailureKind.ERROR}

    # An unnamed failure of another kind never becomes "missing".
    denied = dict(unnamed, failureCode="UpstreamAccessDenied")
    result = match_response(refs[:1], {"images": [], "failures": [denied]})
    assert kind(result[refs[0]]) is FailureKind.ERROR


def test_silence_about_an_image_is_a_failure_not_a_missing_image() -> None:
    refs = [ImageRef(REPO, tag="a")]
    answer = match_response(refs, {"images": [], "failures": []})[refs[0]]
    assert answer == EcrFailure("NoResult", "ECR's answer did not mention this image")
