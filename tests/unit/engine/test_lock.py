"""The lock check: the digest the plan saw against the one ECR answers now; no ECR call."""

from __future__ import annotations

from dataclasses import replace

from resolver.engine import lock
from resolver.engine.ecr.clients import EcrClients
from resolver.engine.fanout import NO_DEADLINE
from resolver.engine.gates import Reading
from resolver.model import ImageGates, ImageResult, ImageStatus, ResolveRequest, VerdictState

from ...builders import DIGEST, found, missing

MOVED = "sha256:" + "9" * 64


def locked(image: ImageResult, digest: str) -> ImageResult:
    return replace(image, spec=replace(image.spec, gates=ImageGates(expected_digest=digest)))


def checked(*images: ImageResult) -> tuple[ImageResult, ...]:
    request = ResolveRequest(tuple(image.spec for image in images))
    read, calls = lock.read(
        request, images, reading=Reading(EcrClients(client=object()), NO_DEADLINE)
    )
    assert calls == 0
    return lock.judge(request, read)


def test_the_planned_digest_passes_and_another_is_a_mismatch_naming_both() -> None:
    same, moved, free = checked(
        locked(found("Api"), DIGEST), locked(found("Events"), MOVED), found("Data")
    )
    assert same.lock is not None and same.lock.state is VerdictState.PASSED
    assert same.status is ImageStatus.FOUND
    assert moved.status is ImageStatus.LOCK_MISMATCH
    assert moved.detail == (
        f"the plan saw {MOVED[:19]}, ECR now answers {DIGEST[:19]}: the tag moved between plan "
        "and deploy"
    )
    assert free.lock is None


def test_an_image_not_deployed_from_ecr_is_skipped() -> None:
    (image,) = checked(locked(missing("Api", fallback="local/api:1"), DIGEST))
    assert image.lock is not None and image.lock.value == "Skipped"
    assert image.status is ImageStatus.TAG_NOT_FOUND
