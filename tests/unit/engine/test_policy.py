"""OnMissing / OnVulnerable on typed results: what fails a deployment, and how it is worded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from resolver.engine.policy import enforce
from resolver.errors import (
    LockMismatchError,
    MissingImagesError,
    NotReplicatedError,
    RetentionRiskError,
    UnsignedImagesError,
)
from resolver.model import (
    ImageGates,
    ImageResult,
    ImageStatus,
    OnMissing,
    OnRetentionRisk,
    OnUnsigned,
    OnVulnerable,
    ReferrerSignature,
    Resolution,
    Retention,
    RetentionKind,
    SignatureRequirement,
    Source,
    Verdict,
    VerdictState,
)

from ...builders import found, missing


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


def _with(
    image: ImageResult, kind: RetentionKind, reason: str = "", *, gate: OnRetentionRisk
) -> ImageResult:
    spec = replace(image.spec, on_retention_risk=gate)
    return replace(image, spec=spec, retention=Retention(kind, reason))


EXPIRING = "rule 2 expires untagged images 14 days after push (pushed 2026-11-01)"


@pytest.mark.parametrize(
    ("kind", "blocked"),
    [
        (RetentionKind.EXPIRING, True),
        (RetentionKind.ARCHIVED, True),
        (RetentionKind.LIMITED, False),
        (RetentionKind.SAFE, False),
        (RetentionKind.UNKNOWN, False),  # not known to be at risk: reported, never blocking
    ],
)
def test_the_retention_gate_blocks_what_is_known_to_be_at_risk(
    kind: RetentionKind, blocked: bool
) -> None:
    image = _with(found("Api"), kind, EXPIRING, gate=OnRetentionRisk.FAIL)
    resolution = Resolution((image, found("Web")), OnMissing.FAIL)
    if not blocked:
        enforce(resolution)
        return
    with pytest.raises(RetentionRiskError) as caught:
        enforce(resolution)
    assert str(caught.value).startswith(
        "1 image(s) would not outlive the repository's lifecycle policy: Api "
        "(tak-dev-baseinfra-artifacts:api-v1 in 123456789012/ap-southeast-2): "
        f"{kind.value}: {EXPIRING}."
    )
    assert "Web" not in str(caught.value)


def test_the_retention_gate_is_per_image_and_report_never_blocks() -> None:
    reported = _with(found("Api"), RetentionKind.EXPIRING, EXPIRING, gate=OnRetentionRisk.REPORT)
    enforce(Resolution((reported,), OnMissing.FAIL))


def test_an_archived_image_names_how_to_restore_it_and_a_fallback_is_not_blocked() -> None:
    archived = replace(
        missing("Api", detail="archived: restore it with update-image-storage-class"),
        status=ImageStatus.ARCHIVED,
    )
    gated = _with(archived, RetentionKind.ARCHIVED, gate=OnRetentionRisk.FAIL)
    with pytest.raises(RetentionRiskError, match=r"Api .*: archived: restore it with"):
        enforce(Resolution((gated,), OnMissing.REPORT))
    # OnMissing: Fallback deployed the Fallback instead: that is not the archived image.
    fallback = replace(gated, uri="local/api:1", source=Source.FALLBACK)
    enforce(Resolution((fallback,), OnMissing.FALLBACK))


def test_each_gate_is_judged_on_its_own_verdict_not_the_one_status() -> None:
    """A Vulnerable image reported under OnVulnerable: Report is still refused when unsigned."""
    requirement = SignatureRequirement(referrers=(ReferrerSignature.NOTATION,))
    image = found("Api")
    image = replace(
        image,
        spec=replace(image.spec, gates=ImageGates(signature=requirement)),
        status=ImageStatus.VULNERABLE,
        signature=Verdict(VerdictState.BLOCKED, "Unsigned", "no Notation signature"),
    )
    resolution = Resolution((image,), OnMissing.FAIL, on_vulnerable=OnVulnerable.REPORT)
    with pytest.raises(UnsignedImagesError, match=r"Api .*: no Notation signature"):
        enforce(resolution)
    reported = replace(
        image,
        spec=replace(
            image.spec, gates=ImageGates(signature=requirement, on_unsigned=OnUnsigned.REPORT)
        ),
    )
    enforce(replace(resolution, images=(reported,)))


@pytest.mark.parametrize(
    ("verdict", "error"),
    [
        ("lock", LockMismatchError),
        ("replication", NotReplicatedError),
    ],
)
def test_the_lock_and_replication_refuse_under_fail(verdict: str, error: type[Exception]) -> None:
    gates = ImageGates(expected_digest="sha256:" + "9" * 64) if verdict == "lock" else ImageGates()
    image = found("Api")
    refusal = Verdict(VerdictState.BLOCKED, "x", "the reason")
    image = replace(image, spec=replace(image.spec, gates=gates))
    image = (
        replace(image, lock=refusal) if verdict == "lock" else replace(image, replication=refusal)
    )
    with pytest.raises(error, match="the reason"):
        enforce(Resolution((image,), OnMissing.FAIL))
