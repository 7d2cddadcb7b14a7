// What the lexical index files a chunk under: the chunk split into fields (where it lives, what it
// declares, what its comments and headings say, what its body does), and each field's terms with
// their counts (indexTerms: identifiers whole and split, prose stemmed, stop words dropped).
// Computed where the chunk is made when that is a worker thread (the chunk pool hands the result
// over with the chunk), so the thread that indexes only files postings.
import type { Chunk } from '../types';
import { indexTerms } from './tokenizeCode';

export type LexicalDocument = Pick<Chunk, 'id' | 'path' | 'symbol' | 'text' | 'context'>;

export const FIELDS = ['path', 'symbol', 'signature', 'doc', 'body'] as const;
export type Field = (typeof FIELDS)[number];

/** Per field, in FIELDS order: each term and how often it occurs. */
export type LexicalTerms = Array<Map<string, number>>;

export function lexicalTermsOf(chunk: LexicalDocument): LexicalTerms {
  const fields = splitFields(chunk);
  return FIELDS.map((field) => {
    const frequencies = new Map<string, number>();
    for (const term of indexTerms(fields[field])) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
    return frequencies;
  });
}

/**
 * LexicalTerms in one string, as a chunk worker sends them: a few objects per chunk instead of
 * thousands, so a big document's terms waiting to be indexed barely load the receiver's garbage
 * collector (a 2,400-page PDF's terms as Maps held its thread in collection for ~100 ms at a time).
 * Terms are letters, digits and marks only, so control characters separate them.
 */
export function packLexicalTerms(terms: LexicalTerms): string {
  return terms.map((frequencies) => Array.from(frequencies, ([term, count]) => `${term}${TERM_COUNT}${count}`).join(ENTRY)).join(FIELD);
}

function unpackLexicalTerms(packed: string): LexicalTerms {
  return packed.split(FIELD).map((field) => {
    const frequencies = new Map<string, number>();
    if (field) for (const entry of field.split(ENTRY)) {
      const at = entry.indexOf(TERM_COUNT);
      frequencies.set(entry.slice(0, at), Number(entry.slice(at + 1)));
    }
    return frequencies;
  });
}

const TERM_COUNT = '\u0001';
const ENTRY = '\u0002';
const FIELD = '\u0003';

/** Terms computed along with chunks (in a chunk worker), packed or unpacked, until the index takes them. */
const computed = new WeakMap<object, string | LexicalTerms>();

export function rememberLexicalTerms(chunk: object, packed: string): void {
  computed.set(chunk, packed);
}

/**
 * Unpacks the terms a chunk came with, ahead of `takeLexicalTerms`: the store does this chunk by
 * chunk between event-loop turns, so filing a big file's chunks in the index is only postings.
 */
export function unpackLexicalTermsOf(chunk: object): void {
  const terms = computed.get(chunk);
  if (typeof terms === 'string') computed.set(chunk, unpackLexicalTerms(terms));
}

/** The chunk's terms, computed now unless they came with it. */
export function takeLexicalTerms(chunk: LexicalDocument): LexicalTerms {
  const terms = computed.get(chunk);
  if (terms === undefined) return lexicalTermsOf(chunk);
  computed.delete(chunk);
  return typeof terms === 'string' ? unpackLexicalTerms(terms) : terms;
}

/** Line comments, block comment lines and Markdown/rst headings: what the author says in words. */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*|#(?:\s|$|#)|--\s|;;|<!--|"""|''')/;
/** A longer first line is minified code or data, not a declaration. */
const MAX_SIGNATURE_CHARS = 300;

/**
 * path: the file's path; symbol: the declaration or heading path; signature: the first code line
 * (the declaration) and the enclosing signature of a split declaration; doc: comment and heading
 * lines, Python docstrings included; body: the other lines.
 */
export function splitFields(chunk: LexicalDocument): Record<Field, string> {
  const doc: string[] = [];
  const body: string[] = [];
  let signature = '';
  let inDocstring: string | undefined;
  for (const line of chunk.text.split('\n')) {
    const trimmed = line.trim();
    if (inDocstring) {
      doc.push(line);
      if (trimmed.includes(inDocstring)) inDocstring = undefined;
      continue;
    }
    if (COMMENT_LINE.test(line)) {
      doc.push(line);
      const quote = trimmed.slice(0, 3);
      // A docstring that does not close on its own line runs until it does.
      if ((quote === '"""' || quote === "'''") && !trimmed.slice(3).includes(quote)) inDocstring = quote;
      continue;
    }
    if (!signature && trimmed) signature = trimmed.slice(0, MAX_SIGNATURE_CHARS);
    else body.push(line);
  }
  return {
    path: chunk.path,
    symbol: chunk.symbol ?? '',
    signature: chunk.context ? `${chunk.context}\n${signature}` : signature,
    doc: doc.join('\n'),
    body: body.join('\n'),
  };
}
