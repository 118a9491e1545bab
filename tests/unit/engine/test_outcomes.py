"""Outcomes before any policy: the one mapping of ECR's "absent" answers, and what a round says."""

from __future__ import annotations

import pytest

from resolver.engine.ecr.failures import FailureKind
from resolver.engine.outcomes import Absent, Found, Round, absent_status
from resolver.errors import ImageProblem
from resolver.model import ImageStatus
from resolver.references import ImageRef, Registry, Repository

REPO = Repository(Registry("123456789012", "ap-southeast-2"), "app")
DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("kind", "ref", "status"),
    [
        (FailureKind.IMAGE_NOT_FOUND, ImageRef(REPO, tag="api-1"), ImageStatus.TAG_NOT_FOUND),
        (FailureKind.IMAGE_NOT_FOUND, ImageRef(REPO, digest=DIGEST), ImageStatus.DIGEST_NOT_FOUND),
        (
            FailureKind.REPOSITORY_NOT_FOUND,
            ImageRef(REPO, tag="api-1"),
            ImageStatus.REPOSITORY_NOT_FOUND,
        ),
    ],
)
def test_what_absent_looks_like(kind: FailureKind, ref: ImageRef, status: ImageStatus) -> None:
    assert absent_status(kind, ref) is status


def test_a_round_names_its_missing_and_its_failed_images() -> None:
    problem = ImageProblem("Web", "app:web-1", "AccessDeniedException: no")
    ref = ImageRef(REPO, tag="api-1")
    found = Round(
        {
            "Api": Found(ref, DIGEST, DIGEST),
            "Gone": Absent(ImageStatus.TAG_NOT_FOUND, ref=ref),
            "Web": problem,
        },
        calls=1,
        version=None,
    )
    assert found.missing == {"Gone"}
    assert found.failed == (problem,)
