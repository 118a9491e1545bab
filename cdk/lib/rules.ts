// The resolver's property rules, checked at synth time on what the construct sends.
//
// A port of the Python core's `resolver/properties.py` (the source of truth: the Lambda runs it
// at deploy time) for every rule a construct can break: required and exclusive Tag/Digest, tag,
// digest, platform, repository and image-reference syntax, `{version}` without a Version, strict
// booleans, enum values, image names, attributes, limits, roles (one per account, an ExternalId
// only beside its RoleArn), the signature requirement, the lock and the replication wait, and
// where an Order applies. The messages are the core's, word for word: test/property-rules.json
// holds cases with the core's message, checked against both implementations
// (test/rules.test.ts here, tests/cdk/test_property_rules.py there).
//
// Deploy-time values (tokens: an Fn.importValue, a parameter, an asset's URI) are not skipped
// wholesale: every part synth knows is checked (values.ts says how a token stands in). So these
// checks are never stricter than the resolver's. Left to the resolver: what needs botocore's
// partition data (which partitions, regions and DNS suffixes exist; the partition of the
// function, and of a registry named by a URI) and the function's own account (bare names'
// registry, in the one-role-per-account rule).
import { Token } from 'aws-cdk-lib';
import { Place, REGION, Referenced, DIGEST, PARTITION_ID, imageReference, repository } from './references';
import {
  DEFERRED, NULL, Parsed, Parser, PropertyError, Text,
  asGiven, closestHint, exact, known, matching, nullError, oneOf, strictBool, strip, text, words,
} from './values';

export const MAX_WAIT_SECONDS = 900;
export const MAX_IMAGES = 500;
export const MAX_REPOSITORIES = 100;
export const MAX_REGISTRIES = 10;
export const MAX_IMAGE_NAME_CHARS = 64;
export const MAX_REVISION_CHARS = 256;
const MAX_ROLE_ARN_CHARS = 2048;

export const ATTRIBUTES = [
  'Uri', 'Digest', 'TagUri', 'Source', 'Status', 'BuildRequired', 'Platforms', 'Findings',
  'PushedAt', 'SizeInBytes', 'Tags', 'Retention', 'Signature', 'TagMutability',
  'Protected',
];
export const DEFAULT_ATTRIBUTES = ['Uri', 'Digest', 'Status', 'BuildRequired'];

