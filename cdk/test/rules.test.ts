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

describe('roles, references and the vouching gates with deploy-time values', () => {
  const stack = new Stack();
  const parameter = (name: string) => new CfnParameter(stack, name).valueAsString;
  const list = (name: string) => new CfnParameter(stack, name, { type: 'CommaDelimitedList' }).valueAsList;
  const digest = `sha256:${'a'.repeat(64)}`;
  const role = 'arn:aws:iam::210987654321:role/image-reader';
  const base = { Repository: 'app', Version: '3f9a1c2e', Images: { Api: { Tag: 'api-{version}' } } };
  const host = `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}`;

  test('a role that is a token is a role: its partition and account are the deploy\'s', () => {
    expect(errorOf({ ...base, RoleArn: Fn.importValue('ReaderRoleArn'), ExternalId: 'tak-prod' })).toBeNull();
    expect(errorOf({ ...base, RoleArn: `arn:${stack.partition}:iam::210987654321:role/reader` })).toBeNull();
    expect(errorOf({ ...base, RoleArn: parameter('Role'), ExternalId: parameter('External') })).toBeNull();
  });

  test('an ExternalId that is a token still needs its RoleArn', () => {
    expect(errorOf({ ...base, ExternalId: parameter('Lonely') })).toMatch(/^ExternalId: .* is set without a RoleArn beside it/);
  });

  test('an ExternalId around a token is checked in the part synth knows', () => {
    expect(errorOf({ ...base, RoleArn: role, ExternalId: `tak-${parameter('Stage')}` })).toBeNull();
    expect(errorOf({ ...base, RoleArn: role, ExternalId: `tak prod-${parameter('Stage2')}` })).toMatch(/is not an STS external id/);
  });

  test('one role per account: a role known only at deploy is compared at deploy', () => {
    const images = (web: Record<string, unknown>) => ({
      ...base,
      Images: {
        Api: { Tag: 'v1', Repository: 'arn:aws:ecr:ap-southeast-2:210987654321:repository/app', RoleArn: role },
        Web: { Tag: 'v1', Repository: 'arn:aws:ecr:us-west-2:210987654321:repository/web', ...web },
      },
    });
    expect(errorOf(images({ RoleArn: parameter('WebRole') }))).toBeNull();
    expect(errorOf(images({ RoleArn: role, ExternalId: parameter('WebExternal') }))).toBeNull();
    expect(errorOf(images({ RoleArn: '' }))).toMatch(/^Images\.Web\.RoleArn: \(absent\) reads account 210987654321 otherwise/);
  });

  test('a Reference with tokens in its registry: its name, tag and digest are checked', () => {
    const reference = (value: string, image: Record<string, unknown> = {}, version = '3f9a1c2e') =>
      errorOf({ Version: version, Images: { Api: { Reference: value, ...image } } });
    expect(reference(`${host}/app:api-{version}`)).toBeNull();
    expect(reference(`${host}/app:api-{version}`, {}, '')).toBe(
      "Images.Api.Reference: 'api-{version}' uses {version} but Version is empty. Set the top-level Version property.",
    );
    expect(reference(`${host}/app:api-1`, { Tag: 'api-2' })).toMatch(
      /^Images\.Api\.Reference: .* has its own tag or digest, and Tag or Digest is set beside it/,
    );
    expect(reference(`${host}/app`)).toMatch(/^Images\.Api: \{'Tag': None, 'Digest': None\} needs exactly one of Tag or Digest/);
    expect(reference(`${host}/app@sha256:abc`)).toMatch(/^Images\.Api\.Reference: .* has digest 'sha256:abc'/);
    expect(reference(`${host}/app@${digest}`)).toBeNull();
  });

  test('a Reference that may hold its tag in a token is the deploy\'s', () => {
    const reference = (value: string, image: Record<string, unknown> = {}) =>
      errorOf({ Version: '3f9a1c2e', Images: { Api: { Reference: value, ...image } } });
    expect(reference(Fn.importValue('ApiImage'))).toBeNull();
    expect(reference(Fn.importValue('ApiRepository'), { Tag: 'api-{version}' })).toBeNull();
    expect(reference(`app:${parameter('ApiTag')}`)).toBeNull();
    expect(reference(Fn.importValue('ApiImage2'), { Tag: 'api-{version}', Order: 'Semver' })).toMatch(
      /^Images\.Api\.Order: 'Semver' orders the candidates of a pattern or of Version: latest, and this Tag is exact/,
    );
    expect(reference(Fn.importValue('ApiImage3'), { Repository: 'app' })).toMatch(
      /^Images\.Api\.Repository: 'app' is set beside a Reference/,
    );
  });

  test('the lock from a parameter, or with a digest from one, is the deploy\'s; its names are checked', () => {
    expect(errorOf({ ...base, ExpectedDigests: parameter('ImageDigests') })).toBeNull();
    expect(errorOf({ ...base, ExpectedDigests: { Api: parameter('ApiDigest') } })).toBeNull();
    expect(errorOf({ ...base, ExpectedDigests: { Web: parameter('WebDigest') } })).toMatch(
      /^ExpectedDigests\.Web: 'Web' names no image of this resource/,
    );
    expect(errorOf({ ...base, ExpectedDigests: [`Api=${digest}`, parameter('More')] })).toBeNull();
  });

  test('signature requirements and replication regions from tokens pass; known ones are checked', () => {
    const profile = `arn:aws:signer:${stack.region}:${stack.account}:/signing-profiles/ci_release`;
    expect(errorOf({ ...base, RequireSignature: [profile, 'Notation'] })).toBeNull();
    expect(errorOf({ ...base, RequireSignature: list('Profiles') })).toBeNull();
    expect(errorOf({ ...base, RequireSignature: [profile, 'gpg'] })).toMatch(/^RequireSignature: 'gpg' is not a signing profile ARN/);
    expect(errorOf({ ...base, WaitForReplication: list('Regions') })).toBeNull();
    expect(errorOf({ ...base, WaitForReplication: parameter('Replicate') })).toBeNull();
    expect(errorOf({ ...base, WaitForReplication: [stack.region, 'eu-west'] })).toMatch(/^WaitForReplication: 'eu-west' is not a region/);
  });

  test('Order: a tag a token may make a pattern is not taken as exact', () => {
    const tagged = (tag: string, top: Record<string, unknown> = {}) => errorOf({ ...base, ...top, Images: { Api: { Tag: tag } } });
    expect(tagged(`api-${parameter('Suffix')}`, { Order: 'Semver' })).toBeNull();
    expect(tagged(parameter('WholeTag'), { Order: 'Semver' })).toBeNull();
    expect(tagged('api-1', { Order: parameter('Order') })).toBeNull();
    expect(tagged('api-1', { Order: 'Semver' })).toMatch(/^Order: 'Semver' orders the candidates of patterns/);
    // A {version} tag under Version: latest is ranked whatever its token holds.
    const latest = {
      Version: 'latest',
      Images: { Api: { Tag: `api-${parameter('A')}-{version}`, Order: 'Semver' }, Web: { Tag: 'web-{version}' } },
    };
    expect(errorOf({ ...base, ...latest })).toMatch(/^Order: \['Pushed', 'Semver'\] differs between images of Version: latest/);
  });
});
