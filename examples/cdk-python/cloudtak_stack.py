"""A CloudTAK-shaped consumer (the first user's stack), in Python: an ECS API service, two image
Lambdas — a DockerImageFunction and a lambda.Function behind an alias — and a Batch job, all from
one ECR repository whose ARN a base stack exports. tests/cdk/test_examples.py synthesizes it (and
plans it); the README's Python example is the part between the README markers."""

from __future__ import annotations

# README: begin
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Fn, Size, Stack
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from resolver_cdk import Image, ImageResolver, OnMissing, Protect

IMAGES = Path(__file__).parent.parent / "cdk-images"


def build(name: str) -> ecr_assets.DockerImageAssetProps:
    """The build context of an image, for a deploy that must build it."""
    return ecr_assets.DockerImageAssetProps(directory=str(IMAGES / name))


# README: end


class CloudTakStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # README: begin
        # The base stack exports only the repository's ARN. from_repository_arn refuses a
        # deploy-time ARN (it cannot read the name out of it): from_repository_attributes takes both.
        repository_arn = Fn.import_value("TAK-Dev-BaseInfra-EcrArtifactsRepoArn")
        artifacts = ecr.Repository.from_repository_attributes(
            self,
            "Artifacts",
            repository_arn=repository_arn,
            repository_name="tak-dev-baseinfra-artifacts",
        )

        images = ImageResolver(
            self,
            "Images",
            service_token=Fn.import_value("image-resolver-ServiceToken"),  # ServiceTimeout: 5 min
            repository=repository_arn,
            # CI's version, e.g. the commit: 3f9a1c2e
            version=self.node.try_get_context("imageVersion"),
            on_missing=OnMissing.FALLBACK,
            # `resolver plan --emit cdk-context` names the images missing from ECR: only those get
            # a DockerImageAsset, so `cdk deploy` builds only them. Without it, all of them do.
            images_to_build=self.node.try_get_context("missingImages"),
            # `resolver plan --emit lock`: the digests the plan saw. An image CI pushed again
            # since then fails the deploy instead of rolling out unplanned.
            expected_digests=self.node.try_get_context("imageDigests"),
            # Tag what the stack runs, so the repository's lifecycle policy keeps it (with the
            # resolver's EnableProtection=true; BestEffort: a refused tag is only reported).
            protect=Protect.BEST_EFFORT,
            images={
                "Api": Image(tag="cloudtak-{version}", fallback_build=build("api")),
                "Events": Image(
                    tag="events-{version}", for_lambda=True, fallback_build=build("events")
                ),
                "Pmtiles": Image(
                    tag="pmtiles-{version}", for_lambda=True, fallback_build=build("pmtiles")
                ),
                "Data": Image(tag="data-{version}", fallback_build=build("data")),
            },
        )

        # ECS: the whole digest-pinned URI; the execution role may pull from the repository.
        api = ecs.FargateTaskDefinition(self, "Api", cpu=512, memory_limit_mib=1024)
        api.add_container(
            "api",
            image=images.container_image("Api", pull_from=[artifacts]),
            port_mappings=[ecs.PortMapping(container_port=5000)],
        )
        ecs.FargateService(
            self, "ApiService", cluster=ecs.Cluster(self, "Cluster"), task_definition=api
        )

        # Lambda, as a DockerImageFunction...
        lambda_.DockerImageFunction(
            self, "Events", code=images.docker_image_code("Events", pull_from=[artifacts])
        )
        # ...and as a lambda_.Function (image code needs FROM_IMAGE for both) with an alias: its
        # current_version changes with the resolver's properties, so the alias follows a new image.
        tiles = lambda_.Function(
            self,
            "Tiles",
            code=images.lambda_code("Pmtiles", pull_from=[artifacts]),
            handler=lambda_.Handler.FROM_IMAGE,
            runtime=lambda_.Runtime.FROM_IMAGE,
        )
        lambda_.Alias(self, "TilesLive", alias_name="live", version=tiles.current_version)

        # Batch takes an ecs.ContainerImage too.
        batch.EcsJobDefinition(
            self,
            "Data",
            container=batch.EcsFargateContainerDefinition(
                self,
                "DataContainer",
                image=images.container_image("Data", pull_from=[artifacts]),
                cpu=1,
                memory=Size.gibibytes(2),
            ),
        )

        CfnOutput(self, "MissingImages", value=images.missing_images)  # "" once CI pushed them all
        # README: end
