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
from dataclasses import replace
from enum import Enum
from typing import Any, Protocol

from . import partitions
from .errors import InvalidPropertyError
from .model import (
    DEFAULT_ATTRIBUTES,
    NO_GATES,
    VERSION_FIELD,
    AssumedRole,
    Attribute,
    ImageGates,
    ImageSpec,
    OnLockMismatch,
    OnMissing,
    OnRetentionRisk,
    OnRollbackTargetMissing,
    OnUnsigned,
    OnVulnerable,
    Protect,
    ReferrerSignature,
    ReplicationWait,
    ResolveRequest,
    Severity,
    SignatureRequirement,
    TagMatch,
    TagOrder,
)
from .partitions import PARTITION_ID, REGION
from .platforms import Platform
from .references import (
    DIGEST_PATTERN,
    TAG_PATTERN,
    ImageRef,
    ImageReference,
    InvalidReferenceError,
    Registry,
    Repository,
    parse_image_reference,
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


def _matching(pattern: re.Pattern[str], problem: str, fix: str) -> Parser:
    """Text that must match ``pattern`` whole."""

    def parse(path: str, raw: Any) -> str | None:
        text = _text(path, raw)
        if text is not None and not pattern.fullmatch(text):
            raise InvalidPropertyError(path, raw, problem, fix)
        return text

    return parse


# An image reference as ECS, Batch and Lambda accept it: [registry/]name[:tag][@digest].
_image_reference = _matching(
    re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,1023}"),
    "is not an image reference",
    "Give an image URI, e.g. 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:local.",
)


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


def _words(path: str, raw: Any, *, example: str) -> list[str] | None:
    """A list, or a comma-separated string (a CommaDelimitedList parameter arrives either way);
    None when empty."""
    if raw is None:
        raise _null(path)
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InvalidPropertyError(
            path,
            raw,
            "is not a list",
            f"Give a list such as {example} or a comma-separated string.",
        )
    words = [word for item in items if (word := _text(path, item)) is not None]
    return words or None


def _attributes(path: str, raw: Any) -> tuple[Attribute, ...] | None:
    names = _words(path, raw, example="[Uri, Digest]")
    chosen: list[Attribute] = []
    for name in names or ():
        member = next((a for a in Attribute if a.value.lower() == name.lower()), None)
        if member is None:
            raise InvalidPropertyError(
                path, name, "is not an attribute", _closest_hint(name, [a.value for a in Attribute])
            )
        if member not in chosen:
            chosen.append(member)
    return tuple(chosen) or None


# IAM's grammar (CreateRole; AssumeRole takes ARNs of 20-2048 characters): an optional path of
# printable ASCII between slashes, then a name of 1-64 characters.
_ROLE_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION_ID}):iam::(?P<account>\d{{12}}):"
    r"role/(?:[\x21-\x7e]{1,510}/)?[\w+=,.@-]{1,64}"
)


def _role_arn(path: str, raw: Any) -> AssumedRole | None:
    text = _text(path, raw)
    if text is None:
        return None
    match = _ROLE_ARN.fullmatch(text)
    if match is None or len(text) > 2048:
        raise InvalidPropertyError(
            path,
            raw,
            "is not an IAM role ARN",
            "Use arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>, e.g. "
            "arn:aws:iam::111122223333:role/image-reader.",
        )
    if partitions.named(match["partition"]) is None:
        raise InvalidPropertyError(
            path,
            raw,
            f"names partition {match['partition']!r}, which the installed botocore does not know",
            f"Check the ARN (known partitions: {partitions.ids()}).",
        )
    return AssumedRole(text, match["account"], match["partition"])


_external_id = _matching(
    re.compile(r"[\w+=,.@:/-]{2,1224}"),  # STS AssumeRole's ExternalId
    "is not an STS external id",
    "Use 2-1224 characters: letters, digits and _ + = , . @ : / -, exactly as the role's trust "
    "policy expects it (sts:ExternalId).",
)


def _as_given(path: str, raw: Any) -> Any:
    if raw is None:
        raise _null(path)
    return raw


# --- what CI vouched for: the value parsers (the rest is below the tables) -------------------

# AWS Signer's profile ARN, as ECR's API model writes it (SigningProfileArn).
_SIGNING_PROFILE = re.compile(
    r"arn:aws(?:-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:/signing-profiles/[A-Za-z0-9_]{2,}"
)
_REGION = re.compile(REGION)