const ON_MISSING = ['Fail', 'Fallback', 'Report'];
const SEVERITY = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
const TAG_ORDER = ['Pushed', 'Semver'];
const PUSHED = 'Pushed';
const SIGNATURE_KINDS = ['Notation', 'Sigstore'];
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}$/;
const PATTERN_TEXT = /^[A-Za-z0-9_.\-*?[\]!]{1,300}$/;
const IMAGE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,1023}$/;
const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/;
const PLACEHOLDERS = /\{([^{}]*)\}/g;
const VERSION_FIELD = '{version}';
// Python's `\w` (letters and digits of every script, and `_`) and `\d` (any decimal digit).
const WORD = '\\p{L}\\p{N}_';
// IAM's grammar: an optional path of printable ASCII between slashes, then a name of 1-64.
const ROLE_ARN = new RegExp(
  `^arn:(${PARTITION_ID}):iam::(\\p{Nd}{12}):role/(?:[\\x21-\\x7e]{1,510}/)?[${WORD}+=,.@-]{1,64}$`, 'u',
);
// AWS Signer's profile ARN, as ECR's API model writes it (SigningProfileArn).
const SIGNING_PROFILE = /^arn:aws(?:-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[A-Za-z0-9_]{2,}$/;
const REGION_NAME = new RegExp(`^${REGION}$`, 'u');

// --- value parsers: (property path, raw value) -> what the checks below read ---------------------

function seconds(path: string, raw: unknown): void {
  const value = exact(path, raw);
  if (typeof value === 'string' && (!/^[0-9]{1,3}$/.test(value) || Number(value) > MAX_WAIT_SECONDS)) {
    throw new PropertyError(
      path, raw, 'is not a number of seconds', `Use a whole number from 0 to ${MAX_WAIT_SECONDS}.`,
    );
  }
}

function revision(path: string, raw: unknown): void {
  const value = text(path, raw);
  const length = value ? Array.from(value.text).length : 0;
  if (length > MAX_REVISION_CHARS) {
    throw new PropertyError(
      path, raw, `is ${length} characters, over the limit of ${MAX_REVISION_CHARS}`,
      "Use a short value that changes when the images should be resolved again, e.g. a commit hash or the planner's revision.",
    );
  }
}

function attributes(path: string, raw: unknown): void {
  const names = words(path, raw, '[Uri, Digest]');
  for (const name of known(names) ? names : []) {
    if (name !== DEFERRED && !ATTRIBUTES.some((a) => a.toLowerCase() === name.toLowerCase())) {
      throw new PropertyError(path, name, 'is not an attribute', closestHint(name, ATTRIBUTES));
    }
  }
}

// An image reference as ECS, Batch and Lambda accept it: [registry/]name[:tag][@digest].
const fallback = matching(
  IMAGE_REFERENCE, 'is not an image reference',
  'Give an image URI, e.g. 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:local.',
);

// containerd's architecture aliases that imply a variant (platforms.py's _ARCH_ALIASES).
const IMPLIED_VARIANT: Record<string, string> = { armhf: 'v7', armel: 'v6' };

function platform(path: string, raw: unknown): void {
  const value = exact(path, raw);
  if (typeof value !== 'string') return;
  const parts = value.toLowerCase().split('/');
  let valid = parts.length >= 2 && parts.length <= 3 && parts.every((part) => PLATFORM_PART.test(part));
  if (valid && parts.length === 3) {
    const variant = /^\d+$/.test(parts[2]) ? `v${parts[2]}` : parts[2];
    const implied = IMPLIED_VARIANT[parts[1]];
    valid = implied === undefined || variant === implied;
  }
  if (!valid) {
    throw new PropertyError(path, raw, 'is not a platform', 'Use os/arch[/variant], e.g. linux/arm64.');
  }
}

/** A `RoleArn` as parsed: its ARN, and its partition (whether botocore knows it is the deploy's). */
interface RoleArn {
  readonly arn: string;
  readonly partition: string;
}

function roleArn(path: string, raw: unknown): Parsed<RoleArn> {
  const value = exact(path, raw);
  if (!known(value)) return value;
  const match = ROLE_ARN.exec(value);
  if (match === null || Array.from(value).length > MAX_ROLE_ARN_CHARS) {
    throw new PropertyError(
      path, raw, 'is not an IAM role ARN',
      'Use arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>, e.g. arn:aws:iam::111122223333:role/image-reader.',
    );
  }
  return { arn: value, partition: match[1] };
}

const externalId = matching(
  new RegExp(`^[${WORD}+=,.@:/-]{2,1224}$`, 'u'), // STS AssumeRole's ExternalId
  'is not an STS external id',
  "Use 2-1224 characters: letters, digits and _ + = , . @ : / -, exactly as the role's trust policy expects it (sts:ExternalId).",
);

// --- what CI vouched for ---------------------------------------------------------------------

function signatures(path: string, raw: unknown): void {
  const found = words(path, raw, '[arn:aws:signer:...:/signing-profiles/ci, Notation]');
  for (const word of known(found) ? found : []) {
    if (word === DEFERRED || SIGNATURE_KINDS.some((kind) => kind.toLowerCase() === word.toLowerCase())) continue;
    if (!SIGNING_PROFILE.test(word)) {
      throw new PropertyError(
        path, word, 'is not a signing profile ARN, Notation or Sigstore',
        'Give AWS Signer profile ARNs (arn:aws:signer:<region>:<account>:/signing-profiles/<name>) for ECR managed ' +
          'signing, and/or Notation or Sigstore for signatures stored as referrers.',
      );
    }
  }
}

/** Image name -> digest (DEFERRED: a token), as a map or as `resolver plan --emit lock` writes it. */
type Lock = Map<string, string | typeof DEFERRED>;

function expectedDigests(path: string, raw: unknown): Parsed<Lock> {
  if (raw === null || raw === NULL) throw nullError(path);
  const pairs = isMap(raw) ? Object.entries(raw) : lockWords(path, raw);
  if (!known(pairs)) return pairs;
  const lock: Lock = new Map();
  for (const [name, value] of pairs) {
    const digest = text(`${path}.${name}`, value);
    if (digest === undefined || (digest.tokens === 'none' && !DIGEST.test(digest.text))) {
      throw new PropertyError(
        `${path}.${name}`, value, 'is not an image digest',
        'Use sha256: followed by 64 lower-case hex digits (resolver plan --emit lock).',
      );
    }
    lock.set(name, digest.tokens === 'none' ? digest.text : DEFERRED);
  }
  return lock.size ? lock : undefined;
}

function lockWords(path: string, raw: unknown): Parsed<Array<[string, string]>> {
  const found = words(path, raw, 'Api=sha256:...,Events=sha256:...');
  if (!known(found) || found.includes(DEFERRED)) return found === undefined ? undefined : DEFERRED;
  return (found as string[]).map((word) => {
    const equals = word.indexOf('=');
    if (equals < 0) {
      throw new PropertyError(
        path, word, 'is not Name=sha256:...',
        'Pass what resolver plan --emit lock prints, e.g. Api=sha256:...,Events=sha256:....',
      );
    }
    return [strip(word.slice(0, equals)), strip(word.slice(equals + 1))];
  });
}

function isMap(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !Token.isUnresolved(raw);
}

function replication(path: string, raw: unknown): void {
  if (typeof raw === 'boolean' || (typeof raw === 'string' && ['true', 'false'].includes(strip(raw).toLowerCase()))) {
    strictBool(path, raw);
    return;
  }
  const found = words(path, raw, '[us-west-2, eu-west-1]');
  for (const word of known(found) ? found : []) {
    if (word !== DEFERRED && !REGION_NAME.test(word)) {
      throw new PropertyError(
        path, word, 'is not a region',
        'Give region names (us-west-2) or "true" for every destination the registry replicates to.',
      );
    }
  }
}

// --- the property tables ----------------------------------------------------------------------

// The core's tables, in its order: with several faults, the same one is reported first.
const SEVERITIES = oneOf(SEVERITY);
const RETENTION = oneOf(['Report', 'Fail']);
const ORDER = oneOf(TAG_ORDER);
const TOP_LEVEL: Array<[string, Parser]> = [
  ['UsePreBuiltImages', strictBool],
  ['OnMissing', oneOf(ON_MISSING)],
  ['Repository', text],
  ['Version', text],
  ['Revision', revision],
  ['Attributes', attributes],
  ['WaitSeconds', seconds],
  ['FailOnSeverity', SEVERITIES],
  ['OnVulnerable', oneOf(['Fail', 'Report'])],
  ['RequireScan', strictBool],
  ['ScanWaitSeconds', seconds],
  ['OnRollbackTargetMissing', oneOf(['Warn', 'Fail'])],
  ['OnRetentionRisk', RETENTION],
  ['Protect', oneOf(['Off', 'BestEffort', 'Required'])],
  ['RoleArn', roleArn],
  ['ExternalId', externalId],
  ['Images', asGiven], // validated image by image: checkImages
  ['RequireSignature', signatures],
  ['OnUnsigned', oneOf(['Fail', 'Report'])],
  ['ExpectedDigests', expectedDigests],
  ['OnLockMismatch', oneOf(['Fail', 'Report'])],
  ['WaitForReplication', replication],
  ['Order', ORDER],
];
const PER_IMAGE: Array<[string, Parser]> = [
  ['Repository', text],
  ['Tag', text],
  ['Digest', text],
  ['Reference', text], // a whole image reference: repository, and tag or digest (checkImage)
  ['Fallback', fallback],
  ['Platform', platform],
  ['Lambda', strictBool],
  ['FailOnSeverity', SEVERITIES],
  ['OnRetentionRisk', RETENTION],
  ['RoleArn', roleArn],
  ['ExternalId', externalId],
  ['RequireSignature', signatures],
  ['Order', ORDER],
];
// CloudFormation's own keys arrive in ResourceProperties too; the resolver ignores them.
const CFN_KEYS = ['ServiceToken', 'ServiceTimeout'];

function parseTable(
  prefix: string, raw: Record<string, unknown>, table: Array<[string, Parser]>, ignored: string[],
): Map<string, unknown> {
  const names = table.map(([key]) => key);
  for (const [key, value] of Object.entries(raw)) {
    if (!names.includes(key) && !ignored.includes(key)) {
      throw new PropertyError(`${prefix}${key}`, value ?? NULL, 'is not a known property', closestHint(key, names));
    }
  }
  // A parser sees only properties that are there: an explicit null is an error, absence is not.
  return new Map(table.map(([key, parse]) => [key, key in raw ? parse(`${prefix}${key}`, raw[key]) : undefined]));
}

/** A role images are read through: undefined for the resolver's own credentials. */
interface Role extends RoleArn {
  readonly externalId: string | undefined | typeof DEFERRED;
}
type RoleOf = Role | undefined | typeof DEFERRED;

/** How an image's Tag is matched: `latest` is a `{version}` tag under `Version: latest`. */
type Match = 'exact' | 'pattern' | 'latest' | typeof DEFERRED;

interface Defaults {
  readonly repository: Place | undefined;
  readonly version: Text | undefined;
  readonly latest: boolean;
  readonly role: RoleOf;
  readonly order: Parsed<string>;
}

interface CheckedImage {
  readonly name: string;
  readonly place: Place;
  readonly match: Match;
  readonly hasFallback: boolean;
  readonly role: RoleOf;
  /** How its candidates are ranked. */
  readonly order: string | typeof DEFERRED;
}

/** Throws the core's error for the first property the resolver would refuse. */
export function checkProperties(properties: Record<string, unknown>): void {
  const top = parseTable('', properties, TOP_LEVEL, CFN_KEYS);
  const repo = top.get('Repository') as Text | undefined;
  const version = top.get('Version') as Text | undefined;
  const latest = version?.tokens === 'none' && version.text.toLowerCase() === 'latest';
  const defaults: Defaults = {
    repository: repo ? repository('Repository', repo) : undefined,
    version: latest ? undefined : version,
    latest,
    role: role('', top.get('RoleArn') as Parsed<RoleArn>, top.get('ExternalId') as Text | undefined),
    order: top.get('Order') as Parsed<string>,
  };
  const images = checkImages(top.get('Images'), defaults);
  checkVouching(top, images);
  if (latest && !images.some((image) => image.match === 'latest' || image.match === DEFERRED)) {
    throw new PropertyError(
      'Version', properties.Version, 'asks for the latest version, but no Tag uses {version}',
      'Write tags like "api-{version}".',
    );
  }
  // Only when both are known: a deploy-time OnMissing may be Report.
  const usePrebuilt = top.get('UsePreBuiltImages') ?? true;
  const onMissing = top.get('OnMissing') ?? 'Fail';
  if (usePrebuilt === false && typeof onMissing === 'string' && onMissing !== 'Report') {
    const without = images.find((image) => !image.hasFallback);
    if (without) {
      throw new PropertyError(
        `Images.${without.name}.Fallback`, undefined, 'is required when UsePreBuiltImages is false',
        'Give every image a Fallback (the locally built image URI), or set OnMissing: Report.',
      );
    }
  }
}

/** The core's `_role`: `RoleArn` with the `ExternalId` given beside it (the two belong together). */
function role(prefix: string, arn: Parsed<RoleArn>, externalId: Text | undefined): RoleOf {
  if (arn === undefined) {
    if (externalId !== undefined) {
      throw new PropertyError(
        `${prefix}ExternalId`, externalId.text, 'is set without a RoleArn beside it',
        'An ExternalId belongs to the role it is given with: set RoleArn here too, or remove ExternalId.',
      );
    }
    return undefined;
  }
  if (arn === DEFERRED) return DEFERRED;
  return { ...arn, externalId: externalId === undefined ? undefined : externalId.tokens === 'none' ? externalId.text : DEFERRED };
}

function checkImages(raw: unknown, defaults: Defaults): CheckedImage[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new PropertyError(
      'Images', raw, 'must be a non-empty map of image name to image',
      'Example: Images: { Api: { Tag: "api-{version}" } }.',
    );
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_IMAGES) {
    throw new PropertyError(
      'Images', entries.length, `images exceed the limit of ${MAX_IMAGES} per resource`,
      'Split them over several Custom::ImageResolver resources.',
    );
  }
  const images = entries.map(([name, body]) => checkImage(name, body, defaults));
  checkSpread(images);
  checkRoles(images);
  return images;
}

