// BM25 full-text search over chunks with MiniSearch, tuned for code: each chunk is split into fields
// that say different things about it (where it lives, what it declares, what its comments and
// headings say, what its body does), each scored on its own and weighted; terms come from
// indexTerms (identifiers whole and split, prose stemmed, stop words dropped).
import MiniSearch from 'minisearch';
import type { Chunk } from '../types';
import { indexTerms, weightedQueryTerms } from './tokenizeCode';

export interface LexicalMatch {
  id: string;
  score: number;
}

type LexicalDocument = Pick<Chunk, 'id' | 'path' | 'symbol' | 'text' | 'context'>;

type Field = 'path' | 'symbol' | 'signature' | 'doc' | 'body';

/**
 * Field weights, tuned on `npm run eval` (README, "Retrieval quality"). Files are named after what
 * they do, so a path hit says most. The symbol and signature repeat names the body already uses, and
 * a term found in several fields already scores in each: weighting them higher ranked helpers
 * named like the question's words above the code it asks about.
 */
const BOOST: Record<Field, number> = { path: 3, symbol: 1, signature: 0.5, doc: 1, body: 1 };
const FIELDS = Object.keys(BOOST) as Field[];
/** Search time grows with the terms searched; a question rarely has more that matter (a paste is cut here). */
const MAX_QUERY_TERMS = 32;

export class LexicalIndex {
  private index = createIndex();

  get size(): number {
    return this.index.documentCount;
  }

  add(chunks: Iterable<LexicalDocument>): void {
    for (const chunk of chunks) this.index.add(chunk);
  }

  /**
   * Forgets chunks without needing their text; MiniSearch drops the stale postings lazily and
   * vacuums in the background once enough have piled up.
   */
  discard(ids: Iterable<string>): void {
    for (const id of ids) if (this.index.has(id)) this.index.discard(id);
  }

  /** Best first. A term repeated in the query weighs more (see weightedQueryTerms). */
  search(query: string, k: number): LexicalMatch[] {
    const weights = weightedQueryTerms(typeof query === 'string' ? query : '');
    if (!(k >= 1) || weights.size === 0) return [];
    // Each term costs a walk over its postings: the heaviest terms, first seen first on ties.
    const terms = [...weights.keys()]
      .map((term, order) => ({ term, order }))
      .sort((a, b) => weights.get(b.term)! - weights.get(a.term)! || a.order - b.order)
      .slice(0, MAX_QUERY_TERMS)
      .map(({ term }) => term);
    return this.index
      .search(terms.join(' '), {
        boost: BOOST,
        combineWith: 'OR',
        tokenize: () => terms,
        boostTerm: (term) => weights.get(term) ?? 1,
      })
      .slice(0, Math.floor(k))
      .map((result) => ({ id: result.id as string, score: result.score }));
  }

  clear(): void {
    this.index = createIndex();
  }
}

function createIndex(): MiniSearch<LexicalDocument> {
  return new MiniSearch<LexicalDocument>({
    fields: FIELDS,
    extractField: (chunk, field) => (field === 'id' ? chunk.id : fieldsOf(chunk)[field as Field]),
    tokenize: indexTerms,
    // indexTerms already lowercases and stems; the default processTerm would only repeat that work.
    processTerm: (term) => term,
  });
}

/** The last chunk split into fields: MiniSearch asks for each field in turn. */
let lastSplit: { chunk: LexicalDocument; fields: Record<Field, string> } | undefined;

function fieldsOf(chunk: LexicalDocument): Record<Field, string> {
  if (lastSplit?.chunk !== chunk) lastSplit = { chunk, fields: splitFields(chunk) };
  return lastSplit.fields;
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