def _signatures(path: str, raw: Any) -> SignatureRequirement | None:
    """``RequireSignature``: AWS Signer profile ARNs (ECR managed signing), ``Notation``,
    ``Sigstore``; any one of them admits an image."""
    words = _words(path, raw, example="[arn:aws:signer:...:/signing-profiles/ci, Notation]")
    if words is None:
        return None
    kinds = {kind.value.lower(): kind for kind in ReferrerSignature}
    profiles: list[str] = []
    referrers: list[ReferrerSignature] = []
    for word in words:
        if word.lower() in kinds:
            referrers.append(kinds[word.lower()])
        elif _SIGNING_PROFILE.fullmatch(word):
            profiles.append(word)
        else:
            raise InvalidPropertyError(
                path,
                word,
                "is not a signing profile ARN, Notation or Sigstore",
                "Give AWS Signer profile ARNs (arn:aws:signer:<region>:<account>:/signing-profiles/"
                "<name>) for ECR managed signing, and/or Notation or Sigstore for signatures "
                "stored as referrers.",
            )
    return SignatureRequirement(tuple(dict.fromkeys(profiles)), tuple(dict.fromkeys(referrers)))


def _expected_digests(path: str, raw: Any) -> dict[str, str] | None:
    """``ExpectedDigests``: image name -> digest, as a map or as ``resolver plan --emit lock``
    writes it (``Api=sha256:...,Events=sha256:...``: one CloudFormation String parameter)."""
    if raw is None:
        raise _null(path)
    if isinstance(raw, Mapping):
        pairs = [(str(name), value) for name, value in raw.items()]
    else:
        words = _words(path, raw, example="Api=sha256:...,Events=sha256:...")
        if words is None:
            return None
        pairs = []
        for word in words:
            name, separator, value = word.partition("=")
            if not separator:
                raise InvalidPropertyError(
                    path,
                    word,
                    "is not Name=sha256:...",
                    "Pass what resolver plan --emit lock prints, e.g. Api=sha256:...,Events=sha256:....",
                )
            pairs.append((name.strip(), value.strip()))
    expected: dict[str, str] = {}
    for name, value in pairs:
        digest = _text(f"{path}.{name}", value)
        if digest is None or not DIGEST_PATTERN.fullmatch(digest):
            raise InvalidPropertyError(
                f"{path}.{name}",
                value,
                "is not an image digest",
                "Use sha256: followed by 64 lower-case hex digits (resolver plan --emit lock).",
            )
        expected[name] = digest
    return expected or None


def _replication(path: str, raw: Any) -> tuple[str, ...] | bool | None:
    """``WaitForReplication``: ``true`` (every destination ECR reports), ``false``, or regions."""
    if isinstance(raw, bool) or (isinstance(raw, str) and raw.strip().lower() in ("true", "false")):
        return _strict_bool(path, raw)
    words = _words(path, raw, example="[us-west-2, eu-west-1]")
    if words is None:
        return None
    for word in words:
        if not _REGION.fullmatch(word):
            raise InvalidPropertyError(
                path,
                word,
                "is not a region",
                'Give region names (us-west-2) or "true" for every destination the registry '
                "replicates to.",
            )
    return tuple(dict.fromkeys(words))


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
    "Protect": _enum(Protect),  # read apart from the request: ``protect_of``
    "RoleArn": _role_arn,
    "ExternalId": _external_id,
    "Images": _as_given,  # validated image by image: ``_images``
    "RequireSignature": _signatures,
    "OnUnsigned": _enum(OnUnsigned),
    "ExpectedDigests": _expected_digests,
    "OnLockMismatch": _enum(OnLockMismatch),
    "WaitForReplication": _replication,
    "Order": _enum(TagOrder),
}

PER_IMAGE: Mapping[str, Parser] = {
    "Repository": _text,
    "Tag": _text,
    "Digest": _text,
    "Reference": _text,  # a whole image reference: repository, and tag or digest
    "Fallback": _image_reference,
    "Platform": _platform,
    "Lambda": _strict_bool,
    "FailOnSeverity": _enum(Severity),
    "OnRetentionRisk": _enum(OnRetentionRisk),
    "RoleArn": _role_arn,
    "ExternalId": _external_id,
    "RequireSignature": _signatures,
    "Order": _enum(TagOrder),
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
        vouching=_vouching(top),
        role=_role("", top["RoleArn"], top["ExternalId"], home=default_registry),
    )
    images = _images(top["Images"], defaults)
    _check_vouching(top, images)
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
        function_region=default_registry.region if default_registry else None,
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
        return self._in_a_region_with_ecr(path, text, repo)

    def image(self, path: str, text: str) -> ImageReference:
        """A whole image reference (``Reference``): repository, and tag or digest if it has one."""
        try:
            image = parse_image_reference(text, default=self.home)
        except InvalidReferenceError as exc:
            raise InvalidPropertyError(
                path,
                text,
                str(exc),
                "Examples: app:api-1, 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:api-1, "
                "app@sha256:<64 hex>, or a repository ARN with a Tag or Digest beside it.",
            ) from exc
        self._in_a_region_with_ecr(path, text, image.repository)
        return image

    def _in_a_region_with_ecr(self, path: str, text: str, repo: Repository) -> Repository:
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
    vouching: _Vouching
    role: AssumedRole | None = None


