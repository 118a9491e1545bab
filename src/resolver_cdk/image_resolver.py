"""``ImageResolver``: the custom resource as a construct, with typed attribute accessors and images
pinned by digest for ECS and Lambda.

Why the image helpers exist: ``ecs.ContainerImage.from_ecr_repository(repo, tag)`` and
``lambda_.DockerImageCode.from_ecr(repo, tag_or_digest=…)`` decide between ``repo:tag`` and
``repo@digest`` at synth time by looking at the string (``repositoryUriForTagOrDigest`` checks for
a ``sha256:`` prefix). A deploy-time value is a token, so it always becomes ``repo:<token>`` — and
the resolver's ``Uri`` is a whole URI anyway (a Fallback may live in another repository). The
helpers hand CloudFormation ``Fn::GetAtt [<resource>, <Image>.Uri]`` as the whole image URI and
grant the pull permissions ``from_ecr_*`` would have granted, on the repositories named in
``pull_from``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from resolver.model import (
    DEFAULT_ATTRIBUTES,
    RESOURCE_TYPE,
    OnMissing,
    OnRetentionRisk,
    OnRollbackTargetMissing,
    OnVulnerable,
    Severity,
)
from resolver.properties import parse_request
from resolver.references import Registry, partition_of_region

# CloudFormation waits an hour for a custom resource that never answers; the resolver answers
# within its function timeout (120 s by default), so five minutes is a generous ceiling.
DEFAULT_SERVICE_TIMEOUT = cdk.Duration.minutes(5)


@dataclass(frozen=True)
class Image:
    """One entry of ``Images`` (README: Properties). Exactly one of ``tag`` and ``digest``."""

    tag: str | None = None
    digest: str | None = None
    repository: str | None = None
    fallback: str | None = None
    platform: str | None = None
    for_lambda: bool = False  # the ``Lambda`` property: pin an index to one platform's image
    fail_on_severity: Severity | None = None
    on_retention_risk: OnRetentionRisk | None = None

    def properties(self) -> dict[str, str]:
        values = {
            "Tag": self.tag,
            "Digest": self.digest,
            "Repository": self.repository,
            "Fallback": self.fallback,
            "Platform": self.platform,
            "Lambda": "true" if self.for_lambda else None,
            "FailOnSeverity": self.fail_on_severity.value if self.fail_on_severity else None,
            "OnRetentionRisk": self.on_retention_risk.value if self.on_retention_risk else None,
        }
        return {key: value for key, value in values.items() if value is not None}


def strict_bool(value: bool | str, *, name: str) -> str:  # noqa: FBT001 - the value itself
    """``True``/``False``, or the strings "true"/"false" in any case — never a truthy guess.

    CDK context values arrive as strings: ``--context usePreBuiltImages=false`` is the non-empty,
    truthy string "false". A token (a parameter) passes through; the resolver checks it at deploy.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if cdk.Token.is_unresolved(value) or value.lower() in ("true", "false"):
        return value if cdk.Token.is_unresolved(value) else value.lower()
    raise ValueError(f'{name}: {value!r} is not a boolean. Use True/False or "true"/"false".')


