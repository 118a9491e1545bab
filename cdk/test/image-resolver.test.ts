// ImageResolver, synthesized and read back with aws-cdk-lib/assertions.
import * as path from 'path';
import { App, CfnOutput, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  ImageResolver, ImageResolverProps, OnLockMismatch, OnMissing, OnRetentionRisk, OnRollbackTargetMissing, OnUnsigned, Protect,
  SignedBy, TagOrder,
} from '../lib';

const TOKEN = 'arn:aws:lambda:ap-southeast-2:123456789012:function:image-resolver-resolver';
const REPO_ARN = 'arn:aws:ecr:ap-southeast-2:123456789012:repository/tak-dev-baseinfra-artifacts';
const LOCAL = '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/cdk-hnb659fds-container-assets';
const CONTEXT = path.join(__dirname, 'fixtures', 'image');
const ENV = { account: '123456789012', region: 'ap-southeast-2' };

function stack(): Stack {
  return new Stack(new App(), 'Consumer', { env: ENV });
}

/** The first user's shape: one repository, tags cloudtak-/events-<version>. */
function cloudtak(scope: Stack, options: Partial<ImageResolverProps> = {}): ImageResolver {
  return new ImageResolver(scope, 'Images', {
    serviceToken: TOKEN,
    repository: REPO_ARN,
    version: '3f9a1c2e',
    images: {
      Api: { tag: 'cloudtak-{version}', fallback: `${LOCAL}:api-local` },
      Events: { tag: 'events-{version}', forLambda: true, fallback: `${LOCAL}:events-local` },
    },
    ...options,
  });
}

function resolverProperties(template: Template): Record<string, unknown> {
  const [resource] = Object.values(template.findResources('Custom::ImageResolver'));
  return resource.Properties;
}

function getAtt(image: string, attribute = 'Uri') {
  return { 'Fn::GetAtt': [Match.stringLikeRegexp('^Images'), `${image}.${attribute}`] };
}

describe('a consumer as the first user has it: ECS for the API, an image Lambda for events', () => {
  const scope = stack();
  const images = cloudtak(scope, { usePrebuiltImages: 'false', onMissing: OnMissing.FALLBACK });
  const repository = ecr.Repository.fromRepositoryArn(scope, 'Artifacts', REPO_ARN);
  const task = new ecs.FargateTaskDefinition(scope, 'Task');
  task.addContainer('api', { image: images.containerImage('Api', { pullFrom: [repository] }), memoryLimitMiB: 512 });
  const own = new ecr.Repository(scope, 'Own');
  new lambda.DockerImageFunction(scope, 'Events', { code: images.dockerImageCode('Events', { pullFrom: [own] }) });
  new CfnOutput(scope, 'Build', { value: images.buildRequired });
  new CfnOutput(scope, 'Missing', { value: images.missingImages });
  new CfnOutput(scope, 'Record', { value: images.rollbackRecord });
  const template = Template.fromStack(scope);

  test('emits the custom resource with a service timeout', () => {
    expect(resolverProperties(template)).toEqual({
      ServiceToken: TOKEN,
      ServiceTimeout: '300',
      Repository: REPO_ARN,
      Version: '3f9a1c2e',
      UsePreBuiltImages: 'false', // the string, parsed strictly: never a truthy "false"
      OnMissing: 'Fallback',
      Images: {
        Api: { Tag: 'cloudtak-{version}', Fallback: `${LOCAL}:api-local` },
        Events: { Tag: 'events-{version}', Lambda: 'true', Fallback: `${LOCAL}:events-local` },
      },
    });
  });

  test('ECS gets the whole digest-pinned URI and pull rights', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: getAtt('Api') })],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['ecr:BatchGetImage']), Resource: REPO_ARN }),
          Match.objectLike({ Action: 'ecr:GetAuthorizationToken' }),
        ]),
      },
    });
  });

  test('Lambda gets the URI, not repo:<token>, and the repository lets Lambda pull', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { PackageType: 'Image', Code: { ImageUri: getAtt('Events') } });
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryPolicyText: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: Match.arrayWith(['ecr:BatchGetImage']),
          }),
        ],
      },
    });
  });

  test('summary attributes', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.Build.Value['Fn::GetAtt'][1]).toBe('BuildRequired');
    expect(outputs.Missing.Value['Fn::GetAtt'][1]).toBe('MissingImages');
    expect(outputs.Record.Value['Fn::GetAtt'][1]).toBe('RollbackRecord');
  });
});

