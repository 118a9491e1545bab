"""A ``Resolution`` for people and for CI: a table, a JSON document, GitHub step outputs and a
Markdown step summary, ``sam deploy`` parameter overrides or ``cdk deploy`` context arguments.
Functions of the model's typed results alone (GitHub outputs add a random delimiter)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import Any

from ..model import (
    ImageResult,
    ImageStatus,
    Resolution,
    RollbackState,
    RollbackTarget,
    Source,
    Verdict,
)
from ..values import frozen
from .options import ContextKeys, OverrideNames

SCHEMA_VERSION = 1

_GREEN, _YELLOW, _RED, _BOLD = "32", "33", "31", "1"


@frozen
class ResponseForecast:
    """The custom resource's response to this deployment's Create, as the function sizes it
    (``cloudformation.budget``): its bytes and rollback record; None when it would not fit (the
    plan then fails with the Create's own reason) or is not sized (pre-built images off without
    Fallbacks)."""

    bytes: int | None
    rollback_record: str | None
    assumed_stack_name: bool  # the stack's name was not given: the longest was assumed

    def summary(self) -> str:
        if self.bytes is None:
            return ""
        assumed = " (for a 128-character stack name: pass --stack-name)" * self.assumed_stack_name
        return (
            f"Response {self.bytes} of 4096 bytes{assumed}; rollback record {self.rollback_record}."
        )


def _selector(image: ImageResult) -> str:
    ref = image.image_ref
    return ref.tag if ref.tag else (ref.digest or "")


def as_json(
    resolution: Resolution,
    *,
    rollback_target: RollbackTarget | None = None,
    forecast: ResponseForecast | None = None,
) -> str:
    """The documented, stable schema (README: "Planner JSON")."""
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "buildRequired": resolution.build_required,
        "missingImages": [image.name for image in resolution.missing],
        "revision": resolution.revision,
        "version": resolution.version,
        "ecrCalls": resolution.ecr_calls,
        "rollbackTarget": rollback_target.summary() if rollback_target else None,
        "responseBytes": forecast.bytes if forecast else None,
        "rollbackRecord": forecast.rollback_record if forecast else None,
        "lock": as_lock(resolution),
        "images": [
            {
                "name": image.name,
                "repository": image.image_ref.repository.name,
                "registryId": image.image_ref.repository.registry.account_id,
                "region": image.image_ref.repository.registry.region,
                "tag": image.image_ref.tag,
                "digest": image.digest or image.spec.ref.digest,
                "status": image.status.value,
                "buildRequired": image.build_required,
                "uri": image.uri or None,
                "tagUri": image.tag_uri or None,
                "detail": image.detail or None,
                "platforms": list(image.platforms),
                "findings": image.scan.summary() if image.scan else None,
                "retention": image.retention.value if image.retention else None,
                "role": image.spec.role.arn if image.spec.role else None,
                "signature": _value(image.signature),
                "tagMutability": _value(image.tag_mutability),
            }
            for image in resolution.images
        ],
    }
    return json.dumps(document, indent=2)


def as_github_outputs(
    resolution: Resolution, *, rollback_target: RollbackTarget | None = None
) -> str:
    """Step outputs for ``>> "$GITHUB_OUTPUT"``, each in GitHub's delimited form (``name<<D``,
    the value, ``D``), so no value — a line break in a Version — can set another output."""
    outputs = {
        "build-required": _bool(resolution.build_required),
        "use-prebuilt-images": _bool(not resolution.build_required),
        "missing-images": ",".join(image.name for image in resolution.missing),
        "revision": resolution.revision,
        "version": resolution.version or "",
        "lock": as_lock(resolution),
    }
    if rollback_target is not None:
        outputs["rollback-target"] = rollback_target.summary()
    delimiter = _delimiter(outputs.values())
    return "\n".join(
        f"{name}<<{delimiter}\n{value}\n{delimiter}" for name, value in outputs.items()
    )


def _delimiter(values: Iterable[str]) -> str:
    """A delimiter no value holds: random (as GitHub's own toolkit makes them), and drawn again
    in the unlikely case it occurs in a value."""
    texts = list(values)
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if not any(delimiter in text for text in texts):
            return delimiter


def as_lock(resolution: Resolution) -> str:
    """The digests the plan pinned, ``Api=sha256:…,Events=sha256:…``: one line, no space and no
    quote, so it passes whole as a CloudFormation String parameter (the resource's
    ``ExpectedDigests``), a GitHub output and a ``sam deploy --parameter-overrides`` value. Only
    images pinned from ECR: a missing image has nothing to lock."""
    return ",".join(
        f"{image.name}={image.digest}"
        for image in resolution.images
        if image.source is Source.PREBUILT and image.digest
    )


def _value(verdict: Verdict | None) -> str | None:
    return verdict.value if verdict else None


def as_sam_overrides(resolution: Resolution, names: OverrideNames) -> str:
    """``Name=value`` pairs for ``sam deploy --parameter-overrides``."""
    return (
        f"{names.use_prebuilt}={_bool(not resolution.build_required)} "
        f"{names.revision}={resolution.revision}"
    )


def as_cdk_context(resolution: Resolution, keys: ContextKeys) -> list[str]:
    """``--context key=value`` arguments for ``cdk deploy`` (or ``npm run deploy --``).

    Without a version (no ``Version`` property) the version's context is left out rather than
    set to an empty string, which a stack would take for a real tag. The missing images' names
    are always there, ``""`` when none is: a stack tells "nothing to build" from "no plan".
    """
    pairs = [(keys.use_prebuilt, _bool(not resolution.build_required))]
    if resolution.version:
        pairs.append((keys.version, keys.version_format.replace("{version}", resolution.version)))
    if keys.revision:
        pairs.append((keys.revision, resolution.revision))
    pairs.append((keys.missing, ",".join(image.name for image in resolution.missing)))
    return [part for key, value in pairs for part in ("--context", f"{key}={value}")]


def as_markdown(resolution: Resolution) -> str:
    """A Markdown report, e.g. for ``$GITHUB_STEP_SUMMARY``: the decision, then one row an image."""
    found = len(resolution.images) - len(resolution.missing)
    if resolution.build_required:
        missing = ", ".join(f"`{image.name}`" for image in resolution.missing)
        decision = f"**Build needed**: {missing}. Pre-built images: `false`."
    else:
        decision = "**No build needed**: every image is in ECR. Pre-built images: `true`."
    lines = [
        "### Image plan",
        "",
        f"{decision} {found} of {len(resolution.images)} images found; revision "
        f"`{resolution.revision}`"
        + (f"; version `{resolution.version}`." if resolution.version else "."),
        "",
        "| Image | Repository | Tag / digest | Status | Digest | Build |",
        "|---|---|---|---|---|---|",
    ]
    for image in resolution.images:
        cells = (
            image.name,
            image.image_ref.repository.name,
            _selector(image),
            image.status.value + (f" ({image.detail})" if image.detail else ""),
            _short(image.digest or "", width=19),
            "**yes**" if image.build_required else "no",
        )
        lines.append("| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|") if text else " "


def as_table(
    resolution: Resolution,
    *,
    colour: bool,
    rollback_target: RollbackTarget | None = None,
    forecast: ResponseForecast | None = None,
) -> str:
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour else text

    # RETENTION only when lifecycle policies were read (its reasons go under the table),
    # SIGNATURE only when signatures were, and ROLE only when an image was read through one
    # (blank: the caller's own credentials).
    judged = any(image.retention for image in resolution.images)
    signed = any(image.signature for image in resolution.images)
    roled = any(image.spec.role for image in resolution.images)
    header: tuple[str, ...] = ("IMAGE", "REPOSITORY", "TAG / DIGEST", "STATUS", "DIGEST", "BUILD")
    header += ("RETENTION",) if judged else ()
    header += ("SIGNATURE",) if signed else ()
    header += ("ROLE",) if roled else ()
    rows = [
        (
            image.name,
            image.image_ref.repository.name,
            _short(_selector(image)),
            image.status.value,
            _short(image.digest or "", width=19),
            "yes" if image.build_required else "no",
        )
        + ((image.retention.kind.value if image.retention else "",) if judged else ())
        + ((_short(_value(image.signature) or ""),) if signed else ())
        + ((image.spec.role.arn if image.spec.role else "",) if roled else ())
        for image in resolution.images
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...], codes: tuple[str, ...] = ()) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        painted = [
            paint(cell, codes[i]) if i < len(codes) and codes[i] else cell
            for i, cell in enumerate(padded)
        ]
        return "  ".join(painted).rstrip()

    out = [line(header, (_BOLD,) * len(header))]
    for image, row in zip(resolution.images, rows, strict=True):
        status_colour = _STATUS_COLOURS.get(image.status, _YELLOW)
        build_colour = _YELLOW if image.build_required else ""
        retention_colour = _RED if image.retention and image.retention.at_risk else ""
        signature_colour = _signature_colour(image.signature)
        codes: tuple[str, ...] = ("", "", "", status_colour, "", build_colour)
        codes += (retention_colour,) if judged else ()
        out.append(line(row, (*codes, signature_colour) if signed else codes))
    summary = (
        f"{len(resolution.images) - len(resolution.missing)} of {len(resolution.images)} images "
        f"found; revision {resolution.revision}"
    )
    if resolution.version:
        summary += f"; version {resolution.version}"
    out += [f"  {image.name}: {image.detail}" for image in resolution.images if image.detail]
    out += [
        f"  {image.name}: {image.retention.value}"
        for image in resolution.images
        if image.retention and image.retention.reason
    ]
    if resolution.build_required:
        missing = ", ".join(image.name for image in resolution.missing)
        out.append(paint(f"{summary}. Build needed: {missing}.", _YELLOW))
    else:
        out.append(paint(f"{summary}. No build needed.", _GREEN))
    if rollback_target is not None:
        ready = rollback_target.state is RollbackState.READY
        target = f"Rollback target (the images deployed now): {rollback_target.summary()}"
        out.append(paint(target, _GREEN if ready else _YELLOW))
    if forecast is not None and forecast.summary():
        full = forecast.rollback_record == "Full"
        out.append(paint(forecast.summary(), _GREEN if full else _YELLOW))
    return "\n".join(out)


_STATUS_COLOURS = {
    ImageStatus.FOUND: _GREEN,
    ImageStatus.VULNERABLE: _RED,
    ImageStatus.UNSIGNED: _RED,
    ImageStatus.LOCK_MISMATCH: _RED,
    ImageStatus.NOT_REPLICATED: _RED,
}


def _signature_colour(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    return _GREEN if verdict.passed else _YELLOW


def _short(text: str, *, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _bool(value: bool) -> str:  # noqa: FBT001 - a formatter, not a flag
    return "true" if value else "false"
