// The resolver's property rules, checked at synth time on what the construct sends.
//
// A port of the Python core's `resolver/properties.py` (the source of truth: the Lambda runs it
// at deploy time) for every rule a construct can break: required and exclusive Tag/Digest, tag,
// digest, platform and repository syntax, `{version}` without a Version, strict booleans, enum
// values, image names, attributes and limits. The messages are the core's, word for word:
// test/property-rules.json holds cases with the core's message, checked against both
// implementations (test/rules.test.ts here, tests/cdk/test_property_rules.py there).
//
// Deploy-time values (tokens: an Fn.importValue, a parameter, an asset's URI) are not skipped
// wholesale: every part synth knows is checked. A token inside a tag, a version or an image URI
// stands in as `0` (valid in each of them, so it never causes an error of its own); a value that
// is all token, or a token where its shape matters (a repository, a digest, a boolean), is taken
// as set and left to the resolver. So these checks are never stricter than the resolver's; the
// ones that need botocore's partition data (which regions and DNS suffixes exist) stay there.
import { Token, Tokenization } from 'aws-cdk-lib';

export const MAX_WAIT_SECONDS = 900;
export const MAX_IMAGES = 500;
export const MAX_REPOSITORIES = 100;
export const MAX_REGISTRIES = 10;
export const MAX_IMAGE_NAME_CHARS = 64;
export const MAX_REVISION_CHARS = 256;
const MAX_SHOWN_CHARS = 80;

export const ATTRIBUTES = [
  'Uri', 'Digest', 'TagUri', 'Source', 'Status', 'BuildRequired', 'Platforms', 'Findings',
  'PushedAt', 'SizeInBytes', 'Tags', 'Retention', 'Signature', 'TagMutability',
  'Protected',
];
export const DEFAULT_ATTRIBUTES = ['Uri', 'Digest', 'Status', 'BuildRequired'];

const ON_MISSING = ['Fail', 'Fallback', 'Report'];
const SEVERITY = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PATTERN_TEXT = /^[A-Za-z0-9_.\-*?[\]!]{1,300}$/;
const IMAGE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,1023}$/;
const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/;
const PLACEHOLDERS = /\{([^{}]*)\}/g;
const VERSION_FIELD = '{version}';
// What a token stands in as inside a tag, a version or an image URI: valid in each.
const PLACEHOLDER = '0';

// Shapes only (the core decides from botocore's data which partitions and regions exist).
const PARTITION_ID = 'aws(?:-[a-z0-9]+)*';
const REGION = '[a-z]+(?:-[a-z]+)+-\\d+';
const ACCOUNT = '\\d{12}';
const REPO_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ARN = new RegExp(
  `^arn:(${PARTITION_ID}):ecr:(${REGION}):(${ACCOUNT}):repository/(.+)$`,
);
const URI = new RegExp(
  `^(?:https://)?(${ACCOUNT})\\.dkr\\.ecr(?:-fips)?\\.(${REGION})\\.([a-z0-9-]+(?:\\.[a-z0-9-]+)+)/(.+)$`,
);
const NOT_A_URI =
  "is not an ECR repository URI; expected <account>.dkr.ecr.<region>.<DNS suffix of the region's " +
  'partition: amazonaws.com, amazonaws.com.cn, …>/<name>';

/** A property the resolver would refuse: the message is the core's `InvalidPropertyError`. */
export class PropertyError extends Error {
  constructor(path: string, value: unknown, problem: string, fix: string) {
    super(`${clip(printable(path), 2 * MAX_SHOWN_CHARS)}: ${shown(value)} ${problem}. ${fix}`.trimEnd());
    this.name = 'PropertyError';
  }
}

// --- values as the core echoes them: Python's repr, clipped -------------------------------------

/** The explicit null of a property, which the core echoes as `null`. */
const NULL = Symbol('null');

function shown(value: unknown): string {
  return value === undefined ? '(absent)' : clip(repr(value));
}

