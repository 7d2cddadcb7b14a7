// The lexical index's tokenizer, used for documents and queries alike so that `parse config`,
// `config` and `parseConfigFile` all meet the tokens of `parseConfigFile`. It runs over every
// chunk at load, so it scans char codes instead of running Unicode regexes (~5x faster).

/** Longer tokens are minified code, hashes or base64: noise that only bloats the index. */
const MAX_TOKEN_LENGTH = 64;

const enum Kind {
  Other,
  Lower,
  Upper,
  Digit,
  /** `_` and `$`: part of an identifier, but separate its parts. */
  Joiner,
}

import stemWord from 'wink-porter2-stemmer';

const LETTER_NUMBER_OR_MARK = /[\p{L}\p{N}\p{M}]/u;
const NUMBER = /\p{N}/u;

function kindOf(text: string, i: number): Kind {
  const c = text.charCodeAt(i);
  if (c >= 97 && c <= 122) return Kind.Lower;
  if (c >= 65 && c <= 90) return Kind.Upper;
  if (c >= 48 && c <= 57) return Kind.Digit;
  if (c === 95 || c === 36) return Kind.Joiner;
  if (c < 128) return Kind.Other;
  const ch = text[i];
  if (!LETTER_NUMBER_OR_MARK.test(ch)) return Kind.Other;
  if (ch !== ch.toLowerCase()) return Kind.Upper;
  if (ch !== ch.toUpperCase()) return Kind.Lower;
  // Digits of other scripts; letters without case (CJK, Arabic...) and marks join like lower case.
  return NUMBER.test(ch) ? Kind.Digit : Kind.Lower;
}

/**
 * Code-aware tokenizer: splits on characters that cannot be part of an identifier (a hyphen
 * between two identifier characters joins, for kebab-case), then emits each whole identifier
 * (lowercased) followed by its camelCase, PascalCase, snake_case, kebab-case and letter/digit
 * parts. Paths split into their segments, stem and extension the same way. One-character tokens
 * are dropped unless they are digits.
 */
export function tokenizeCode(text: string): string[] {
  const tokens: string[] = [];
  forEachWord(text, (whole, parts) => {
    pushToken(tokens, whole);
    for (const part of parts) if (part !== whole) pushToken(tokens, part);
  });
  return tokens;
}

/**
 * The terms the lexical index keeps for a text, with how many times each occurs in it: identifiers
 * whole (lowercased, never stemmed, so `parseConfigFile` only meets itself) and their parts; prose
 * words and identifier parts stemmed (English Porter2), English stop words dropped. A part or word
 * is what a question in words meets (`parse the config file` finds `parseConfigFile`).
 */
export function indexTerms(text: string): string[] {
  const terms: string[] = [];
  forEachWord(text, (whole, parts) => {
    if (isCompound(whole, parts)) pushToken(terms, whole);
    for (const part of parts) {
      const term = prosePart(part);
      if (term) pushToken(terms, term);
      const expanded = EXPANDED_ABBREVIATIONS.get(part);
      if (expanded) pushToken(terms, expanded);
    }
  });
  return terms;
}

/**
 * Code abbreviates what questions spell out (`args`, `ctx`, `no-dupe-keys`): the index also files
 * such a word under its spelled-out stem, so `duplicate arguments` finds `dupeArgs`. Index side
 * only: a question that says `arg` still finds `arg` first.
 */
const ABBREVIATIONS: Record<string, string> = {
  arg: 'argument', args: 'arguments', attr: 'attribute', attrs: 'attributes', auth: 'authentication', buf: 'buffer',
  cfg: 'configuration', cmd: 'command', cmp: 'compare', cond: 'condition', config: 'configuration', conn: 'connection',
  ctx: 'context', db: 'database', decl: 'declaration', def: 'definition', del: 'delete', dest: 'destination',
  dir: 'directory', doc: 'document', dupe: 'duplicate', dup: 'duplicate', elem: 'element', env: 'environment',
  eq: 'equal', err: 'error', expr: 'expression', fn: 'function', func: 'function', idx: 'index', impl: 'implementation',
  init: 'initialize', len: 'length', lib: 'library', max: 'maximum', min: 'minimum', msg: 'message', num: 'number',
  obj: 'object', opt: 'option', opts: 'options', param: 'parameter', params: 'parameters', pkg: 'package', pos: 'position',
  prev: 'previous', prop: 'property', props: 'properties', proto: 'prototype', ref: 'reference', regex: 'regular',
  regexp: 'regular', req: 'request', res: 'response', ret: 'return', spec: 'specification', src: 'source',
  str: 'string', tmp: 'temporary', val: 'value', var: 'variable', vars: 'variables',
};
const EXPANDED_ABBREVIATIONS = new Map(Object.entries(ABBREVIATIONS).map(([short, long]) => [short, stemWord(long)]));

