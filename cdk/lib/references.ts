// ECR references as the core's `resolver/references.py` parses them: repositories (a name, an ARN
// or a registry URI) and whole image references (`Reference`). Syntax only: which partitions and
// regions exist, and whose DNS suffix a host ends in, is botocore's data, checked at deploy.
import { Tokenization } from 'aws-cdk-lib';
import { DEFERRED, PropertyError, Text, shown, strip } from './values';

// Python's `\d` is any decimal digit (Unicode category Nd), not only 0-9.
export const REGION = '[a-z]+(?:-[a-z]+)+-\\p{Nd}+';
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
export const PARTITION_ID = 'aws(?:-[a-z0-9]+)*';
const ACCOUNT = '\\p{Nd}{12}';
const REPO_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ARN = new RegExp(`^arn:(${PARTITION_ID}):ecr:(${REGION}):(${ACCOUNT}):repository/(.+)$`, 'u');
const URI = new RegExp(
  `^(?:https://)?(${ACCOUNT})\\.dkr\\.ecr(?:-fips)?\\.(${REGION})\\.([a-z0-9-]+(?:\\.[a-z0-9-]+)+)/(.+)$`,
  'u',
);
// `str.isdigit()`, laxer where Unicode is odd (a synth check is never stricter than the core's).
const PORT = /^[\p{Nd}\p{No}]+$/u;
const NOT_A_URI =
  "is not an ECR repository URI; expected <account>.dkr.ecr.<region>.<DNS suffix of the region's " +
  'partition: amazonaws.com, amazonaws.com.cn, …>/<name>';
const REPOSITORY_EXAMPLES = 'Examples: team/app, arn:aws:ecr:<region>:<account>:repository/team/app.';
const REFERENCE_EXAMPLES =
  'Examples: app:api-1, 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:api-1, app@sha256:<64 hex>, ' +
  'or a repository ARN with a Tag or Digest beside it.';

/** Where a repository is, as far as synth can tell. */
export interface Place {
  /** `<account>/<region>`; `home` for a bare name (the function's own); undefined for a token. */
  readonly registry: string | undefined;
  /** Tells repositories apart. */
  readonly key: string;
  /** The registry's account, where the reference names it. */
  readonly account?: string;
  /** The registry's partition and region, where an ARN names them (a URI's partition is
   * botocore's to tell, from the region). */
  readonly partition?: string;
  readonly region?: string;
}

/** A whole image reference: its repository, and its own tag or digest (DEFERRED: in a token). */
export interface Referenced {
  readonly place: Place;
  readonly tag: string | undefined | typeof DEFERRED;
  readonly digest: string | undefined | typeof DEFERRED;
}

/** The core's `_Places.repository`: a repository property, or the core's error. */
export function repository(path: string, value: Text): Place {
  if (value.tokens !== 'none') return { registry: undefined, key: value.given };
  const problem = repositoryProblem(value.text);
  if (problem) throw new PropertyError(path, value.text, problem, REPOSITORY_EXAMPLES);
  return placeOf(value.text);
}

/** The core's `_Places.image` (`parse_image_reference`): a `Reference`, or the core's error. */
export function imageReference(path: string, value: Text): Referenced {
  if (value.tokens !== 'none') return deferredReference(path, value);
  const parsed = parseImageReference(value.text);
  if (typeof parsed === 'string') throw new PropertyError(path, value.text, parsed, REFERENCE_EXAMPLES);
  return { place: placeOf(parsed.repository), tag: parsed.tag, digest: parsed.digest };
}

function placeOf(text: string): Place {
  const arn = ARN.exec(text);
  if (arn) {
    const [, partition, region, account, name] = arn;
    return { registry: `${account}/${region}`, key: `${account}/${region}/${name}`, account, partition, region };
  }
  const uri = URI.exec(text);
  if (uri) {
    const [, account, region, , name] = uri;
    return { registry: `${account}/${region}`, key: `${account}/${region}/${name}`, account };
  }
  return { registry: 'home', key: `home/${text}` };
}

/** `parse_repository`'s syntax checks: the problem, or undefined. */
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

interface ImageParts {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `parse_image_reference`: `[<registry>[:<port>]/]<repository>[:<tag>][@<digest>]`, or a
 * repository ARN. With a digest the tag is dropped (the digest is what Docker pulls). */
function parseImageReference(text: string): ImageParts | string {
  if (text.startsWith('arn:')) return repositoryProblem(text) ?? { repository: text };
  const { name, tag, digest } = splitTagAndDigest(text);
  if (digest !== undefined && !DIGEST.test(digest)) return digestProblem(digest);
  let rest = name;
  const slash = rest.indexOf('/');
  const first = rest.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const [host, port] = splitAt(first, first.indexOf(':'));
    if (port && !PORT.test(port)) return `names registry ${shown(first)} with a port that is not one`;
    rest = `${host}/${rest.slice(slash + 1)}`;
    if (!URI.test(rest)) {
      return (
        `names registry ${shown(host)}, which is not Amazon ECR: the resolver reads ECR only. Push the image ` +
        'to ECR (or cache it with a pull-through cache rule) and name that'
      );
    }
  }
  return repositoryProblem(rest) ?? { repository: rest, tag: digest === undefined ? tag : undefined, digest };
}

/** `name[:tag][@digest]`: the digest after the last `@`, the tag after a `:` past the last `/`. */
function splitTagAndDigest(text: string): { name: string; tag?: string; digest?: string } {
  const [rest, digest] = splitAt(text, text.lastIndexOf('@'));
  const colon = rest.lastIndexOf(':');
  const [name, tag] = colon > rest.lastIndexOf('/') ? splitAt(rest, colon) : [rest, undefined];
  return { name, tag, digest };
}

function splitAt(text: string, index: number): [string, string | undefined] {
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function digestProblem(digest: string): string {
  return `has digest ${shown(digest)}; a digest is sha256: and 64 lower-case hex digits`;
}

/**
 * A reference with tokens in it. Its repository is the deploy's to parse, but the literal text
 * after the last token, from its last `/` on, is the repository's last name part and the tag or
 * digest (`${account}.dkr.ecr.${region}.amazonaws.com/app:api-{version}`): those are checked.
 * Without a `/` there, a token may hold the tag or the digest: both are DEFERRED.
 */
function deferredReference(path: string, value: Text): Referenced {
  const marked = String(
    Tokenization.reverseString(value.given)
      .mapTokens({ mapToken: () => '\u0000' })
      .join({ join: (left: unknown, right: unknown) => `${left}${right}` }),
  );
  const tail = marked.slice(marked.lastIndexOf('\u0000') + 1);
  if (!tail.includes('/')) {
    return { place: { registry: undefined, key: value.given }, tag: DEFERRED, digest: DEFERRED };
  }
  const last = strip(tail.slice(tail.lastIndexOf('/') + 1));
  const { name, tag, digest } = splitTagAndDigest(last);
  if (digest !== undefined && !DIGEST.test(digest)) {
    throw new PropertyError(path, value.text, digestProblem(digest), REFERENCE_EXAMPLES);
  }
  // Without its tag or digest: images of one repository count as one.
  const key = value.given.slice(0, value.given.lastIndexOf(last)) + name;
  return { place: { registry: undefined, key }, tag: digest === undefined ? tag : undefined, digest };
}