function checkImage(name: string, body: unknown, defaults: Defaults): CheckedImage {
  const path = `Images.${name}`;
  const length = Array.from(name).length;
  if (length > MAX_IMAGE_NAME_CHARS) {
    throw new PropertyError(
      path, name, `is ${length} characters, over the limit of ${MAX_IMAGE_NAME_CHARS} for an image name`,
      'Use a shorter name: it becomes the attribute names (<Name>.Uri).',
    );
  }
  if (!IMAGE_NAME.test(name)) {
    throw new PropertyError(
      path, name, 'is not a valid image name',
      'Image names are used in !GetAtt <Resource>.<Name>.Uri: start with a letter, then letters and digits only (e.g. Api, EventsWorker).',
    );
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new PropertyError(
      path, body ?? NULL, 'is not a map', `Example: ${name}: { Tag: "${name.toLowerCase()}-{version}" }.`,
    );
  }
  const raw = body as Record<string, unknown>;
  const fields = parseTable(`${path}.`, raw, PER_IMAGE, []);
  const { place, tag, digest } = located(path, raw, fields, defaults);
  const match = checkTagOrDigest(path, raw, { tag, digest }, defaults);
  const own = role(`${path}.`, fields.get('RoleArn') as Parsed<RoleArn>, fields.get('ExternalId') as Text | undefined);
  const imageRole = own ?? defaults.role;
  if (known(imageRole) && place.partition !== undefined && imageRole.partition !== place.partition) {
    throw new PropertyError(
      own ? `${path}.RoleArn` : 'RoleArn', imageRole.arn,
      `is a role of the ${imageRole.partition} partition, but image ${name} is in the ${place.partition} partition (${place.region})`,
      `A role reads registries of its own partition only: give the image a role of ${place.partition}.`,
    );
  }
  return {
    name, place, match,
    hasFallback: fields.get('Fallback') !== undefined,
    role: imageRole,
    order: order(path, fields.get('Order') as Parsed<string>, match, defaults.order),
  };
}

