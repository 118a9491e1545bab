"""Raw resource properties in, a validated ``ResolveRequest`` out — before any AWS call.

CloudFormation delivers every scalar as a string (``true`` → ``"true"``) and templates pass ``''``
from parameter defaults, so: the empty string, and only it, counts as absent (a blank string or a
null is an error that says so), booleans are parsed strictly, and an unknown property is an error
that names the closest valid one. Sizes are bounded (images, repositories, registries, name and
``Revision`` lengths) and a repository's region must be one where ECR runs, so no request can make
the resolver build clients for invented regions. The rules live in the tables below; everything
else in the package trusts what this module returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from typing import Any, Protocol

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
from .values import frozen

MAX_WAIT_SECONDS = 900  # Lambda's own ceiling
# Per resource. Each distinct region costs an AWS client (~0.3 MB): the registry cap bounds memory
# and set-up time; the others bound the work and the size of any error listing.
MAX_IMAGES = 500
MAX_REPOSITORIES = 100
MAX_REGISTRIES = 10  # distinct account + region pairs
MAX_IMAGE_NAME_CHARS = 64  # a name becomes attribute keys (<Name>.Uri) in a 4096-byte response
MAX_REVISION_CHARS = 256


class RegionCatalog(Protocol):
    """The regions where ECR runs, per partition (botocore's endpoint data: ``EcrClients``)."""

    def ecr_regions(self, partition: str) -> Collection[str]: ...


class _Null:
    """An explicit null, echoed the way JSON and YAML write it."""

    def __repr__(self) -> str:
        return "null"


NULL = _Null()


# --- value parsers: (property path, raw value) -> typed value ------------------------------------

Parser = Callable[[str, Any], Any]


def _null(path: str) -> InvalidPropertyError:
    return InvalidPropertyError(
        path, NULL, "is null", 'Give a value, or "" (or nothing) to leave it unset.'
    )


def _text(path: str, raw: Any) -> str | None:
    """The value as text; None for the empty string (a parameter default's way of "not set")."""
    if raw is None:
        raise _null(path)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidPropertyError(path, raw, "is not a string", "Give a plain string value.")
    text = str(raw)
    if text and not text.strip():
        raise InvalidPropertyError(
            path, raw, "is only whitespace", 'Give a value, or "" to leave it unset.'
        )
    text = text.strip()
    if not text.isprintable():
        # Controls, line and paragraph separators, format characters (bidi overrides) and
        # non-space separators: none belongs in a name, tag, digest, version or revision, and a
        # line break would become a second line wherever the value is echoed (a CI output).
        char = next(char for char in text if not char.isprintable())
        raise InvalidPropertyError(
            path,
            raw,
            f"holds the unprintable character U+{ord(char):04X}",
            "Text properties take printable characters only; remove it.",
        )
    return text or None


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


def _revision(path: str, raw: Any) -> str | None:
    text = _text(path, raw)
    if text is not None and len(text) > MAX_REVISION_CHARS:
        raise InvalidPropertyError(
            path,
            raw,
            f"is {len(text)} characters, over the limit of {MAX_REVISION_CHARS}",
            "Use a short value that changes when the images should be resolved again, e.g. a "
            "commit hash or the planner's revision.",
        )
    return text


def _attributes(path: str, raw: Any) -> tuple[Attribute, ...] | None:
    if raw is None:
        raise _null(path)
    if raw in ("", []):  # "" from a parameter default; [] from a split empty list
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


def _as_given(path: str, raw: Any) -> Any:
    if raw is None:
        raise _null(path)
    return raw


# --- the property tables ----------------------------------------------------------------------

# CloudFormation's own keys arrive in ResourceProperties too; they are accepted and ignored.
_CFN_KEYS = frozenset({"ServiceToken", "ServiceTimeout"})

TOP_LEVEL: Mapping[str, Parser] = {
    "UsePreBuiltImages": _strict_bool,
    "OnMissing": _enum(OnMissing),
    "Repository": _text,
    "Version": _text,
    "Revision": _revision,  # free text: changing it only makes CloudFormation call us again
    "Attributes": _attributes,
    "WaitSeconds": _seconds,
    "FailOnSeverity": _enum(Severity),
    "OnVulnerable": _enum(OnVulnerable),
    "RequireScan": _strict_bool,
    "ScanWaitSeconds": _seconds,
    "OnRollbackTargetMissing": _enum(OnRollbackTargetMissing),
    "OnRetentionRisk": _enum(OnRetentionRisk),
    "Images": _as_given,  # validated image by image: ``_images``
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
                NULL if raw[key] is None else raw[key],
                "is not a known property",
                _closest_hint(str(key), list(table)),
            )
    # A parser sees only properties that are there: an explicit null is an error, absence is not.
    return {
        key: parser(f"{prefix}{key}", raw[key]) if key in raw else None
        for key, parser in table.items()
    }


def parse_request(
    properties: Mapping[str, Any],
    *,
    default_registry: Registry | None,
    regions: RegionCatalog | None = None,
) -> ResolveRequest:
    """Validate ``ResourceProperties`` (or a CLI spec) into a ``ResolveRequest``.

    ``default_registry`` is the caller's own account and region, used for bare repository names.
    ``regions`` checks every other region a repository names (None: syntax only).
    """
    if not isinstance(properties, Mapping):
        raise InvalidPropertyError(
            "Properties", properties, "is not a mapping", "Give the resource a Properties map."
        )
    top = _parse_table("", properties, TOP_LEVEL, _CFN_KEYS)
    places = _Places(default_registry, regions)
    default_repo = places.repository("Repository", top["Repository"]) if top["Repository"] else None
    latest = (top["Version"] or "").lower() == "latest"
    version = None if latest else top["Version"]
    defaults = _Defaults(
        places=places,
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
        wait_seconds=top["WaitSeconds"] or 0,
        on_vulnerable=top["OnVulnerable"] or OnVulnerable.FAIL,
        require_scan=bool(top["RequireScan"]),
        scan_wait_seconds=60 if top["ScanWaitSeconds"] is None else top["ScanWaitSeconds"],
        on_rollback_target_missing=(top["OnRollbackTargetMissing"] or OnRollbackTargetMissing.WARN),
    )


@frozen
class _Places:
    """Where repositories may be: names resolve against the caller's registry, and a region
    other than the caller's own must be one of its partition's ECR regions."""

    home: Registry | None
    regions: RegionCatalog | None

    def repository(self, path: str, text: str) -> Repository:
        try:
            repo = parse_repository(text, default=self.home)
        except InvalidReferenceError as exc:
            raise InvalidPropertyError(
                path,
                text,
                str(exc),
                "Examples: team/app, arn:aws:ecr:<region>:<account>:repository/team/app.",
            ) from exc
        registry = repo.registry
        home = self.home
        if self.regions is None or (
            home is not None
            and (home.region, home.partition) == (registry.region, registry.partition)
        ):
            return repo  # the caller's own region exists: no need to load endpoint data
        known = self.regions.ecr_regions(registry.partition)
        if registry.region not in known:
            examples = ", ".join(sorted(known)[:3])
            raise InvalidPropertyError(
                path,
                text,
                f"is in region {registry.region}, where the {registry.partition} partition has "
                "no ECR endpoint",
                f"Check the region (ECR regions of {registry.partition}: {examples}, ...).",
            )
        return repo


@frozen
class _Defaults:
    """What an image inherits from the top level."""

    places: _Places
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
    if len(raw) > MAX_IMAGES:
        raise InvalidPropertyError(
            "Images",
            len(raw),
            f"images exceed the limit of {MAX_IMAGES} per resource",
            "Split them over several Custom::ImageResolver resources.",
        )
    specs = []
    for name, body in raw.items():
        path = f"Images.{name}"
        if isinstance(name, str) and len(name) > MAX_IMAGE_NAME_CHARS:
            raise InvalidPropertyError(
                path,
                name,
                f"is {len(name)} characters, over the limit of {MAX_IMAGE_NAME_CHARS} for an "
                "image name",
                "Use a shorter name: it becomes the attribute names (<Name>.Uri).",
            )
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
                NULL if body is None else body,
                "is not a map",
                f'Example: {name}: {{ Tag: "{name.lower()}-{{version}}" }}.',
            )
        specs.append(_image(name, body, defaults))
    _check_spread(specs)
    return tuple(specs)


