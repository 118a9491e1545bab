import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  OnLockMismatch, OnMissing, OnRetentionRisk, OnRollbackTargetMissing, OnUnsigned, OnVulnerable, Protect, Severity, TagOrder,
} from './enums';
import { PinnedContainerImage, PinnedDockerImageCode, PinnedLambdaCode } from './pinned';
import { ATTRIBUTES, DEFAULT_ATTRIBUTES, checkProperties } from './rules';
import { SignedBy } from './signed-by';

/** The attributes every resolver returns, besides the per-image ones (README: Attributes). */
const SUMMARY_ATTRIBUTES = ['BuildRequired', 'MissingImages', 'Revision', 'Version', 'RollbackTarget', 'RollbackRecord'];
/** The summary attribute of `protect`, returned only by a resolver that protects its images. */
const PROTECTION = 'Protection';

/**
 * One entry of `images` (README: Properties, per image). Exactly one of `tag` and `digest`, given
 * directly or by a `reference`.
 */
export interface Image {
  /** Image tag; `{version}` is replaced by `version`. A glob (`cloudtak-*`) picks the newest match. */
  readonly tag?: string;
  /** Pin an exact image (`sha256:…`); it is checked to exist. */
  readonly digest?: string;
  /** Overrides the resolver's `repository`: a name, an ARN or a registry URI. */
  readonly repository?: string;
  /**
   * A whole image reference instead of `repository` with `tag` or `digest`, as ECS, Batch and
   * Lambda take it: `repo:tag`, `<ECR registry>[:<port>]/repo:tag`, `repo@sha256:…`, or a
   * repository name or ARN with `tag` or `digest` beside it. Not with `repository`.
   * @default - `repository` with `tag` or `digest`
   */
  readonly reference?: string;
  /**
   * Read this image through this IAM role (overrides the resolver's `roleArn`). Images of one
   * account are read through one role (README: Images in another account).
   * @default - the resolver's `roleArn`
   */
  readonly roleArn?: string;
  /**
   * The `sts:ExternalId` of this image's `roleArn` (only with it).
   * @default - none
   */
  readonly externalId?: string;
  /**
   * This image's signature gate: any one of these admits it (replaces the resolver's).
   * @default - the resolver's `requireSignature`
   */
  readonly requireSignature?: SignedBy[];
  /**
   * How this image's pattern ranks its candidates (patterns only).
   * @default - the resolver's `order`
   */
  readonly order?: TagOrder;
  /** URI to deploy when the image is missing and `onMissing` is `FALLBACK`, or when `usePrebuiltImages` is false. */
  readonly fallback?: string;
  /**
   * Build the image locally when it is needed, and deploy that as its fallback: a
   * `DockerImageAsset` with these properties, created only when the image needs a build (see
   * `imagesToBuild`). `cdk deploy` publishes every asset in the app, so this is how a deploy
   * builds only the images that are missing. Not with `fallback`.
   * @default - no build
   */
  readonly fallbackBuild?: ecr_assets.DockerImageAssetProps;
  /** When the tag is an image index, pin `Uri` to this platform's image, e.g. `linux/arm64`. */
  readonly platform?: string;
  /**
   * The consumer is a Lambda function: an index is always pinned to one platform's image (Lambda
   * rejects indexes). The `Lambda` property.
   * @default false
   */
  readonly forLambda?: boolean;
  /** This image's vulnerability gate (overrides the resolver's). */
  readonly failOnSeverity?: Severity;
  /** This image's retention gate (overrides the resolver's). */
  readonly onRetentionRisk?: OnRetentionRisk;
}

