// The store's saved lexical index (lexical.bin): written on close, used on open only for the chunks
// it covers, and never trusted over the shards: stale, damaged or foreign snapshots only cost
// re-tokenizing, never a wrong or missing answer.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { LEXICAL_FILE, LoreStore } from '../../../src/core/store';
import { decodeLexicalSnapshot } from '../../../src/core/lexical';
import { openStoreForReading } from '../../../src/core/store/readSnapshot';
import { makeTempDir, removeDir } from '../../support/tempTree';
import { makeChunk, record } from './helpers';

const FILES = ['src/auth/tokens.ts', 'src/http/retryPolicy.ts', 'docs/guide.md'];

function put(store: LoreStore, filePath: string, text: string, hash = 'h1'): Promise<void> {
  return store.putFile(record(filePath, hash), [makeChunk(filePath, 0, text)]);
}

async function hits(store: LoreStore, query: string): Promise<string[]> {
  await store.whenLexicalReady();
  return store.lexicalSearch(query, 10).map((hit) => `${hit.chunk.path}: ${hit.chunk.text}`);
}

async function savedIds(dir: string): Promise<string[]> {
  return [...(await decodeLexicalSnapshot(inflateSync(readFileSync(path.join(dir, LEXICAL_FILE))))).index.ids()].sort();
}

describe('LoreStore lexical snapshot', () => {
  let dir: string;

  beforeEach(async () => {
    dir = makeTempDir('lore-lexical-');
    const store = await LoreStore.open(dir);
    await put(store, FILES[0], 'validateToken checks the signature of a bearer token');
    await put(store, FILES[1], 'nextDelay computes the backoff between retries');
    await put(store, FILES[2], '## Install\nRun npm ci, then npm start.');
    await store.close();
  });

  afterEach(() => removeDir(dir));

  it('is written on close, and a reopened store answers from it as a rebuilt one does', async () => {
    assert.ok(existsSync(path.join(dir, LEXICAL_FILE)));
    assert.equal((await savedIds(dir)).length, 3);
    const fromSnapshot = await LoreStore.open(dir);
    const expected = await hits(fromSnapshot, 'where do we validate the bearer token signature');
    assert.match(expected[0], /validateToken/);
    await fromSnapshot.close();

    rmSync(path.join(dir, LEXICAL_FILE));
    const rebuilt = await LoreStore.open(dir);
    assert.deepEqual(await hits(rebuilt, 'where do we validate the bearer token signature'), expected);
    await rebuilt.close();
    assert.equal((await savedIds(dir)).length, 3, 'the rebuilt index was saved again');
  });

  it('a snapshot older than the shards (a crash before close) is corrected from them', async () => {
    const before = readFileSync(path.join(dir, LEXICAL_FILE));
    const store = await LoreStore.open(dir);
    await put(store, FILES[0], 'parseJwt decodes a compact serialization', 'h2');
    await store.removeFiles([FILES[2]]);
    await store.close();
    // Put the old snapshot back, as if the process died before its close.
    writeFileSync(path.join(dir, LEXICAL_FILE), before);

    const reopened = await LoreStore.open(dir);
    assert.ok((await hits(reopened, 'validateToken bearer signature')).every((hit) => !hit.includes('validateToken')), 'the replaced chunk is gone');
    assert.deepEqual(await hits(reopened, 'npm install'), [], 'the removed file is gone');
    assert.match((await hits(reopened, 'parse jwt'))[0], /parseJwt/);
    assert.match((await hits(reopened, 'backoff retries'))[0], /nextDelay/);
    await reopened.close();
    assert.deepEqual((await savedIds(dir)), [...(await openIds(dir))].sort());
  });

  for (const [what, damage] of [
    ['garbage', () => writeFileSync(path.join(dir, LEXICAL_FILE), 'not a snapshot at all')],
    ['truncated', () => writeFileSync(path.join(dir, LEXICAL_FILE), readFileSync(path.join(dir, LEXICAL_FILE)).subarray(0, 40))],
    ['empty', () => writeFileSync(path.join(dir, LEXICAL_FILE), '')],
    ['a bit flipped', () => {
      const bytes = readFileSync(path.join(dir, LEXICAL_FILE));
      bytes[Math.floor(bytes.length / 2)] ^= 0x10;
      writeFileSync(path.join(dir, LEXICAL_FILE), bytes);
    }],
  ] as const) {
    it(`a damaged snapshot (${what}) is ignored and rewritten; the store itself is not wiped`, async () => {
      damage();
      const store = await LoreStore.open(dir);
      assert.equal(store.recovered, undefined);
      assert.match((await hits(store, 'backoff retries'))[0], /nextDelay/);
      assert.equal((await hits(store, 'validate token signature')).length, 1);
      await store.close();
      assert.equal((await savedIds(dir)).length, 3);
    });
  }

  it('is saved after a write that changed many chunks, without waiting for close', async () => {
    rmSync(path.join(dir, LEXICAL_FILE));
    const store = await LoreStore.open(dir);
    const files = Array.from({ length: 30 }, (_, f) => `src/gen/module${f}.ts`);
    await store.putFiles(files.map((filePath, f) => ({
      record: record(filePath),
      chunks: Array.from({ length: 70 }, (_, n) => makeChunk(filePath, n, `export const value${f}x${n} = compute${n}(input${f});`)),
    })));
    assert.ok(existsSync(path.join(dir, LEXICAL_FILE)), 'the write saved it before resolving');
    assert.equal((await savedIds(dir)).length, 3 + 30 * 70);
    await store.close();
  });

  it('readers never write it', async () => {
    rmSync(path.join(dir, LEXICAL_FILE));
    const reader = await openStoreForReading(dir);
    assert.match((await hits(reader.store, 'backoff'))[0], /nextDelay/);
    await reader.close();
    assert.ok(!existsSync(path.join(dir, LEXICAL_FILE)));
  });

  it('is removed with the rest by clear()', async () => {
    const store = await LoreStore.open(dir);
    await store.clear();
    assert.ok(!existsSync(path.join(dir, LEXICAL_FILE)));
    assert.deepEqual(await hits(store, 'backoff'), []);
    await store.close();
  });
});

async function openIds(dir: string): Promise<string[]> {
  const store = await LoreStore.open(dir, { savesLexicalSnapshots: false });
  const ids = [...store.files()].flatMap((file) => file.chunkIds);
  await store.close();
  return ids;
}
