"""Which tags a repository lets move: ``imageTagMutability`` and its exclusion filters."""

from __future__ import annotations

import pytest

from resolver.engine.ecr.repositories import TagRules


@pytest.mark.parametrize(
    ("setting", "exclusions", "tag", "mutable"),
    [
        ("MUTABLE", (), "api-1", True),
        ("IMMUTABLE", (), "api-1", False),
        ("IMMUTABLE_WITH_EXCLUSION", ("latest*",), "latest", True),
        ("IMMUTABLE_WITH_EXCLUSION", ("latest*",), "api-1", False),
        ("MUTABLE_WITH_EXCLUSION", ("release-*",), "release-1", False),
        ("MUTABLE_WITH_EXCLUSION", ("release-*",), "dev-1", True),
        ("IMMUTABLE_WITH_EXCLUSION", ("*-dev", "nightly"), "api-dev", True),
        ("IMMUTABLE_WITH_EXCLUSION", ("*-dev",), "api-dev-2", False),  # the whole tag must match
    ],
)
def test_mutability_follows_the_setting_and_its_filters(
    setting: str, exclusions: tuple[str, ...], tag: str, mutable: bool
) -> None:
    assert TagRules(setting, exclusions).mutable(tag) is mutable
