"""A Resolution as CloudFormation Data."""

from __future__ import annotations

from dataclasses import replace

from resolver.cloudformation.attributes import SUMMARY, build_data, empty_data
from resolver.cloudformation.physical_id import RecordKind
from resolver.model import (
    Attribute,
    OnMissing,
    Resolution,
    Retention,
    RetentionKind,
)

from ...builders import DIGEST, REPO, found, missing


def test_data_has_selected_attributes_and_summary() -> None:
    resolution = Resolution(
        (found("Api"), missing("Pmtiles", fallback="local/p:1")), OnMissing.FALLBACK
    )
    data = build_data(
        resolution,
        (Attribute.URI, Attribute.SOURCE, Attribute.TAG_URI, Attribute.BUILD_REQUIRED),
        rollback_record=RecordKind.ABBREVIATED,
    )
    assert data == {
        "Api.Uri": f"{REPO.uri}@{DIGEST}",
        "Api.Source": "prebuilt",
        "Api.TagUri": f"{REPO.uri}:api-v1",
        "Api.BuildRequired": "false",
        "Pmtiles.Uri": "local/p:1",
        "Pmtiles.Source": "fallback",
        "Pmtiles.TagUri": f"{REPO.uri}:pmtiles-v1",
        "Pmtiles.BuildRequired": "true",
        "BuildRequired": "true",
        "MissingImages": "Pmtiles",
        "Revision": resolution.revision,
        "Version": "",
        "RollbackTarget": "Ready",
        "RollbackRecord": "Abbreviated",
    }
    assert set(data) - {k for k in data if "." in k} == set(SUMMARY)


def test_empty_data_has_every_key_a_stack_can_read() -> None:
    data = empty_data(["Api", "Web"], (Attribute.URI, Attribute.DIGEST))
    assert data == {
        "Api.Uri": "",
        "Api.Digest": "",
        "Web.Uri": "",
        "Web.Digest": "",
        **dict.fromkeys(SUMMARY, ""),
    }


def test_retention_is_the_verdicts_value_and_empty_when_not_judged() -> None:
    limited = Retention(
        RetentionKind.LIMITED, "rule 1 keeps the 3 newest app-* images; this is #1 of 5"
    )
    resolution = Resolution(
        (
            replace(found("Api"), retention=limited),
            replace(found("Web"), retention=Retention(RetentionKind.SAFE)),
            missing("Pmtiles"),
        ),
        OnMissing.REPORT,
    )
    data = build_data(resolution, (Attribute.RETENTION,), rollback_record=RecordKind.FULL)
    assert data["Api.Retention"] == (
        "Limited: rule 1 keeps the 3 newest app-* images; this is #1 of 5"
    )
    assert (data["Web.Retention"], data["Pmtiles.Retention"]) == ("Safe", "")
