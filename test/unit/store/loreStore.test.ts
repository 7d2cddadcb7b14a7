import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FORMAT_VERSION, LoreStore } from '../../../src/core/store';
import { chunkId } from '../../../src/core/hash';
import { shardOf } from '../../../src/core/store/shardFiles';
import type { Chunk, SearchHit } from '../../../src/core/types';
import { makeChunk, observe, randomVector, record, seededRandom, snapshotFiles, storePerTest } from './helpers';
import { cosine } from '../../support/random';

const DIMS = 8;

/** Same chunks in the same order; scores equal up to float rounding (a reload adds documents in another order). */
function assertSameHits(actual: SearchHit[], expected: SearchHit[]): void {
  assert.deepEqual(actual.map((hit) => hit.chunk), expected.map((hit) => hit.chunk));
  actual.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i].score) < 1e-9 * Math.max(1, expected[i].score)));
}

/** Chunk ids ("path#n") ordered as the store commits them: by shard, then path, then position. */
function inWriteOrder(ids: string[]): string[] {
  const key = (id: string) => ({ path: id.slice(0, id.lastIndexOf('#')), n: Number(id.slice(id.lastIndexOf('#') + 1)) });
  return [...ids].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return shardOf(x.path) - shardOf(y.path) || (x.path < y.path ? -1 : x.path > y.path ? 1 : x.n - y.n);
  });
}