test('lambdaCode: a lambda.Function from the image, and an alias that follows it', () => {
  const versionLogicalId = (version: string) => {
    const scope = stack();
    const images = cloudtak(scope, { version });
    const fn = new lambda.Function(scope, 'Events', {
      code: images.lambdaCode('Events', { cmd: ['app.handler'] }),
      handler: lambda.Handler.FROM_IMAGE,
      runtime: lambda.Runtime.FROM_IMAGE,
    });
    new lambda.Alias(scope, 'Live', { aliasName: 'live', version: fn.currentVersion });
    const template = Template.fromStack(scope);
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Code: { ImageUri: getAtt('Events') },
      ImageConfig: { Command: ['app.handler'] },
    });
    return Object.keys(template.findResources('AWS::Lambda::Version'))[0];
  };
  // The image is the same Fn::GetAtt on every deploy: the version must follow the properties.
  expect(versionLogicalId('3f9a1c2e')).not.toBe(versionLogicalId('4e8b2d3f'));
  expect(versionLogicalId('3f9a1c2e')).toBe(versionLogicalId('3f9a1c2e'));
});

test('the rollback and retention policies reach the resource', () => {
  const scope = stack();
  const images = cloudtak(scope, {
    onRollbackTargetMissing: OnRollbackTargetMissing.FAIL,
    onRetentionRisk: OnRetentionRisk.FAIL,
    waitSeconds: 120,
    requireScan: true,
    scanWaitSeconds: 30,
    revision: 'abc123',
    serviceTimeout: Duration.minutes(2),
  });
  const sent = resolverProperties(Template.fromStack(scope));
  expect(sent).toMatchObject({
    OnRollbackTargetMissing: 'Fail',
    OnRetentionRisk: 'Fail',
    WaitSeconds: '120',
    RequireScan: 'true',
    ScanWaitSeconds: '30',
    Revision: 'abc123',
    ServiceTimeout: '120',
  });
  expect(scope.resolve(images.rollbackTarget)['Fn::GetAtt'][1]).toBe('RollbackTarget');
});

test('accessors name the attribute and check it is returned', () => {
  const scope = stack();
  const images = cloudtak(scope, { attributes: ['uri', 'Tags'] });
  expect(scope.resolve(images.attr('Api', 'Tags'))['Fn::GetAtt'][1]).toBe('Api.Tags');
  expect(scope.resolve(images.uri('Api'))['Fn::GetAtt'][1]).toBe('Api.Uri');
  expect(scope.resolve(images.summary('RollbackTarget'))['Fn::GetAtt'][1]).toBe('RollbackTarget');
  expect(() => images.digest('Api')).toThrow("Api.Digest is not returned: add 'Digest' to attributes (now Uri, Tags)");
  expect(() => images.uri('Nope')).toThrow("'Nope' is not one of this resolver's images: Api, Events");
  expect(() => images.summary('Missing')).toThrow("'Missing' is not a summary attribute");
  expect(resolverProperties(Template.fromStack(scope)).Attributes).toBe('Uri,Tags');
});

test.each([
  [true, 'true'],
  [false, 'false'],
  ['FALSE', 'false'],
  ['true', 'true'],
])('usePrebuiltImages %p is sent as %p', (given, sent) => {
  const scope = stack();
  cloudtak(scope, { usePrebuiltImages: given });
  expect(resolverProperties(Template.fromStack(scope)).UsePreBuiltImages).toBe(sent);
});

test('a context flag that is not a boolean fails synth', () => {
  expect(() => cloudtak(stack(), { usePrebuiltImages: 'yes' })).toThrow(
    'UsePreBuiltImages: \'yes\' is not a boolean. Use "true" or "false".',
  );
});

