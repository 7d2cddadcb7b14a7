// A small in-memory SearchIndex for the retrieval tests: word-overlap lexical search and exact
// cosine vector search, so fusion and merging are tested on known rankings.
import { chunkId, contentHash } from '../../../src/core/hash';
import type { Chunk, SearchHit, SearchIndex } from '../../../src/core/types';
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