def _role(
    prefix: str, role: AssumedRole | None, external_id: str | None, *, home: Registry | None
) -> AssumedRole | None:
    """``RoleArn`` with the ``ExternalId`` given beside it: the two belong together."""
    if role is None:
        if external_id is not None:
            raise InvalidPropertyError(
                f"{prefix}ExternalId",
                external_id,
                "is set without a RoleArn beside it",
                "An ExternalId belongs to the role it is given with: set RoleArn here too, or "
                "remove ExternalId.",
            )
        return None
    if home is not None and role.partition != home.partition:
        raise InvalidPropertyError(
            f"{prefix}RoleArn",
            role.arn,
            f"is a role of the {role.partition} partition, but the resolver runs in "
            f"{home.partition}",
            "STS assumes a role only from its own partition: use a role of "
            f"{home.partition}, or a resolver deployed in {role.partition}.",
        )
    return replace(role, external_id=external_id)


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
    _check_roles(specs)
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


def _check_roles(specs: list[ImageSpec]) -> None:
    """One role per account: the engine asks for a registry's client, so every image of an
    account (whatever its region or repository) is read through the same credentials."""
    first: dict[str, ImageSpec] = {}
    for spec in specs:
        account = spec.ref.repository.registry.account_id
        seen = first.setdefault(account, spec)
        if spec.role != seen.role:
            raise InvalidPropertyError(
                f"Images.{spec.name}.RoleArn",
                spec.role.arn if spec.role else None,
                f"reads account {account} otherwise than Images.{seen.name} does "
                f"({_through(seen.role, other=spec.role)})",
                "Images of one account are read through one role: give them the same RoleArn "
                "and ExternalId, or none.",
            )


def _through(role: AssumedRole | None, *, other: AssumedRole | None) -> str:
    if role is None:
        return "with the resolver's own credentials"
    if other is not None and other.arn == role.arn:
        return f"through {role.arn} with another ExternalId"
    return f"through {role.arn}"


def _referenced(
    path: str, body: Mapping[str, Any], fields: dict[str, Any], defaults: _Defaults
) -> dict[str, Any]:
    """``fields`` with the repository, and the tag or digest, a ``Reference`` gives. A Tag or
    Digest beside it only where the reference has neither (a name, an ARN)."""
    image = defaults.places.image(f"{path}.Reference", fields["Reference"])
    if fields["Repository"]:
        raise InvalidPropertyError(
            f"{path}.Repository",
            body.get("Repository"),
            "is set beside a Reference, which names the repository already",
            "Give either Reference or Repository.",
        )
    if (image.tag or image.digest) and (fields["Tag"] or fields["Digest"]):
        raise InvalidPropertyError(
            f"{path}.Reference",
            fields["Reference"],
            "has its own tag or digest, and Tag or Digest is set beside it",
            "Give the tag or digest once: in the Reference, or in Tag or Digest.",
        )
    return {
        **fields,
        "Repository": image.repository,
        "Tag": fields["Tag"] or image.tag,
        "Digest": fields["Digest"] or image.digest,
    }


def _image(name: str, body: Mapping[str, Any], defaults: _Defaults) -> ImageSpec:
    path = f"Images.{name}"
    fields = _parse_table(f"{path}.", body, PER_IMAGE, frozenset())
    if fields["Reference"]:
        fields = _referenced(path, body, fields, defaults)
    if isinstance(fields["Repository"], Repository):  # what a Reference named
        repo = fields["Repository"]
    elif fields["Repository"]:
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
        given_by = "Tag" if body.get("Tag") else "Reference"  # where the user wrote it
        tag, match = _expand_tag(f"{path}.{given_by}", tag, defaults)
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
        role=_image_role(name, fields, repo, defaults),
        gates=defaults.vouching.gates(name, fields["RequireSignature"]),
        order=_order(path, fields["Order"], match, defaults.vouching.order),
    )