test('an imported repository ARN does not skip validation', () => {
  // Every real consumer imports the ARN: an empty version must still fail synth, not the deploy.
  expect(
    () =>
      new ImageResolver(stack(), 'Images', {
        serviceToken: Fn.importValue('image-resolver-ServiceToken'),
        repository: Fn.importValue('TAK-Dev-BaseInfra-EcrArtifactsRepoArn'),
        version: '',
        images: { Api: { tag: 'cloudtak-{version}' } },
      }),
  ).toThrow(/^Images\.Api\.Tag: 'cloudtak-\{version\}' uses \{version\} but Version is empty/);
});

test('deploy-time values are passed through', () => {
  const scope = stack();
  new ImageResolver(scope, 'Images', {
    serviceToken: TOKEN,
    repository: REPO_ARN,
    version: new CfnParameter(scope, 'GitSha').valueAsString,
    usePrebuiltImages: new CfnParameter(scope, 'Prebuilt').valueAsString,
    waitSeconds: new CfnParameter(scope, 'Wait', { type: 'Number' }).valueAsNumber,
    images: { Api: { tag: 'cloudtak-{version}' } },
  });
  expect(resolverProperties(Template.fromStack(scope))).toMatchObject({
    Version: { Ref: 'GitSha' },
    UsePreBuiltImages: { Ref: 'Prebuilt' },
    WaitSeconds: { Ref: 'Wait' },
  });
});

test('images need no repository to grant on', () => {
  // Cross-account repositories: their owner's policy allows the pull, nothing to grant here.
  const scope = stack();
  const images = cloudtak(scope);
  new ecs.FargateTaskDefinition(scope, 'Task').addContainer('api', { image: images.containerImage('Api'), memoryLimitMiB: 512 });
  new lambda.DockerImageFunction(scope, 'Events', { code: images.dockerImageCode('Events') });
  const template = Template.fromStack(scope);
  template.hasResourceProperties('AWS::Lambda::Function', { Code: { ImageUri: getAtt('Events') } });
  template.resourceCountIs('AWS::ECR::Repository', 0);
  template.resourceCountIs('AWS::IAM::Policy', 0);
});