describe('LoreStore', () => {
  const t = storePerTest('lore-store-');
  const random = seededRandom(42);

  /** Two paths that live in different shards. */
  function pathsInDifferentShards(count: number): string[] {
    const paths: string[] = [];
    const shards = new Set<number>();
    for (let i = 0; paths.length < count; i++) {
      const candidate = `src/module${i}/file${i}.ts`;
      if (shards.has(shardOf(candidate))) continue;
      shards.add(shardOf(candidate));
      paths.push(candidate);
    }
    return paths;
  }

  describe('round trip', () => {
    it('returns the same files, chunks and search results after reopening', async () => {
      const a = [
        makeChunk('src/config.ts', 0, 'export function parseConfigFile(path: string) {\n  return JSON.parse(read(path));\n}', { symbol: 'parseConfigFile' }),
        makeChunk('src/config.ts', 1, 'class Loader {\n  load() { return 1; }\n}', { symbol: 'Loader.load', context: 'class Loader' }),
      ];
      const b = [makeChunk('docs/guide.md', 0, '# Install\nRun npm install.', { language: 'markdown', symbol: 'Install' })];
      const vectors = new Map([
        [a[0].id, randomVector(DIMS, random)],
        [b[0].id, randomVector(DIMS, random)],
      ]);
      await t.store.putFiles([
        { record: record('src/config.ts'), chunks: a, vectors },
        { record: record('docs/guide.md', 'h2'), chunks: b, vectors },
      ], 'embed-a');
      const query = randomVector(DIMS, random);
      const before = {
        state: await observe(t.store),
        lexical: t.store.lexicalSearch('parse config', 5),
        vector: t.store.vectorSearch(query, 5),
      };

      await t.reopen();
      assert.equal(t.store.recovered, undefined);
      assert.deepEqual(await observe(t.store), before.state);
      const config = t.store.getFile('src/config.ts')!;
      assert.deepEqual({ ...config, chunkIds: config.chunkIds }, { ...record('src/config.ts'), chunkIds: [a[0].id, a[1].id] });
      assert.deepEqual(t.store.getChunk(a[1].id), a[1]);
      assert.deepEqual(t.store.chunksOf('docs/guide.md'), b);
      assertSameHits(t.store.lexicalSearch('parse config', 5), before.lexical);
      assertSameHits(t.store.vectorSearch(query, 5), before.vector);
      assert.equal(t.store.vectorCount(), 2);
      assert.deepEqual((await t.store.chunksWithoutVectors()), [a[1]]);
    });

    it('keeps chunks in line order whatever order they are given in', async () => {
      const chunks = [makeChunk('a.ts', 2, 'third'), makeChunk('a.ts', 0, 'first'), makeChunk('a.ts', 1, 'second')];
      await t.store.putFile(record('a.ts'), chunks);
      assert.deepEqual(t.store.chunksOf('a.ts').map((chunk) => chunk.text), ['first', 'second', 'third']);
      assert.deepEqual(t.store.getFile('a.ts')?.chunkIds, ['a.ts#0', 'a.ts#1', 'a.ts#2']);
    });

    it('hands out records and chunks that callers cannot corrupt', async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'alpha')]);
      const file = t.store.getFile('a.ts')!;
      assert.throws(() => (file.chunkIds as string[]).push('x'));
      const chunk = t.store.getChunk('a.ts#0')!;
      assert.throws(() => {
        chunk.text = 'changed';
      });
      assert.equal(t.store.getChunk('a.ts#0')?.text, 'alpha');
    });

    it('keeps the chunk ids the chunker makes (24 hex characters) compact, and gives them back in line order, vectors and all, after a reopen', async () => {
      const chunks = [2, 0, 1].map((n) => makeChunk('b.ts', n, `text ${n}`, { id: chunkId('b.ts', n * 10 + 1, String(n)) }));
      const inLineOrder = [chunks[1].id, chunks[2].id, chunks[0].id];
      const vectors = new Map(chunks.map((chunk) => [chunk.id, randomVector(DIMS, random)]));
      await t.store.putFile(record('b.ts'), chunks, vectors, 'embed-a');
      for (let pass = 0; pass < 2; pass++) {
        const file = t.store.getFile('b.ts')!;
        assert.deepEqual(file.chunkIds, inLineOrder);
        assert.throws(() => (file.chunkIds as string[]).push('x'));
        assert.deepEqual(t.store.vectorSearch(vectors.get(chunks[2].id)!, 1).map((hit) => hit.chunk.id), [chunks[2].id]);
        assert.deepEqual(t.store.lexicalSearch('text', 5).map((hit) => hit.chunk.id).sort(), [...inLineOrder].sort());
        await t.reopen();
      }
    });
  });

  describe('updates', () => {
    it('rewrites only the shard holding the saved file', async () => {
      const paths = pathsInDifferentShards(4);
      await t.store.putFiles(
        paths.map((p) => ({ record: record(p), chunks: [makeChunk(p, 0, `text of ${p}`)], vectors: new Map([[`${p}#0`, randomVector(DIMS, random)]]) })),
        'embed-a',
      );
      const before = snapshotFiles(t.dir);
      await new Promise((resolve) => setTimeout(resolve, 20)); // so a rewrite would show in mtimes too

      const saved = paths[2];
      await t.store.putFile(record(saved, 'h2'), [makeChunk(saved, 0, 'new text')], new Map([[`${saved}#0`, randomVector(DIMS, random)]]));

      const after = snapshotFiles(t.dir);
      const savedShard = path.relative(t.dir, t.shardFolder(saved)).split(path.sep).join('/') + '/';
      const changed = [...after.keys()].filter((name) => {
        const old = before.get(name);
        return !old || old.digest !== after.get(name)!.digest || old.mtimeMs !== after.get(name)!.mtimeMs;
      });
      assert.ok(changed.length > 0);
      for (const name of changed) assert.ok(name.startsWith(savedShard), `${name} changed but ${saved} lives in ${savedShard}`);
      for (const name of before.keys()) if (!name.startsWith(savedShard)) assert.ok(after.has(name), `${name} disappeared`);
    });

    it('replaces a file: old chunks, vectors and words are gone', async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'function zebraCrossing() {}')], new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a');
      await t.store.putFile(record('a.ts', 'h2'), [makeChunk('a.ts', 5, 'function quantumLeap() {}')], new Map([['a.ts#5', randomVector(DIMS, random)]]));
      assert.equal(t.store.getChunk('a.ts#0'), undefined);
      assert.deepEqual(t.store.lexicalSearch('zebraCrossing', 5), []);
      assert.deepEqual(t.store.lexicalSearch('quantumLeap', 5).map((hit) => hit.chunk.id), ['a.ts#5']);
      assert.equal(t.store.vectorCount(), 1);
      await t.reopen();
      assert.deepEqual(t.store.getFile('a.ts')?.chunkIds, ['a.ts#5']);
      assert.deepEqual(t.store.lexicalSearch('zebraCrossing', 5), []);
      assert.equal(t.store.vectorCount(), 1);
    });

    it('keeps the vector of a chunk whose id survives an update without a new vector', async () => {
      const kept = makeChunk('a.ts', 0, 'unchanged');
      const vector = randomVector(DIMS, random);
      await t.store.putFile(record('a.ts'), [kept, makeChunk('a.ts', 1, 'old tail')], new Map([[kept.id, vector], ['a.ts#1', randomVector(DIMS, random)]]), 'embed-a');
      await t.store.putFile({ ...record('a.ts'), mtimeMs: 5 }, [kept, makeChunk('a.ts', 2, 'new tail')]);
      assert.equal(t.store.vectorCount(), 1);
      assert.deepEqual((await t.store.chunksWithoutVectors()).map((chunk) => chunk.id), ['a.ts#2']);
      await t.reopen();
      assert.equal(t.store.getFile('a.ts')?.mtimeMs, 5);
      assert.equal(t.store.vectorSearch(vector, 1)[0].chunk.id, kept.id);
      assert.deepEqual((await t.store.chunksWithoutVectors()).map((chunk) => chunk.id), ['a.ts#2']);
    });

    it('serialises concurrent writes so none is lost', async () => {
      const paths = Array.from({ length: 12 }, (_, i) => `same/dir/file${i}.ts`);
      await Promise.all(paths.map((p) => t.store.putFile(record(p), [makeChunk(p, 0, `body ${p}`)])));
      assert.equal([...t.store.files()].length, 12);
      await t.reopen();
      assert.deepEqual([...t.store.files()].map((file) => file.path).sort(), [...paths].sort());
    });
  });

  describe('remove and clear', () => {
    it('removes files with their chunks, vectors and words, and ignores unknown paths', async () => {
      await t.store.putFiles([
        { record: record('a.ts'), chunks: [makeChunk('a.ts', 0, 'alphaonly')], vectors: new Map([['a.ts#0', randomVector(DIMS, random)]]) },
        { record: record('b.ts'), chunks: [makeChunk('b.ts', 0, 'betaonly')], vectors: new Map([['b.ts#0', randomVector(DIMS, random)]]) },
      ], 'embed-a');
      await t.store.removeFiles(['a.ts', 'never-stored.ts']);
      const check = () => {
        assert.equal(t.store.getFile('a.ts'), undefined);
        assert.equal(t.store.getChunk('a.ts#0'), undefined);
        assert.deepEqual(t.store.chunksOf('a.ts'), []);
        assert.deepEqual(t.store.lexicalSearch('alphaonly', 5), []);
        assert.equal(t.store.vectorCount(), 1);
        assert.deepEqual(t.store.vectorSearch(randomVector(DIMS, random), 5).map((hit) => hit.chunk.id), ['b.ts#0']);
        assert.deepEqual([...t.store.files()].map((file) => file.path), ['b.ts']);
      };
      check();
      await t.reopen();
      check();
    });

    it('clear leaves an empty t.store that works and stays empty after reopening', async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'alphaonly')], new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a');
      await t.store.clear();
      assert.deepEqual(await observe(t.store), { files: [], chunks: [], vectors: 0, missing: [] });
      assert.deepEqual(t.store.lexicalSearch('alphaonly', 5), []);
      const stats = await t.store.stats();
      assert.equal(stats.embedModel, undefined);
      assert.equal(stats.files, 0);

      await t.store.putFile(record('b.ts'), [makeChunk('b.ts', 0, 'betaonly')], new Map([['b.ts#0', randomVector(4, random)]]), 'embed-b');
      await t.reopen();
      assert.equal(t.store.recovered, undefined);
      assert.deepEqual([...t.store.files()].map((file) => file.path), ['b.ts']);
      assert.deepEqual(t.store.lexicalSearch('alphaonly', 5), []);
      assert.equal((await t.store.stats()).dims, 4);
    });
  });

  describe('embedding model', () => {
    beforeEach(async () => {
      await t.store.putFiles([
        { record: record('a.ts'), chunks: [makeChunk('a.ts', 0, 'alphaonly'), makeChunk('a.ts', 1, 'gammaonly')], vectors: new Map([['a.ts#0', randomVector(DIMS, random)], ['a.ts#1', randomVector(DIMS, random)]]) },
        { record: record('b.ts'), chunks: [makeChunk('b.ts', 0, 'betaonly')], vectors: new Map([['b.ts#0', randomVector(DIMS, random)]]) },
      ], 'embed-a');
    });

    it('keeps vectors when the model is the same', async () => {
      assert.equal(await t.store.useEmbedModel('embed-a'), false);
      assert.equal(t.store.vectorCount(), 3);
    });

    it('drops every vector on a model switch but keeps chunks and the lexical index', async () => {
      assert.equal(await t.store.useEmbedModel('embed-b'), true);
      const check = async () => {
        assert.equal(t.store.vectorCount(), 0);
        assert.deepEqual(t.store.vectorSearch(randomVector(DIMS, random), 5), []);
        assert.deepEqual((await t.store.chunksWithoutVectors()).map((chunk) => chunk.id), inWriteOrder(['a.ts#0', 'a.ts#1', 'b.ts#0']));
        assert.deepEqual(t.store.lexicalSearch('betaonly', 5).map((hit) => hit.chunk.id), ['b.ts#0']);
        const stats = await t.store.stats();
        assert.equal(stats.embedModel, 'embed-b');
        assert.equal(stats.dims, undefined);
        assert.equal(stats.chunks, 3);
      };
      await check();
      await t.reopen();
      await check();
      assert.equal(await t.store.useEmbedModel('embed-b'), false);
    });

    it('takes vectors of the new model, with its own dimension, after a switch and refuses the old one', async () => {
      await t.store.useEmbedModel('embed-b');
      await assert.rejects(t.store.setVectors(new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a'), /useEmbedModel\("embed-a"\)/);
      const vector = randomVector(3, random);
      await t.store.setVectors(new Map([['a.ts#0', vector]]), 'embed-b');
      await t.reopen();
      assert.equal((await t.store.stats()).dims, 3);
      assert.deepEqual(t.store.vectorSearch(vector, 5).map((hit) => hit.chunk.id), ['a.ts#0']);
    });
  });

  describe('lexical index after a reopen', () => {
    const files = Array.from({ length: 40 }, (_, n) => `src/file${n}.ts`);
    const wordOf = (n: number) => `uniqueword${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(97 + Math.floor(n / 26))}`;

    beforeEach(async () => {
      await t.store.putFiles(files.map((p, n) => ({ record: record(p), chunks: [makeChunk(p, 0, `export const value = ${wordOf(n)};`)] })));
      await t.reopen();
    });

    it('answers a search made right after open with every file, before the background build is done', () => {
      for (const [n, p] of files.entries()) assert.deepEqual(t.store.lexicalSearch(wordOf(n), 5).map((hit) => hit.chunk.path), [p]);
    });

    it('ends the background build with a file saved or removed right after open as it is now', async () => {
      await t.store.putFile({ ...record(files[3]), mtimeMs: 9 }, [makeChunk(files[3], 0, 'export const value = replacedword;')]);
      await t.store.removeFiles([files[5]]);
      await t.store.whenLexicalReady();
      assert.deepEqual(t.store.lexicalSearch(wordOf(3), 5), []);
      assert.deepEqual(t.store.lexicalSearch(wordOf(5), 5), []);
      assert.deepEqual(t.store.lexicalSearch('replacedword', 5).map((hit) => hit.chunk.path), [files[3]]);
      assert.deepEqual(t.store.lexicalSearch(wordOf(7), 5).map((hit) => hit.chunk.path), [files[7]]);
    });
  });

  describe('embedding catch-up', () => {
    it('orders paths and chunks without vectors so that consecutive ones share a shard', async () => {
      const paths = Array.from({ length: 300 }, (_, n) => `src/dir${n % 7}/file${n}.ts`);
      const ordered = t.store.inWriteOrder(paths);
      assert.deepEqual([...ordered].sort(), [...paths].sort());
      const runs = (shards: number[]) => shards.filter((shard, i) => i === 0 || shard !== shards[i - 1]).length;
      const distinctShards = new Set(paths.map(shardOf)).size;
      // Each shard forms one contiguous run, in ascending shard order.
      assert.equal(runs(ordered.map(shardOf)), distinctShards);
      assert.deepEqual(ordered.map(shardOf), [...ordered.map(shardOf)].sort((a, b) => a - b));

      await t.store.putFiles(paths.map((p) => ({ record: record(p), chunks: [makeChunk(p, 0, 'alpha'), makeChunk(p, 1, 'beta')] })));
      const missing = (await t.store.chunksWithoutVectors()).map((chunk) => chunk.id);
      assert.equal(missing.length, 600);
      assert.deepEqual(missing, inWriteOrder(missing));
      assert.equal(runs(missing.map((id) => shardOf(id.slice(0, id.lastIndexOf('#'))))), distinctShards);
    });

    it('lists chunks without vectors grouped by shard, in path order within one, and attaches vectors later', async () => {
      await t.store.putFiles([
        { record: record('z.ts'), chunks: [makeChunk('z.ts', 0, 'zed')] },
        { record: record('a.ts'), chunks: [makeChunk('a.ts', 0, 'one'), makeChunk('a.ts', 1, 'two')] },
      ]);
      assert.equal(t.store.vectorCount(), 0);
      assert.equal((await t.store.stats()).embedModel, undefined);
      assert.deepEqual((await t.store.chunksWithoutVectors()).map((chunk) => chunk.id), inWriteOrder(['a.ts#0', 'a.ts#1', 'z.ts#0']));

      await t.store.setVectors(new Map([['a.ts#1', randomVector(DIMS, random)], ['unknown#0', randomVector(DIMS, random)], ['z.ts#0', randomVector(DIMS, random)]]), 'embed-a');
      assert.equal(t.store.vectorCount(), 2);
      assert.deepEqual((await t.store.chunksWithoutVectors()).map((chunk) => chunk.id), ['a.ts#0']);

      await t.reopen();
      assert.equal(t.store.vectorCount(), 2);
      assert.deepEqual((await t.store.chunksWithoutVectors()), [makeChunk('a.ts', 0, 'one')]);
      const stats = await t.store.stats();
      assert.equal(stats.embedModel, 'embed-a');
      assert.equal(stats.dims, DIMS);
    });

    it('replaces a vector set twice for the same chunk', async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'one'), makeChunk('a.ts', 1, 'two')]);
      const first = randomVector(DIMS, random);
      const second = randomVector(DIMS, random);
      await t.store.setVectors(new Map([['a.ts#0', first], ['a.ts#1', randomVector(DIMS, random)]]), 'embed-a');
      await t.store.setVectors(new Map([['a.ts#0', second]]), 'embed-a');
      await t.reopen();
      assert.equal(t.store.vectorCount(), 2);
      const best = t.store.vectorSearch(second, 1)[0];
      assert.equal(best.chunk.id, 'a.ts#0');
      assert.ok(Math.abs(best.score - 1) < 1e-5);
    });
  });

  describe('bad input: a clear error and nothing lost', () => {
    beforeEach(async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'alphaonly'), makeChunk('a.ts', 1, 'second')], new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a');
    });

    const wrong: Array<[string, (store: LoreStore) => Promise<unknown>, RegExp]> = [
      ['vectors of the wrong dimension in putFile', (s) => s.putFile(record('a.ts', 'h2'), [makeChunk('a.ts', 0, 'replaced')], new Map([['a.ts#0', new Float32Array(DIMS + 1).fill(1)]])), /9 dimensions.*have 8/],
      ['vectors of the wrong dimension in setVectors', (s) => s.setVectors(new Map([['a.ts#1', new Float32Array(3).fill(1)]]), 'embed-a'), /3 dimensions.*have 8/],
      ['a mix of right and wrong dimensions in putFiles', (s) => s.putFiles([
        { record: record('b.ts'), chunks: [makeChunk('b.ts', 0, 'fine')], vectors: new Map([['b.ts#0', new Float32Array(DIMS).fill(1)]]) },
        { record: record('c.ts'), chunks: [makeChunk('c.ts', 0, 'bad')], vectors: new Map([['c.ts#0', new Float32Array(2).fill(1)]]) },
      ]), /2 dimensions/],
      ['vectors of another model', (s) => s.setVectors(new Map([['a.ts#1', new Float32Array(DIMS).fill(1)]]), 'embed-z'), /embed-z.*embed-a/],
      ['an all-zero vector', (s) => s.setVectors(new Map([['a.ts#1', new Float32Array(DIMS)]]), 'embed-a'), /all zeros/],
      ['a NaN in a vector', (s) => s.setVectors(new Map([['a.ts#1', new Float32Array(DIMS).fill(Number.NaN)]]), 'embed-a'), /NaN/],
      ['a chunk of another path', (s) => s.putFile(record('b.ts'), [makeChunk('a.ts', 7, 'misplaced')]), /has path a\.ts, not b\.ts/],
      ['a chunk id used twice', (s) => s.putFile(record('b.ts'), [makeChunk('b.ts', 0, 'one'), makeChunk('b.ts', 0, 'two')]), /appears twice/],
      ['a chunk id owned by another file', (s) => s.putFile(record('b.ts'), [{ ...makeChunk('b.ts', 0, 'x'), id: 'a.ts#0' }]), /already belongs to a\.ts/],
      ['a reserved chunk id', (s) => s.putFile(record('b.ts'), [{ ...makeChunk('b.ts', 0, 'x'), id: '\u0000file:a.ts' }]), /not starting with NUL/],
      ['a chunk without text', (s) => s.putFile(record('b.ts'), [{ ...makeChunk('b.ts', 0, 'x'), text: undefined as unknown as string }]), /needs string text/],
      ['the same path twice in putFiles', (s) => s.putFiles([{ record: record('b.ts'), chunks: [] }, { record: record('b.ts'), chunks: [] }]), /appears twice/],
      ['an empty path', (s) => s.putFile(record(''), []), /non-empty/],
      ['a record without a size', (s) => s.putFile({ ...record('b.ts'), size: Number.NaN }, []), /numeric size/],
    ];

    for (const [name, act, message] of wrong) {
      it(`rejects ${name}`, async () => {
        const before = await observe(t.store);
        const disk = snapshotFiles(t.dir);
        await assert.rejects(act(t.store), message);
        assert.deepEqual(await observe(t.store), before);
        assert.deepEqual(snapshotFiles(t.dir), disk);
        await t.reopen();
        assert.deepEqual(await observe(t.store), before);
      });
    }

    it('refuses vectors without a model name on a t.store that has none', async () => {
      await t.store.clear();
      await assert.rejects(t.store.putFile(record('b.ts'), [makeChunk('b.ts', 0, 'x')], new Map([['b.ts#0', new Float32Array(DIMS).fill(1)]])), /name of the embedding model/);
      assert.deepEqual(await observe(t.store), { files: [], chunks: [], vectors: 0, missing: [] });
    });

    it('refuses a query vector of the wrong dimension', () => {
      assert.throws(() => t.store.vectorSearch(new Float32Array(DIMS - 1).fill(1), 3), /7 dimensions.*have 8/);
    });

    it('refuses writes after close', async () => {
      await t.store.close();
      await assert.rejects(t.store.putFile(record('b.ts'), []), /closed/);
      await t.reopen();
      assert.deepEqual(t.store.getFile('a.ts')?.chunkIds, ['a.ts#0', 'a.ts#1']);
    });
  });

  describe('recovery', () => {
    beforeEach(async () => {
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'alphaonly')], new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a');
      await t.store.close();
    });

    async function expectRecovered(reason: RegExp): Promise<void> {
      await t.reopen();
      assert.match(t.store.recovered ?? '', reason);
      assert.deepEqual(await observe(t.store), { files: [], chunks: [], vectors: 0, missing: [] });
      await t.store.putFile(record('b.ts'), [makeChunk('b.ts', 0, 'betaonly')], new Map([['b.ts#0', randomVector(4, random)]]), 'embed-b');
      await t.reopen();
      assert.equal(t.store.recovered, undefined);
      assert.deepEqual(t.store.lexicalSearch('betaonly', 3).map((hit) => hit.chunk.id), ['b.ts#0']);
      assert.equal(t.store.vectorCount(), 1);
    }

    it('wipes a t.store whose shard index is truncated', async () => {
      const file = path.join(t.shardFolder('a.ts'), 'index.pb');
      writeFileSync(file, readFileSync(file).subarray(0, statSync(file).size - 7));
      await expectRecovered(/shard .* unreadable/);
    });

    it('wipes a t.store whose shard index is overwritten with zeros', async () => {
      const file = path.join(t.shardFolder('a.ts'), 'index.pb');
      writeFileSync(file, Buffer.alloc(statSync(file).size));
      await expectRecovered(/shard .* unreadable/);
    });

    it('wipes a t.store whose chunk pack is corrupt', async () => {
      const folder = t.shardFolder('a.ts');
      const pack = (await fs.readdir(folder)).find((name) => name.startsWith('chunks-'))!;
      const bytes = readFileSync(path.join(folder, pack));
      bytes.fill(0x41, 20);
      writeFileSync(path.join(folder, pack), bytes);
      await expectRecovered(/shard .* unreadable/);
    });

    it('wipes a t.store whose chunk pack is missing', async () => {
      const folder = t.shardFolder('a.ts');
      for (const name of await fs.readdir(folder)) if (name.startsWith('chunks-')) await fs.rm(path.join(folder, name));
      await expectRecovered(/ENOENT|no such file/);
    });

    it('wipes a t.store of another format version', async () => {
      writeFileSync(path.join(t.dir, 'store.json'), JSON.stringify({ formatVersion: FORMAT_VERSION + 1 }));
      await expectRecovered(new RegExp(`format version ${FORMAT_VERSION + 1}`));
    });

    it('wipes a t.store whose t.store.json is unreadable or missing', async () => {
      writeFileSync(path.join(t.dir, 'store.json'), '{"formatVersion": 1,');
      await expectRecovered(/not valid JSON/);
      await t.store.close();
      await fs.rm(path.join(t.dir, 'store.json'));
      await expectRecovered(/store\.json is missing/);
    });

    it('ignores and cleans up leftovers of interrupted writes', async () => {
      const folder = t.shardFolder('a.ts');
      const leftovers = [
        path.join(folder, 'index.pb.tmp-0123456789ab'),
        path.join(folder, 'chunks-99.bin'),
        path.join(folder, 'delta-99.pb'),
        path.join(t.dir, 'store.json.tmp-0123456789ab'),
      ];
      for (const file of leftovers) writeFileSync(file, 'half-written garbage');
      await fs.mkdir(path.join(t.dir, 'shards.tmp-0123456789ab', '00'), { recursive: true });
      const foreign = path.join(t.dir, 'someone-else.tmp-0123456789ab');
      writeFileSync(foreign, 'not ours');

      await t.reopen();
      assert.equal(t.store.recovered, undefined);
      assert.deepEqual(t.store.lexicalSearch('alphaonly', 3).map((hit) => hit.chunk.id), ['a.ts#0']);
      assert.equal(t.store.vectorCount(), 1);
      for (const file of leftovers) await assert.rejects(fs.stat(file), /ENOENT/);
      await assert.rejects(fs.stat(path.join(t.dir, 'shards.tmp-0123456789ab')), /ENOENT/);
      assert.equal(readFileSync(foreign, 'utf8'), 'not ours');
    });
  });

  describe('lexical search', () => {
    beforeEach(async () => {
      await t.store.putFiles([
        { record: record('src/config.ts'), chunks: [makeChunk('src/config.ts', 0, 'export function parseConfigFile(file: string): Config {\n  return load(file);\n}', { symbol: 'parseConfigFile' })] },
        { record: record('src/names.py'), chunks: [makeChunk('src/names.py', 0, 'snake_case_name = compute_value()\n', { language: 'python' })] },
        { record: record('src/other.ts'), chunks: [makeChunk('src/other.ts', 0, 'const unrelated = 1; // the config is elsewhere')] },
        { record: record('README.md'), chunks: [makeChunk('README.md', 0, 'Nothing to see here.', { language: 'markdown' })] },
      ]);
    });

    const ids = (query: string) => t.store.lexicalSearch(query, 10).map((hit) => hit.chunk.id);

    it('finds parseConfigFile by its parts, one part, or its whole name', () => {
      assert.equal(ids('parse config')[0], 'src/config.ts#0');
      assert.equal(ids('parseConfigFile')[0], 'src/config.ts#0');
      assert.deepEqual(ids('config').sort(), ['src/config.ts#0', 'src/other.ts#0']);
      assert.equal(ids('config')[0], 'src/config.ts#0', 'the declaration outranks a comment');
    });

    it('finds snake_case_name by its words', () => {
      assert.deepEqual(ids('snake case'), ['src/names.py#0']);
    });

    it('returns hits best first, with BM25 scores, capped at k', () => {
      const hits = t.store.lexicalSearch('config file', 10);
      assert.ok(hits.length >= 2);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
      assert.ok(hits.every((hit) => hit.score > 0));
      assert.equal(t.store.lexicalSearch('config file', 1).length, 1);
      assert.deepEqual(t.store.lexicalSearch('config file', 1)[0], hits[0]);
    });

    it('matches path segments', () => {
      assert.deepEqual(ids('names'), ['src/names.py#0']);
    });

    it('returns [] for k = 0, punctuation-only queries and unknown words', () => {
      assert.deepEqual(t.store.lexicalSearch('config', 0), []);
      assert.deepEqual(t.store.lexicalSearch('?!.,;:()[]{} -- //', 5), []);
      assert.deepEqual(t.store.lexicalSearch('', 5), []);
      assert.deepEqual(t.store.lexicalSearch('xylophone', 5), []);
    });
  });

  describe('vector search', () => {
    it('ranks exactly like a brute-force cosine scan', async () => {
      const rng = seededRandom(7);
      const dims = 24;
      const all: Array<{ chunk: Chunk; vector: Float32Array }> = [];
      const updates = [];
      for (let f = 0; f < 60; f++) {
        const filePath = `pkg/file${f}.ts`;
        const chunks = [0, 1, 2, 3, 4].map((i) => makeChunk(filePath, i, `chunk ${f}/${i}`));
        const vectors = new Map(chunks.map((chunk) => [chunk.id, randomVector(dims, rng)]));
        chunks.forEach((chunk) => all.push({ chunk, vector: vectors.get(chunk.id)! }));
        updates.push({ record: record(filePath), chunks, vectors });
      }
      await t.store.putFiles(updates, 'embed-a');
      await t.store.removeFiles(['pkg/file3.ts', 'pkg/file40.ts']);
      const live = all.filter(({ chunk }) => chunk.path !== 'pkg/file3.ts' && chunk.path !== 'pkg/file40.ts');
      const compareWithBruteForce = (s: LoreStore) => {
        for (let q = 0; q < 5; q++) {
          const query = randomVector(dims, rng);
          const expected = live.map(({ chunk, vector }) => ({ id: chunk.id, score: cosine(query, vector) })).sort((a, b) => b.score - a.score).slice(0, 15);
          const hits = s.vectorSearch(query, 15);
          assert.deepEqual(hits.map((hit) => hit.chunk.id), expected.map((e) => e.id));
          hits.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i].score) < 1e-5));
          assert.deepEqual(hits[0].chunk, live.find(({ chunk }) => chunk.id === hits[0].chunk.id)!.chunk);
        }
      };
      compareWithBruteForce(t.store);
      compareWithBruteForce(await t.reopen());
      assert.equal(t.store.vectorSearch(randomVector(dims, rng), 10_000).length, live.length);
    });

    it('returns [] on an empty t.store and for k = 0', async () => {
      assert.deepEqual(t.store.vectorSearch(randomVector(DIMS, random), 5), []);
      assert.deepEqual(t.store.lexicalSearch('anything', 5), []);
      await t.store.putFile(record('a.ts'), [makeChunk('a.ts', 0, 'x')], new Map([['a.ts#0', randomVector(DIMS, random)]]), 'embed-a');
      assert.deepEqual(t.store.vectorSearch(randomVector(DIMS, random), 0), []);
    });
  });

  describe('stats', () => {
    it('counts files, chunks and vectors and measures the bytes on disk', async () => {
      assert.deepEqual(await t.store.stats(), { files: 0, chunks: 0, vectors: 0, diskBytes: statSync(path.join(t.dir, 'store.json')).size, formatVersion: FORMAT_VERSION });
      await t.store.putFiles([
        { record: record('a.ts'), chunks: [makeChunk('a.ts', 0, 'one'), makeChunk('a.ts', 1, 'two')], vectors: new Map([['a.ts#0', randomVector(DIMS, random)]]) },
        { record: record('b.ts'), chunks: [makeChunk('b.ts', 0, 'three')] },
      ], 'embed-a');
      const stats = await t.store.stats();
      const onDisk = [...snapshotFiles(t.dir).keys()].reduce((sum, name) => sum + statSync(path.join(t.dir, name)).size, 0);
      assert.deepEqual(stats, { files: 2, chunks: 3, vectors: 1, embedModel: 'embed-a', dims: DIMS, diskBytes: onDisk, formatVersion: FORMAT_VERSION });
    });
  });
});
