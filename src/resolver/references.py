"""Typed ECR references: registries, repositories and images, parsed once.

A repository may be written as a bare name (this account and region), an ARN or a registry URI;
everything downstream works with the fully qualified ``Repository`` this module produces, so no
other module splits ARNs or host names.
"""

from __future__ import annotations

import re

from . import partitions
from .errors import shown
from .partitions import PARTITION_ID, REGION
from .partitions import partition_of_region as partition_of_region  # noqa: PLC0414 - re-exported: plan.py, resolver_cdk
from .values import frozen

_ACCOUNT = r"\d{12}"
# ECR's own grammar for repository names (CreateRepository API reference).
_REPO_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION_ID}):ecr:(?P<region>{REGION}):"
    rf"(?P<account>{_ACCOUNT}):repository/(?P<name>.+)"
)
# A registry host: <account>.dkr.ecr[-fips].<region>.<the DNS suffix of the region's partition>.
_URI = re.compile(
    rf"(?:https://)?(?P<account>{_ACCOUNT})\.dkr\.ecr(?:-fips)?\.(?P<region>{REGION})"
    r"\.(?P<suffix>[a-z0-9-]+(?:\.[a-z0-9-]+)+)/(?P<name>.+)"
)
_LAMBDA_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION_ID}):lambda:(?P<region>{REGION}):(?P<account>{_ACCOUNT}):"
)
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}")
DIGEST_PATTERN = re.compile(r"sha256:[a-f0-9]{64}")


class InvalidReferenceError(ValueError):
    """A reference that does not parse; the message says what was expected."""


@frozen(order=True)
class Registry:
    """One account's registry in one region."""

    account_id: str
    region: str
    partition: str = "aws"

    @property
    def host(self) -> str:
        """``<account>.dkr.ecr.<region>.<DNS suffix of the partition>``, in every partition."""
        return f"{self.account_id}.dkr.ecr.{self.region}.{partitions.dns_suffix(self.partition)}"

    @classmethod
    def from_lambda_arn(cls, arn: str) -> Registry | None:
        """The function's own registry, read from its ARN (the custom resource's ServiceToken);
        None for anything else, a partition botocore does not know included."""
        match = _LAMBDA_ARN.match(arn or "")
        if not match or _partition_problem(match["partition"], match["region"]):
            return None
        return cls(match["account"], match["region"], match["partition"])


def _partition_problem(partition_id: str, region: str) -> str | None:
    """Why ``region`` cannot be in partition ``partition_id``; None when it may be.

    A region no partition claims is let through: where ECR runs is checked against botocore's
    endpoint data later, with a message that lists the partition's regions.
    """
    if partitions.named(partition_id) is None:
        return (
            f"names partition {partition_id!r}, which the installed botocore does not know "
            f"(it knows {partitions.ids()}); check the ARN"
        )
    owner = partitions.of_region(region)
    if owner is not None and owner.id != partition_id:
        return f"names region {region}, which is in the {owner.id} partition, not {partition_id}"
    return None


@frozen(order=True)
class Repository:
    registry: Registry
    name: str

    @property
    def uri(self) -> str:
        return f"{self.registry.host}/{self.name}"

    @property
    def arn(self) -> str:
        r = self.registry
        return f"arn:{r.partition}:ecr:{r.region}:{r.account_id}:repository/{self.name}"

    def describe(self) -> str:
        """Short human form: the name, plus account/region when they are not obvious."""
        r = self.registry
        return f"{self.name} in {r.account_id} ({r.region})"


@frozen
class ImageRef:
    """One image in one repository, by exactly one of tag or digest."""

    repository: Repository
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if (self.tag is None) == (self.digest is None):
            raise ValueError("ImageRef needs exactly one of tag or digest")

    @property
    def label(self) -> str:
        """``name:tag`` or ``name@digest`` — how people write an image."""
        return (
            f"{self.repository.name}:{self.tag}"
            if self.tag
            else f"{self.repository.name}@{self.digest}"
        )

    @property
    def location(self) -> str:
        """``name:tag in account/region``: enough to find the image, for a person."""
        registry = self.repository.registry
        return f"{self.label} in {registry.account_id}/{registry.region}"

    @property
    def tag_uri(self) -> str:
        return f"{self.repository.uri}:{self.tag}" if self.tag else ""

    def pinned_uri(self, digest: str) -> str:
        return f"{self.repository.uri}@{digest}"


