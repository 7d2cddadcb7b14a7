// Ollama faults injected for real on a loopback server speaking its API: down at start, dying
// mid-index, 500s, hanging, slow, wrong-dimension vectors, model removed, model switched. Indexing
// must go on lexically, retry, catch up when the server is back, and end equal to a clean index.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FakeOllama } from '../support/fakeOllama';
import { makeTempDir, removeDir } from '../support/tempTree';
import { assertSameIndex, generateTree, snapshotStore, waitFor, type StoreSnapshot } from './helpers';
import { openPipeline, type Pipeline } from './pipeline';

const FILES = 40;

describe('reliability: Ollama faults during indexing', function () {
  this.timeout(60_000);
  let root: string;
  let scratch: string;
  let ollama: FakeOllama;
  let pipeline: Pipeline | undefined;
  let clean: StoreSnapshot;

  before(async () => {
    root = makeTempDir('lore-rel-ollama-');
    scratch = makeTempDir('lore-rel-ollama-store-');
    generateTree(root, FILES);
    const healthy = await FakeOllama.start();
    const reference = await openPipeline({ root, storeDir: path.join(scratch, 'clean'), host: healthy.url });
    const result = await reference.indexer.syncAll();
    assert.equal(result.mode, 'hybrid');
    await reference.close();
    await healthy.stop();
    clean = await snapshotStore(path.join(scratch, 'clean'));
  });
  after(() => {
    removeDir(root);
    removeDir(scratch);
  });
  beforeEach(async () => {
    ollama = await FakeOllama.start();
  });
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
    ollama.faults.hang = false;
    await ollama.stop();
  });

  async function open(name: string, model?: string, batchSize?: number): Promise<Pipeline> {
    pipeline = await openPipeline({ root, storeDir: path.join(scratch, name), host: ollama.url, model, embedBatchSize: batchSize });
    return pipeline;
  }

  async function assertEqualsClean(name: string): Promise<void> {
    await pipeline?.close();
    pipeline = undefined;
    assertSameIndex(await snapshotStore(path.join(scratch, name)), clean, true);
  }

  const embedRequests = () => ollama.requests.filter((r) => r.path === '/api/embed').length;

  it('down at start: indexes lexically, then catches up when Ollama is back', async () => {
    await ollama.goDown();
    const p = await open('down');
    const first = await p.indexer.syncAll();
    assert.equal(first.mode, 'lexical');
    assert.equal(first.embedError?.kind, 'unreachable');
    assert.equal(first.files, FILES);
    assert.ok(p.store.lexicalSearch('handler3_1_v0', 5).length > 0, 'searchable lexically while Ollama is down');
    await ollama.restart();
    const second = await p.indexer.syncAll();
    assert.equal(second.mode, 'hybrid');
    assert.equal(second.embedded, clean.chunks);
    await assertEqualsClean('down');
  });

  it('dies mid-index: the vectors made so far are kept (cached), the rest are made after a restart', async () => {
    ollama.faults.latencyMs = 15;
    const batch = 4;
    const p = await open('dies', undefined, batch);
    const run = p.indexer.syncAll();
    await waitFor(() => embedRequests() >= 4, 20_000, 'a few embedding batches');
    await ollama.goDown();
    const first = await run;
    assert.equal(first.embedError?.kind, 'unreachable');
    assert.equal(first.files, FILES, 'every file indexed lexically');
    await ollama.restart();
    ollama.faults.latencyMs = 0;
    const second = await p.indexer.syncAll();
    assert.equal(second.mode, 'hybrid');
    // Three batches had been answered before the outage: their vectors come from the cache.
    assert.ok(second.embedded <= clean.chunks - 3 * batch, `vectors made before the outage are not made again (${second.embedded} sent)`);
    await assertEqualsClean('dies');
  });

  it('500s: a few are retried within the run; a lasting failure leaves chunks for the catch-up', async () => {
    ollama.faults.failNext = 2;
    const p = await open('http500');
    const first = await p.indexer.syncAll();
    assert.equal(first.mode, 'hybrid', JSON.stringify(first.embedError));
    assert.equal(ollama.faults.failNext, 0, 'the failing requests were made and retried');
    await assertEqualsClean('http500');

    const q = await open('http500b');
    ollama.faults.failNext = 1_000;
    const failed = await q.indexer.syncAll();
    assert.equal(failed.mode, 'lexical');
    assert.ok(failed.embedError, 'the failure is reported');
    assert.equal(failed.files, FILES);
    ollama.faults.failNext = 0;
    assert.equal((await q.indexer.syncAll()).mode, 'hybrid');
    await assertEqualsClean('http500b');
  });

  it('hangs: the run ends at the request deadline instead of waiting forever, then resumes', async () => {
    const p = await open('hang');
    ollama.faults.hang = true;
    const started = Date.now();
    const first = await p.indexer.syncAll();
    const waitedMs = Date.now() - started;
    assert.ok(first.embedError, 'a hung server is reported');
    assert.equal(first.files, FILES);
    assert.ok(waitedMs < 30_000, `gave up after ${waitedMs} ms`);
    ollama.faults.hang = false;
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    await assertEqualsClean('hang');
  });

  it('slow: every answer late, the index still completes', async () => {
    ollama.faults.latencyMs = 300;
    const p = await open('slow');
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    await assertEqualsClean('slow');
  });

  it('wrong-dimension vectors are refused, never stored beside the right ones', async () => {
    const p = await open('dims');
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    generateTree(root, FILES, 1);
    ollama.faults.wrongDims = true;
    const bad = await p.indexer.syncAll();
    assert.equal(bad.embedError?.kind, 'failed');
    assert.match(bad.embedError!.message, /dimension/i);
    const stats = await p.store.stats();
    assert.equal(stats.dims, 64, 'the store keeps its dimension');
    ollama.faults.wrongDims = false;
    generateTree(root, FILES, 0);
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    await assertEqualsClean('dims');
  });

  it('model removed while in use: reported as missing, caught up once it is back', async () => {
    const p = await open('removed');
    ollama.faults.latencyMs = 15;
    const run = p.indexer.syncAll();
    await waitFor(() => embedRequests() >= 2, 20_000, 'embedding to start');
    ollama.removeModel('nomic-embed-text');
    const first = await run;
    assert.equal(first.embedError?.kind, 'model-missing');
    ollama.addModel({ name: 'nomic-embed-text', kind: 'embed', dims: 64 });
    ollama.faults.latencyMs = 0;
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    await assertEqualsClean('removed');
  });

  it('model switched: every vector is rebuilt with the new model, chunks unchanged', async () => {
    ollama.addModel({ name: 'other-embed', kind: 'embed', dims: 32 });
    const p = await open('switch');
    assert.equal((await p.indexer.syncAll()).mode, 'hybrid');
    await p.close();
    const q = await open('switch', 'other-embed');
    const switched = await q.indexer.syncAll();
    assert.equal(switched.mode, 'hybrid');
    assert.equal(switched.embedded, clean.chunks, 'every chunk re-embedded with the new model');
    const stats = await q.store.stats();
    assert.equal(stats.embedModel, 'other-embed');
    assert.equal(stats.dims, 32);
    await assertEqualsClean('switch');
  });
});
