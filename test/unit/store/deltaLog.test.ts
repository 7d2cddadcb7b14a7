// Saves appended to a shard's delta log (shardDelta.ts), on real files: what a reopen finds after
// appends, a fold into index.pb, torn or corrupt appends, and shards written before the log existed.
import * as assert from 'node:assert/strict';
import { appendFileSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalIndex } from 'vectra';
import { AtomicFileStorage } from '../../../src/core/store/atomicFileStorage';
import { PackedProtobufCodec } from '../../../src/core/store/packedProtobufCodec';
import { shardOf } from '../../../src/core/store/shardFiles';
import type { Chunk } from '../../../src/core/types';
import { toUnitVector } from '../../../src/core/store/prepare';
import { makeChunk, randomVector, record, seededRandom, storePerTest } from './helpers';

const DIMS = 768;
const FILE = 'src/app.ts';
/** Another file of FILE's shard. */
const OTHER = Array.from({ length: 10_000 }, (_, i) => `src/other${i}.ts`).find((candidate) => shardOf(candidate) === shardOf(FILE))!;

describe('LoreStore delta log', () => {
  const t = storePerTest('lore-delta-');
  const random = seededRandom(7);
  /** Per version: the file's chunks and their vectors. */
  const versions = new Map<string, { chunks: Chunk[]; vectors: Map<string, Float32Array> }>();

  const folder = () => t.shardFolder(FILE);
  const named = async (pattern: RegExp) => (await fs.readdir(folder())).filter((name) => pattern.test(name));
  const deltaPath = async () => path.join(folder(), (await named(/^delta-\d+\.pb$/))[0]);
  const packPath = async () => path.join(folder(), (await named(/^chunks-\d+\.bin$/))[0]);

  /** Saves version `hash` of `filePath`: `count` chunks with new ids, words and vectors. */
  async function save(hash: string, count = 2, filePath = FILE): Promise<void> {
    const chunks = Array.from({ length: count }, (_, i) => makeChunk(filePath, i, `version${hash} part${i} body`, { id: `${filePath}@${hash}#${i}` }));
    const vectors = new Map(chunks.map((chunk) => [chunk.id, randomVector(DIMS, random)]));
    versions.set(hash, { chunks, vectors });
    await t.store.putFile(record(filePath, hash), chunks, vectors, 'embed');
  }

  async function reopen(): Promise<void> {
    assert.equal((await t.reopen()).recovered, undefined);
  }

  /** The t.store holds exactly version `hash` of `filePath`: record, chunks, words, vectors (read back from disk). */
  function assertHolds(hash: string, filePath = FILE): void {
    const { chunks, vectors } = versions.get(hash)!;
    assert.equal(t.store.getFile(filePath)?.hash, hash);
    assert.deepEqual(t.store.chunksOf(filePath), chunks);
    const found = t.store.lexicalSearch(`version${hash}`, 100).filter((hit) => hit.chunk.path === filePath);
    assert.deepEqual(found.map((hit) => hit.chunk.id).sort(), chunks.map((chunk) => chunk.id).sort());
    for (const chunk of chunks) {
      assert.deepEqual(t.store.vectorOf(chunk.id), unit(vectors.get(chunk.id)!));
      assert.equal(t.store.vectorSearch(vectors.get(chunk.id)!, 1)[0].chunk.id, chunk.id);
    }
  }

  it('appends a save to its shard log and chunk pack, leaving index.pb as it was', async () => {
    await save('v1');
    const index = readFileSync(path.join(folder(), 'index.pb'));
    assert.deepEqual(await named(/^delta-/), []);
    const packBefore = readFileSync(await packPath());
    await save('v2', 3);
    await save('v3');
    assert.deepEqual(readFileSync(path.join(folder(), 'index.pb')), index);
    assert.deepEqual(readFileSync(await packPath()).subarray(0, packBefore.length), packBefore);
    assertHolds('v3');
    assert.equal(t.store.getChunk(`${FILE}@v2#2`), undefined);
    await reopen();
    assertHolds('v3');
    assert.equal(t.store.vectorCount(), 2);
    assert.deepEqual(t.store.lexicalSearch('versionv2', 10).filter((hit) => hit.chunk.id.includes('@v2#')), []);
  });

  it('appends removals and vectors of catch-up, and a reopen applies them in order', async () => {
    await save('v1', 2, FILE);
    await save('w1', 2, OTHER);
    const bare = makeChunk(FILE, 9, 'versionbare words', { id: `${FILE}@bare#0` });
    await t.store.putFile(record(FILE, 'bare'), [bare]);
    const late = randomVector(DIMS, random);
    await t.store.setVectors(new Map([[bare.id, late]]), 'embed');
    await t.store.removeFiles([OTHER]);
    await reopen();
    assert.equal(t.store.getFile(OTHER), undefined);
    assert.deepEqual(t.store.chunksOf(FILE), [bare]);
    assert.deepEqual(t.store.vectorOf(bare.id), unit(late));
    assert.equal(t.store.vectorCount(), 1);
  });

  it('folds the log into a new index.pb and pack once it outgrows its share, losing nothing', async () => {
    await save('w1', 1, OTHER);
    const index = readFileSync(path.join(folder(), 'index.pb'));
    let folded = false;
    for (let n = 1; n <= 12 && !folded; n++) {
      await save(`v${n}`, 40);
      folded = !readFileSync(path.join(folder(), 'index.pb')).equals(index);
      if (folded) {
        assert.deepEqual(await named(/^delta-/), [], 'the folded log is deleted');
        assert.equal((await named(/^chunks-/)).length, 1);
        assertHolds(`v${n}`);
        await save('after');
      }
    }
    assert.ok(folded, 'the log never outgrew its share');
    assertHolds('after');
    assertHolds('w1', OTHER);
    await reopen();
    assertHolds('after');
    assertHolds('w1', OTHER);
  });

  it('ignores a save cut short by a crash, and the next save overwrites it', async () => {
    await save('v1');
    await save('v2');
    const committed = readFileSync(await deltaPath()).length;
    await save('v3');
    const log = await deltaPath();
    for (const cut of [1, 9, readFileSync(log).length - committed - 1]) {
      writeFileSync(log, readFileSync(log).subarray(0, readFileSync(log).length - cut));
      await reopen();
      assertHolds('v2');
      await save('v3');
    }
    appendFileSync(log, Buffer.alloc(3000));
    await reopen();
    assertHolds('v3');
    await save('v4');
    await reopen();
    assertHolds('v4');
  });

  it('ignores a save whose bytes do not match its commit item, and what follows it', async () => {
    await save('v1');
    await save('v2');
    const log = await deltaPath();
    const committed = readFileSync(log).length;
    await save('v3');
    await save('v4');
    const bytes = readFileSync(log);
    bytes[committed + 200] ^= 0xff; // inside v3's vectors
    writeFileSync(log, bytes);
    await reopen();
    assertHolds('v2');
  });

  it('ignores chunks appended to the pack that no committed save names', async () => {
    await save('v1');
    await save('v2');
    appendFileSync(await packPath(), Buffer.from('half of a save that never committed'));
    await reopen();
    assertHolds('v2');
    await save('v3');
    await reopen();
    assertHolds('v3');
  });

  it('wipes a t.store whose appended chunks do not match the log', async () => {
    await save('v1');
    const base = readFileSync(await packPath()).length;
    await save('v2');
    const pack = await packPath();
    const bytes = readFileSync(pack);
    bytes[base + 30] ^= 0xff;
    writeFileSync(pack, bytes);
    await t.store.close();
    await t.reopen();
    assert.match(t.store.recovered ?? '', /chunk pack does not match its delta log/);
  });

  it('reads a shard written before the log existed, and rewrites it at its first save', async () => {
    await save('v1');
    await t.store.close();
    await withoutPackLength(folder());
    await t.reopen();
    assert.equal(t.store.recovered, undefined);
    assertHolds('v1');
    const oldPack = await named(/^chunks-/);
    await save('v2');
    assert.notDeepEqual(await named(/^chunks-/), oldPack, 'the first save rewrites the shard');
    assert.deepEqual(await named(/^delta-/), []);
    await save('v3');
    assert.equal((await named(/^delta-/)).length, 1, 'later saves append');
    await reopen();
    assertHolds('v3');
  });
});

function unit(vector: Float32Array): Float32Array {
  return toUnitVector(vector, 'a test vector');
}

/** Rewrites a shard's header as Lore wrote it before delta logs: without the pack's length. */
async function withoutPackLength(shardFolder: string): Promise<void> {
  const index = new LocalIndex(shardFolder, 'index.pb', new AtomicFileStorage(), new PackedProtobufCodec());
  await index.beginUpdate();
  const header = (await index.listItems()).find((item) => item.id === '\u0000shard')!;
  const { packLength, ...metadata } = header.metadata;
  assert.equal(typeof packLength, 'number');
  await index.upsertItem({ id: header.id, vector: [], metadata });
  await index.endUpdate();
}
