import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DimensionMismatchError, EmbeddingCache } from '../../../src/core/embed';
import { contentHash } from '../../../src/core/hash';

function vec(...values: number[]): Float32Array {
  return Float32Array.from(values);
}

describe('EmbeddingCache', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lore-cache-'));
    file = path.join(dir, 'embeddings', 'model.bin');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('starts empty when the file does not exist, and creates it (and its folder) on flush', async () => {
    const cache = await EmbeddingCache.open(file, 'm');
    assert.equal(cache.size, 0);
    assert.equal(cache.dims, undefined);
    await cache.flush();
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
    cache.set(contentHash('a'), vec(1, 2, 3));
    assert.equal(cache.dims, 3);
    await cache.flush();
    assert.ok((await fs.stat(file)).size > 0);
  });

  it('persists vectors across reopen, appending later flushes', async () => {
    const a = contentHash('a');
    const b = contentHash('b');
    const first = await EmbeddingCache.open(file, 'nomic-embed-text');
    first.set(a, vec(0.5, -0.25));
    await first.flush();
    first.set(b, vec(1, 0));
    await first.flush();

    const again = await EmbeddingCache.open(file, 'nomic-embed-text');
    assert.equal(again.size, 2);
    assert.equal(again.dims, 2);
    assert.deepEqual([...again.get(a)!], [0.5, -0.25]);
    assert.deepEqual([...again.get(b)!], [1, 0]);
    assert.equal(again.has(contentHash('c')), false);
    assert.equal(again.recovered, undefined);
  });

  it('keeps unflushed vectors only in memory', async () => {
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(contentHash('a'), vec(1));
    assert.equal(cache.size, 1);
    assert.equal((await EmbeddingCache.open(file, 'm')).size, 0);
  });

  it('ignores a torn last record and appends after the last whole one', async () => {
    const a = contentHash('a');
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(a, vec(1, 2, 3, 4));
    await cache.flush();
    // A crash in the middle of appending the next record.
    await fs.appendFile(file, Buffer.alloc(16 + 7, 0xab));

    const reopened = await EmbeddingCache.open(file, 'm');
    assert.equal(reopened.size, 1);
    assert.deepEqual([...reopened.get(a)!], [1, 2, 3, 4]);
    const b = contentHash('b');
    reopened.set(b, vec(5, 6, 7, 8));
    await reopened.flush();

    const third = await EmbeddingCache.open(file, 'm');
    assert.equal(third.size, 2);
    assert.deepEqual([...third.get(b)!], [5, 6, 7, 8]);
  });

  it('starts afresh, saying why, from a damaged file, a file of another model, or an empty file', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, 'not a cache at all');
    const garbage = await EmbeddingCache.open(file, 'm');
    assert.equal(garbage.size, 0);
    assert.match(garbage.recovered ?? '', /not an embedding cache file/);
    garbage.set(contentHash('x'), vec(1, 1));
    await garbage.flush();
    assert.equal((await EmbeddingCache.open(file, 'm')).size, 1);

    const other = await EmbeddingCache.open(file, 'other-model');
    assert.equal(other.size, 0);
    assert.match(other.recovered ?? '', /model "m"/);

    await fs.writeFile(file, '');
    const empty = await EmbeddingCache.open(file, 'm');
    assert.equal(empty.size, 0);
    assert.equal(empty.recovered, undefined);
  });

  it('detects a damaged header', async () => {
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(contentHash('a'), vec(1, 2));
    await cache.flush();
    const bytes = await fs.readFile(file);
    bytes.writeUInt32LE(10_000, 8);
    await fs.writeFile(file, bytes);
    const reopened = await EmbeddingCache.open(file, 'm');
    assert.equal(reopened.size, 0);
    assert.match(reopened.recovered ?? '', /header is damaged/);
  });

  it('rejects bad keys, vectors of another size, and an empty model name', async () => {
    const cache = await EmbeddingCache.open(file, 'm');
    assert.throws(() => cache.set('not-a-hash', vec(1)), /Invalid embedding cache key "not-a-hash"/);
    assert.throws(() => cache.set('ABCDEF0123456789ABCDEF0123456789', vec(1)), /Invalid embedding cache key/);
    cache.set(contentHash('a'), vec(1, 2));
    assert.throws(() => cache.set(contentHash('b'), vec(1, 2, 3)), (err: unknown) => err instanceof DimensionMismatchError && err.expected === 2 && err.got === 3);
    assert.equal(cache.size, 1);
    await assert.rejects(EmbeddingCache.open(file, '  '), /needs a model name/);
  });

  it('overwrites a vector set again, and the later record wins on reopen', async () => {
    const a = contentHash('a');
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(a, vec(1, 0));
    await cache.flush();
    cache.set(a, vec(0, 1));
    await cache.flush();
    assert.deepEqual([...(await EmbeddingCache.open(file, 'm')).get(a)!], [0, 1]);
  });

  it('does not write a record again for the same vector', async () => {
    const a = contentHash('a');
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(a, vec(1, 2));
    await cache.flush();
    const size = (await fs.stat(file)).size;
    cache.set(a, vec(1, 2));
    await cache.flush();
    assert.equal((await fs.stat(file)).size, size);
  });

  it('compacts only when dead records outnumber live ones, keeping what is needed', async () => {
    const hashes = ['a', 'b', 'c', 'd', 'e'].map((t) => contentHash(t));
    const cache = await EmbeddingCache.open(file, 'm');
    hashes.forEach((h, i) => cache.set(h, vec(i, i)));
    await cache.flush();
    const fullSize = (await fs.stat(file)).size;

    // 3 live, 2 dead: not worth a rewrite.
    await cache.compact(new Set(hashes.slice(0, 3)));
    assert.equal((await fs.stat(file)).size, fullSize);
    assert.equal(cache.size, 5);

    // 1 live (plus a hash the cache never had), 4 dead: rewritten.
    await cache.compact(new Set([hashes[3], contentHash('never seen')]));
    assert.ok((await fs.stat(file)).size < fullSize);
    assert.equal(cache.size, 1);
    assert.deepEqual([...cache.get(hashes[3])!], [3, 3]);
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['model.bin']);

    const reopened = await EmbeddingCache.open(file, 'm');
    assert.equal(reopened.size, 1);
    assert.deepEqual([...reopened.get(hashes[3])!], [3, 3]);
    // Appending after a compaction still lines up.
    reopened.set(hashes[0], vec(9, 9));
    await reopened.flush();
    const last = await EmbeddingCache.open(file, 'm');
    assert.deepEqual([...last.get(hashes[0])!], [9, 9]);
    assert.deepEqual([...last.get(hashes[3])!], [3, 3]);
  });

  it('compaction counts superseded records as dead and includes unflushed vectors', async () => {
    const a = contentHash('a');
    const b = contentHash('b');
    const cache = await EmbeddingCache.open(file, 'm');
    for (let i = 1; i <= 3; i++) {
      cache.set(a, vec(i));
      await cache.flush();
    }
    cache.set(b, vec(7));
    await cache.compact(new Set([a, b]));
    const reopened = await EmbeddingCache.open(file, 'm');
    assert.equal(reopened.size, 2);
    assert.deepEqual([...reopened.get(a)!], [3]);
    assert.deepEqual([...reopened.get(b)!], [7]);
    const headerAndTwoRecords = (await fs.stat(file)).size;
    assert.equal(headerAndTwoRecords % 4, 0);
    assert.equal(headerAndTwoRecords < 2 * (16 + 4) + 64, true);
  });

  it('serialises overlapping flushes without losing or duplicating records', async () => {
    const cache = await EmbeddingCache.open(file, 'm');
    const hashes = Array.from({ length: 20 }, (_, i) => contentHash(String(i)));
    const flushes: Array<Promise<void>> = [];
    hashes.forEach((h, i) => {
      cache.set(h, vec(i, -i));
      flushes.push(cache.flush());
    });
    await Promise.all(flushes);
    const reopened = await EmbeddingCache.open(file, 'm');
    assert.equal(reopened.size, 20);
    hashes.forEach((h, i) => assert.deepEqual([...reopened.get(h)!], [i, -i]));
    const header = (await fs.stat(file)).size - 20 * (16 + 8);
    assert.ok(header > 0 && header < 64);
  });

  it('reports a write failure and keeps the vectors pending for the next flush', async () => {
    const a = contentHash('a');
    const cache = await EmbeddingCache.open(file, 'm');
    cache.set(a, vec(1, 2));
    // A directory where the file should be makes the write fail.
    await fs.mkdir(file, { recursive: true });
    await assert.rejects(cache.flush(), { code: 'EISDIR' });
    assert.deepEqual([...cache.get(a)!], [1, 2]);
    await fs.rmdir(file);
    await cache.flush();
    assert.deepEqual([...(await EmbeddingCache.open(file, 'm')).get(a)!], [1, 2]);
  });

  it('fails to open a path that cannot be read', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(path.join(dir, 'embeddings', 'plain-file'), '');
    await assert.rejects(EmbeddingCache.open(path.join(dir, 'embeddings', 'plain-file', 'x.bin'), 'm'), { code: 'ENOTDIR' });
  });
});