def _image_role(
    name: str, fields: Mapping[str, Any], repo: Repository, defaults: _Defaults
) -> AssumedRole | None:
    """The image's own role, else the top level's; in the partition of the image's registry."""
    path = f"Images.{name}"
    own = _role(f"{path}.", fields["RoleArn"], fields["ExternalId"], home=defaults.places.home)
    role = own or defaults.role
    registry = repo.registry
    if role is not None and role.partition != registry.partition:
        raise InvalidPropertyError(
            f"{path}.RoleArn" if own else "RoleArn",
            role.arn,
            f"is a role of the {role.partition} partition, but image {name} is in the "
            f"{registry.partition} partition ({registry.region})",
            "A role reads registries of its own partition only: give the image a role of "
            f"{registry.partition}.",
        )
    return role


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


# --- what CI vouched for: signatures, the plan's digests, replication, tag order -----------------


@frozen
class _Vouching:
    """The top-level settings each image's ``ImageGates`` starts from."""

    signature: SignatureRequirement | None = None
    on_unsigned: OnUnsigned = OnUnsigned.FAIL
    expected: Mapping[str, str] | None = None
    on_lock_mismatch: OnLockMismatch = OnLockMismatch.FAIL
    replication: ReplicationWait | None = None
    order: TagOrder | None = None

    def gates(self, name: str, signature: SignatureRequirement | None) -> ImageGates:
        gates = ImageGates(
            signature=signature or self.signature,
            on_unsigned=self.on_unsigned,
            expected_digest=(self.expected or {}).get(name),
            on_lock_mismatch=self.on_lock_mismatch,
            replication=self.replication,
        )
        return NO_GATES if gates == NO_GATES else gates


def _vouching(top: Mapping[str, Any]) -> _Vouching:
    replication = top["WaitForReplication"]
    if replication is True:
        wait: ReplicationWait | None = ReplicationWait()
    elif replication:
        wait = ReplicationWait(replication)
    else:
        wait = None
    return _Vouching(
        signature=top["RequireSignature"],
        on_unsigned=top["OnUnsigned"] or OnUnsigned.FAIL,
        expected=top["ExpectedDigests"],
        on_lock_mismatch=top["OnLockMismatch"] or OnLockMismatch.FAIL,
        replication=wait,
        order=top["Order"],
    )


def _order(
    path: str, given: TagOrder | None, match: TagMatch, default: TagOrder | None
) -> TagOrder:
    if given is not None and match is TagMatch.EXACT:
        raise InvalidPropertyError(
            f"{path}.Order",
            given.value,
            "orders the candidates of a pattern or of Version: latest, and this Tag is exact",
            "Remove Order here, or use a pattern (api-*) or a {version} tag with Version: latest.",
        )
    if match is TagMatch.EXACT:
        return TagOrder.PUSHED  # nothing to rank
    return given or default or TagOrder.PUSHED


def _check_vouching(top: Mapping[str, Any], images: tuple[ImageSpec, ...]) -> None:
    """What only the whole request can tell: lock entries naming no image, an Order nothing
    uses, and the images of ``Version: latest`` ranked in one order (one version for all)."""
    names = {image.name for image in images}
    for name in top["ExpectedDigests"] or {}:
        if name not in names:
            raise InvalidPropertyError(
                f"ExpectedDigests.{name}",
                name,
                "names no image of this resource",
                f"Lock only these images ({', '.join(sorted(names))}): plan the same template "
                "(resolver plan --emit lock).",
            )
    if top["Order"] is not None and all(image.match is TagMatch.EXACT for image in images):
        raise InvalidPropertyError(
            "Order",
            top["Order"].value,
            "orders the candidates of patterns and Version: latest, and every Tag is exact",
            "Remove Order, or use a pattern (api-*) or Version: latest.",
        )
    versioned = {image.order for image in images if image.match is TagMatch.LATEST_VERSION}
    if len(versioned) > 1:
        raise InvalidPropertyError(
            "Order",
            sorted(order.value for order in versioned),
            "differs between images of Version: latest, which choose one version together",
            "Set Order once, at the top level, for the {version} images.",
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


# --- protection: beside the request, not part of it ------------------------------------------


def protect_of(properties: Any) -> Protect:
    """``Protect`` as the properties give it. Resolving never depends on it, so it is not part
    of the ``ResolveRequest``: ``parse_request`` validates it with everything else, and this reads
    it back. A value that does not read (properties a Delete carries, which may no longer
    validate) reads ``Off``."""
    raw = properties.get("Protect") if isinstance(properties, Mapping) else None
    try:
        value = _enum(Protect)("Protect", raw) if raw is not None else None
    except InvalidPropertyError:
        return Protect.OFF
    return value if isinstance(value, Protect) else Protect.OFF
