"""OnMissing / OnVulnerable on typed results: what fails a deployment, and how it is worded."""

from __future__ import annotations

import pytest

from resolver.engine.policy import enforce
from resolver.errors import MissingImagesError
from resolver.model import (
    OnMissing,
    Resolution,
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
