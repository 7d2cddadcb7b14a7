// Shared builders for the store tests: chunks, seeded vectors, and a look at the store's files.
import { mulberry32 } from '../../support/random';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Chunk } from '../../../src/core/types';
import { LoreStore } from '../../../src/core/store';
import { shardOf } from '../../../src/core/store/shardFiles';
import { makeTempDir, removeDir } from '../../support/tempTree';

export function makeChunk(filePath: string, index: number, text: string, extra: Partial<Chunk> = {}): Chunk {
  return {
    id: `${filePath}#${index}`,
    path: filePath,
    startLine: index * 10 + 1,
    endLine: index * 10 + 9,
    language: 'typescript',
    text,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 32),
    ...extra,
  };
}

export function record(filePath: string, hash = 'h1') {
  return { path: filePath, hash, size: 100, mtimeMs: 1_700_000_000_000 };
}

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
export function seededRandom(seed: number): () => number {
  const random = mulberry32(seed);
  return () => random() - 0.5;
}

export function randomVector(dims: number, random: () => number): Float32Array {
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) vector[i] = random();
  return vector;
}

/** Every file under `dir` (relative POSIX path) with its mtime and a digest of its bytes. */
export function snapshotFiles(dir: string): Map<string, { mtimeMs: number; digest: string }> {
  const files = new Map<string, { mtimeMs: number; digest: string }>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const digest = createHash('sha256').update(readFileSync(full)).digest('hex');
        files.set(path.relative(dir, full).split(path.sep).join('/'), { mtimeMs: statSync(full).mtimeMs, digest });
      }
    }
  };
  walk(dir);
  return files;
}

/** Everything a caller can observe of the store, for "nothing changed" checks. */
export async function observe(store: LoreStore) {
  const files = [...store.files()].sort((a, b) => a.path.localeCompare(b.path));
  return {
    files,
    chunks: files.flatMap((file) => store.chunksOf(file.path)),
    vectors: store.vectorCount(),
    missing: (await store.chunksWithoutVectors()).map((chunk) => chunk.id),
  };
}

/** A store of its own in a fresh folder for each test of the suite that calls this: opened before, closed and removed after. */
export function storePerTest(prefix: string): {
  readonly dir: string;
  readonly store: LoreStore;
  /** Closes the store (if it is open) and opens its folder again. */
  reopen(): Promise<LoreStore>;
  /** The folder of the shard `filePath` lives in. */
  shardFolder(filePath: string): string;
} {
  let dir = '';
  let store: LoreStore | undefined;
  beforeEach(async () => {
    dir = makeTempDir(prefix);
    store = await LoreStore.open(dir);
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    removeDir(dir);
  });
  return {
    get dir() {
      return dir;
    },
    get store() {
      if (!store) throw new Error('no store outside a test');
      return store;
    },
    async reopen() {
      await store?.close().catch(() => undefined);
      store = await LoreStore.open(dir);
      return store;
    },
    shardFolder: (filePath) => path.join(dir, 'shards', shardOf(filePath).toString(16).padStart(2, '0')),
  };
}
