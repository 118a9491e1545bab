"""The model's derived values: revision, build-required, missing."""

from __future__ import annotations

from resolver.model import (
    OnMissing,
    Resolution,
)

from ..builders import found


def test_revision_changes_exactly_when_a_uri_does() -> None:
    base = Resolution((found("Api"), found("Events")), OnMissing.FAIL)
    same = Resolution(
        (found("Events"), found("Api")), OnMissing.REPORT
    )  # order and policy don't matter
    moved = Resolution((found("Api", "sha256:" + "2" * 64), found("Events")), OnMissing.FAIL)
    assert base.revision == same.revision
    assert base.revision != moved.revision
    assert len(base.revision) == 12