class ImageResolver(Construct):
    """A ``Custom::ImageResolver`` resource (README: Properties, Attributes).

    ``service_token`` is the resolver function's ARN, e.g.
    ``Fn.import_value("image-resolver-ServiceToken")``. ``ServiceTimeout`` is set (5 minutes by
    default) so a stack never waits CloudFormation's hour for an answer.
    """

    def __init__(  # noqa: PLR0913 - keyword-only, one per documented property
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_token: str,
        images: Mapping[str, Image],
        repository: str | None = None,
        version: str | None = None,
        use_prebuilt_images: bool | str = True,
        on_missing: OnMissing = OnMissing.FAIL,
        attributes: Sequence[str] | None = None,
        revision: str | None = None,
        wait_seconds: int | None = None,
        fail_on_severity: Severity | None = None,
        on_vulnerable: OnVulnerable | None = None,
        on_retention_risk: OnRetentionRisk | None = None,
        on_rollback_target_missing: OnRollbackTargetMissing | None = None,
        service_timeout: cdk.Duration = DEFAULT_SERVICE_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        self._images = dict(images)
        self._attributes = (
            tuple(attributes) if attributes else tuple(a.value for a in DEFAULT_ATTRIBUTES)
        )
        top: dict[str, Any] = {
            "Repository": repository,
            "Version": version,
            "UsePreBuiltImages": strict_bool(use_prebuilt_images, name="use_prebuilt_images"),
            "OnMissing": on_missing.value,
            "Attributes": ",".join(attributes) if attributes else None,
            "Revision": revision,
            "WaitSeconds": str(wait_seconds) if wait_seconds is not None else None,
            "FailOnSeverity": fail_on_severity.value if fail_on_severity else None,
            "OnVulnerable": on_vulnerable.value if on_vulnerable else None,
            "OnRetentionRisk": on_retention_risk.value if on_retention_risk else None,
            "OnRollbackTargetMissing": (
                on_rollback_target_missing.value if on_rollback_target_missing else None
            ),
        }
        properties = {key: value for key, value in top.items() if value is not None}
        properties["Images"] = {name: image.properties() for name, image in self._images.items()}
        self._validate(properties)
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=service_timeout,
        )

    def _validate(self, properties: Mapping[str, Any]) -> None:
        """The core's own validation at synth time, when no value waits for deploy time."""
        if _has_token(properties):
            return
        stack = cdk.Stack.of(self)
        account, region = stack.account, stack.region
        if cdk.Token.is_unresolved(account) or cdk.Token.is_unresolved(region):
            account, region = "123456789012", "us-east-1"  # only bare names use these
        parse_request(
            properties, default_registry=Registry(account, region, partition_of_region(region))
        )

    # Attributes -------------------------------------------------------------------------------

    def attr(self, image: str, attribute: str) -> str:
        """``Fn::GetAtt [<resource>, <image>.<attribute>]``, for any per-image attribute."""
        if image not in self._images:
            raise ValueError(
                f"{image!r} is not one of this resolver's images: {sorted(self._images)}"
            )
        if attribute not in self._attributes:
            raise ValueError(
                f"{image}.{attribute} is not returned: add {attribute!r} to attributes "
                f"(now {list(self._attributes)})"
            )
        return self.resource.get_att_string(f"{image}.{attribute}")

    def summary(self, attribute: str) -> str:
        """``Fn::GetAtt [<resource>, <attribute>]`` for a summary attribute (``BuildRequired``…)."""
        return self.resource.get_att_string(attribute)

    def uri(self, image: str) -> str:
        """The digest-pinned URI to deploy (or the Fallback the resolver chose)."""
        return self.attr(image, "Uri")

    def digest(self, image: str) -> str:
        return self.attr(image, "Digest")

    @property
    def build_required(self) -> str:
        """ "true" when any image needs a build (a string, as every attribute)."""
        return self.summary("BuildRequired")

    @property
    def missing_images(self) -> str:
        return self.summary("MissingImages")

    @property
    def revision(self) -> str:
        return self.summary("Revision")

    @property
    def version(self) -> str:
        return self.summary("Version")

    @property
    def rollback_target(self) -> str:
        """``Ready``, ``Missing: <images>`` or ``Unknown: <why>`` (README: Rollbacks)."""
        return self.summary("RollbackTarget")

    # Images for consumers ---------------------------------------------------------------------

    def container_image(
        self, image: str, *, pull_from: Sequence[ecr.IRepository] = ()
    ) -> ecs.ContainerImage:
        """An ``ecs.ContainerImage`` pinned to ``uri(image)``.

        The task's execution role is granted pull on ``pull_from`` — the repository the image is
        in, and the Fallback's. Without it, grant ``ecr:GetAuthorizationToken`` and pull yourself.
        """
        return _PinnedContainerImage(self.uri(image), tuple(pull_from))

    def docker_image_code(
        self, image: str, *, pull_from: Sequence[ecr.IRepository] = ()
    ) -> lambda_.DockerImageCode:
        """A ``lambda_.DockerImageCode`` pinned to ``uri(image)``, for ``DockerImageFunction``.

        Lambda pulls with its service principal: as ``DockerImageCode.from_ecr`` does, the
        repositories in ``pull_from`` get a policy statement allowing ``lambda.amazonaws.com`` to
        pull (imported repositories cannot: their owner adds it, or Lambda adds it when the
        deploying role may ``ecr:SetRepositoryPolicy``). Give the image ``for_lambda=True``, so an
        index is pinned to one platform's image: Lambda rejects image indexes.
        """
        view = _PinnedRepository(self, f"{image}PinnedImage", self.uri(image), tuple(pull_from))
        return lambda_.DockerImageCode.from_ecr(view)


def _has_token(value: object) -> bool:
    if isinstance(value, Mapping):
        return any(_has_token(item) for item in value.values())
    return isinstance(value, str) and cdk.Token.is_unresolved(value)


class _PinnedContainerImage(ecs.ContainerImage):
    """``ContainerImage.from_registry(uri)`` plus the grants of ``from_ecr_repository``."""

    def __init__(self, uri: str, pull_from: tuple[ecr.IRepository, ...]) -> None:
        super().__init__()
        self._uri = uri
        self._pull_from = pull_from

    def bind(
        self, scope: Construct, container_definition: ecs.ContainerDefinition
    ) -> ecs.ContainerImageConfig:
        role = container_definition.task_definition.obtain_execution_role()
        for repository in self._pull_from:
            repository.grant_pull(role)
        return ecs.ContainerImageConfig(image_name=self._uri)


class _PinnedRepository(ecr.RepositoryBase):
    """What ``DockerImageCode.from_ecr`` asks of a repository, answered with a pinned URI.

    ``from_ecr`` is the only public way to a ``DockerImageCode`` for an existing image (the
    class's ``_bind`` is internal to the CDK, so it cannot be subclassed from Python). It asks the
    repository for ``repositoryUriForTagOrDigest`` — answered here with the whole resolved URI —
    and calls ``grantPull``, which lands in ``add_to_resource_policy``: forwarded to the
    repositories the image may come from. No CloudFormation resource is created.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        uri: str,
        pull_from: tuple[ecr.IRepository, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self._uri = uri
        self._pull_from = pull_from

    @property
    def repository_name(self) -> str:
        return self._pull_from[0].repository_name if self._pull_from else "image-resolver-pinned"

    @property
    def repository_arn(self) -> str:
        if self._pull_from:
            return self._pull_from[0].repository_arn
        return cdk.Stack.of(self).format_arn(
            service="ecr", resource="repository", resource_name=self.repository_name
        )

    def add_to_resource_policy(
        self, statement: iam.PolicyStatement
    ) -> iam.AddToResourcePolicyResult:
        added = [repository.add_to_resource_policy(statement) for repository in self._pull_from]
        return iam.AddToResourcePolicyResult(statement_added=any(a.statement_added for a in added))

    def repository_uri_for_tag_or_digest(self, tag_or_digest: str | None = None) -> str:
        return self._uri
