// A small in-memory SearchIndex for the retrieval tests: word-overlap lexical search and exact
// cosine vector search, so fusion and merging are tested on known rankings.
import { chunkId, contentHash } from '../../../src/core/hash';
import type { Chunk, LexicalQueryOptions, RefHit, SearchHit, SearchIndex } from '../../../src/core/types';
import { cosine } from '../../support/random';

export class MemoryIndex implements SearchIndex {
  readonly lexicalQueries: string[] = [];
  private readonly chunks: Chunk[] = [];
  private readonly vectors = new Map<string, Float32Array>();

  add(chunk: Chunk, vector?: number[]): Chunk {
    this.chunks.push(chunk);
    if (vector) this.vectors.set(chunk.id, Float32Array.from(vector));
    return chunk;
  }

  /** As the store's: references only, so a stage that needs a chunk's text must read it (`getChunk`). */
  /** Queries ranked `asName` (its word-overlap search splits no identifier, so it searches all queries alike). */
  readonly nameQueries: string[] = [];

  lexicalRanking(query: string, k: number, options?: LexicalQueryOptions): RefHit[] {
    if (options?.asName) this.nameQueries.push(query);
    return refs(this.lexicalSearch(query, k));
  }

  vectorRanking(vector: Float32Array, k: number): RefHit[] {
    return refs(this.vectorSearch(vector, k));
  }

  /** Ids `getChunk` was asked for, in order. */
  readonly reads: string[] = [];
  /** Ids whose chunk can no longer be read, as when its file changed after a ranking named it. */
  readonly gone = new Set<string>();

  getChunk(id: string): Chunk | undefined {
    this.reads.push(id);
    return this.gone.has(id) ? undefined : this.chunks.find((chunk) => chunk.id === id);
  }

  lexicalSearch(query: string, k: number): SearchHit[] {
    this.lexicalQueries.push(query);
    const words = query.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
    return this.chunks
      .map((chunk) => {
        const text = chunk.text.toLowerCase();
        return { chunk, score: words.reduce((n, w) => n + (text.includes(w) ? 1 : 0), 0) };
      })
      .filter((h) => h.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  vectorSearch(vector: Float32Array, k: number): SearchHit[] {
    return this.chunks
      .filter((c) => this.vectors.has(c.id))
      .map((chunk) => ({ chunk, score: cosine(vector, this.vectors.get(chunk.id)!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  vectorCount(): number {
    return this.vectors.size;
  }

  chunksOf(path: string): Chunk[] {
    return this.chunks.filter((c) => c.path === path).sort((a, b) => a.startLine - b.startLine);
  }
}

function refs(hits: SearchHit[]): RefHit[] {
  return hits.map(({ chunk: { id, path }, score }) => ({ chunk: { id, path }, score }));
}

/** A chunk whose text spans exactly its lines. */
export function makeChunk(path: string, startLine: number, lines: string[], extra: Partial<Chunk> = {}): Chunk {
  const text = lines.join('\n');
  const hash = contentHash(text);
  return { id: chunkId(path, startLine, hash), path, startLine, endLine: startLine + lines.length - 1, language: 'typescript', text, hash, ...extra };
}

/** Lines `${prefix} 1` .. `${prefix} n`, distinct per prefix. */
export function numberedLines(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);
}