function clip(text: string, limit = MAX_SHOWN_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= limit ? text : chars.slice(0, limit - 3).join('') + '...';
}

// Python's str.isprintable(): no control, format, surrogate, private-use, unassigned or separator
// character, except the space.
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

function isPrintable(char: string): boolean {
  return char === ' ' || !UNPRINTABLE.test(char);
}

function printable(text: string): string {
  return Array.from(text).map((char) => (isPrintable(char) ? char : escape(char))).join('');
}

function escape(char: string): string {
  const named: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
  if (named[char]) return named[char];
  const code = char.codePointAt(0)!;
  const [prefix, width] = code < 0x100 ? ['\\x', 2] : code < 0x10000 ? ['\\u', 4] : ['\\U', 8];
  return prefix + code.toString(16).padStart(width as number, '0');
}

/** Python's repr() of the values properties hold: strings, numbers, booleans, lists, maps. */
function repr(value: unknown): string {
  if (value === NULL || value === null) return 'null';
  if (value === undefined) return 'None';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : reprFloat(value);
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as object).map(([k, v]) => `${reprString(k)}: ${repr(v)}`);
    return `{${items.join(', ')}}`;
  }
  return String(value);
}

function reprFloat(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
}

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = Array.from(text)
    .map((char) => (char === quote ? `\\${quote}` : char === '\\' || !isPrintable(char) ? escape(char) : char))
    .join('');
  return `${quote}${body}${quote}`;
}

// --- "Did you mean …?": difflib.get_close_matches(word, valid, n=1, cutoff=0.5) -----------------

function closestHint(name: string, valid: string[]): string {
  const close = closeMatch(name, valid) ?? valid.find((v) => v.toLowerCase() === name.toLowerCase());
  const didYouMean = close ? `Did you mean ${close}? ` : '';
  return `${didYouMean}Valid: ${valid.join(', ')}.`;
}

function closeMatch(word: string, possibilities: string[]): string | undefined {
  let best: { score: number; value: string } | undefined;
  for (const candidate of possibilities) {
    const score = ratio(candidate, word);
    // Ties go to the greater string, as heapq.nlargest over (score, value) pairs does.
    if (score >= 0.5 && (!best || score > best.score || (score === best.score && candidate > best.value))) {
      best = { score, value: candidate };
    }
  }
  return best?.value;
}

/** SequenceMatcher(None, a, b).ratio() for short strings (no junk, no autojunk). */
function ratio(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchingCharacters(a, b, 0, a.length, 0, b.length)) / total;
}

function matchingCharacters(a: string, b: string, alo: number, ahi: number, blo: number, bhi: number): number {
  // find_longest_match: the longest common block, leftmost in a, then leftmost in b.
  let [bestI, bestJ, bestSize] = [alo, blo, 0];
  let lengths = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>();
    for (let j = blo; j < bhi; j++) {
      if (a[i] !== b[j]) continue;
      const size = (lengths.get(j - 1) ?? 0) + 1;
      next.set(j, size);
      if (size > bestSize) [bestI, bestJ, bestSize] = [i - size + 1, j - size + 1, size];
    }
    lengths = next;
  }
  if (bestSize === 0) return 0;
  return (
    bestSize +
    matchingCharacters(a, b, alo, bestI, blo, bestJ) +
    matchingCharacters(a, b, bestI + bestSize, ahi, bestJ + bestSize, bhi)
  );
}

// --- values, with deploy-time tokens ------------------------------------------------------------

/** A value as synth knows it. */
interface Text {
  /** The value, stripped, with each token replaced by `0`: what the checks read. */
  readonly text: string;
  /** Whether tokens stand in all of it (`whole`), a part (`partial`), or none of it. */
  readonly tokens: 'none' | 'partial' | 'whole';
  /** The value as given (tokens tell deploy-time values apart). */
  readonly given: string;
}

/** A value only the deploy can check: set, but unknown at synth. */
const DEFERRED = Symbol('deferred');
type Parsed<T> = T | undefined | typeof DEFERRED;
type Parser = (path: string, raw: unknown) => unknown;