/** Properties of an `ImageResolver`: one per documented property of `Custom::ImageResolver`. */
export interface ImageResolverProps {
  /** The resolver function's ARN, e.g. `Fn.importValue('image-resolver-ServiceToken')`. */
  readonly serviceToken: string;
  /** Image name (letters and digits; it becomes the attribute names) → image. */
  readonly images: { [name: string]: Image };
  /** Default repository of the images: a name, an ARN (an `Fn.importValue` is fine) or a URI. */
  readonly repository?: string;
  /** Replaces `{version}` in every tag; `latest` picks the newest version present for every image. */
  readonly version?: string;
  /**
   * `false`: no ECR call, every image deploys its fallback. A boolean, or the strings
   * `"true"`/`"false"` in any case (a CDK context value is a string: `"false"` is not true here).
   * @default true
   */
  readonly usePrebuiltImages?: boolean | string;
  /** @default OnMissing.FAIL */
  readonly onMissing?: OnMissing;
  /**
   * Per-image attributes to return; what `attr()` may read.
   * @default ['Uri', 'Digest', 'Status', 'BuildRequired']
   */
  readonly attributes?: string[];
  /** Free text; changing it makes CloudFormation call the resolver again (the planner's revision). */
  readonly revision?: string;
  /**
   * Poll for missing images for up to this many seconds (0–900).
   * @default 0
   */
  readonly waitSeconds?: number;
  /**
   * Vulnerability gate for every image.
   * @default - no gate
   */
  readonly failOnSeverity?: Severity;
  /** @default OnVulnerable.FAIL */
  readonly onVulnerable?: OnVulnerable;
  /**
   * Under a gate, an image never scanned is blocked.
   * @default false
   */
  readonly requireScan?: boolean;
  /**
   * How long to wait for a scan in progress (0–900).
   * @default 60
   */
  readonly scanWaitSeconds?: number;
  /** @default OnRetentionRisk.REPORT */
  readonly onRetentionRisk?: OnRetentionRisk;
  /** @default OnRollbackTargetMissing.WARN */
  readonly onRollbackTargetMissing?: OnRollbackTargetMissing;
  /**
   * Read every image without its own `roleArn` through this IAM role, assumed once per request
   * (README: Images in another account). The resolver's stack must list it in
   * `AssumableRoleArns`; this stack grants nothing.
   * @default - the resolver's own credentials
   */
  readonly roleArn?: string;
  /**
   * The `sts:ExternalId` the role's trust policy requires (only with `roleArn`).
   * @default - none
   */
  readonly externalId?: string;
  /**
   * The signature gate: any one of these admits an image (README: Deploy only what CI vouched
   * for). Needs the resolver deployed with `SupplyChainChecks=true`.
   * @default - no gate
   */
  readonly requireSignature?: SignedBy[];
  /** @default OnUnsigned.FAIL */
  readonly onUnsigned?: OnUnsigned;
  /**
   * The lock: the digests the plan saw, image name → digest. The string is what `resolver plan
   * --emit lock` prints (`Api=sha256:…,Events=sha256:…`), e.g. from context; an image ECR
   * answers with another digest fails the deploy (see `onLockMismatch`).
   * @default - no lock
   */
  readonly expectedDigests?: string | { [name: string]: string };
  /** @default OnLockMismatch.FAIL */
  readonly onLockMismatch?: OnLockMismatch;
  /**
   * Wait (within `scanWaitSeconds`) until the images are replicated to these regions; `true`:
   * to every destination ECR reports. Needs `SupplyChainChecks=true`.
   * @default - no wait
   */
  readonly waitForReplication?: boolean | string[];
  /**
   * How patterns and `version: 'latest'` rank their candidates.
   * @default TagOrder.PUSHED
   */
  readonly order?: TagOrder;
  /**
   * Tag every image this resource pins so the repository's lifecycle policy keeps it (README:
   * Protecting pinned images). The resolver tags through its own role (`EnableProtection=true`
   * on its stack); this stack grants nothing. `protection` and the `Protected` attribute report it.
   * @default Protect.OFF
   */
  readonly protect?: Protect;
  /**
   * The images that need a local build: the planner's `missingImages` context
   * (`resolver plan --emit cdk-context`), comma-separated or a list. Only these images' `fallbackBuild`
   * makes a `DockerImageAsset`; `""` builds none. Give it with `usePrebuiltImages` true and
   * `onMissing: FALLBACK`, so the images that exist come from ECR.
   * @default - every image with a `fallbackBuild` gets its asset when its fallback may be deployed
   *   (`onMissing: FALLBACK`, or `usePrebuiltImages` false)
   */
  readonly imagesToBuild?: string | string[];
  /**
   * How long CloudFormation waits for the resolver's answer (its `ServiceTimeout`). The resolver
   * answers within its function timeout; without this, a stack whose resolver cannot answer waits
   * an hour.
   * @default Duration.minutes(5)
   */
  readonly serviceTimeout?: Duration;
}

/** Which repositories a consumer pulls from (the image's, and its fallback's). */
export interface PullOptions {
  /**
   * Repositories to grant pull on. The repository of the asset `fallbackBuild` makes is added.
   * @default - none: grant pull yourself (a cross-account repository's owner does)
   */
  readonly pullFrom?: ecr.IRepository[];
}

