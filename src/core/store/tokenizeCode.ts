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
    emitWord(text, kinds, i, end, tokens);
    i = end;
  }
  return tokens;
}

/** Emits text[start, end) whole, then its parts if it has more than one or lost separators. */
function emitWord(text: string, kinds: Uint8Array, start: number, end: number, tokens: string[]): void {
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
  pushToken(tokens, whole);
  if (parts.length === 1 && parts[0].length === end - start) return;
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (lower !== whole) pushToken(tokens, lower);
  }
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
