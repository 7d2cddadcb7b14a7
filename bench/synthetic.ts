// Synthetic index contents for the size benchmarks: chunk texts are real code (~1.5 KB windows cut
// from sources in node_modules, so the lexical index sees a real vocabulary), vectors are seeded
// random 768-dimension vectors (an embedding model's output is dense and unstructured alike).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { chunkId, contentHash } from '../src/core/hash';
import type { FileUpdate } from '../src/core/store';
import type { Chunk } from '../src/core/types';

export const DIMS = 768;
export const CHUNKS_PER_FILE = 10;
const CHUNK_CHARS = 1500;
/** Enough distinct source that 100k windows rarely repeat a whole chunk. */
const SOURCE_CHARS = 40 * 1024 * 1024;

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A seeded random vector (uniform in [-1, 1) in each dimension) for a hex hash. */
function noise(hash: string): Float32Array {
  const random = seededRandom(parseInt(hash.slice(0, 8), 16));
  const vector = new Float32Array(DIMS);
  for (let j = 0; j < DIMS; j++) vector[j] = random() * 2 - 1;
  return vector;
}

/** Concatenated real source files from `nodeModules` (js/ts only), up to SOURCE_CHARS. */
export function loadSourceText(nodeModules: string): string {
  const parts: string[] = [];
  let total = 0;
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (total >= SOURCE_CHARS) return;
      const abs = path.join(dir, name);
      const stat = statSync(abs, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) visit(abs);
      else if (/\.(js|ts|mjs|cjs)$/.test(name) && !/\.min\./.test(name) && stat.size < 4 * 1024 * 1024) {
        const text = readFileSync(abs, 'utf8');
        parts.push(text);
        total += text.length;
      }
    }
  };
  visit(nodeModules);
  return parts.join('\n');
}

export class SyntheticCorpus {
  constructor(
    private readonly source: string,
    readonly seed = 1,
  ) {}

  filePath(file: number): string {
    return `src/pkg${file % 97}/module${file}.ts`;
  }

  /** File `file`'s chunks; `revision` changes their text (a save). */
  chunks(file: number, revision = 0): Chunk[] {
    const random = seededRandom(this.seed * 1_000_003 + file * 7919 + revision);
    const filePath = this.filePath(file);
    const chunks: Chunk[] = [];
    for (let i = 0; i < CHUNKS_PER_FILE; i++) {
      const start = Math.floor(random() * (this.source.length - CHUNK_CHARS));
      const text = `// rev ${revision}\n${this.source.slice(start, start + CHUNK_CHARS)}`;
      const hash = contentHash(text);
      const startLine = i * 40 + 1;
      chunks.push({ id: chunkId(filePath, startLine, hash), path: filePath, startLine, endLine: startLine + 39, language: 'typescript', text, hash });
    }
    return chunks;
  }

  vector(chunk: Chunk): Float32Array {
    return noise(chunk.hash);
  }

  /** File `file` as the indexer would store it; `vectorOf` gives chunk i's vector (by default seeded noise). */
  update(file: number, revision = 0, vectorOf = (chunk: Chunk, _index: number) => this.vector(chunk)): FileUpdate {
    const chunks = this.chunks(file, revision);
    const text = chunks.map((c) => c.text).join('\n');
    return {
      record: { path: this.filePath(file), hash: contentHash(text), size: text.length, mtimeMs: 1_700_000_000_000 + revision },
      chunks,
      vectors: new Map(chunks.map((c, i) => [c.id, vectorOf(c, i)])),
    };
  }

  /**
   * The query embedder of a retriever over this corpus: each question's own vector, and seeded noise
   * for any other text (the retriever's meaning probe asks three sentences once; an embedder that
   * failed it would have every query ask again, which a real model never makes it do).
   */
  embedder(questions: Array<{ text: string; vector: Float32Array }>): (text: string) => Promise<Float32Array> {
    const byText = new Map(questions.map((q) => [q.text, q.vector]));
    return async (text) => byText.get(text) ?? noise(contentHash(text));
  }

  /** A question made of a few real words from file `file`'s first chunk, and a vector near that chunk's. */
  query(file: number, n: number): { text: string; vector: Float32Array } {
    const chunk = this.chunks(file)[0];
    const words = chunk.text.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? ['function'];
    const random = seededRandom(n + 17);
    const picked = Array.from({ length: 4 }, () => words[Math.floor(random() * words.length)]);
    const vector = this.vector(chunk);
    for (let j = 0; j < DIMS; j++) vector[j] += (random() * 2 - 1) * 0.5;
    return { text: `how does ${picked.join(' ')} work`, vector };
  }
}