/** A Lambda function's image settings, as `Code.fromEcrImage` takes them. */
export interface LambdaImageOptions extends PullOptions {
  /** @default - the image's CMD */
  readonly cmd?: string[];
  /** @default - the image's ENTRYPOINT */
  readonly entrypoint?: string[];
  /** @default - the image's WORKDIR */
  readonly workingDirectory?: string;
}

/**
 * A `Custom::ImageResolver` resource: ECR images resolved at deploy time to digest-pinned URIs,
 * with typed attribute accessors and images for ECS and Lambda (README: AWS CDK).
 *
 * The properties are checked at synth time with the resolver's own rules and messages, deploy-time
 * values (an imported repository ARN, a parameter) included: every part synth knows is checked.
 */
export class ImageResolver extends Construct {
  /** The CloudFormation type of the resource. */
  public static readonly RESOURCE_TYPE = 'Custom::ImageResolver';

  /** The custom resource. */
  public readonly resource: CustomResource;
  private readonly images: { [name: string]: Image };
  private readonly attributes: string[];
  private readonly assets: { [name: string]: ecr_assets.DockerImageAsset } = {};
  private readonly versionKey: string;
  private readonly protect?: Protect;

  constructor(scope: Construct, id: string, props: ImageResolverProps) {
    super(scope, id);
    this.images = { ...props.images };
    this.attributes = canonicalAttributes(props.attributes);
    this.protect = props.protect;
    const toBuild = this.buildSelector(props);
    const images: { [name: string]: { [key: string]: string } } = {};
    for (const [name, image] of Object.entries(this.images)) {
      if (image.fallbackBuild !== undefined && toBuild(name)) {
        this.assets[name] = new ecr_assets.DockerImageAsset(this, `Build${name}`, image.fallbackBuild);
      }
      images[name] = defined({
        Tag: image.tag,
        Digest: image.digest,
        Repository: image.repository,
        Reference: image.reference,
        Fallback: image.fallback ?? this.assets[name]?.imageUri,
        Platform: image.platform,
        Lambda: image.forLambda ? 'true' : undefined,
        FailOnSeverity: image.failOnSeverity,
        OnRetentionRisk: image.onRetentionRisk,
        RoleArn: image.roleArn,
        ExternalId: image.externalId,
        RequireSignature: signatureText(image.requireSignature),
        Order: image.order,
      });
    }
    const properties = {
      ...defined({
        Repository: props.repository,
        Version: props.version,
        UsePreBuiltImages: boolText(props.usePrebuiltImages ?? true),
        OnMissing: props.onMissing ?? OnMissing.FAIL,
        Attributes: props.attributes?.length ? this.attributes.join(',') : undefined,
        Revision: props.revision,
        WaitSeconds: numberText(props.waitSeconds),
        FailOnSeverity: props.failOnSeverity,
        OnVulnerable: props.onVulnerable,
        RequireScan: boolText(props.requireScan),
        ScanWaitSeconds: numberText(props.scanWaitSeconds),
        OnRetentionRisk: props.onRetentionRisk,
        OnRollbackTargetMissing: props.onRollbackTargetMissing,
        Protect: props.protect,
        RoleArn: props.roleArn,
        ExternalId: props.externalId,
        RequireSignature: signatureText(props.requireSignature),
        OnUnsigned: props.onUnsigned,
        OnLockMismatch: props.onLockMismatch,
        WaitForReplication: replicationText(props.waitForReplication),
        Order: props.order,
      }),
      ...(props.expectedDigests === undefined ? {} : { ExpectedDigests: props.expectedDigests }),
      Images: images,
    };
    checkProperties(properties);
    // What synth knows of the images, free of tokens: it changes when the resolved images may.
    this.versionKey = JSON.stringify(Stack.of(this).resolve(properties));
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.serviceToken,
      resourceType: ImageResolver.RESOURCE_TYPE,
      properties,
      serviceTimeout: props.serviceTimeout ?? Duration.minutes(5),
    });
  }

  // Attributes ----------------------------------------------------------------------------------

  /** `Fn::GetAtt [<resource>, <image>.<attribute>]`, for any per-image attribute in `attributes`. */
  public attr(image: string, attribute: string): string {
    this.image(image);
    if (!this.attributes.includes(attribute)) {
      throw new Error(
        `${image}.${attribute} is not returned: add '${attribute}' to attributes (now ${this.attributes.join(', ')})`,
      );
    }
    return this.resource.getAttString(`${image}.${attribute}`);
  }

  /**
   * `Fn::GetAtt [<resource>, <attribute>]` for a summary attribute (`BuildRequired`, …;
   * `Protection` with `protect`).
   */
  public summary(attribute: string): string {
    const protecting = this.protect !== undefined && this.protect !== Protect.OFF;
    if (attribute === PROTECTION && !protecting) {
      // CloudFormation would fail the consumer at deploy: the resolver returns it only with Protect.
      throw new Error(
        `'${PROTECTION}' is returned only by a resolver that protects its images: set protect to BEST_EFFORT or REQUIRED`,
      );
    }
    const valid = [...SUMMARY_ATTRIBUTES, ...(protecting ? [PROTECTION] : [])];
    if (!valid.includes(attribute)) {
      throw new Error(`'${attribute}' is not a summary attribute: use one of ${valid.join(', ')}`);
    }
    return this.resource.getAttString(attribute);
  }

  /** The digest-pinned URI to deploy (or the fallback the resolver chose). */
  public uri(image: string): string {
    return this.attr(image, 'Uri');
  }

  /** The image's digest (`""` when not found). */
  public digest(image: string): string {
    return this.attr(image, 'Digest');
  }

  /**
   * How the image's signature gate judged it: `Signed: ci_release`, `Signed: Notation (not
   * verified)`, `Unsigned`, … (README: Deploy only what CI vouched for). Needs `Signature` in
   * `attributes`.
   */
  public signature(image: string): string {
    return this.attr(image, 'Signature');
  }

  /**
   * Whether the tag the image was pinned through can move: `Immutable`, `Mutable` (a signature or
   * the lock vouches for the digest), `Mutable: no lock or signature`, … Needs `TagMutability` in
   * `attributes`.
   */
  public tagMutability(image: string): string {
    return this.attr(image, 'TagMutability');
  }

  /**
   * The image's `Protected` attribute: whether it carries its protection tag — `Yes`, `Denied:
   * <code>`, `Skipped` (not in ECR), `No` without `protect`. Needs `Protected` in `attributes`.
   * (Not `protected(image)`: a reserved word in C# and Java, which jsii may target.)
   */
  public protectionOf(image: string): string {
    return this.attr(image, 'Protected');
  }

  /** `"true"` when any image needs a build (a string, as every attribute). */
  public get buildRequired(): string {
    return this.summary('BuildRequired');
  }

  /** Names of the images not found, comma-separated. */
  public get missingImages(): string {
    return this.summary('MissingImages');
  }

  /** Short hash of every image's `Uri`. */
  public get revision(): string {
    return this.summary('Revision');
  }

  /** The version used (the one `latest` chose, else `version`). */
  public get version(): string {
    return this.summary('Version');
  }

  /** `Ready`, `Missing: <images>` or `Unknown: <why>` (README: Rollbacks). */
  public get rollbackTarget(): string {
    return this.summary('RollbackTarget');
  }

  /** `Full`, `Abbreviated` or `Dropped`: how much of this deployment a rollback can replay (README: the response budget). */
  public get rollbackRecord(): string {
    return this.summary('RollbackRecord');
  }

  /**
   * With `protect`: `Yes` (every image in ECR carries its tag), `Partial: 3 of 4`, `No`, or
   * `Skipped` (no image in ECR). Only a resolver that protects its images returns it.
   */
  public get protection(): string {
    return this.summary(PROTECTION);
  }

  /** The asset `fallbackBuild` made for the image, if the image needed one. */
  public fallbackAsset(image: string): ecr_assets.DockerImageAsset | undefined {
    this.image(image);
    return this.assets[image];
  }

  // Images for consumers ------------------------------------------------------------------------

  /**
   * An `ecs.ContainerImage` pinned to `uri(image)`. The task's execution role may pull from
   * `pullFrom` (the image's repository, and its fallback's).
   */
  public containerImage(image: string, options: PullOptions = {}): ecs.ContainerImage {
    return new PinnedContainerImage(this.uri(image), this.pullFrom(image, options));
  }

  /**
   * A `lambda.DockerImageCode` pinned to `uri(image)`, for `DockerImageFunction`. Give the image
   * `forLambda: true`, so an index is pinned to one platform's image: Lambda rejects indexes.
   */
  public dockerImageCode(image: string, options: LambdaImageOptions = {}): lambda.DockerImageCode {
    return new PinnedDockerImageCode(this.lambdaCode(image, options));
  }

  /**
   * A `lambda.Code` pinned to `uri(image)`, for `lambda.Function` (with `handler:
   * Handler.FROM_IMAGE` and `runtime: Runtime.FROM_IMAGE`), as `Code.fromEcrImage` gives.
   *
   * Lambda pulls with its service principal: the repositories in `pullFrom` get a policy
   * statement allowing `lambda.amazonaws.com` to pull (an imported repository cannot: its owner
   * adds it, or Lambda does when the deploying role may `ecr:SetRepositoryPolicy`). The function's
   * `currentVersion` changes when the images' properties do, so an alias follows a new image.
   */
  public lambdaCode(image: string, options: LambdaImageOptions = {}): lambda.Code {
    return new PinnedLambdaCode({
      uri: this.uri(image),
      pullFrom: this.pullFrom(image, options),
      cmd: options.cmd,
      entrypoint: options.entrypoint,
      workingDirectory: options.workingDirectory,
      versionKey: this.versionKey,
    });
  }

  private image(name: string): Image {
    const image = this.images[name];
    if (image === undefined) {
      throw new Error(`'${name}' is not one of this resolver's images: ${Object.keys(this.images).join(', ')}`);
    }
    return image;
  }

  private pullFrom(image: string, options: PullOptions): ecr.IRepository[] {
    const asset = this.assets[image];
    return [...(options.pullFrom ?? []), ...(asset ? [asset.repository] : [])];
  }

  /** Which images' `fallbackBuild` makes an asset. */
  private buildSelector(props: ImageResolverProps): (name: string) => boolean {
    const planned = plannedNames(props.imagesToBuild);
    for (const name of planned ?? []) {
      const image = this.images[name];
      if (image === undefined) {
        throw new Error(
          `imagesToBuild: '${name}' is not one of this resolver's images: ${Object.keys(this.images).join(', ')}`,
        );
      }
      if (image.fallbackBuild === undefined && image.fallback === undefined && props.onMissing === OnMissing.FALLBACK) {
        throw new Error(
          `imagesToBuild: '${name}' is missing from ECR and has neither fallbackBuild nor fallback, so the deploy would fail: give it one`,
        );
      }
    }
    for (const [name, image] of Object.entries(this.images)) {
      if (image.fallbackBuild !== undefined && image.fallback !== undefined) {
        throw new Error(`Images.${name}: give either fallbackBuild or fallback, not both`);
      }
    }
    const prebuilt = boolText(props.usePrebuiltImages);
    if (prebuilt === 'false' && planned !== undefined) {
      throw new Error(
        'imagesToBuild builds only the images the plan found missing, but usePrebuiltImages false deploys every ' +
          "image's fallback: keep usePrebuiltImages true with imagesToBuild (per-image builds), or drop imagesToBuild",
      );
    }
    // Only a fallback that may be deployed is worth building (a deploy-time value may be false).
    const prebuiltForSure = prebuilt === undefined || prebuilt === 'true';
    const mayFallBack = !prebuiltForSure || props.onMissing === OnMissing.FALLBACK;
    return (name) => mayFallBack && (planned === undefined || planned.includes(name));
  }
}