// Python's str.strip() strips what str.isspace() calls whitespace, which is not JavaScript's set.
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

function strip(value: string): string {
  return value.replace(STRIP, '');
}

/** The core's `_text`: "" is unset (undefined); a blank value, a null or a non-string is an error. */
function text(path: string, raw: unknown): Text | undefined {
  if (raw === null || raw === NULL) throw nullError(path);
  if (typeof raw === 'number' && Token.isUnresolved(raw)) return { text: PLACEHOLDER, tokens: 'whole', given: Token.asString(raw) };
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new PropertyError(path, raw, 'is not a string', 'Give a plain string value.');
  }
  const value = typeof raw === 'number' ? repr(raw) : raw;
  if (Token.isUnresolved(value)) return tokenText(value);
  const stripped = strip(value);
  if (value && !stripped) {
    throw new PropertyError(path, raw, 'is only whitespace', 'Give a value, or "" to leave it unset.');
  }
  const unprintable = Array.from(stripped).find((char) => !isPrintable(char));
  if (unprintable !== undefined) {
    const code = unprintable.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new PropertyError(
      path, raw, `holds the unprintable character U+${code}`,
      'Text properties take printable characters only; remove it.',
    );
  }
  return stripped ? { text: stripped, tokens: 'none', given: value } : undefined;
}

function tokenText(value: string): Text {
  const fragments = Tokenization.reverseString(value);
  if (fragments.length === 1 && fragments.firstToken !== undefined) return { text: PLACEHOLDER, tokens: 'whole', given: value };
  const joined = fragments
    .mapTokens({ mapToken: () => PLACEHOLDER })
    .join({ join: (left: unknown, right: unknown) => `${left}${right}` });
  return { text: strip(String(joined)), tokens: 'partial', given: value };
}

function nullError(path: string): PropertyError {
  return new PropertyError(path, NULL, 'is null', 'Give a value, or "" (or nothing) to leave it unset.');
}

/** A value whose whole shape matters (an enum, a number): known, or left to the resolver. */
function exact(path: string, raw: unknown): Parsed<string> {
  const value = text(path, raw);
  if (value === undefined) return undefined;
  return value.tokens === 'none' ? value.text : DEFERRED;
}

function strictBool(path: string, raw: unknown): Parsed<boolean> {
  if (typeof raw === 'boolean') return raw;
  const value = exact(path, raw);
  if (value === undefined || value === DEFERRED) return value;
  if (['true', 'false'].includes(value.toLowerCase())) return value.toLowerCase() === 'true';
  throw new PropertyError(path, raw, 'is not a boolean', 'Use "true" or "false".');
}

function oneOf(values: string[]): Parser {
  return (path: string, raw: unknown): Parsed<string> => {
    const value = exact(path, raw);
    if (value === undefined || value === DEFERRED) return value;
    const member = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (member === undefined) {
      throw new PropertyError(path, raw, 'is not an allowed value', `Use one of ${values.join(' | ')}.`);
    }
    return member;
  };
}

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
  if (raw === null || raw === NULL) throw nullError(path);
  if (raw === '' || (Array.isArray(raw) && raw.length === 0)) return;
  const items = typeof raw === 'string' ? (Token.isUnresolved(raw) ? [] : raw.split(',')) : raw;
  if (!Array.isArray(items)) {
    throw new PropertyError(
      path, raw, 'is not a list', 'Give a list such as [Uri, Digest] or a comma-separated string.',
    );
  }
  for (const item of items) {
    const name = exact(path, item);
    if (typeof name === 'string' && !ATTRIBUTES.some((a) => a.toLowerCase() === name.toLowerCase())) {
      throw new PropertyError(path, item, 'is not an attribute', closestHint(name, ATTRIBUTES));
    }
  }
}

function imageReference(path: string, raw: unknown): Text | undefined {
  const value = text(path, raw);
  if (value && value.tokens !== 'whole' && !IMAGE_REFERENCE.test(value.text)) {
    throw new PropertyError(
      path, raw, 'is not an image reference',
      'Give an image URI, e.g. 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/app:local.',
    );
  }
  return value;
}

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

