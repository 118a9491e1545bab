// Images pinned to the resolver's `Uri`, for ECS and Lambda, with the pull grants the CDK's own
// `fromEcr*` helpers would give.
//
// Why these exist: `ecs.ContainerImage.fromEcrRepository(repo, tag)` and
// `lambda.DockerImageCode.fromEcr(repo, { tagOrDigest })` decide between `repo:tag` and
// `repo@digest` at synth time by looking at the string (`repositoryUriForTagOrDigest` checks for a
// `sha256:` prefix). A deploy-time value is a token, so it always becomes `repo:<token>` — and the
// resolver's `Uri` is a whole URI anyway (a fallback may live in another repository). These hand
// CloudFormation `Fn::GetAtt [<resource>, <Image>.Uri]` as the whole image URI.
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** `ContainerImage.fromRegistry(uri)` plus the execution role's pull rights of `fromEcrRepository`. */
export class PinnedContainerImage extends ecs.ContainerImage {
  constructor(private readonly uri: string, private readonly pullFrom: ecr.IRepository[]) {
    super();
  }

  public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const role = containerDefinition.taskDefinition.obtainExecutionRole();
    for (const repository of this.pullFrom) repository.grantPull(role);
    return { imageName: this.uri };
  }
}

/** What the pinned Lambda code needs to know. */
export interface PinnedCodeOptions {
  readonly uri: string;
  readonly pullFrom: ecr.IRepository[];
  readonly cmd?: string[];
  readonly entrypoint?: string[];
  readonly workingDirectory?: string;
  /** Changes exactly when the resolved image may: see `bind`. */
  readonly versionKey: string;
}

/** `Code.fromEcrImage(repo, …)` with the whole pinned URI. */
export class PinnedLambdaCode extends lambda.Code {
  public readonly isInline = false;

  constructor(private readonly options: PinnedCodeOptions) {
    super();
  }

  public bind(scope: Construct): lambda.CodeConfig {
    // Lambda pulls with its service principal: as fromEcrImage does, each repository's policy
    // lets lambda.amazonaws.com pull (a statement only a repository the stack owns can take).
    for (const repository of this.options.pullFrom) {
      repository.grantPull(new iam.ServicePrincipal('lambda.amazonaws.com'));
    }
    // `fn.currentVersion` names its AWS::Lambda::Version by a hash of the function's template,
    // where the image is the same `Fn::GetAtt` on every deploy: without this, a new image would
    // update the function but never publish a version, and an alias would keep the old one.
    if (scope instanceof lambda.Function) scope.invalidateVersionBasedOn(this.options.versionKey);
    const { uri: imageUri, cmd, entrypoint, workingDirectory } = this.options;
    return { image: { imageUri, cmd, entrypoint, workingDirectory } };
  }
}

/** The same for `DockerImageFunction`, which takes a `DockerImageCode`. */
export class PinnedDockerImageCode extends lambda.DockerImageCode {
  constructor(private readonly code: lambda.Code) {
    super();
  }

  /**
   * The one method `DockerImageCode` asks for (`fromEcr` answers it the same way, with its code).
   * @internal
   */
  public _bind(): lambda.Code {
    return this.code;
  }
}
