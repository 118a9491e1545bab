// The README's TypeScript example (examples/cdk-typescript), synthesized against the package.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudTakStack } from '../../examples/cdk-typescript/cloudtak-stack';

const ENV = { account: '123456789012', region: 'ap-southeast-2' };

function synth(context: Record<string, string>): { template: Template; dockerImages: string[] } {
  const app = new App({ context });
  const stack = new CloudTakStack(app, 'CloudTak', { env: ENV });
  const assembly = app.synth();
  const manifest = assembly.artifacts.find((a) => a.id === `${stack.artifactId}.assets`) as unknown as { file: string };
  return { template: Template.fromStack(stack), dockerImages: Object.keys(require(manifest.file).dockerImages ?? {}) };
}

const getAtt = (attribute: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp('^Images'), attribute] });

describe('the plan found Pmtiles missing', () => {
  const { template, dockerImages } = synth({ imageVersion: '3f9a1c2e', missingImages: 'Pmtiles' });

  test('exactly one asset is built, and it is the Fallback of Pmtiles', () => {
    expect(dockerImages).toHaveLength(1);
    const [resolver] = Object.values(template.findResources('Custom::ImageResolver'));
    const images = resolver.Properties.Images;
    expect(Object.keys(images)).toEqual(['Api', 'Events', 'Pmtiles', 'Data']);
    expect(Object.keys(images).filter((name) => images[name].Fallback)).toEqual(['Pmtiles']);
    expect(resolver.Properties).toMatchObject({
      Repository: { 'Fn::ImportValue': 'TAK-Dev-BaseInfra-EcrArtifactsRepoArn' },
      ServiceToken: { 'Fn::ImportValue': 'image-resolver-ServiceToken' },
      ServiceTimeout: '300',
      Version: '3f9a1c2e',
      OnMissing: 'Fallback',
      Protect: 'BestEffort',
    });
    expect(resolver.Properties).not.toHaveProperty('ExpectedDigests'); // no lock in the context
  });

  test('ECS, both Lambdas and Batch deploy the pinned URIs', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: getAtt('Api.Uri') })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Code: { ImageUri: getAtt('Events.Uri') } });
    template.hasResourceProperties('AWS::Lambda::Function', { PackageType: 'Image', Code: { ImageUri: getAtt('Pmtiles.Uri') } });
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ Image: getAtt('Data.Uri') }),
    });
    template.resourceCountIs('AWS::ECS::Service', 1);
  });

  test('the task may pull from the imported repository', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['ecr:BatchGetImage']),
            Resource: { 'Fn::ImportValue': 'TAK-Dev-BaseInfra-EcrArtifactsRepoArn' },
          }),
        ]),
      },
    });
  });
});

test('the lock from the context reaches the resolver as the plan printed it', () => {
  const lock = `Api=sha256:${'a'.repeat(64)},Events=sha256:${'b'.repeat(64)}`;
  const { template } = synth({ imageVersion: '3f9a1c2e', missingImages: 'Pmtiles', imageDigests: lock });
  const [resolver] = Object.values(template.findResources('Custom::ImageResolver'));
  expect(resolver.Properties.ExpectedDigests).toBe(lock);
});

test('nothing missing: no asset at all', () => {
  expect(synth({ imageVersion: '3f9a1c2e', missingImages: '' }).dockerImages).toHaveLength(0);
});

test('no plan: every image gets its asset', () => {
  expect(synth({ imageVersion: '3f9a1c2e' }).dockerImages).toHaveLength(4);
});

test('a synth without the version fails with the resolver\'s message', () => {
  expect(() => synth({})).toThrow(/^Images\.Api\.Tag: 'cloudtak-\{version\}' uses \{version\} but Version is empty/);
});
