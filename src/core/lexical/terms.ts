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

const TERM_COUNT = '\u0001';
const ENTRY = '\u0002';
const FIELD = '\u0003';

/** Terms computed along with chunks (in a chunk worker), packed, until the index takes them. */
const computed = new WeakMap<object, string>();

export function rememberLexicalTerms(chunk: object, packed: string): void {
  computed.set(chunk, packed);
}

/**
 * Calls `visit` with each field number, term and count of the chunk's terms (those it came with are
 * used once) and returns how many terms each field has. Terms that came packed are read in
 * place: no Map per field, so filing a big document's chunks leaves the collector little to trace.
 */
export function visitLexicalTerms(chunk: LexicalDocument, visit: (field: number, term: string, count: number) => void): number[] {
  const packed = computed.get(chunk);
  if (packed === undefined) {
    const terms = lexicalTermsOf(chunk);
    terms.forEach((frequencies, field) => frequencies.forEach((count, term) => visit(field, term, count)));
    return terms.map((frequencies) => frequencies.size);
  }
  computed.delete(chunk);
  return packed.split(FIELD).map((entries, field) => {
    let size = 0;
    for (let start = 0; start < entries.length; size++) {
      const mark = entries.indexOf(TERM_COUNT, start);
      const end = entries.indexOf(ENTRY, mark);
      const stop = end < 0 ? entries.length : end;
      visit(field, entries.slice(start, mark), Number(entries.slice(mark + 1, stop)));
      start = stop + 1;
    }
    return size;
  });
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