/** A tag or a digest as the image gives it: a `Tag`/`Digest`, or a `Reference`'s own. */
type Part = Text | undefined | typeof DEFERRED;

/** The image's repository, and its tag or digest: from `Reference`, or `Repository` (the
 * image's, else the default) with `Tag` or `Digest` (the core's `_referenced` and `_image`). */
function located(
  path: string, raw: Record<string, unknown>, fields: Map<string, unknown>, defaults: Defaults,
): { place: Place; tag: Part; digest: Part } {
  const repo = fields.get('Repository') as Text | undefined;
  const tag = fields.get('Tag') as Text | undefined;
  const digest = fields.get('Digest') as Text | undefined;
  const reference = fields.get('Reference') as Text | undefined;
  if (reference !== undefined) {
    const image = imageReference(`${path}.Reference`, reference);
    if (repo !== undefined) {
      throw new PropertyError(
        `${path}.Repository`, raw.Repository, 'is set beside a Reference, which names the repository already',
        'Give either Reference or Repository.',
      );
    }
    const ownTagOrDigest = image.tag !== DEFERRED && Boolean(image.tag || image.digest); // a token: unknown
    if (ownTagOrDigest && (tag || digest)) {
      throw new PropertyError(
        `${path}.Reference`, reference.text, 'has its own tag or digest, and Tag or Digest is set beside it',
        'Give the tag or digest once: in the Reference, or in Tag or Digest.',
      );
    }
    return { place: image.place, tag: tag ?? asPart(image.tag), digest: digest ?? asPart(image.digest) };
  }
  const place = repo ? repository(`${path}.Repository`, repo) : defaults.repository;
  if (place === undefined) {
    throw new PropertyError(
      `${path}.Repository`, undefined, 'is required',
      'Set Repository on the image or a default Repository at the top level.',
    );
  }
  return { place, tag, digest };
}

