// Shared pieces of the reliability suite: the built CLI as a real child process, generated source
// trees, and a comparable snapshot of what a store holds (to check "equals a clean full index").
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LoreStore } from '../../src/core/store';

/** Long soak variants run only when asked: `LORE_SOAK=1 npm run test:reliability`. */
export const SOAK = process.env.LORE_SOAK === '1';
export { assertCliBuilt, CLI, lore, REPO, startLore, type CliProcess, type CliRun } from '../support/cli';

/** A deterministic PRNG, so a failing random schedule can be replayed from its seed. */
export { mulberry32 as seededRandom } from '../support/random';

/** Source text for generated file `i`, version `v`: a few functions with distinct identifiers. */
export function sourceFile(i: number, v = 0, functions = 3): string {
  const body = Array.from(
    { length: functions },
    (_, f) =>
      `export function handler${i}_${f}_v${v}(input: string): string {\n` +
      `  // Normalises request ${i}.${f} before routing; revision ${v}.\n` +
      `  const trimmed = input.trim();\n  return trimmed.length > ${f} ? trimmed : 'empty${i}';\n}\n`,
  );
  return `// Module ${i}\n\n${body.join('\n')}`;
}

export function docFile(i: number, v = 0): string {
  return `# Topic ${i}\n\nRevision ${v} of the notes on topic ${i}.\n\n## Details\n\nThe handler${i} functions trim input.\n`;
}

/** Writes `count` files (mostly TypeScript, every fifth Markdown) in nested folders; returns their paths. */
export function generateTree(root: string, count: number, version = 0): string[] {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const rel = i % 5 === 4 ? `docs/d${i % 7}/topic${i}.md` : `src/m${i % 11}/sub${i % 3}/file${i}.ts`;
    const abs = path.join(root, ...rel.split('/'));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, rel.endsWith('.md') ? docFile(i, version) : sourceFile(i, version));
    paths.push(rel);
  }
  return paths;
}

/** What a store holds, in a form two stores can be compared by. */
export interface StoreSnapshot {
  /** path -> content hash and its chunk ids (sorted). */
  files: Map<string, { hash: string; chunkIds: string[] }>;
  chunks: number;
  vectors: number;
  /** Chunks that have no vector. */
  unembedded: number;
  recovered?: string;
}

export async function snapshotStore(storeDir: string): Promise<StoreSnapshot> {
  const store = await LoreStore.open(storeDir);
  try {
    const files = new Map<string, { hash: string; chunkIds: string[] }>();
    for (const f of store.files()) files.set(f.path, { hash: f.hash, chunkIds: [...f.chunkIds].sort() });
    const stats = await store.stats();
    return { files, chunks: stats.chunks, vectors: stats.vectors, unembedded: (await store.chunksWithoutVectors()).length, recovered: store.recovered };
  } finally {
    await store.close();
  }
}

/** Same files, same content hashes, same chunk ids; and, when `embedded`, every chunk has a vector. */
export function assertSameIndex(actual: StoreSnapshot, expected: StoreSnapshot, embedded: boolean): void {
  assert.deepEqual([...actual.files.keys()].sort(), [...expected.files.keys()].sort(), 'the same files are indexed');
  for (const [p, want] of expected.files) assert.deepEqual(actual.files.get(p), want, `${p}: same content hash and chunk ids`);
  assert.equal(actual.chunks, expected.chunks);
  if (embedded) {
    assert.equal(actual.unembedded, 0, 'every chunk is embedded');
    assert.equal(actual.vectors, actual.chunks);
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
