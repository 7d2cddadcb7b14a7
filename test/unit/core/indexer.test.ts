// The whole pipeline on real files, a real store on disk and a real HTTP server speaking Ollama's API.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Chunker } from '../../../src/core/chunk';
import { Embedder, EmbeddingCache } from '../../../src/core/embed';
import { Indexer } from '../../../src/core/indexer';
import { LoreStore } from '../../../src/core/store';
import { FakeOllama } from '../../support/fakeOllama';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const PROJECT = {
  'src/auth/tokens.ts': `export function validateToken(token: string): boolean {\n  return token.startsWith('tok_') && token.length > 10;\n}\n\nexport class TokenStore {\n  private tokens = new Map<string, number>();\n  remember(token: string) { this.tokens.set(token, Date.now()); }\n}\n`,
  'src/retry.py': `def retry_with_backoff(fn, attempts=3):\n    """Retry policy for flaky network calls."""\n    for i in range(attempts):\n        try:\n            return fn()\n        except IOError:\n            pass\n`,
  'README.md': `# Demo\n\n## Install\n\nRun the installer.\n\n## Usage\n\nCall validateToken before trusting input.\n`,
  'config/keys.ts': `export const awsKey = 'AKIAIOSFODNN7EXAMPLE';\nexport const region = 'eu-west-1';\n`,
  '.env': 'SECRET=hunter2\n',
  '.gitignore': 'generated/\n',
  'generated/big.ts': 'export const generatedThing = 1;\n',
};

