"""``ExpectedDigests``: deploy what the plan saw — the lock check.

``resolver plan --emit lock`` writes the digest it pinned for each image; the deploy passes them
back. An image ECR now answers with another digest (its tag moved between plan and deploy) is
``LockMismatch``: the deployment fails with both digests, or, under ``OnLockMismatch: Report``,
deploys what ECR answers now and says so. No ECR call: the lookup already answered.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import (
    SKIPPED_VERDICT,
    ImageResult,
    ImageStatus,
    ResolveRequest,
    Verdict,
    VerdictState,
)
from .gates import Images, Reading, blocked, pinned, refused


def read(request: ResolveRequest, images: Images, *, reading: Reading) -> tuple[Images, int]:
    """``images`` with ``lock`` set where ``ExpectedDigests`` names them; no ECR call."""
    return tuple(_compared(image) for image in images), 0


def judge(request: ResolveRequest, images: Images) -> Images:
    """Images whose digest is not the planned one blocked (``LockMismatch``)."""
    return tuple(_judged(image) for image in images)


def _judged(image: ImageResult) -> ImageResult:
    if image.lock is None or not refused(image.lock):
        return image
    return blocked(image, ImageStatus.LOCK_MISMATCH, image.lock.detail)


def _compared(image: ImageResult) -> ImageResult:
    expected = image.spec.gates.expected_digest
    if expected is None:
        return image
    if not pinned(image):
        return replace(image, lock=SKIPPED_VERDICT)
    if image.digest == expected:
        return replace(image, lock=Verdict(VerdictState.PASSED, "AsPlanned"))
    detail = (
        f"the plan saw {_short(expected)}, ECR now answers {_short(image.digest or '')}: "
        "the tag moved between plan and deploy"
    )
    return replace(image, lock=Verdict(VerdictState.BLOCKED, "Moved", detail))


def _short(digest: str) -> str:
    """``sha256:5fb3306aa9c4``: enough to tell two digests apart in a reason."""
    return digest[: len("sha256:") + 12]
