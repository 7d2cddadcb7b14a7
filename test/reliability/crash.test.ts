// Crash safety: `lore index` is SIGKILLed at random points (scan, chunk commits, embedding, cache
// flush) while files keep changing between runs. After every kill the store must open without being
// wiped, `lore query` must work, and no file indexed before the kill may go missing; after a final
// run the index must equal a clean index of the same files.
import * as assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FakeOllama } from '../support/fakeOllama';
import { makeTempDir, removeDir } from '../support/tempTree';
import { FORMAT_VERSION } from '../../src/core/store';
import { assertCliBuilt, assertSameIndex, docFile, generateTree, lore, SOAK, seededRandom, snapshotStore, sourceFile, startLore } from './helpers';

const ITERATIONS = SOAK ? 100 : 15;
const FILES = SOAK ? 600 : 100;

describe('reliability: crash safety of `lore index` under SIGKILL', function () {
  this.timeout(SOAK ? 1_800_000 : 240_000);
  let root: string;
  let scratch: string;
  let ollama: FakeOllama;

  before(assertCliBuilt);
  beforeEach(async () => {
    root = makeTempDir('lore-rel-crash-');
    scratch = makeTempDir('lore-rel-crash-store-');
    ollama = await FakeOllama.start();
  });
  afterEach(async () => {
    await ollama.stop();
    removeDir(root);
    removeDir(scratch);
  });

  it(`survives ${ITERATIONS} kills at random points: store opens, queries work, nothing indexed is lost, final index equals a clean one`, async () => {
    const paths = generateTree(root, FILES);
    const storeDir = path.join(scratch, 'store');
    const args = ['--store', storeDir, '--host', ollama.url];
    // Embedding is the longest phase; a little latency per request spreads kills over all phases.
    ollama.faults.latencyMs = 5;

    // How long an uninterrupted run takes here, to aim the kills inside it.
    const timing = path.join(scratch, 'timing');
    const t0 = Date.now();
    const calibrate = await lore(['index', root, '--store', timing, '--host', ollama.url, '--json']);
    assert.equal(calibrate.code, 0, calibrate.stderr);
    const fullRunMs = Date.now() - t0;

    const seed = Number(process.env.LORE_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const context = `seed ${seed} (replay with LORE_CRASH_SEED=${seed})`;
    let before = new Set<string>();
    let killed = 0;
    // Aimed at the length of the last uninterrupted run, which shrinks once little is left to do.
    let runMs = fullRunMs;
    for (let i = 0; i < ITERATIONS; i++) {
      // Edit a quarter of the files between runs, so every run has chunking, shard rewrites and embedding to do.
      for (let e = 0; e < FILES / 4; e++) {
        const n = Math.floor(random() * FILES);
        const rel = paths[n];
        writeFileSync(path.join(root, ...rel.split('/')), rel.endsWith('.md') ? docFile(n, i + 1) : sourceFile(n, i + 1));
      }
      const run = startLore(['index', root, ...args, '--json']);
      const started = Date.now();
      const killAfter = 100 + Math.floor(random() * runMs * 0.9);
      const timer = setTimeout(() => run.child.kill('SIGKILL'), killAfter);
      const result = await run.done;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') killed++;
      else {
        assert.equal(result.code, 0, `${context}: ${result.stderr}`);
        runMs = Date.now() - started;
      }

      const status = await lore(['status', root, '--store', storeDir, '--json']);
      if (result.signal === 'SIGKILL' && !existsSync(storeDir)) {
        // Killed before it created the store (a slow start): nothing was written, so nothing can be lost.
        assert.equal(before.size, 0, `${context}, iteration ${i}: the store vanished`);
        assert.match(status.stderr, /no index at/);
        continue;
      }
      assert.equal(status.code, 0, `${context}, iteration ${i}: status failed: ${status.stderr}`);
      assert.doesNotMatch(status.stderr, /unusable/, `${context}, iteration ${i}: the store was wiped after a kill at ${killAfter} ms`);
      const query = await lore(['query', root, 'handler trim input', ...args, '--json']);
      assert.equal(query.code, 0, `${context}, iteration ${i}: query failed: ${query.stderr}`);
      JSON.parse(query.stdout);

      const snapshot = await snapshotStore(storeDir);
      assert.equal(snapshot.recovered, undefined, `${context}: ${snapshot.recovered}`);
      const now = new Set(snapshot.files.keys());
      for (const p of before) assert.ok(now.has(p), `${context}, iteration ${i}: ${p} was indexed before the kill and is gone`);
      before = now;
    }
    assert.ok(killed >= Math.ceil(ITERATIONS / 2), `only ${killed} of ${ITERATIONS} runs were killed mid-way (${context})`);

    const final = await lore(['index', root, ...args, '--json']);
    assert.equal(final.code, 0, final.stderr);
    assert.equal(JSON.parse(final.stdout).mode, 'hybrid');
    const clean = path.join(scratch, 'clean');
    assert.equal((await lore(['index', root, '--store', clean, '--host', ollama.url])).code, 0);
    assertSameIndex(await snapshotStore(storeDir), await snapshotStore(clean), true);
    console.log(`      crash iterations: ${ITERATIONS}, killed mid-run: ${killed}, full run ${fullRunMs} ms, ${context}`);
  });

  it('a store written with another format version is rebuilt, not misread', async () => {
    generateTree(root, 20);
    for (const version of [0, FORMAT_VERSION - 1, FORMAT_VERSION + 1, 99]) {
      const storeDir = path.join(scratch, `v${version}`);
      assert.equal((await lore(['index', root, '--store', storeDir, '--host', ollama.url])).code, 0);
      // What a future (or past) Lore would leave: another version number, and shards laid out differently.
      writeFileSync(path.join(storeDir, 'store.json'), JSON.stringify({ formatVersion: version, embedModel: 'nomic-embed-text', dims: 64 }));
      const rerun = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json']);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, new RegExp(`format version ${version}.*rebuilt|unusable.*format version ${version}`));
      assert.equal(JSON.parse(rerun.stdout).mode, 'hybrid');
      const clean = path.join(scratch, `clean${version}`);
      assert.equal((await lore(['index', root, '--store', clean, '--host', ollama.url])).code, 0);
      assertSameIndex(await snapshotStore(storeDir), await snapshotStore(clean), true);
    }
  });
});
