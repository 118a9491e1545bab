"""Raw resource properties in, a validated ``ResolveRequest`` out — before any AWS call.

CloudFormation delivers every scalar as a string (``true`` → ``"true"``) and templates pass ``''``
from parameter defaults, so: empty strings count as absent, booleans are parsed strictly, and an
unknown property is an error that names the closest valid one. The rules live in the tables
below; everything else in the package trusts what this module returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import InvalidPropertyError
from .model import (
    DEFAULT_ATTRIBUTES,
    VERSION_FIELD,
    Attribute,
    ImageSpec,
    OnMissing,
    OnRetentionRisk,
    OnRollbackTargetMissing,
    OnVulnerable,
    ResolveRequest,
    Severity,
    TagMatch,
)
from .platforms import Platform
from .references import (
    DIGEST_PATTERN,
    TAG_PATTERN,
    ImageRef,
    InvalidReferenceError,
    Registry,
    Repository,
    parse_repository,
)

MAX_WAIT_SECONDS = 900  # Lambda's own ceiling


# --- value parsers: (property path, raw value) -> typed value ------------------------------------

Parser = Callable[[str, Any], Any]


def _text(path: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidPropertyError(path, raw, "is not a string", "Give a plain string value.")
    text = str(raw).strip()
    return text or None  # '' from a parameter default means "not set"


def _strict_bool(path: str, raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = _text(path, raw)
    if text is None:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise InvalidPropertyError(path, raw, "is not a boolean", 'Use "true" or "false".')


def _enum(kind: type[Enum]) -> Parser:
    def parse(path: str, raw: Any) -> Enum | None:
        text = _text(path, raw)
        if text is None:
            return None
        for member in kind:
            if member.value.lower() == text.lower():
                return member
        allowed = " | ".join(m.value for m in kind)
        raise InvalidPropertyError(path, raw, "is not an allowed value", f"Use one of {allowed}.")

    return parse


# An image reference as ECS, Batch and Lambda accept it: [registry/]name[:tag][@digest].
_IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,1023}")


def _image_reference(path: str, raw: Any) -> str | None:
    text = _text(path, raw)
    if text is not None and not _IMAGE_REFERENCE.fullmatch(text):
        raise InvalidPropertyError(
            path,
            raw,
            "is not an image reference",
            "Give an image URI, e.g. 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:local.",
        )
    return text


def _seconds(path: str, raw: Any) -> int | None:
    text = _text(path, raw)
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]{1,3}", text) or int(text) > MAX_WAIT_SECONDS:
        raise InvalidPropertyError(
            path,
            raw,
            "is not a number of seconds",
            f"Use a whole number from 0 to {MAX_WAIT_SECONDS}.",
        )
    return int(text)


def _platform(path: str, raw: Any) -> Platform | None:
    text = _text(path, raw)
    if text is None:
        return None
    try:
        return Platform.parse(text)
    except ValueError as exc:
        raise InvalidPropertyError(
            path, raw, "is not a platform", "Use os/arch[/variant], e.g. linux/arm64."
        ) from exc


def _attributes(path: str, raw: Any) -> tuple[Attribute, ...] | None:
    if raw is None or raw in ("", []):
        return None
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InvalidPropertyError(
            path,
            raw,
            "is not a list",
            "Give a list such as [Uri, Digest] or a comma-separated string.",
        )
    chosen: list[Attribute] = []
    for item in items:
        name = _text(path, item)
        if name is None:
            continue
        member = next((a for a in Attribute if a.value.lower() == name.lower()), None)
        if member is None:
            raise InvalidPropertyError(
                path, item, "is not an attribute", _closest_hint(name, [a.value for a in Attribute])
            )
        if member not in chosen:
            chosen.append(member)
    return tuple(chosen) or None


# --- the property tables ----------------------------------------------------------------------

# CloudFormation's own keys arrive in ResourceProperties too; they are accepted and ignored.
_CFN_KEYS = frozenset({"ServiceToken", "ServiceTimeout"})

TOP_LEVEL: Mapping[str, Parser] = {
    "UsePreBuiltImages": _strict_bool,
    "OnMissing": _enum(OnMissing),
    "Repository": _text,
    "Version": _text,
    "Revision": _text,  # free text: changing it only makes CloudFormation call us again
    "Attributes": _attributes,
    "WaitSeconds": _seconds,
    "FailOnSeverity": _enum(Severity),
    "OnVulnerable": _enum(OnVulnerable),
    "RequireScan": _strict_bool,
    "ScanWaitSeconds": _seconds,
    "OnRollbackTargetMissing": _enum(OnRollbackTargetMissing),
    "OnRetentionRisk": _enum(OnRetentionRisk),
    "Images": lambda _path, raw: raw,  # validated image by image below
}

PER_IMAGE: Mapping[str, Parser] = {
    "Repository": _text,
    "Tag": _text,
    "Digest": _text,
    "Fallback": _image_reference,
    "Platform": _platform,
    "Lambda": _strict_bool,
    "FailOnSeverity": _enum(Severity),
    "OnRetentionRisk": _enum(OnRetentionRisk),
}

_IMAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _closest_hint(name: str, valid: list[str]) -> str:
    import difflib  # noqa: PLC0415 - only for an error message: not on every cold start

    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    close = close or [v for v in valid if v.lower() == name.lower()]
    did_you_mean = f"Did you mean {close[0]}? " if close else ""
    return f"{did_you_mean}Valid: {', '.join(valid)}."


def _parse_table(
    prefix: str, raw: Mapping[str, Any], table: Mapping[str, Parser], ignored: frozenset[str]
) -> dict[str, Any]:
    for key in raw:
        if key not in table and key not in ignored:
            raise InvalidPropertyError(
                f"{prefix}{key}",
                raw[key],
                "is not a known property",
                _closest_hint(str(key), list(table)),
            )
    return {key: parser(f"{prefix}{key}", raw.get(key)) for key, parser in table.items()}


def parse_request(
    properties: Mapping[str, Any], *, default_registry: Registry | None
) -> ResolveRequest:
    """Validate ``ResourceProperties`` (or a CLI spec) into a ``ResolveRequest``.

    ``default_registry`` is the caller's own account and region, used for bare repository names.
    """
    if not isinstance(properties, Mapping):
        raise InvalidPropertyError(
            "Properties", properties, "is not a mapping", "Give the resource a Properties map."
        )
    top = _parse_table("", properties, TOP_LEVEL, _CFN_KEYS)
    default_repo = (
        _repository("Repository", top["Repository"], default_registry)
        if top["Repository"]
        else None
    )
    latest = (top["Version"] or "").lower() == "latest"
    version = None if latest else top["Version"]
    defaults = _Defaults(
        registry=default_registry,
        repository=default_repo,
        version=version,
        latest=latest,
        fail_on=top["FailOnSeverity"],
        on_retention_risk=top["OnRetentionRisk"] or OnRetentionRisk.REPORT,
    )
    images = _images(top["Images"], defaults)
    if latest and not any(image.match is TagMatch.LATEST_VERSION for image in images):
        raise InvalidPropertyError(
            "Version",
            top["Version"],
            "asks for the latest version, but no Tag uses {version}",
            'Write tags like "api-{version}".',
        )
    use_prebuilt = True if top["UsePreBuiltImages"] is None else top["UsePreBuiltImages"]
    on_missing = top["OnMissing"] or OnMissing.FAIL
    if not use_prebuilt and on_missing is not OnMissing.REPORT:
        _require_fallbacks(images)
    return ResolveRequest(
        images=images,
        on_missing=on_missing,
        use_prebuilt=use_prebuilt,
        attributes=top["Attributes"] or DEFAULT_ATTRIBUTES,
        version=version,
        latest_version=latest,
        wait_seconds=top["WaitSeconds"] or 0,
        on_vulnerable=top["OnVulnerable"] or OnVulnerable.FAIL,
        require_scan=bool(top["RequireScan"]),
        scan_wait_seconds=60 if top["ScanWaitSeconds"] is None else top["ScanWaitSeconds"],
        on_rollback_target_missing=(top["OnRollbackTargetMissing"] or OnRollbackTargetMissing.WARN),
    )


@dataclass(frozen=True)
class _Defaults:
    """What an image inherits from the top level."""

    registry: Registry | None
    repository: Repository | None
    version: str | None
    latest: bool
    fail_on: Severity | None
    on_retention_risk: OnRetentionRisk


def _images(raw: Any, defaults: _Defaults) -> tuple[ImageSpec, ...]:
    if not raw or not isinstance(raw, Mapping):
        raise InvalidPropertyError(
            "Images",
            raw,
            "must be a non-empty map of image name to image",
            'Example: Images: { Api: { Tag: "api-{version}" } }.',
        )
    specs = []
    for name, body in raw.items():
        path = f"Images.{name}"
        if not isinstance(name, str) or not _IMAGE_NAME.fullmatch(name):
            raise InvalidPropertyError(
                path,
                name,
                "is not a valid image name",
                "Image names are used in !GetAtt <Resource>.<Name>.Uri: start with a letter, "
                "then letters and digits only (e.g. Api, EventsWorker).",
            )
        if not isinstance(body, Mapping):
            raise InvalidPropertyError(
                path,
                body,
                "is not a map",
                f'Example: {name}: {{ Tag: "{name.lower()}-{{version}}" }}.',
            )
        specs.append(_image(name, body, defaults))
    return tuple(specs)


def _image(name: str, body: Mapping[str, Any], defaults: _Defaults) -> ImageSpec:
    path = f"Images.{name}"
    fields = _parse_table(f"{path}.", body, PER_IMAGE, frozenset())
    if fields["Repository"]:
        repo = _repository(f"{path}.Repository", fields["Repository"], defaults.registry)
    elif defaults.repository is not None:
        repo = defaults.repository
    else:
        raise InvalidPropertyError(
            f"{path}.Repository",
            None,
            "is required",
            "Set Repository on the image or a default Repository at the top level.",
        )
    tag, digest = fields["Tag"], fields["Digest"]
    if (tag is None) == (digest is None):
        shown = {"Tag": body.get("Tag"), "Digest": body.get("Digest")}
        raise InvalidPropertyError(
            path,
            shown,
            "needs exactly one of Tag or Digest",
            "Set Tag (e.g. api-{version}) or Digest (sha256:...), not both.",
        )
    match = TagMatch.EXACT
    if tag is not None:
        tag, match = _expand_tag(f"{path}.Tag", tag, defaults)
    elif not DIGEST_PATTERN.fullmatch(digest):
        raise InvalidPropertyError(
            f"{path}.Digest",
            digest,
            "is not an image digest",
            "Use sha256: followed by 64 lower-case hex digits.",
        )
    return ImageSpec(
        name=name,
        ref=ImageRef(repo, tag=tag, digest=digest),
        fallback=fields["Fallback"],
        match=match,
        platform=fields["Platform"],
        for_lambda=bool(fields["Lambda"]),
        fail_on=fields["FailOnSeverity"] or defaults.fail_on,
        on_retention_risk=fields["OnRetentionRisk"] or defaults.on_retention_risk,
    )


_GLOB_CHARS = frozenset("*?[")


def is_pattern(tag: str) -> bool:
    """Whether ``tag`` is a glob (contains ``*``, ``?`` or ``[``) rather than an exact tag."""
    return not _GLOB_CHARS.isdisjoint(tag)


_PATTERN_TEXT = re.compile(r"[A-Za-z0-9_.\-*?\[\]!]{1,300}")


def _expand_tag(path: str, tag: str, defaults: _Defaults) -> tuple[str, TagMatch]:
    """The concrete tag, or the glob / ``{version}`` template that discovery will resolve."""
    uses_version = False
    for placeholder in _PLACEHOLDER.findall(tag):
        if placeholder != "version":
            raise InvalidPropertyError(
                path,
                tag,
                f"uses the unknown placeholder {{{placeholder}}}",
                "Only {version} is supported.",
            )
        uses_version = True
        if defaults.version is None and not defaults.latest:
            raise InvalidPropertyError(
                path,
                tag,
                "uses {version} but Version is empty",
                "Set the top-level Version property.",
            )
    is_glob = is_pattern(tag)
    if is_glob and uses_version:
        raise InvalidPropertyError(
            path,
            tag,
            "mixes a pattern with {version}",
            "Use either a pattern (api-*) or a {version} tag.",
        )
    if is_glob:
        if not _PATTERN_TEXT.fullmatch(tag):
            raise InvalidPropertyError(
                path,
                tag,
                "is not a valid tag pattern",
                "Patterns use tag characters plus * ? [...], e.g. cloudtak-*.",
            )
        return tag, TagMatch.PATTERN
    if uses_version and defaults.latest:
        _check_tag(path, tag.replace(VERSION_FIELD, "v"))
        return tag, TagMatch.LATEST_VERSION
    expanded = tag.replace(VERSION_FIELD, defaults.version or "")
    _check_tag(path, expanded)
    return expanded, TagMatch.EXACT


def _check_tag(path: str, tag: str) -> None:
    if not TAG_PATTERN.fullmatch(tag):
        raise InvalidPropertyError(
            path,
            tag,
            "is not a valid image tag",
            "Tags are 1-300 characters: letters, digits, _ . - (not starting with . or -).",
        )


def _repository(path: str, text: str, registry: Registry | None) -> Repository:
    try:
        return parse_repository(text, default=registry)
    except InvalidReferenceError as exc:
        raise InvalidPropertyError(
            path,
            text,
            str(exc),
            "Examples: team/app, arn:aws:ecr:<region>:<account>:repository/team/app.",
        ) from exc


def _require_fallbacks(images: tuple[ImageSpec, ...]) -> None:
    for image in images:
        if image.fallback is None:
            raise InvalidPropertyError(
                f"Images.{image.name}.Fallback",
                None,
                "is required when UsePreBuiltImages is false",
                "Give every image a Fallback (the locally built image URI), or set OnMissing: Report.",
            )
