"""Typed ECR references: registries, repositories and images, parsed once.

A repository may be written as a bare name (this account and region), an ARN or a registry URI;
everything downstream works with the fully qualified ``Repository`` this module produces, so no
other module splits ARNs or host names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import shown

_ACCOUNT = r"\d{12}"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
# ECR's own grammar for repository names (CreateRepository API reference).
_REPO_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_ARN = re.compile(
    rf"arn:(?P<partition>aws(?:-cn|-us-gov)?):ecr:(?P<region>{_REGION}):"
    rf"(?P<account>{_ACCOUNT}):repository/(?P<name>.+)"
)
_URI = re.compile(
    rf"(?:https://)?(?P<account>{_ACCOUNT})\.dkr\.ecr(?:-fips)?\.(?P<region>{_REGION})"
    r"\.(?P<suffix>amazonaws\.com(?:\.cn)?)/(?P<name>.+)"
)
_LAMBDA_ARN = re.compile(
    rf"arn:(?P<partition>aws(?:-cn|-us-gov)?):lambda:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
)
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}")
DIGEST_PATTERN = re.compile(r"sha256:[a-f0-9]{64}")


class InvalidReferenceError(ValueError):
    """A reference that does not parse; the message says what was expected."""


@dataclass(frozen=True, order=True)
class Registry:
    """One account's registry in one region."""

    account_id: str
    region: str
    partition: str = "aws"

    @property
    def host(self) -> str:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return f"{self.account_id}.dkr.ecr.{self.region}.{suffix}"

    @classmethod
    def from_lambda_arn(cls, arn: str) -> Registry | None:
        """The function's own registry, read from its ARN (the custom resource's ServiceToken)."""
        match = _LAMBDA_ARN.match(arn or "")
        if not match:
            return None
        return cls(match["account"], match["region"], match["partition"])


def partition_of_region(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True, order=True)
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


@dataclass(frozen=True)
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
        registry = Registry(match["account"], match["region"], match["partition"])
        return _checked(Repository(registry, match["name"]))
    if match := _URI.fullmatch(text):
        partition = (
            "aws-cn" if match["suffix"].endswith(".cn") else partition_of_region(match["region"])
        )
        registry = Registry(match["account"], match["region"], partition)
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
    if ".dkr.ecr" in text or "amazonaws.com" in text:
        raise InvalidReferenceError(
            "is not an ECR repository URI; expected "
            "<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>"
        )
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


def _checked(repo: Repository) -> Repository:
    name = repo.name
    if not 2 <= len(name) <= 256 or not _REPO_NAME.fullmatch(name):
        raise InvalidReferenceError(
            f"has repository name {shown(name)}, which ECR does not allow: 2-256 characters, "
            "lower-case letters, digits and . _ - separators, optionally namespaced with /"
        )
    return repo
