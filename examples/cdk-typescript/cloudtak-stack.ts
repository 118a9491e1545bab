// A CloudTAK-shaped consumer (the first user's stack): an ECS API service, two image Lambdas — a
// DockerImageFunction and a lambda.Function behind an alias — and a Batch job, all from one ECR
// repository whose ARN a base stack exports. cdk/test/example.test.ts synthesizes it; the README's
// TypeScript example is the part between the README markers (tests/cdk/test_readme.py compares).
// README: begin
import * as path from 'path';
import { CfnOutput, Fn, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ImageResolver, OnMissing, Protect } from 'ecr-image-resolver-cdk';

// The build context of each image, for a deploy that must build it.
const build = (name: string) => ({ directory: path.join(__dirname, '..', 'cdk-images', name) });
// README: end

export class CloudTakStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // README: begin
    // The base stack exports only the repository's ARN. Repository.fromRepositoryArn refuses a
    // deploy-time ARN (it cannot read the name out of it): fromRepositoryAttributes takes both.
    const repositoryArn = Fn.importValue('TAK-Dev-BaseInfra-EcrArtifactsRepoArn');
    const artifacts = ecr.Repository.fromRepositoryAttributes(this, 'Artifacts', {
      repositoryArn,
      repositoryName: 'tak-dev-baseinfra-artifacts',
    });

    const images = new ImageResolver(this, 'Images', {
      serviceToken: Fn.importValue('image-resolver-ServiceToken'), // ServiceTimeout: 5 min
      repository: repositoryArn,
      version: this.node.tryGetContext('imageVersion'), // CI's version, e.g. the commit: 3f9a1c2e
      onMissing: OnMissing.FALLBACK,
      // `resolver plan --emit cdk-context` names the images missing from ECR: only those get a
      // DockerImageAsset, so `cdk deploy` builds only them. Without it, every fallbackBuild does.
      imagesToBuild: this.node.tryGetContext('missingImages'),
      // `resolver plan --emit lock`: the digests the plan saw. An image CI pushed again since
      // then fails the deploy instead of rolling out unplanned.
      expectedDigests: this.node.tryGetContext('imageDigests'),
      // Tag what the stack runs, so the repository's lifecycle policy keeps it (with the
      // resolver's EnableProtection=true; BestEffort: a refused tag is only reported).
      protect: Protect.BEST_EFFORT,
      images: {
        Api: { tag: 'cloudtak-{version}', fallbackBuild: build('api') },
        Events: { tag: 'events-{version}', forLambda: true, fallbackBuild: build('events') },
        Pmtiles: { tag: 'pmtiles-{version}', forLambda: true, fallbackBuild: build('pmtiles') },
        Data: { tag: 'data-{version}', fallbackBuild: build('data') },
      },
    });

    // ECS: the whole digest-pinned URI; the execution role may pull from the repository.
    const api = new ecs.FargateTaskDefinition(this, 'Api', { cpu: 512, memoryLimitMiB: 1024 });
    api.addContainer('api', {
      image: images.containerImage('Api', { pullFrom: [artifacts] }),
      portMappings: [{ containerPort: 5000 }],
    });
    const cluster = new ecs.Cluster(this, 'Cluster');
    new ecs.FargateService(this, 'ApiService', { cluster, taskDefinition: api });

    // Lambda, as a DockerImageFunction...
    new lambda.DockerImageFunction(this, 'Events', {
      code: images.dockerImageCode('Events', { pullFrom: [artifacts] }),
    });
    // ...and as a lambda.Function (image code needs FROM_IMAGE for both) with an alias: its
    // currentVersion changes with the resolver's properties, so the alias follows a new image.
    const tiles = new lambda.Function(this, 'Tiles', {
      code: images.lambdaCode('Pmtiles', { pullFrom: [artifacts] }),
      handler: lambda.Handler.FROM_IMAGE,
      runtime: lambda.Runtime.FROM_IMAGE,
    });
    new lambda.Alias(this, 'TilesLive', { aliasName: 'live', version: tiles.currentVersion });

    // Batch takes an ecs.ContainerImage too.
    new batch.EcsJobDefinition(this, 'Data', {
      container: new batch.EcsFargateContainerDefinition(this, 'DataContainer', {
        image: images.containerImage('Data', { pullFrom: [artifacts] }),
        cpu: 1,
        memory: Size.gibibytes(2),
      }),
    });

    new CfnOutput(this, 'MissingImages', { value: images.missingImages }); // "" once all are pushed
    // README: end
  }
}