/**
 * Query terms with weights: like `indexTerms`, but a part of an identifier the question names
 * counts PART_WEIGHT (the whole identifier is the strong evidence), and a term repeated in the
 * query (the query planner repeats what it trusts most) adds weight, up to MAX_TERM_WEIGHT.
 * Without `compoundParts`, a compound identifier counts only as itself.
 */
export function weightedQueryTerms(query: string, compoundParts = true): Map<string, number> {
  const weights = new Map<string, number>();
  const add = (term: string, weight: number) => {
    if (term.length > MAX_TOKEN_LENGTH || (term.length === 1 && !NUMBER.test(term))) return;
    weights.set(term, Math.min(MAX_TERM_WEIGHT, (weights.get(term) ?? 0) + weight));
  };
  forEachWord(query, (whole, parts) => {
    const compound = isCompound(whole, parts);
    if (compound) add(whole, 1);
    if (compound && !compoundParts) return;
    for (const part of parts) {
      const term = prosePart(part);
      if (term) add(term, compound ? PART_WEIGHT : 1);
    }
  });
  return weights;
}

/** A part of an identifier matched alone says less than the identifier. */
const PART_WEIGHT = 0.5;
const MAX_TERM_WEIGHT = 3;

/** The stemmed form of a lowercased word, undefined for a stop word. Non-Latin words are kept as they are. */
function prosePart(part: string): string | undefined {
  // Too long to be a word (a minified line, a base64 blob): dropped before the stemmer, which is
  // quadratic on it (55 s for 100 KB).
  if (part.length > MAX_TOKEN_LENGTH || STOP_WORDS.has(part)) return undefined;
  if (!/^[a-z]+$/.test(part)) return part;
  let stem = stems.get(part);
  if (stem === undefined) {
    // The vocabulary of a workspace is bounded, but a stream of hashes is not.
    if (stems.size >= MAX_CACHED_STEMS) stems.clear();
    stem = stemWord(part);
    stems.set(part, stem);
  }
  return stem;
}

const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

/** English function words: they match everywhere and rank nothing. Kept small: `get`, `set`, `use` mean something in code. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by did do does for from had has have how if in into is it its of on or ' +
    'so than that the their then there these they this those to was were what when where which while who why will ' +
    'with would you your'
  ).split(' '),
);

/** Calls `visit` with each word (lowercased) and its lowercased camel/snake/kebab/digit parts ([whole] when it has none). */
function forEachWord(text: string, visit: (whole: string, parts: string[]) => void): void {
  const length = text.length;
  const kinds = new Uint8Array(length);
  for (let i = 0; i < length; i++) kinds[i] = kindOf(text, i);
  let i = 0;
  while (i < length) {
    if (kinds[i] === Kind.Other) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < length && (kinds[end] !== Kind.Other || (text.charCodeAt(end) === 45 && end + 1 < length && kinds[end + 1] !== Kind.Other))) end++;
    visitWord(text, kinds, i, end, visit);
    i = end;
  }
}

/** Visits text[start, end) whole, with its parts (just itself when it has one part and no separators). */
function visitWord(text: string, kinds: Uint8Array, start: number, end: number, visit: (whole: string, parts: string[]) => void): void {
  const parts: string[] = [];
  let partStart = -1;
  for (let i = start; i < end; i++) {
    const kind = kinds[i];
    if (kind === Kind.Other || kind === Kind.Joiner) {
      if (partStart >= 0) parts.push(text.slice(partStart, i));
      partStart = -1;
      continue;
    }
    if (partStart >= 0 && startsPart(kinds, i, end)) {
      parts.push(text.slice(partStart, i));
      partStart = i;
    } else if (partStart < 0) {
      partStart = i;
    }
  }
  if (partStart >= 0) parts.push(text.slice(partStart, end));
  if (parts.length === 0) return; // only `_`, `$` and `-`
  const whole = text.slice(start, end).toLowerCase();
  visit(whole, parts.length === 1 && parts[0].length === end - start ? [whole] : parts.map((p) => p.toLowerCase()));
}

/** `parseConfig`, `_private`, `no-undef`: an identifier whose whole differs from its one part. */
function isCompound(whole: string, parts: string[]): boolean {
  return parts.length > 1 || parts[0] !== whole;
}

/** Does a new part begin at i (inside a run of letters and digits)? */
function startsPart(kinds: Uint8Array, i: number, end: number): boolean {
  const previous = kinds[i - 1];
  const kind = kinds[i];
  if ((previous === Kind.Digit) !== (kind === Kind.Digit)) return true; // letters | digits
  if (previous === Kind.Lower && kind === Kind.Upper) return true; // camel|Case
  // The last capital of an acronym starts the next word: HTTP|Server.
  return previous === Kind.Upper && kind === Kind.Upper && i + 1 < end && kinds[i + 1] === Kind.Lower;
}

function pushToken(tokens: string[], token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) return;
  if (token.length === 1 && !NUMBER.test(token)) return;
  tokens.push(token);
}
