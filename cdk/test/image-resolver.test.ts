// ImageResolver, synthesized and read back with aws-cdk-lib/assertions.
import * as path from 'path';
import { App, CfnOutput, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ImageResolver, ImageResolverProps, OnMissing, OnRetentionRisk, OnRollbackTargetMissing } from '../lib';

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