function asPart(value: Referenced['tag']): Part {
  return value === undefined || value === DEFERRED ? value : { text: value, tokens: 'none', given: value };
}

/** Exactly one of a tag and a digest, each valid: how the tag is matched. */
function checkTagOrDigest(
  path: string, raw: Record<string, unknown>, { tag, digest }: { tag: Part; digest: Part }, defaults: Defaults,
): Match {
  // A reference that is a token may hold a tag or a digest: the deploy tells.
  if (tag !== DEFERRED && digest !== DEFERRED && (tag === undefined) === (digest === undefined)) {
    throw new PropertyError(
      path, { Tag: raw.Tag, Digest: raw.Digest }, 'needs exactly one of Tag or Digest',
      'Set Tag (e.g. api-{version}) or Digest (sha256:...), not both.',
    );
  }
  if (tag !== undefined && tag !== DEFERRED) {
    // Where the user wrote it.
    return tag.tokens === 'whole' ? DEFERRED : checkTag(`${path}.${raw.Tag ? 'Tag' : 'Reference'}`, tag, defaults);
  }
  if (digest === undefined || digest === DEFERRED) return DEFERRED;
  if (digest.tokens === 'none' && !DIGEST.test(digest.text)) {
    throw new PropertyError(
      `${path}.Digest`, digest.text, 'is not an image digest', 'Use sha256: followed by 64 lower-case hex digits.',
    );
  }
  return 'exact';
}