describe('Indexer (real store, chunker and Ollama-API server)', function () {
  this.timeout(60_000);
  let root: string;
  let storeDir: string;
  let ollama: FakeOllama;
  let store: LoreStore;
  let chunker: Chunker;

  before(async () => {
    chunker = await Chunker.create();
  });

  beforeEach(async () => {
    root = makeTempDir();
    storeDir = makeTempDir('lore-store-');
    writeTree(root, PROJECT);
    ollama = await FakeOllama.start();
    store = await LoreStore.open(storeDir);
  });

  afterEach(async () => {
    await store.close();
    await ollama.stop();
    removeDir(root);
    removeDir(storeDir);
  });

  async function makeIndexer(model = 'nomic-embed-text') {
    const cache = await EmbeddingCache.open(path.join(storeDir, 'embeddings', `${model}.bin`), model);
    const embedder = new Embedder({ host: ollama.url, model, retryBaseMs: 1, maxRetries: 1, requestTimeoutMs: 2000 }, cache);
    return { indexer: new Indexer({ root, store, chunker, embedder, embedCache: cache, maxFileBytes: 1 << 20 }), embedder, cache };
  }

  it('indexes every eligible file, embeds every chunk, and skips ignored and secret files', async () => {
    const { indexer } = await makeIndexer();
    const result = await indexer.syncAll();
    const paths = [...store.files()].map((f) => f.path).sort();
    assert.deepEqual(paths, ['.gitignore', 'README.md', 'config/keys.ts', 'src/auth/tokens.ts', 'src/retry.py']);
    assert.equal(result.mode, 'hybrid');
    assert.equal(result.chunks, store.vectorCount());
    assert.equal(result.embedded, result.chunks);
    const hits = store.lexicalSearch('validateToken', 5);
    assert.equal(hits[0].chunk.path, 'src/auth/tokens.ts');
  });

  it('never puts a planted secret into a chunk', async () => {
    const { indexer } = await makeIndexer();
    await indexer.syncAll();
    const keyChunks = [...store.files()].flatMap((f) => store.chunksOf(f.path)).filter((c) => c.text.includes('AKIAIOSFODNN7EXAMPLE'));
    assert.deepEqual(keyChunks, []);
    assert.equal(store.lexicalSearch('hunter2', 5).length, 0);
  });

  it('a second run with nothing changed embeds nothing and changes nothing', async () => {
    const { indexer } = await makeIndexer();
    await indexer.syncAll();
    const embedCalls = ollama.requests.filter((r) => r.path === '/api/embed').length;
    const again = await indexer.syncAll();
    assert.equal(again.embedded, 0);
    assert.equal(again.changed, 0);
    assert.equal(ollama.requests.filter((r) => r.path === '/api/embed').length, embedCalls);
  });

  it('a reopened store and a fresh process embed nothing for unchanged files (cache and manifest persist)', async () => {
    const first = await makeIndexer();
    await first.indexer.syncAll();
    await store.close();
    store = await LoreStore.open(storeDir);
    const second = await makeIndexer();
    const result = await second.indexer.syncAll();
    assert.equal(result.embedded, 0);
    assert.equal(result.mode, 'hybrid');
  });

  it('follows edits, deletions, renames and new files through syncPaths', async () => {
    const { indexer } = await makeIndexer();
    await indexer.syncAll();
    await fs.writeFile(path.join(root, 'src/retry.py'), 'def circuit_breaker_policy():\n    return "open"\n');
    await fs.rm(path.join(root, 'README.md'));
    await fs.rename(path.join(root, 'src/auth/tokens.ts'), path.join(root, 'src/auth/session.ts'));
    await fs.writeFile(path.join(root, 'src/new.ts'), 'export function brandNewFeature() { return 42; }\n');
    const result = await indexer.syncPaths(['src/retry.py', 'README.md', 'src/auth/tokens.ts', 'src/auth/session.ts', 'src/new.ts']);

    assert.equal(store.lexicalSearch('circuit_breaker_policy', 3)[0]?.chunk.path, 'src/retry.py');
    assert.equal(store.lexicalSearch('retry_with_backoff', 3).filter((h) => h.chunk.text.includes('retry_with_backoff')).length, 0);
    assert.equal(store.getFile('README.md'), undefined);
    assert.equal(store.getFile('src/auth/tokens.ts'), undefined);
    assert.equal(store.lexicalSearch('validateToken', 3)[0]?.chunk.path, 'src/auth/session.ts');
    assert.equal(store.lexicalSearch('brandNewFeature', 3)[0]?.chunk.path, 'src/new.ts');
    assert.equal(result.mode, 'hybrid');
    assert.equal(store.vectorCount(), (await store.stats()).chunks);
  });

  it('removes a file that became ignored and leaves alone a path that is ignored', async () => {
    const { indexer } = await makeIndexer();
    await indexer.syncAll();
    await fs.appendFile(path.join(root, '.gitignore'), 'src/retry.py\n');
    await indexer.syncPaths(['.gitignore', 'src/retry.py', 'generated/big.ts']);
    assert.equal(store.getFile('src/retry.py'), undefined);
    assert.equal(store.getFile('generated/big.ts'), undefined);
  });

  it('indexes lexically while Ollama is down, then catches up to the same index as a clean run', async () => {
    const { indexer } = await makeIndexer();
    await ollama.goDown();
    const down = await indexer.syncAll();
    assert.equal(down.mode, 'lexical');
    assert.equal(down.embedError?.kind, 'unreachable');
    assert.ok(down.chunks > 0);
    assert.equal(store.lexicalSearch('validateToken', 3)[0]?.chunk.path, 'src/auth/tokens.ts', 'lexical search works meanwhile');

    await ollama.restart();
    const problem = await indexer.catchUpEmbeddings();
    assert.equal(problem, undefined);
    assert.equal(store.vectorCount(), (await store.stats()).chunks);

    // Compare with a clean index of the same files.
    const cleanDir = makeTempDir('lore-clean-');
    const cleanStore = await LoreStore.open(cleanDir);
    try {
      const cache = await EmbeddingCache.open(path.join(cleanDir, 'e.bin'), 'nomic-embed-text');
      const clean = new Indexer({ root, store: cleanStore, chunker, embedder: new Embedder({ host: ollama.url, model: 'nomic-embed-text' }, cache), maxFileBytes: 1 << 20 });
      await clean.syncAll();
      const ids = (s: LoreStore) => [...s.files()].flatMap((f) => f.chunkIds).sort();
      assert.deepEqual(ids(store), ids(cleanStore));
      assert.equal(cleanStore.vectorCount(), store.vectorCount());
    } finally {
      await cleanStore.close();
      removeDir(cleanDir);
    }
  });

  it('reports a missing embedding model and keeps the lexical index', async () => {
    const { indexer } = await makeIndexer('not-pulled-model');
    const result = await indexer.syncAll();
    assert.equal(result.embedError?.kind, 'model-missing');
    assert.equal(result.mode, 'lexical');
    assert.ok(store.lexicalSearch('retry', 3).length > 0);
  });

  it('rebuilds vectors by itself when the embedding model changes', async () => {
    ollama.addModel({ name: 'other-embed', kind: 'embed', dims: 32 });
    await (await makeIndexer()).indexer.syncAll();
    const { indexer } = await makeIndexer('other-embed');
    const result = await indexer.syncAll();
    const stats = await store.stats();
    assert.equal(stats.embedModel, 'other-embed');
    assert.equal(stats.dims, 32);
    assert.equal(stats.vectors, stats.chunks);
    assert.equal(result.embedded, stats.chunks);
  });

  it('keeps the embedding cache within about twice the live chunks', async () => {
    const { indexer, cache } = await makeIndexer();
    for (let round = 0; round < 4; round++) {
      writeTree(root, { 'src/retry.py': `def retry_round_${round}():\n    return ${round}\n`, 'README.md': `# Demo ${round}\n\nRound ${round} notes.\n` });
      await indexer.syncAll();
    }
    const { chunks } = await store.stats();
    assert.ok(cache.size <= 2 * chunks, `cache holds ${cache.size} vectors for ${chunks} live chunks`);
    assert.equal((await indexer.syncAll()).embedded, 0, 'live chunks are still cached');
  });

  it('Reindex (force) re-chunks every file but embeds nothing new', async () => {
    const { indexer } = await makeIndexer();
    await indexer.syncAll();
    const forced = await indexer.syncAll({ force: true });
    assert.equal(forced.changed, 5);
    assert.equal(forced.embedded, 0);
  });

  it('a cancelled full sync leaves a consistent index that the next run completes', async () => {
    const { indexer } = await makeIndexer();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(indexer.syncAll({ signal: controller.signal }));
    const result = await indexer.syncAll();
    assert.equal(result.files, 5);
    assert.equal(result.mode, 'hybrid');
  });

  it('a full sync cancelled midway rejects with nothing left running, and the next run completes', async () => {
    writeTree(root, Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`src/gen/m${i}.ts`, `export function f${i}(x: number) {\n  return x + ${i};\n}\n`])));
    const { indexer } = await makeIndexer();
    const controller = new AbortController();
    const run = indexer.syncAll({ signal: controller.signal, onProgress: (p) => p.phase === 'indexing' && p.done >= 96 && controller.abort() });
    await assert.rejects(run, { name: 'AbortError' });
    const committed = [...store.files()].map((f) => f.path);
    assert.ok(committed.length < 125, `${committed.length} files committed`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual([...store.files()].map((f) => f.path), committed, 'nothing was committed after the run rejected');
    for (const file of committed) assert.equal(store.chunksOf(file).length, store.getFile(file)!.chunkIds.length, file);
    const result = await indexer.syncAll();
    assert.equal(result.files, 125);
    assert.equal(result.mode, 'hybrid');
  });

  it('skips a file its chunk worker dies on, saying why, and indexes every other file', async () => {
    writeTree(root, { 'src/crash-me.ts': 'export const doomed = true;\n' });
    const crashing = await Chunker.create(undefined, { workers: 1, workerScript: path.resolve(__dirname, '../chunk/crashingWorker.js') });
    try {
      const { embedder, cache } = await makeIndexer();
      const indexer = new Indexer({ root, store, chunker: crashing, embedder, embedCache: cache, maxFileBytes: 1 << 20 });
      const result = await indexer.syncAll();
      assert.deepEqual([...store.files()].map((f) => f.path).sort(), ['.gitignore', 'README.md', 'config/keys.ts', 'src/auth/tokens.ts', 'src/retry.py']);
      const skipped = result.skipped.find((s) => s.path === 'src/crash-me.ts');
      assert.match(skipped?.reason ?? '', /^could not be chunked \(the chunk worker stopped while chunking it \(exit code 3\)\)$/);
      assert.equal(result.mode, 'hybrid');
      // With a sound chunker the file indexes on the next run and leaves the skipped list.
      const next = await new Indexer({ root, store, chunker, embedder, embedCache: cache, maxFileBytes: 1 << 20 }).syncAll();
      assert.ok(store.getFile('src/crash-me.ts'));
      assert.ok(!next.skipped.some((s) => s.path === 'src/crash-me.ts'));
    } finally {
      await crashing.dispose();
    }
  });

  it('embeds every chunk when the catch-up takes rounds of growing size, reporting progress in order', async () => {
    const lines = (file: number) => Array.from({ length: 40 }, (_, row) => `line ${row} of file ${file}: ${'word '.repeat(8)}`).join('\n');
    writeTree(root, Object.fromEntries(Array.from({ length: 60 }, (_, file) => [`notes/n${file}.txt`, lines(file)])));
    const cache = await EmbeddingCache.open(path.join(storeDir, 'embeddings', 'm.bin'), 'nomic-embed-text');
    const embedder = new Embedder({ host: ollama.url, model: 'nomic-embed-text', batchSize: 64, retryBaseMs: 1, maxRetries: 1, requestTimeoutMs: 5000 }, cache);
    const indexer = new Indexer({ root, store, chunker, embedder, embedCache: cache, maxFileBytes: 1 << 20, chunkTokens: 64 });
    const done: number[] = [];
    const result = await indexer.syncAll({ onProgress: (p) => p.phase === 'embedding' && done.push(p.done) });
    assert.ok(result.chunks > 1000, `${result.chunks} chunks`);
    assert.equal(result.mode, 'hybrid');
    assert.equal((await store.stats()).vectors, result.chunks);
    assert.equal(result.embedded, result.chunks);
    assert.deepEqual(done, [...done].sort((a, b) => a - b));
    assert.equal(done[done.length - 1], result.chunks);
  });

  it('lists files it skipped with a reason', async () => {
    writeTree(root, { 'assets/blob.ts': Buffer.from([0, 1, 2, 3, 0, 0, 7, 8]) });
    const { indexer } = await makeIndexer();
    const result = await indexer.syncAll();
    assert.ok(result.skipped.some((s) => s.path === 'assets/blob.ts' && /binary/i.test(s.reason)), JSON.stringify(result.skipped));
    assert.ok(result.skipped.some((s) => s.path === '.env'), 'secret files are reported, not indexed');
  });
});