describe('fallbackBuild: an asset only for the images that need a build', () => {
  function built(options: Partial<ImageResolverProps>): { scope: Stack; images: ImageResolver } {
    const scope = stack();
    const images = new ImageResolver(scope, 'Images', {
      serviceToken: TOKEN,
      repository: REPO_ARN,
      version: '3f9a1c2e',
      onMissing: OnMissing.FALLBACK,
      images: {
        Api: { tag: 'cloudtak-{version}', fallbackBuild: { directory: CONTEXT, buildArgs: { IMAGE: 'api' } } },
        Events: { tag: 'events-{version}', forLambda: true, fallbackBuild: { directory: CONTEXT, buildArgs: { IMAGE: 'events' } } },
        Pmtiles: { tag: 'pmtiles-{version}', forLambda: true, fallbackBuild: { directory: CONTEXT, buildArgs: { IMAGE: 'pmtiles' } } },
        Data: { tag: 'data-{version}', fallbackBuild: { directory: CONTEXT, buildArgs: { IMAGE: 'data' } } },
      },
      ...options,
    });
    return { scope, images };
  }

  const dockerImages = (scope: Stack): string[] => {
    const assembly = (scope.node.root as App).synth();
    const manifest = assembly.artifacts.find((a) => a.id === `${scope.artifactId}.assets`);
    const file = require((manifest as unknown as { file: string }).file);
    return Object.keys(file.dockerImages ?? {});
  };

  test('the plan says Pmtiles is missing: one asset, the Fallback of Pmtiles only', () => {
    const { scope, images } = built({ imagesToBuild: 'Pmtiles' });
    expect(dockerImages(scope)).toHaveLength(1);
    const sent = resolverProperties(Template.fromStack(scope)) as { Images: Record<string, { Fallback?: unknown }> };
    expect(Object.entries(sent.Images).filter(([, image]) => image.Fallback).map(([name]) => name)).toEqual(['Pmtiles']);
    expect(images.fallbackAsset('Pmtiles')).toBeDefined();
    expect(images.fallbackAsset('Api')).toBeUndefined();
  });

  test('a list and spaces are read as the planner writes them', () => {
    expect(dockerImages(built({ imagesToBuild: ['Api', ' Data'] }).scope)).toHaveLength(2);
    expect(dockerImages(built({ imagesToBuild: 'Api, Data' }).scope)).toHaveLength(2);
  });

  test('nothing missing: no asset', () => {
    expect(dockerImages(built({ imagesToBuild: '' }).scope)).toHaveLength(0);
  });

  test('no plan: every image that may fall back gets its asset', () => {
    expect(dockerImages(built({}).scope)).toHaveLength(4);
    expect(dockerImages(built({ onMissing: OnMissing.FAIL }).scope)).toHaveLength(0);
    expect(dockerImages(built({ onMissing: OnMissing.FAIL, usePrebuiltImages: 'false' }).scope)).toHaveLength(4);
  });

  test('a fallback that is never deployed is never built', () => {
    // OnMissing: Fail deploys no fallback: a missing image fails the deploy, built or not.
    expect(dockerImages(built({ onMissing: OnMissing.FAIL, imagesToBuild: 'Pmtiles' }).scope)).toHaveLength(0);
  });

  test('the asset\'s repository is granted to ECS with the others', () => {
    const { scope, images } = built({ imagesToBuild: 'Api' });
    new ecs.FargateTaskDefinition(scope, 'Task').addContainer('api', { image: images.containerImage('Api'), memoryLimitMiB: 512 });
    Template.fromStack(scope).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['ecr:BatchGetImage']),
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          }),
        ]),
      },
    });
  });

  test('a name the resolver does not have', () => {
    expect(() => built({ imagesToBuild: 'Tiles' })).toThrow(
      "imagesToBuild: 'Tiles' is not one of this resolver's images: Api, Events, Pmtiles, Data",
    );
  });

  test('a missing image with nothing to deploy instead', () => {
    const scope = stack();
    expect(
      () =>
        new ImageResolver(scope, 'Images', {
          serviceToken: TOKEN,
          repository: REPO_ARN,
          onMissing: OnMissing.FALLBACK,
          imagesToBuild: 'Api',
          images: { Api: { tag: 'v1' } },
        }),
    ).toThrow("imagesToBuild: 'Api' is missing from ECR and has neither fallbackBuild nor fallback");
  });

  test('per-image builds with usePrebuiltImages false would build everything', () => {
    expect(() => built({ imagesToBuild: 'Api', usePrebuiltImages: 'false' })).toThrow(
      /keep usePrebuiltImages true with imagesToBuild/,
    );
  });

  test('a fallback and a build for one image', () => {
    expect(
      () =>
        new ImageResolver(stack(), 'Images', {
          serviceToken: TOKEN,
          repository: REPO_ARN,
          images: { Api: { tag: 'v1', fallback: `${LOCAL}:api`, fallbackBuild: { directory: CONTEXT } } },
        }),
    ).toThrow('Images.Api: give either fallbackBuild or fallback, not both');
  });

  test('the planned set must be known at synth time', () => {
    const scope = stack();
    expect(() => built({ imagesToBuild: new CfnParameter(scope, 'Missing').valueAsString })).toThrow(
      /imagesToBuild must be known at synth time/,
    );
  });
});

