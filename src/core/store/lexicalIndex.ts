// BM25 full-text search over chunks with MiniSearch, tokenized for code (see tokenizeCode).
import MiniSearch from 'minisearch';
import type { Chunk } from '../types';
import { tokenizeCode } from './tokenizeCode';

export interface LexicalMatch {
  id: string;
  score: number;
}

type LexicalDocument = Pick<Chunk, 'id' | 'path' | 'symbol' | 'text'>;

/** A name or path hit says more about a chunk than a word somewhere in its body. */
const BOOST = { symbol: 3, path: 2, text: 1 };

export class LexicalIndex {
  private index = createIndex();

  add(chunks: Iterable<LexicalDocument>): void {
    for (const { id, path, symbol, text } of chunks) this.index.add({ id, path, symbol, text });
  }

  /**
   * Forgets chunks without needing their text; MiniSearch drops the stale postings lazily and
   * vacuums in the background once enough have piled up.
   */
  discard(ids: Iterable<string>): void {
    for (const id of ids) if (this.index.has(id)) this.index.discard(id);
  }

  search(query: string, k: number): LexicalMatch[] {
    // A token repeated in the query (the `1`s of `v1r1`) would count twice in MiniSearch's sum.
    const terms = [...new Set(tokenizeCode(query))];
    if (!(k >= 1) || terms.length === 0) return [];
    return this.index
      .search(query, { boost: BOOST, combineWith: 'OR', tokenize: () => terms })
      .slice(0, Math.floor(k))
      .map((result) => ({ id: result.id as string, score: result.score }));
  }

  clear(): void {
    this.index = createIndex();
  }
}

function createIndex(): MiniSearch<LexicalDocument> {
  return new MiniSearch<LexicalDocument>({
    fields: ['path', 'symbol', 'text'],
    tokenize: tokenizeCode,
    // tokenizeCode already lowercases; the default processTerm would only repeat that work.
    processTerm: (term) => term,
  });
}