function given(path: string, raw: unknown): unknown {
  if (raw === null || raw === NULL) throw nullError(path);
  return raw;
}

// --- repositories -------------------------------------------------------------------------------

/** Where a repository is: its registry (account and region; undefined: the function's own, or
 * unknown until deploy) and a key that tells repositories apart. */
interface Place {
  readonly registry: string | undefined;
  readonly key: string;
}

function repository(path: string, value: Text): Place {
  if (value.tokens !== 'none') return { registry: undefined, key: value.given };
  const problem = repositoryProblem(value.text);
  if (problem) {
    throw new PropertyError(
      path, value.text, problem,
      'Examples: team/app, arn:aws:ecr:<region>:<account>:repository/team/app.',
    );
  }
  const arn = ARN.exec(value.text);
  const uri = URI.exec(value.text);
  const registry = arn ? `${arn[3]}/${arn[2]}` : uri ? `${uri[1]}/${uri[2]}` : 'home';
  const name = arn ? arn[4] : uri ? uri[4] : value.text;
  return { registry, key: `${registry}/${name}` };
}

/** `references.parse_repository`'s syntax checks (its partition checks need botocore's data). */
function repositoryProblem(text: string): string | undefined {
  const arn = ARN.exec(text);
  if (arn) return nameProblem(arn[4]);
  const uri = URI.exec(text);
  if (uri) {
    if (uri[4].includes(':') || uri[4].includes('@')) {
      return 'is an image URI, not a repository: put the repository in Repository and the tag or digest in Tag or Digest';
    }
    return nameProblem(uri[4]);
  }
  if (text.startsWith('arn:')) {
    return 'is not an ECR repository ARN; expected arn:<partition>:ecr:<region>:<account>:repository/<name>';
  }
  if (text.includes('.dkr.ecr') || text.includes('amazonaws.')) return NOT_A_URI;
  if (text.includes(':') || text.includes('@')) {
    return 'looks like an image reference; give only the repository here and put the tag or digest in Tag or Digest';
  }
  return nameProblem(text);
}

function nameProblem(name: string): string | undefined {
  if (name.length >= 2 && name.length <= 256 && REPO_NAME.test(name)) return undefined;
  return (
    `has repository name ${shown(name)}, which ECR does not allow: 2-256 characters, ` +
    'lower-case letters, digits and . _ - separators, optionally namespaced with /'
  );
}

// --- the properties -----------------------------------------------------------------------------

// The core's tables, in its order: with several faults, the same one is reported first.
const SEVERITIES = oneOf(SEVERITY);
const RETENTION = oneOf(['Report', 'Fail']);
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
  // Checked in full by the resolver at deploy time: the ARN's partition, the role per account,
  // the signer profiles, the lock's images (they need botocore's data or the whole request).
  ['RoleArn', text],
  ['ExternalId', text],
  ['Images', given],
  ['RequireSignature', given],
  ['OnUnsigned', oneOf(['Fail', 'Report'])],
  ['ExpectedDigests', given],
  ['OnLockMismatch', oneOf(['Fail', 'Report'])],
  ['WaitForReplication', given],
  ['Order', oneOf(['Pushed', 'Semver'])],
];
const PER_IMAGE: Array<[string, Parser]> = [
  ['Repository', text],
  ['Tag', text],
  ['Digest', text],
  ['Reference', text], // a whole image reference: parsed in full by the resolver
  ['Fallback', imageReference],
  ['Platform', platform],
  ['Lambda', strictBool],
  ['FailOnSeverity', SEVERITIES],
  ['OnRetentionRisk', RETENTION],
  ['RoleArn', text],
  ['ExternalId', text],
  ['RequireSignature', given],
  ['Order', oneOf(['Pushed', 'Semver'])],
];
// CloudFormation's own keys arrive in ResourceProperties too; the resolver ignores them.
const CFN_KEYS = ['ServiceToken', 'ServiceTimeout'];