def _check_spread(specs: list[ImageSpec]) -> None:
    repositories = {spec.ref.repository for spec in specs}
    if len(repositories) > MAX_REPOSITORIES:
        raise InvalidPropertyError(
            "Images",
            len(repositories),
            f"repositories exceed the limit of {MAX_REPOSITORIES} per resource",
            "Split the images over several Custom::ImageResolver resources.",
        )
    registries = {repo.registry for repo in repositories}
    if len(registries) > MAX_REGISTRIES:
        raise InvalidPropertyError(
            "Images",
            len(registries),
            f"registries (account and region pairs) exceed the limit of {MAX_REGISTRIES} per "
            "resource",
            "Split the images over several Custom::ImageResolver resources.",
        )


def _image(name: str, body: Mapping[str, Any], defaults: _Defaults) -> ImageSpec:
    path = f"Images.{name}"
    fields = _parse_table(f"{path}.", body, PER_IMAGE, frozenset())
    if fields["Repository"]:
        repo = defaults.places.repository(f"{path}.Repository", fields["Repository"])
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


def _require_fallbacks(images: tuple[ImageSpec, ...]) -> None:
    for image in images:
        if image.fallback is None:
            raise InvalidPropertyError(
                f"Images.{image.name}.Fallback",
                None,
                "is required when UsePreBuiltImages is false",
                "Give every image a Fallback (the locally built image URI), or set OnMissing: Report.",
            )


