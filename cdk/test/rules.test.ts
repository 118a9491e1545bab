// The synth-time rules against the core's own messages (property-rules.json, whose messages
// tests/cdk/test_property_rules.py checks against resolver/properties.py), and with tokens.
import { CfnParameter, Fn, Stack, Token } from 'aws-cdk-lib';
import table from './property-rules.json';
import { checkProperties } from '../lib/rules';

interface Case {
  readonly name: string;
  readonly properties: Record<string, unknown>;
  readonly error: string | null;
}

function errorOf(properties: Record<string, unknown>): string | null {
  try {
    checkProperties(properties);
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

describe('the core\'s rules, word for word', () => {
  test.each((table.cases as Case[]).map((c) => [c.name, c]))('%s', (_name, c) => {
    expect(errorOf(c.properties)).toBe(c.error);
  });

  // What only the deploy can tell (botocore's partition data): synth lets it through.
  test.each((table.deployTimeOnly as Case[]).map((c) => [c.name, c]))('deploy time only: %s', (_name, c) => {
    expect(errorOf(c.properties)).toBeNull();
  });
});

describe('deploy-time values are checked in every part synth knows', () => {
  const stack = new Stack();
  const imported = Fn.importValue('TAK-Dev-BaseInfra-EcrArtifactsRepoArn');
  const parameter = (name: string) => new CfnParameter(stack, name).valueAsString;
  const base = { Repository: imported, Version: '3f9a1c2e', Images: { Api: { Tag: 'cloudtak-{version}' } } };

  test('an imported repository does not hide an empty Version', () => {
    expect(errorOf({ ...base, Version: '' })).toBe(
      "Images.Api.Tag: 'cloudtak-{version}' uses {version} but Version is empty. Set the top-level Version property.",
    );
  });

  test('an imported repository is taken as a repository', () => {
    expect(errorOf(base)).toBeNull();
  });

  test('a Version from a parameter is a Version', () => {
    expect(errorOf({ ...base, Version: parameter('GitSha') })).toBeNull();
  });

  test('a tag around a token is still a tag', () => {
    const tag = `cloud tak-${parameter('Suffix')}`;
    expect(errorOf({ ...base, Images: { Api: { Tag: tag } } })).toMatch(/^Images\.Api\.Tag: 'cloud tak-0' is not a valid image tag/);
    expect(errorOf({ ...base, Images: { Api: { Tag: `cloudtak-${parameter('Suffix2')}` } } })).toBeNull();
  });

  test('an unknown placeholder next to a token', () => {
    const tag = `${parameter('Prefix')}-{commit}`;
    expect(errorOf({ ...base, Images: { Api: { Tag: tag } } })).toMatch(/uses the unknown placeholder \{commit\}/);
  });

  test('a deploy-time UsePreBuiltImages leaves the Fallback rule to the resolver', () => {
    expect(errorOf({ ...base, UsePreBuiltImages: parameter('Prebuilt') })).toBeNull();
    expect(errorOf({ ...base, UsePreBuiltImages: 'false' })).toMatch(/^Images\.Api\.Fallback: \(absent\) is required/);
  });

  test('a deploy-time OnMissing may be Report', () => {
    expect(errorOf({ ...base, UsePreBuiltImages: 'false', OnMissing: parameter('OnMissing') })).toBeNull();
  });

  test('an asset URI is an image reference', () => {
    const uri = `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/cdk-hnb659fds-container-assets:abc`;
    expect(errorOf({ ...base, Images: { Api: { Tag: 'v1', Fallback: uri } } })).toBeNull();
    expect(errorOf({ ...base, Images: { Api: { Tag: 'v1', Fallback: `not a uri ${stack.account}` } } })).toMatch(
      /is not an image reference/,
    );
  });

  test('exactly one of Tag and Digest, tokens or not', () => {
    expect(errorOf({ ...base, Images: { Api: { Tag: parameter('T'), Digest: parameter('D') } } })).toMatch(
      /^Images\.Api: .* needs exactly one of Tag or Digest/,
    );
    expect(errorOf({ ...base, Images: { Api: { Digest: parameter('D2') } } })).toBeNull();
  });

  test('a token repository with a name part is left to the resolver', () => {
    const arn = `arn:aws:ecr:${stack.region}:${stack.account}:repository/team/app`;
    expect(errorOf({ ...base, Repository: arn })).toBeNull();
  });

  test('Version latest with a tag that is all token', () => {
    expect(errorOf({ ...base, Version: 'latest', Images: { Api: { Tag: parameter('Tag') } } })).toBeNull();
  });

  test('deploy-time numbers pass; known ones are checked', () => {
    expect(errorOf({ ...base, WaitSeconds: Token.asString(new CfnParameter(stack, 'Wait', { type: 'Number' }).valueAsNumber) })).toBeNull();
    expect(errorOf({ ...base, WaitSeconds: '1000' })).toMatch(/^WaitSeconds: '1000' is not a number of seconds/);
  });

  test('repositories known only at deploy time count as repositories, not registries', () => {
    const images = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`I${i}`, { Tag: 'v1', Repository: Fn.importValue(`Repo${i}`) }]),
    );
    expect(errorOf({ ...base, Images: images })).toBeNull();
    const many = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`I${i}`, { Tag: 'v1', Repository: Fn.importValue(`Many${i}`) }]),
    );
    expect(errorOf({ ...base, Images: many })).toMatch(/^Images: 101 repositories exceed the limit of 100/);
  });
});