def parse_repository(text: str, *, default: Registry | None) -> Repository:
    """Parse a repository name, ARN or URI into a fully qualified ``Repository``.

    ``default`` supplies account and region for a bare name; without one, a bare name is an error.
    """
    text = text.strip()
    if match := _ARN.fullmatch(text):
        if problem := _partition_problem(match["partition"], match["region"]):
            raise InvalidReferenceError(problem)
        registry = Registry(match["account"], match["region"], match["partition"])
        return _checked(Repository(registry, match["name"]))
    if match := _URI.fullmatch(text):
        registry = _registry_of_host(match["account"], match["region"], match["suffix"])
        name = match["name"]
        if ":" in name or "@" in name:
            raise InvalidReferenceError(
                "is an image URI, not a repository: put the repository in Repository and the "
                "tag or digest in Tag or Digest"
            )
        return _checked(Repository(registry, name))
    if text.startswith("arn:"):
        raise InvalidReferenceError(
            "is not an ECR repository ARN; expected "
            "arn:<partition>:ecr:<region>:<account>:repository/<name>"
        )
    if ".dkr.ecr" in text or "amazonaws." in text:
        raise InvalidReferenceError(_NOT_A_URI)
    if ":" in text or "@" in text:
        raise InvalidReferenceError(
            "looks like an image reference; give only the repository here and put the tag or "
            "digest in Tag or Digest"
        )
    if default is None:
        raise InvalidReferenceError(
            "is a bare repository name, but the caller's account and region are unknown; "
            "use the repository ARN or URI"
        )
    return _checked(Repository(default, text))


_NOT_A_URI = (
    "is not an ECR repository URI; expected <account>.dkr.ecr.<region>.<DNS suffix of the "
    "region's partition: amazonaws.com, amazonaws.com.cn, …>/<name>"
)


def _registry_of_host(account: str, region: str, suffix: str) -> Registry:
    """The registry a host names: the region's partition, whose DNS suffix the host must end in.

    aws and aws-us-gov share ``amazonaws.com``; for a region no partition claims, the suffix picks
    the first partition that has it (botocore's order), and the region is checked later.
    """
    partition = partitions.of_region(region) or next(
        (p for p in partitions.known() if p.dns_suffix == suffix), None
    )
    if partition is None:
        raise InvalidReferenceError(_NOT_A_URI)
    if partition.dns_suffix != suffix:
        raise InvalidReferenceError(
            f"names region {region} of the {partition.id} partition, whose registry hosts end "
            f"in .{partition.dns_suffix}, not .{suffix}"
        )
    return Registry(account, region, partition.id)


def _checked(repo: Repository) -> Repository:
    name = repo.name
    if not 2 <= len(name) <= 256 or not _REPO_NAME.fullmatch(name):
        raise InvalidReferenceError(
            f"has repository name {shown(name)}, which ECR does not allow: 2-256 characters, "
            "lower-case letters, digits and . _ - separators, optionally namespaced with /"
        )
    return repo


@frozen
class ImageReference:
    """An image as ECS, Batch and Lambda take it, parsed: its repository, and its tag or digest
    where the reference has one (``None`` for a repository alone: a name or an ARN)."""

    repository: Repository
    tag: str | None = None
    digest: str | None = None


def parse_image_reference(text: str, *, default: Registry | None) -> ImageReference:
    """``[<registry>[:<port>]/]<repository>[:<tag>][@<digest>]`` — Docker's reference grammar —
    or a repository ARN, into its parts. The registry must be Amazon ECR (a port, as in
    ``…amazonaws.com:443``, is allowed and means nothing); without one, the repository is the
    caller's (``default``). With both a tag and a digest the digest is the image (as Docker pulls
    it) and the tag is dropped. The tag is returned as written: the caller checks it, after any
    ``{version}`` is filled in.
    """
    text = text.strip()
    if text.startswith("arn:"):
        return ImageReference(parse_repository(text, default=default))
    rest, at, digest = text.rpartition("@") if "@" in text else (text, "", "")
    if at and not DIGEST_PATTERN.fullmatch(digest):
        raise InvalidReferenceError(
            f"has digest {shown(digest)}; a digest is sha256: and 64 lower-case hex digits"
        )
    tag = None
    if rest.rfind(":") > rest.rfind("/"):
        rest, _, tag = rest.rpartition(":")
    first, slash, path = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):  # Docker's host rule
        host, _, port = first.partition(":")
        if port and not port.isdigit():
            raise InvalidReferenceError(
                f"names registry {shown(first)} with a port that is not one"
            )
        if not _URI.fullmatch(f"{host}/{path}"):
            raise InvalidReferenceError(
                f"names registry {shown(host)}, which is not Amazon ECR: the resolver reads ECR "
                "only. Push the image to ECR (or cache it with a pull-through cache rule) and "
                "name that"
            )
        rest = f"{host}/{path}"
    return ImageReference(
        parse_repository(rest, default=default), None if at else tag, digest or None
    )