function parseTable(
  prefix: string, raw: Record<string, unknown>, table: Array<[string, Parser]>, ignored: string[],
): Map<string, unknown> {
  const known = table.map(([key]) => key);
  for (const [key, value] of Object.entries(raw)) {
    if (!known.includes(key) && !ignored.includes(key)) {
      throw new PropertyError(`${prefix}${key}`, value ?? NULL, 'is not a known property', closestHint(key, known));
    }
  }
  // A parser sees only properties that are there: an explicit null is an error, absence is not.
  return new Map(table.map(([key, parse]) => [key, key in raw ? parse(`${prefix}${key}`, raw[key]) : undefined]));
}

interface Defaults {
  readonly repository: Place | undefined;
  readonly version: Text | undefined;
  readonly latest: boolean;
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
  };
  const images = checkImages(top.get('Images'), defaults);
  if (latest && !images.some((image) => image.mayUseVersion)) {
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

interface CheckedImage {
  readonly name: string;
  readonly place: Place;
  /** It uses {version}, or it is a token that may. */
  readonly mayUseVersion: boolean;
  readonly hasFallback: boolean;
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
  const repo = fields.get('Repository') as Text | undefined;
  const tag = fields.get('Tag') as Text | undefined;
  const digest = fields.get('Digest') as Text | undefined;
  const place = repo ? repository(`${path}.Repository`, repo) : defaults.repository;
  if (place === undefined) {
    throw new PropertyError(
      `${path}.Repository`, undefined, 'is required',
      'Set Repository on the image or a default Repository at the top level.',
    );
  }
  if ((tag === undefined) === (digest === undefined)) {
    throw new PropertyError(
      path, { Tag: raw.Tag, Digest: raw.Digest }, 'needs exactly one of Tag or Digest',
      'Set Tag (e.g. api-{version}) or Digest (sha256:...), not both.',
    );
  }
  if (digest && digest.tokens === 'none' && !DIGEST.test(digest.text)) {
    throw new PropertyError(
      `${path}.Digest`, digest.text, 'is not an image digest', 'Use sha256: followed by 64 lower-case hex digits.',
    );
  }
  const mayUseVersion = tag !== undefined && (tag.tokens === 'whole' || checkTag(`${path}.Tag`, tag.text, defaults));
  return { name, place, mayUseVersion, hasFallback: fields.get('Fallback') !== undefined };
}

/** The core's `_expand_tag`; whether the tag uses {version}. */
function checkTag(path: string, tag: string, defaults: Defaults): boolean {
  let usesVersion = false;
  for (const [, placeholder] of tag.matchAll(PLACEHOLDERS)) {
    if (placeholder !== 'version') {
      throw new PropertyError(path, tag, `uses the unknown placeholder {${placeholder}}`, 'Only {version} is supported.');
    }
    usesVersion = true;
    if (defaults.version === undefined && !defaults.latest) {
      throw new PropertyError(path, tag, 'uses {version} but Version is empty', 'Set the top-level Version property.');
    }
  }
  const isGlob = /[*?[]/.test(tag);
  if (isGlob && usesVersion) {
    throw new PropertyError(path, tag, 'mixes a pattern with {version}', 'Use either a pattern (api-*) or a {version} tag.');
  }
  if (isGlob) {
    if (!PATTERN_TEXT.test(tag)) {
      throw new PropertyError(path, tag, 'is not a valid tag pattern', 'Patterns use tag characters plus * ? [...], e.g. cloudtak-*.');
    }
    return false;
  }
  const expanded = tag.split(VERSION_FIELD).join(defaults.latest ? 'v' : defaults.version?.text ?? '');
  if (!TAG.test(expanded)) {
    throw new PropertyError(
      path, expanded, 'is not a valid image tag',
      'Tags are 1-300 characters: letters, digits, _ . - (not starting with . or -).',
    );
  }
  return usesVersion;
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