describe('roles, the supply-chain gates and protection', () => {
  const ROLE = 'arn:aws:iam::210987654321:role/image-reader';
  const PROFILE = 'arn:aws:signer:ap-southeast-2:123456789012:/signing-profiles/ci_release';
  const DIGEST_API = `sha256:${'a'.repeat(64)}`;
  const DIGEST_EVENTS = `sha256:${'b'.repeat(64)}`;
  const LOCK = `Api=${DIGEST_API},Events=${DIGEST_EVENTS}`;

  test('every top-level property reaches the resource under its CloudFormation name', () => {
    const scope = stack();
    cloudtak(scope, {
      roleArn: ROLE,
      externalId: 'tak-prod',
      requireSignature: [SignedBy.signerProfile(PROFILE), SignedBy.NOTATION],
      onUnsigned: OnUnsigned.REPORT,
      expectedDigests: LOCK,
      onLockMismatch: OnLockMismatch.REPORT,
      waitForReplication: ['us-west-2', 'eu-west-1'],
      protect: Protect.BEST_EFFORT,
    });
    expect(resolverProperties(Template.fromStack(scope))).toMatchObject({
      RoleArn: ROLE,
      ExternalId: 'tak-prod',
      RequireSignature: `${PROFILE},Notation`,
      OnUnsigned: 'Report',
      ExpectedDigests: LOCK, // as resolver plan --emit lock prints it: one String parameter
      OnLockMismatch: 'Report',
      WaitForReplication: 'us-west-2,eu-west-1',
      Protect: 'BestEffort',
    });
  });

  test('Order ranks the candidates of Version: latest', () => {
    const scope = stack();
    cloudtak(scope, { version: 'latest', order: TagOrder.SEMVER });
    expect(resolverProperties(Template.fromStack(scope))).toMatchObject({ Version: 'latest', Order: 'Semver' });
  });

  test('every per-image property reaches the image under its CloudFormation name', () => {
    const scope = stack();
    new ImageResolver(scope, 'Images', {
      serviceToken: TOKEN,
      images: {
        Api: { reference: '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/tak-dev-baseinfra-artifacts:cloudtak-1' },
        Tools: {
          reference: 'arn:aws:ecr:ap-southeast-2:333344445555:repository/tools/agent',
          tag: 'agent-*',
          order: TagOrder.SEMVER,
          roleArn: 'arn:aws:iam::333344445555:role/tools-reader',
          externalId: 'tak-prod',
          requireSignature: [SignedBy.SIGSTORE],
        },
      },
    });
    expect(resolverProperties(Template.fromStack(scope)).Images).toEqual({
      Api: { Reference: '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/tak-dev-baseinfra-artifacts:cloudtak-1' },
      Tools: {
        Reference: 'arn:aws:ecr:ap-southeast-2:333344445555:repository/tools/agent',
        Tag: 'agent-*',
        Order: 'Semver',
        RoleArn: 'arn:aws:iam::333344445555:role/tools-reader',
        ExternalId: 'tak-prod',
        RequireSignature: 'Sigstore',
      },
    });
  });

  test('the lock as a map, and a replication wait for every destination', () => {
    const scope = stack();
    cloudtak(scope, { expectedDigests: { Api: DIGEST_API }, waitForReplication: true });
    expect(resolverProperties(Template.fromStack(scope))).toMatchObject({
      ExpectedDigests: { Api: DIGEST_API },
      WaitForReplication: 'true',
    });
  });

  test('nothing given, nothing sent', () => {
    const scope = stack();
    cloudtak(scope, { requireSignature: [], waitForReplication: [] });
    const sent = resolverProperties(Template.fromStack(scope));
    for (const key of [
      'RoleArn', 'ExternalId', 'RequireSignature', 'OnUnsigned', 'ExpectedDigests', 'OnLockMismatch', 'WaitForReplication',
      'Order', 'Protect',
    ]) {
      expect(sent).not.toHaveProperty(key);
    }
  });

  test('deploy-time values: the lock from a parameter, a profile and a role from imports', () => {
    const scope = stack();
    cloudtak(scope, {
      expectedDigests: new CfnParameter(scope, 'ImageDigests').valueAsString,
      requireSignature: [SignedBy.signerProfile(Fn.importValue('SigningProfileArn')), SignedBy.NOTATION],
      roleArn: Fn.importValue('ImageReaderRoleArn'),
      externalId: new CfnParameter(scope, 'ExternalId').valueAsString,
    });
    expect(resolverProperties(Template.fromStack(scope))).toMatchObject({
      ExpectedDigests: { Ref: 'ImageDigests' },
      RequireSignature: { 'Fn::Join': ['', [{ 'Fn::ImportValue': 'SigningProfileArn' }, ',Notation']] },
      RoleArn: { 'Fn::ImportValue': 'ImageReaderRoleArn' },
      ExternalId: { Ref: 'ExternalId' },
    });
  });

  test("bad values fail synth with the resolver's messages", () => {
    expect(() => cloudtak(stack(), { externalId: 'tak-prod' })).toThrow(
      "ExternalId: 'tak-prod' is set without a RoleArn beside it.",
    );
    expect(() => cloudtak(stack(), { requireSignature: [SignedBy.signerProfile('ci_release')] })).toThrow(
      "RequireSignature: 'ci_release' is not a signing profile ARN, Notation or Sigstore.",
    );
    expect(() => cloudtak(stack(), { expectedDigests: `Api=${DIGEST_API},Web=${DIGEST_EVENTS}` })).toThrow(
      "ExpectedDigests.Web: 'Web' names no image of this resource. Lock only these images (Api, Events)",
    );
    expect(() => cloudtak(stack(), { waitForReplication: ['us-west'] })).toThrow("WaitForReplication: 'us-west' is not a region.");
    expect(() => cloudtak(stack(), { order: TagOrder.SEMVER })).toThrow(
      "Order: 'Semver' orders the candidates of patterns and Version: latest, and every Tag is exact.",
    );
    expect(
      () => new ImageResolver(stack(), 'Images', { serviceToken: TOKEN, images: { Api: { reference: 'docker.io/library/nginx:1.27' } } }),
    ).toThrow("Images.Api.Reference: 'docker.io/library/nginx:1.27' names registry 'docker.io', which is not Amazon ECR");
  });

  test('the attributes of the gates and of protection, each checked against attributes', () => {
    const scope = stack();
    const images = cloudtak(scope, {
      protect: Protect.REQUIRED,
      attributes: ['Uri', 'Signature', 'TagMutability', 'Protected'],
    });
    const getAtt = (value: string) => scope.resolve(value)['Fn::GetAtt'][1];
    expect(getAtt(images.signature('Api'))).toBe('Api.Signature');
    expect(getAtt(images.tagMutability('Events'))).toBe('Events.TagMutability');
    expect(getAtt(images.protectionOf('Api'))).toBe('Api.Protected');
    expect(getAtt(images.protection)).toBe('Protection');
    expect(getAtt(images.summary('Protection'))).toBe('Protection');
    expect(() => cloudtak(stack()).signature('Api')).toThrow("Api.Signature is not returned: add 'Signature' to attributes");
  });

  test('Protection is read only from a resolver that protects', () => {
    // The resolver returns it only with Protect: a GetAtt of it would fail the deploy.
    expect(() => cloudtak(stack()).protection).toThrow(
      "'Protection' is returned only by a resolver that protects its images: set protect to BEST_EFFORT or REQUIRED",
    );
    expect(() => cloudtak(stack(), { protect: Protect.OFF }).summary('Protection')).toThrow(/returned only by a resolver that protects/);
    expect(() => cloudtak(stack(), { protect: Protect.BEST_EFFORT }).summary('Protect')).toThrow(
      "'Protect' is not a summary attribute: use one of BuildRequired, MissingImages, Revision, Version, RollbackTarget, RollbackRecord, Protection",
    );
  });

  test('roles and protection need no grant in the consumer stack', () => {
    // The resolver's stack grants sts:AssumeRole (AssumableRoleArns) and tagging (EnableProtection).
    const scope = stack();
    const images = cloudtak(scope, { roleArn: ROLE, protect: Protect.REQUIRED, requireSignature: [SignedBy.NOTATION] });
    new ecs.FargateTaskDefinition(scope, 'Task').addContainer('api', { image: images.containerImage('Api'), memoryLimitMiB: 512 });
    new lambda.DockerImageFunction(scope, 'Events', { code: images.dockerImageCode('Events') });
    const template = Template.fromStack(scope);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ImageUri: getAtt('Events') } });
  });
});