function canonicalAttributes(given: string[] | undefined): string[] {
  if (!given?.length) return DEFAULT_ATTRIBUTES;
  // Unknown names are left as given: checkProperties names them, with the resolver's message.
  return given.map((name) => ATTRIBUTES.find((a) => a.toLowerCase() === name.trim().toLowerCase()) ?? name);
}

function plannedNames(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = Array.isArray(value) ? value : value.split(',');
  if (names.some((name) => Token.isUnresolved(name))) {
    throw new Error('imagesToBuild must be known at synth time (a context value): assets are made at synth');
  }
  return names.map((name) => name.trim()).filter((name) => name !== '');
}

/** The strict boolean as the resolver reads it; a string is passed on for the rules to check. */
function boolText(value: boolean | string | undefined): string | undefined {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === undefined || Token.isUnresolved(value)) return value;
  const lower = value.trim().toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : value;
}

/** A list as one comma-separated string, as `Attributes` is sent (tokens become a Fn::Join). */
function listText(value: string[] | undefined): string | undefined {
  return value?.length ? value.join(',') : undefined;
}

function signatureText(value: SignedBy[] | undefined): string | undefined {
  return listText(value?.map((signedBy) => signedBy.value));
}

/** `true`/`false`, or the regions. */
function replicationText(value: boolean | string[] | undefined): string | undefined {
  return typeof value === 'boolean' ? boolText(value) : listText(value);
}

function numberText(value: number | undefined): string | undefined {
  return value === undefined ? undefined : Token.isUnresolved(value) ? Token.asString(value) : String(value);
}

function defined<T extends object>(values: T): { [key: string]: string } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