/** The core's `_expand_tag`: the tag's checks, and how it is matched. */
function checkTag(path: string, tag: Text, defaults: Defaults): Match {
  let usesVersion = false;
  for (const [, placeholder] of tag.text.matchAll(PLACEHOLDERS)) {
    if (placeholder !== 'version') {
      throw new PropertyError(path, tag.text, `uses the unknown placeholder {${placeholder}}`, 'Only {version} is supported.');
    }
    usesVersion = true;
    if (defaults.version === undefined && !defaults.latest) {
      throw new PropertyError(path, tag.text, 'uses {version} but Version is empty', 'Set the top-level Version property.');
    }
  }
  const isGlob = /[*?[]/.test(tag.text);
  if (isGlob && usesVersion) {
    throw new PropertyError(path, tag.text, 'mixes a pattern with {version}', 'Use either a pattern (api-*) or a {version} tag.');
  }
  if (isGlob) {
    if (!PATTERN_TEXT.test(tag.text)) {
      throw new PropertyError(path, tag.text, 'is not a valid tag pattern', 'Patterns use tag characters plus * ? [...], e.g. cloudtak-*.');
    }
    return 'pattern';
  }
  const expanded = tag.text.split(VERSION_FIELD).join(defaults.latest ? 'v' : defaults.version?.text ?? '');
  if (!TAG.test(expanded)) {
    throw new PropertyError(
      path, expanded, 'is not a valid image tag',
      'Tags are 1-300 characters: letters, digits, _ . - (not starting with . or -).',
    );
  }
  if (usesVersion && defaults.latest) return 'latest';
  // A token in the tag may make it a pattern.
  return tag.tokens === 'none' ? 'exact' : DEFERRED;
}

/** The core's `_order`: an image's own Order only where there are candidates to rank. */
function order(path: string, given: Parsed<string>, match: Match, inherited: Parsed<string>): string | typeof DEFERRED {
  if (known(given) && match === 'exact') {
    throw new PropertyError(
      `${path}.Order`, given, 'orders the candidates of a pattern or of Version: latest, and this Tag is exact',
      'Remove Order here, or use a pattern (api-*) or a {version} tag with Version: latest.',
    );
  }
  return match === 'exact' ? PUSHED : given ?? inherited ?? PUSHED;
}

function checkSpread(images: CheckedImage[]): void {
  const repositories = new Map(images.map((image) => [image.place.key, image.place]));
  if (repositories.size > MAX_REPOSITORIES) {
    throw new PropertyError(
      'Images', repositories.size, `repositories exceed the limit of ${MAX_REPOSITORIES} per resource`,
      'Split the images over several Custom::ImageResolver resources.',
    );
  }
  // A registry known only at deploy time is not counted: never stricter than the resolver.
  const registries = new Set([...repositories.values()].map((p) => p.registry).filter((r) => r !== undefined));
  if (registries.size > MAX_REGISTRIES) {
    throw new PropertyError(
      'Images', registries.size,
      `registries (account and region pairs) exceed the limit of ${MAX_REGISTRIES} per resource`,
      'Split the images over several Custom::ImageResolver resources.',
    );
  }
}

/**
 * The core's `_check_roles`: the images of one account are read through one role. Only accounts
 * a repository names are compared: a bare name is in the function's account, which synth does
 * not know (it may be one of them), and a token role is the deploy's to compare.
 */
function checkRoles(images: CheckedImage[]): void {
  const first = new Map<string, CheckedImage>();
  for (const image of images) {
    const account = image.place.account;
    if (account === undefined) continue;
    const seen = first.get(account) ?? image;
    first.set(account, seen);
    if (sameRole(seen.role, image.role) === false) {
      throw new PropertyError(
        `Images.${image.name}.RoleArn`, (image.role as Role | undefined)?.arn,
        `reads account ${account} otherwise than Images.${seen.name} does (${through(seen.role as Role | undefined, image.role as Role | undefined)})`,
        'Images of one account are read through one role: give them the same RoleArn and ExternalId, or none.',
      );
    }
  }
}

/** Whether two images use the same role; undefined when a token decides. */
function sameRole(one: RoleOf, other: RoleOf): boolean | undefined {
  if (one === DEFERRED || other === DEFERRED) return undefined;
  if (one === undefined || other === undefined) return one === other;
  if (one.externalId === DEFERRED || other.externalId === DEFERRED) return undefined;
  return one.arn === other.arn && one.externalId === other.externalId;
}

function through(role: Role | undefined, other: Role | undefined): string {
  if (role === undefined) return "with the resolver's own credentials";
  if (other !== undefined && other.arn === role.arn) return `through ${role.arn} with another ExternalId`;
  return `through ${role.arn}`;
}

/** The core's `_check_vouching`: what only the whole request can tell. */
function checkVouching(top: Map<string, unknown>, images: CheckedImage[]): void {
  const names = images.map((image) => image.name);
  const lock = top.get('ExpectedDigests') as Parsed<Lock>;
  for (const name of known(lock) ? lock.keys() : []) {
    if (!names.includes(name)) {
      throw new PropertyError(
        `ExpectedDigests.${name}`, name, 'names no image of this resource',
        `Lock only these images (${[...names].sort().join(', ')}): plan the same template (resolver plan --emit lock).`,
      );
    }
  }
  const given = top.get('Order') as Parsed<string>;
  if (known(given) && images.every((image) => image.match === 'exact')) {
    throw new PropertyError(
      'Order', given, 'orders the candidates of patterns and Version: latest, and every Tag is exact',
      'Remove Order, or use a pattern (api-*) or Version: latest.',
    );
  }
  const versioned = images.filter((image) => image.match === 'latest').map((image) => image.order);
  const orders = [...new Set(versioned)];
  if (!orders.includes(DEFERRED) && orders.length > 1) {
    throw new PropertyError(
      'Order', (orders as string[]).sort(), 'differs between images of Version: latest, which choose one version together',
      'Set Order once, at the top level, for the {version} images.',
    );
  }
}
