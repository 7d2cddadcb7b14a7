// Chunk texts and float32 vectors (past 16 MB of them) are not held in memory: they are read back
// from the shards' chunk packs and index.pb files, which every commit rewrites. These tests hold
// those reads right.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LoreStore } from '../../../src/core/store';
import { ShardFiles, shardOf } from '../../../src/core/store/shardFiles';
import { makeChunk, randomVector, record, seededRandom, storePerTest } from './helpers';

const DIMS = 8;

function unitOf(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

describe('LoreStore reading back from the shards', () => {
  const t = storePerTest('lore-readback-');
  const random = seededRandom(43);

  /** `count` paths that share one shard. */
  function pathsInOneShard(count: number): string[] {
    const target = shardOf('src/a0.ts');
    const paths: string[] = [];
    for (let i = 0; paths.length < count; i++) if (shardOf(`src/a${i}.ts`) === target) paths.push(`src/a${i}.ts`);
    return paths;
  }

  it('keeps every file of a shard readable and every vector exact through repeated commits to it', async () => {
    const dims = 16;
    const rng = seededRandom(31);
    const paths = pathsInOneShard(5);
    const vectors = new Map<string, Float32Array>();
    const update = (p: string, version: number) => {
      const chunks = [0, 1].map((i) => makeChunk(p, i, `version ${version} of ${p}, part ${i}`));
      for (const chunk of chunks) vectors.set(chunk.id, randomVector(dims, rng));
      return { record: record(p, `h${version}`), chunks, vectors: new Map(chunks.map((c) => [c.id, vectors.get(c.id)!])) };
    };
    await t.store.putFiles(paths.map((p) => update(p, 1)), 'embed-a');
    await t.store.putFile(update(paths[1], 2).record, update(paths[1], 2).chunks, update(paths[1], 2).vectors);
    await t.store.removeFiles([paths[3]]);
    await t.store.putFiles([update(paths[4], 3)]);
    const check = (s: LoreStore) => {
      const expected: Record<string, number> = { [paths[0]]: 1, [paths[1]]: 2, [paths[2]]: 1, [paths[4]]: 3 };
      for (const [p, version] of Object.entries(expected)) {
        assert.deepEqual(s.chunksOf(p).map((c) => c.text), [0, 1].map((i) => `version ${version} of ${p}, part ${i}`));
      }
      assert.deepEqual(s.chunksOf(paths[3]), []);
      for (const p of Object.keys(expected)) {
        for (const chunk of s.chunksOf(p)) {
          assert.deepEqual(s.vectorOf(chunk.id), unitOf(vectors.get(chunk.id)!));
          const [best] = s.vectorSearch(vectors.get(chunk.id)!, 1);
          assert.equal(best.chunk.id, chunk.id);
          assert.ok(Math.abs(best.score - 1) < 1e-6);
        }
      }
    };
    check(t.store);
    assert.equal((await fs.readdir(t.shardFolder(paths[0]))).filter((name) => name.startsWith('chunks-')).length, 1);
    check(await t.reopen());
  });

  it('reports a chunk pack or shard index cut short under an open t.store, instead of misreading it', async () => {
    const [p] = pathsInOneShard(1);
    await t.store.putFile(record(p), [makeChunk(p, 0, 'some text')], new Map([[`${p}#0`, randomVector(DIMS, random)]]), 'embed-a');
    await t.reopen();
    const folder = t.shardFolder(p);
    const pack = (await fs.readdir(folder)).find((name) => name.startsWith('chunks-'))!;
    await fs.truncate(path.join(folder, pack), 6);
    assert.throws(() => t.store.chunksOf(p), /the chunks of src\/a\d+\.ts are cut short/);
    assert.throws(() => t.store.vectorSearch(randomVector(DIMS, random), 1), /the chunks of src\/a\d+\.ts are cut short/);
    await fs.truncate(path.join(folder, 'index.pb'), 10);
    // A store this small holds its full-precision vectors in memory (VectorMatrix): ranking reads
    // nothing from the cut file, and the next open finds the damage and starts over.
    assert.deepEqual(t.store.vectorRanking(randomVector(DIMS, random), 1).map((hit) => hit.chunk.path), [p]);
    await t.reopen();
    assert.ok(t.store.recovered, 'the damaged shard index is found at open');
    assert.equal((await t.store.stats()).chunks, 0);
  });

  it('reports a shard index cut short under the vectors read back for rescoring, instead of misreading them', async () => {
    const [p] = pathsInOneShard(1);
    await t.store.putFile(record(p), [makeChunk(p, 0, 'some text')], new Map([[`${p}#0`, randomVector(DIMS, random)]]), 'embed-a');
    await fs.truncate(path.join(t.shardFolder(p), 'index.pb'), 40);
    const files = new ShardFiles(path.dirname(t.shardFolder(p)));
    try {
      assert.throws(() => files.read(shardOf(p), 16, new Float32Array(DIMS)), /ends before the vector at byte 16: reindex the workspace/);
      files.read(shardOf(p), 0, new Float32Array(DIMS));
    } finally {
      files.reset();
    }
  });
});