# --- what a rollback can still read ----------------------------------------------------------


@frozen
class Salvaged:
    """What could still be read from properties that no longer validate."""

    request: ResolveRequest | None  # the images and settings that do validate; None: nothing
    names: tuple[str, ...]  # every image name the properties give: the keys !GetAtt may read
    dropped: tuple[str, ...]  # the errors of what was left out, for a warning


def salvage(properties: Any, *, default_registry: Registry | None) -> Salvaged:
    """``properties`` with each property or image that fails validation left out, and the rest
    parsed as usual (region checks aside).

    For a rollback to properties that an earlier version accepted and this one refuses (a
    property renamed, a value made stricter): the stack ran with them, so a rollback must still
    answer what it can, never fail and never leave the images it can read without attributes.
    """
    raw = dict(properties) if isinstance(properties, Mapping) else {}
    images = raw.get("Images")
    images = dict(images) if isinstance(images, Mapping) else {}
    names = tuple(name for name in images if isinstance(name, str))
    dropped: list[str] = []
    while True:
        try:
            request = parse_request({**raw, "Images": images}, default_registry=default_registry)
        except InvalidPropertyError as error:
            if not _left_out(error.prop, raw, images):
                return Salvaged(None, names, (*dropped, str(error)))
            dropped.append(str(error))
            continue
        return Salvaged(request, names, tuple(dropped))


def _left_out(path: str, top: dict[str, Any], images: dict[Any, Any]) -> bool:
    """Leave out what ``path`` names: an image's property, else the image, else a top-level
    property. False when nothing could be left out (the error is about the whole)."""
    named = [
        name for name in images if path == f"Images.{name}" or path.startswith(f"Images.{name}.")
    ]
    if named:
        name = max(named, key=len)
        key = path.removeprefix(f"Images.{name}").removeprefix(".")
        body = images[name]
        if key and isinstance(body, Mapping) and key in body:
            images[name] = {k: v for k, v in body.items() if k != key}
        else:
            del images[name]
        return True
    if path != "Images" and path in top:
        del top[path]
        return True
    return False
