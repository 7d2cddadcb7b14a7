// Child process for the crash test: writes to a store forever until it is killed.
// Every chunk's text carries its file's hash, so a reader can tell whether a file's record and
// chunks come from the same write.
import { LoreStore } from '../../../src/core/store';
import type { Chunk } from '../../../src/core/types';
import { seededRandom } from './helpers';

export const CRASH_DIMS = 16;

/** The vector a chunk id always gets, so a reader can check where it landed. */
export function vectorFor(id: string): Float32Array {
  let seed = 0;
  for (let i = 0; i < id.length; i++) seed = (Math.imul(seed, 31) + id.charCodeAt(i)) | 0;
  const random = seededRandom(seed);
  return Float32Array.from({ length: CRASH_DIMS }, () => random() + 0.01);
}

export function chunksFor(filePath: string, hash: string, count: number): Chunk[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${filePath}@${hash}#${i}`,
    path: filePath,
    startLine: i * 5 + 1,
    endLine: i * 5 + 5,
    language: 'typescript',
    text: `version ${hash} part ${i} marker${hash}`,
    hash: `${hash}-${i}`,
  }));
}

async function main(dir: string, seed: number): Promise<void> {
  const store = await LoreStore.open(dir);
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor((random() + 0.5) * n);
  process.stdout.write('ready\n');
  for (let round = 0; ; round++) {
    const action = pick(10);
    if (action < 6) {
      const updates = Array.from({ length: 1 + pick(6) }, (_, i) => {
        const filePath = `src/f${pick(40)}.ts`;
        const hash = `s${seed}r${round}u${i}`;
        const chunks = chunksFor(filePath, hash, 1 + pick(4));
        const vectors = new Map(chunks.filter(() => random() > 0).map((chunk) => [chunk.id, vectorFor(chunk.id)]));
        return { record: { path: filePath, hash, size: round, mtimeMs: round }, chunks, vectors };
      });
      const unique = [...new Map(updates.map((update) => [update.record.path, update])).values()];
      await store.putFiles(unique, 'crash-model');
    } else if (action < 8) {
      const missing = (await store.chunksWithoutVectors()).slice(0, 8);
      await store.setVectors(new Map(missing.map((chunk) => [chunk.id, vectorFor(chunk.id)])), 'crash-model');
    } else {
      await store.removeFiles([`src/f${pick(40)}.ts`, `src/f${pick(40)}.ts`]);
    }
  }
}

if (require.main === module) {
  main(process.argv[2], Number(process.argv[3])).catch((err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(1);
  });
}
