// Property values as the core reads and echoes them: its `InvalidPropertyError` (the value as
// Python's repr, clipped), `_text`'s rules for strings, and deploy-time values (tokens).
//
// A token inside a tag, a version or an image URI stands in as `0` (valid in each of them, so it
// never causes an error of its own); a value that is all token, or a token where its shape
// matters (a repository, a digest, a boolean, an ARN), is taken as set and left to the resolver:
// the checks built on these are never stricter than the resolver's.
import { Token, Tokenization } from 'aws-cdk-lib';

const MAX_SHOWN_CHARS = 80;
// What a token stands in as inside a tag, a version or an image URI: valid in each.
const PLACEHOLDER = '0';

/** A property the resolver would refuse: the message is the core's `InvalidPropertyError`. */
export class PropertyError extends Error {
  constructor(path: string, value: unknown, problem: string, fix: string) {
    super(`${clip(printable(path), 2 * MAX_SHOWN_CHARS)}: ${shown(value)} ${problem}. ${fix}`.trimEnd());
    this.name = 'PropertyError';
  }
}

// --- values as the core echoes them: Python's repr, clipped -------------------------------------

/** The explicit null of a property, which the core echoes as `null`. */
export const NULL = Symbol('null');

export function shown(value: unknown): string {
  return value === undefined ? '(absent)' : clip(repr(value));
}

export function clip(text: string, limit = MAX_SHOWN_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= limit ? text : chars.slice(0, limit - 3).join('') + '...';
}

// Python's str.isprintable(): no control, format, surrogate, private-use, unassigned or separator
// character, except the space.
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

export function isPrintable(char: string): boolean {
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

export function closestHint(name: string, valid: string[]): string {
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
export interface Text {
  /** The value, stripped, with each token replaced by `0`: what the checks read. */
  readonly text: string;
  /** Whether tokens stand in all of it (`whole`), a part (`partial`), or none of it. */
  readonly tokens: 'none' | 'partial' | 'whole';
  /** The value as given (tokens tell deploy-time values apart). */
  readonly given: string;
}

/** A value only the deploy can check: set, but unknown at synth. */
export const DEFERRED = Symbol('deferred');
export type Parsed<T> = T | undefined | typeof DEFERRED;
export type Parser = (path: string, raw: unknown) => unknown;

// Python's str.strip() strips what str.isspace() calls whitespace, which is not JavaScript's set.
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

export function strip(value: string): string {
  return value.replace(STRIP, '');
}

/** The core's `_text`: "" is unset (undefined); a blank value, a null or a non-string is an error. */
export function text(path: string, raw: unknown): Text | undefined {
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

export function nullError(path: string): PropertyError {
  return new PropertyError(path, NULL, 'is null', 'Give a value, or "" (or nothing) to leave it unset.');
}

/** A value whose whole shape matters (an enum, a number): known, or left to the resolver. */
export function exact(path: string, raw: unknown): Parsed<string> {
  const value = text(path, raw);
  if (value === undefined) return undefined;
  return value.tokens === 'none' ? value.text : DEFERRED;
}

export function strictBool(path: string, raw: unknown): Parsed<boolean> {
  if (typeof raw === 'boolean') return raw;
  const value = exact(path, raw);
  if (value === undefined || value === DEFERRED) return value;
  if (['true', 'false'].includes(value.toLowerCase())) return value.toLowerCase() === 'true';
  throw new PropertyError(path, raw, 'is not a boolean', 'Use "true" or "false".');
}

export function oneOf(values: string[]): Parser {
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

/** The core's `_matching`: text that must match `pattern` whole (a token stands in as `0`). */
export function matching(pattern: RegExp, problem: string, fix: string): (path: string, raw: unknown) => Text | undefined {
  return (path, raw) => {
    const value = text(path, raw);
    if (value && value.tokens !== 'whole' && !pattern.test(value.text)) throw new PropertyError(path, raw, problem, fix);
    return value;
  };
}

/**
 * The core's `_words`: a list, or a comma-separated string (a CommaDelimitedList parameter
 * arrives either way); undefined when empty. A deploy-time list, or a string with a token in it,
 * is DEFERRED (where its commas are is known only at deploy), and so is an item with a token.
 */
export function words(path: string, raw: unknown, example: string): Parsed<Array<string | typeof DEFERRED>> {
  if (raw === null || raw === NULL) throw nullError(path);
  if (Token.isUnresolved(raw)) return DEFERRED;
  const items = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(items)) {
    throw new PropertyError(path, raw, 'is not a list', `Give a list such as ${example} or a comma-separated string.`);
  }
  const found = items.map((item) => exact(path, item)).filter((word) => word !== undefined);
  return found.length ? found : undefined;
}

/** The core's `_as_given`: anything but a null, checked elsewhere. */
export function asGiven(path: string, raw: unknown): unknown {
  if (raw === null || raw === NULL) throw nullError(path);
  return raw;
}

/** Known, not a token: what a check may read. */
export function known<T>(value: Parsed<T>): value is T {
  return value !== undefined && value !== DEFERRED;
}
