"""The planner's outputs, from typed results: table, JSON schema, GitHub outputs, overrides."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace

import pytest

from resolver.model import (
    OnMissing,
    Resolution,
    Retention,
    RetentionKind,
    Verdict,
    VerdictState,
)
from resolver.planner.options import ContextKeys, OverrideNames
from resolver.planner.report import (
    SCHEMA_VERSION,
    as_cdk_context,
    as_github_outputs,
    as_json,
    as_lock,
    as_markdown,
    as_sam_overrides,
    as_table,
)

from ...builders import DIGEST, REPO, found, missing
from ...github import read_outputs

RESOLUTION = Resolution(
    (
        found("Api", version="3f9a1c2e"),
        missing("Pmtiles", version="3f9a1c2e", detail="tag not found"),
    ),
    OnMissing.REPORT,
    ecr_calls=1,
)


def test_json_follows_the_documented_schema() -> None:
    document = json.loads(as_json(RESOLUTION))
    assert document["schemaVersion"] == SCHEMA_VERSION == 1
    assert (document["buildRequired"], document["missingImages"]) == (True, ["Pmtiles"])
    assert document["revision"] == RESOLUTION.revision
    api, pmtiles = document["images"]
    assert api["uri"] == f"{REPO.uri}@{DIGEST}"
    assert api["tagUri"] == f"{REPO.uri}:api-3f9a1c2e"
    assert (pmtiles["digest"], pmtiles["uri"], pmtiles["detail"]) == (None, None, "tag not found")


def test_github_outputs_and_sam_overrides() -> None:
    assert read_outputs(as_github_outputs(RESOLUTION)) == {
        "build-required": "true",
        "use-prebuilt-images": "false",
        "missing-images": "Pmtiles",
        "revision": RESOLUTION.revision,
        "version": "",
        "lock": f"Api={DIGEST}",  # the images pinned from ECR only
    }
    names = OverrideNames(use_prebuilt="PreBuilt", revision="Rev")
    assert as_sam_overrides(RESOLUTION, names) == f"PreBuilt=false Rev={RESOLUTION.revision}"


def test_no_value_can_add_a_github_output() -> None:
    # A version with a line break once wrote use-prebuilt-images=true after the real line.
    forged = "3f9a1c2e\nuse-prebuilt-images=true\nbuild-required=false"
    outputs = read_outputs(as_github_outputs(replace(RESOLUTION, version=forged)))
    assert outputs["version"] == forged
    assert (outputs["build-required"], outputs["use-prebuilt-images"]) == ("true", "false")
    assert len(outputs) == 6  # the five answers and the lock, nothing forged


def test_the_delimiter_never_occurs_in_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(secrets, "token_hex", lambda _size: next(drawn))
    # The first delimiter drawn stands alone on a line of the value: it would end it early.
    forged = "x\nghadelimiter_" + "a" * 32 + "\nuse-prebuilt-images=true"
    written = as_github_outputs(replace(RESOLUTION, version=forged))
    assert "version<<ghadelimiter_" + "b" * 32 in written
    assert read_outputs(written)["version"] == forged


def test_the_table_says_what_to_build_and_colours_only_when_asked() -> None:
    plain = as_table(RESOLUTION, colour=False)
    assert "\033[" not in plain
    assert plain.splitlines()[-1] == (
        f"1 of 2 images found; revision {RESOLUTION.revision}. Build needed: Pmtiles."
    )
    assert "  Pmtiles: tag not found" in plain
    assert "\033[" in as_table(RESOLUTION, colour=True)


def test_cdk_context_arguments() -> None:
    versioned = replace(RESOLUTION, version="3f9a1c2e")
    assert as_cdk_context(versioned, ContextKeys()) == [
        "--context", "usePreBuiltImages=false", "--context", "imageVersion=3f9a1c2e",
        "--context", "missingImages=Pmtiles",
    ]  # fmt: skip
    keys = ContextKeys(
        use_prebuilt="pre", version="tag", version_format="cloudtak-{version}", revision="rev"
    )
    assert as_cdk_context(versioned, keys)[1::2] == [
        "pre=false", "tag=cloudtak-3f9a1c2e", f"rev={RESOLUTION.revision}", "missingImages=Pmtiles",
    ]  # fmt: skip
    # No version: its context is left out, never set to an empty string.
    assert as_cdk_context(RESOLUTION, ContextKeys()) == [
        "--context", "usePreBuiltImages=false", "--context", "missingImages=Pmtiles",
    ]  # fmt: skip


def test_markdown_summary_escapes_cells_and_states_the_decision() -> None:
    text = as_markdown(RESOLUTION)
    assert text.startswith("### Image plan\n\n**Build needed**: `Pmtiles`.")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 3  # header + one per image
    assert rows[2].startswith("| Pmtiles | ") and "TagNotFound (tag not found)" in rows[2]
    assert "**yes**" in rows[2]
    piped = replace(RESOLUTION, images=(missing("Api", version="1", detail="a|b"),))
    assert "a\\|b" in as_markdown(piped)


def test_retention_is_a_column_with_its_reasons_under_the_table() -> None:
    limited = Retention(
        RetentionKind.LIMITED, "rule 1 keeps the 3 newest app-* images; this is #1 of 5"
    )
    expiring = Retention(
        RetentionKind.EXPIRING, "rule 2 expires untagged images 14 days after push"
    )
    resolution = Resolution(
        (
            replace(found("Api"), retention=limited),
            replace(found("Web"), retention=expiring),
            replace(found("Etl"), retention=Retention(RetentionKind.SAFE)),
            missing("Pmtiles"),
        ),
        OnMissing.REPORT,
    )
    table = as_table(resolution, colour=False).splitlines()
    assert table[0].split() == [
        "IMAGE",
        "REPOSITORY",
        "TAG",
        "/",
        "DIGEST",
        "STATUS",
        "DIGEST",
        "BUILD",
        "RETENTION",
    ]
    assert table[1].split()[-1] == "Limited" and table[2].split()[-1] == "Expiring"
    assert table[3].split()[-1] == "Safe" and table[4].split()[-1] == "yes"  # Pmtiles: none
    assert "  Api: Limited: rule 1 keeps the 3 newest app-* images; this is #1 of 5" in table
    assert "  Web: Expiring: rule 2 expires untagged images 14 days after push" in table
    assert not any(line.startswith("  Etl:") for line in table)  # Safe needs no reason
    images = json.loads(as_json(resolution))["images"]
    assert [image["retention"] for image in images] == [
        limited.value,
        expiring.value,
        "Safe",
        None,
    ]
    # Without lifecycle policies read, the table keeps its usual columns.
    assert "RETENTION" not in as_table(RESOLUTION, colour=False)
    assert json.loads(as_json(RESOLUTION))["images"][0]["retention"] is None


def test_the_lock_is_one_word_of_the_pinned_digests() -> None:
    fallback = missing("Data", fallback="local/data:1")
    resolution = replace(RESOLUTION, images=(*RESOLUTION.images, found("Events"), fallback))
    assert as_lock(resolution) == f"Api={DIGEST},Events={DIGEST}"
    assert json.loads(as_json(resolution))["lock"] == as_lock(resolution)


def test_the_signature_column_only_when_signatures_were_read() -> None:
    assert "SIGNATURE" not in as_table(RESOLUTION, colour=False)
    signed = replace(found("Api"), signature=Verdict(VerdictState.PASSED, "Signed: ci_release"))
    table = as_table(replace(RESOLUTION, images=(signed,)), colour=False)
    header, row = table.splitlines()[:2]
    assert header.split()[-1] == "SIGNATURE" and row.endswith("Signed: ci_release")
    document = json.loads(as_json(replace(RESOLUTION, images=(signed,))))
    assert document["images"][0]["signature"] == "Signed: ci_release"
