import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DimensionMismatchError, Embedder, EmbeddingCache, type EmbedderOptions } from '../../../src/core/embed';
import { ModelMissingError, OllamaUnavailableError } from '../../../src/core/ollama';
import { contentHash } from '../../../src/core/hash';
import { FakeOllama, fakeEmbedding, type OllamaRequestBody } from '../../support/fakeOllama';

const MODEL = 'nomic-embed-text';

function item(text: string): { hash: string; text: string } {
  return { hash: contentHash(text), text };
}

function assertVector(actual: Float32Array, text: string, dims = 64): void {
  const expected = fakeEmbedding(text, dims);
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `component ${i} of "${text}": ${x} vs ${expected[i]}`));
}

function embedRequests(fake: FakeOllama): OllamaRequestBody[] {
  return fake.requests.filter((r) => r.path === '/api/embed').map((r) => r.body);
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('Embedder', () => {
  let fake: FakeOllama;
  let dir: string;

  const embedder = (options: Partial<EmbedderOptions> = {}, cache?: EmbeddingCache): Embedder =>
    new Embedder({ host: fake.url, model: MODEL, retryBaseMs: 1, ...options }, cache);

  beforeEach(async () => {
    fake = await FakeOllama.start();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lore-embed-'));
  });
  afterEach(async () => {
    await fake.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('embed', () => {
    it('returns unit vectors in input order, in batches of batchSize, without truncation', async () => {
      const texts = ['alpha beta', 'gamma', 'delta epsilon', 'zeta', 'eta theta', 'iota', 'kappa'];
      const e = embedder({ batchSize: 3 });
      const vectors = await e.embed(texts.map(item));
      texts.forEach((t, i) => assertVector(vectors[i], t));
      vectors.forEach((v) => assert.ok(Math.abs(v.reduce((s, x) => s + x * x, 0) - 1) < 1e-5));
      const sent = embedRequests(fake);
      assert.deepEqual(sent.map((b) => b.input), [texts.slice(0, 3), texts.slice(3, 6), texts.slice(6)]);
      assert.ok(sent.every((b) => b.model === MODEL && b.truncate === false));
      assert.equal(e.sentCount, 7);
    });

    it('sends nothing for an empty list', async () => {
      assert.deepEqual(await embedder().embed([]), []);
      assert.equal(fake.requests.length, 0);
    });

    it('keeps at most `concurrency` requests in flight', async () => {
      fake.faults.latencyMs = 20;
      const texts = Array.from({ length: 12 }, (_, i) => `text number ${i}`);
      const vectors = await embedder({ batchSize: 2, concurrency: 3 }).embed(texts.map(item));
      texts.forEach((t, i) => assertVector(vectors[i], t));
      assert.equal(embedRequests(fake).length, 6);
      assert.equal(fake.maxInFlight, 3);
    });

    it('sends one request at a time by default', async () => {
      fake.faults.latencyMs = 10;
      await embedder({ batchSize: 1 }).embed(['a', 'b', 'c', 'd'].map(item));
      assert.equal(fake.maxInFlight, 1);
    });

    it('serves cache hits without sending them, and sends a repeated text once', async () => {
      const cache = await EmbeddingCache.open(path.join(dir, 'c.bin'), MODEL);
      const e = embedder({}, cache);
      await e.embed([item('one'), item('two')]);
      fake.requests.length = 0;

      const vectors = await e.embed([item('two'), item('three'), item('one'), item('three')]);
      assert.deepEqual(embedRequests(fake).map((b) => b.input), [['three']]);
      ['two', 'three', 'one', 'three'].forEach((t, i) => assertVector(vectors[i], t));
      assert.equal(e.sentCount, 3);
      assert.equal(cache.size, 3);
    });

    it('reuses vectors persisted by an earlier process', async () => {
      const file = path.join(dir, 'c.bin');
      const first = await EmbeddingCache.open(file, MODEL);
      await embedder({}, first).embed([item('persisted text')]);
      await first.flush();
      fake.requests.length = 0;

      const second = embedder({}, await EmbeddingCache.open(file, MODEL));
      const [vector] = await second.embed([item('persisted text')]);
      assertVector(vector, 'persisted text');
      assert.equal(fake.requests.length, 0);
      assert.equal(second.sentCount, 0);
    });

    it('retries 5xx answers with backoff and then succeeds', async () => {
      fake.faults.failNext = 2;
      const e = embedder({ maxRetries: 4 });
      const [v] = await e.embed([item('retry me')]);
      assertVector(v, 'retry me');
      assert.equal(embedRequests(fake).length, 3);
      assert.equal(e.sentCount, 1);
    });

    it('gives up on a server that keeps failing with OllamaUnavailableError', async () => {
      fake.faults.failNext = 100;
      await assert.rejects(embedder({ maxRetries: 2 }).embed([item('x')]), (err: unknown) => {
        assert.ok(err instanceof OllamaUnavailableError);
        assert.match(err.message, /keeps failing: HTTP 500/);
        assert.match(err.message, /3 attempts/);
        return true;
      });
      assert.equal(embedRequests(fake).length, 3);
    });

    it('throws OllamaUnavailableError when Ollama is down, after the retries', async () => {
      await fake.goDown();
      await assert.rejects(embedder({ maxRetries: 3 }).embed([item('x')]), (err: unknown) => {
        assert.ok(err instanceof OllamaUnavailableError);
        assert.match(err.message, new RegExp(`Cannot reach Ollama at ${fake.url} \\(connection refused\\)`));
        assert.match(err.message, /4 attempts/);
        return true;
      });
    });

    it('recovers when Ollama comes back during the retries', async () => {
      await fake.goDown();
      const e = embedder({ maxRetries: 8, retryBaseMs: 20 });
      const result = e.embed([item('back again')]);
      await new Promise((r) => setTimeout(r, 30));
      await fake.restart();
      assertVector((await result)[0], 'back again');
    });

    it('times out a hanging request instead of waiting forever', async () => {
      fake.faults.hang = true;
      await assert.rejects(embedder({ requestTimeoutMs: 100, maxRetries: 1 }).embed([item('x')]), (err: unknown) => {
        assert.ok(err instanceof OllamaUnavailableError);
        assert.match(err.message, /no answer within 100 ms/);
        return true;
      });
      assert.equal(embedRequests(fake).length, 2);
    });

    it('throws ModelMissingError for a model Ollama does not have, without retrying', async () => {
      await assert.rejects(embedder({ model: 'not-pulled' }).embed([item('x')]), (err: unknown) => {
        assert.ok(err instanceof ModelMissingError);
        assert.equal(err.model, 'not-pulled');
        assert.match(err.message, /ollama pull not-pulled/);
        return true;
      });
      assert.equal(embedRequests(fake).length, 1);
    });

    it('says so when the model cannot embed, without retrying', async () => {
      await assert.rejects(embedder({ model: 'llama3.2' }).embed([item('x')]), /Model "llama3.2" cannot make embeddings/);
      assert.equal(embedRequests(fake).length, 1);
    });

    it('throws DimensionMismatchError when the vector size changes', async () => {
      const e = embedder();
      await e.embed([item('first')]);
      fake.faults.wrongDims = true;
      await assert.rejects(e.embed([item('second')]), (err: unknown) => err instanceof DimensionMismatchError && err.expected === 64 && err.got === 65);
      assert.equal(e.sentCount, 1);
    });

    it('checks the vector size against the cache', async () => {
      const file = path.join(dir, 'c.bin');
      const cache = await EmbeddingCache.open(file, MODEL);
      cache.set(contentHash('old'), new Float32Array(32).fill(0.1));
      await assert.rejects(embedder({}, cache).embed([item('new')]), (err: unknown) => err instanceof DimensionMismatchError && err.expected === 32 && err.got === 64);
      assert.equal(cache.size, 1);
    });

    it('stops before sending when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(embedder().embed([item('x')], controller.signal), { name: 'AbortError' });
      assert.equal(fake.requests.length, 0);
    });

    it('aborts a request in flight', async () => {
      fake.faults.latencyMs = 5000;
      const controller = new AbortController();
      const pending = embedder().embed([item('x')], controller.signal);
      await waitFor(() => fake.requests.length === 1);
      controller.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      assert.equal(fake.requests.length, 1);
    });

    it('aborts while waiting to retry', async () => {
      await fake.goDown();
      const controller = new AbortController();
      const pending = embedder({ retryBaseMs: 60_000, maxRetries: 5 }).embed([item('x')], controller.signal);
      setTimeout(() => controller.abort(new Error('user cancelled')), 20);
      await assert.rejects(pending, /user cancelled/);
    });

    it('caches what was embedded before a failure', async () => {
      fake.faults.latencyMs = 50;
      const cache = await EmbeddingCache.open(path.join(dir, 'c.bin'), MODEL);
      const pending = embedder({ batchSize: 1, maxRetries: 0 }, cache).embed(['first', 'second', 'third'].map(item));
      await waitFor(() => fake.requests.length === 2);
      await fake.goDown();
      await assert.rejects(pending, OllamaUnavailableError);
      assert.equal(cache.size, 1);
      assert.ok(cache.has(contentHash('first')));
    });

    it('embeds an input longer than the context truncated, as a last resort, and records it', async () => {
      fake.addModel({ name: 'short-ctx', kind: 'embed', dims: 16, contextLength: 8 });
      const long = 'lengthy '.repeat(10).trim();
      const e = embedder({ model: 'short-ctx', batchSize: 3 });
      const vectors = await e.embed([item('fits'), item(long), item('also fits')]);
      assertVector(vectors[0], 'fits', 16);
      assertVector(vectors[1], long.slice(0, 32), 16);
      assertVector(vectors[2], 'also fits', 16);
      assert.deepEqual(e.truncatedHashes, [contentHash(long)]);
      assert.deepEqual(
        embedRequests(fake).map((b) => [b.input?.length, b.truncate]),
        [[3, false], [1, false], [1, false], [1, true], [1, false]],
      );
      assert.equal(e.sentCount, 3);
    });

    it('rejects invalid hashes before sending anything when it has a cache', async () => {
      const cache = await EmbeddingCache.open(path.join(dir, 'c.bin'), MODEL);
      await assert.rejects(embedder({}, cache).embed([item('ok'), { hash: 'short', text: 'x' }]), /Invalid chunk hash "short"/);
      assert.equal(fake.requests.length, 0);
    });

    it('rejects a malformed answer without retrying', async () => {
      const answers = [{ embeddings: [[0.1, 0.2]] }, { embeddings: [[0.1, 'x']] }, { nothing: true }];
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answers.shift()));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const e = new Embedder({ host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: MODEL, retryBaseMs: 1 });
        await assert.rejects(e.embed([item('a'), item('b')]), /Ollama returned 1 embeddings for 2 inputs/);
        await assert.rejects(e.embed([item('a')]), /malformed embedding/);
        await assert.rejects(e.embed([item('a')]), /Ollama returned no embeddings for 1 inputs/);
        assert.equal(answers.length, 0);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe('embedQuery', () => {
    it('embeds without caching or counting', async () => {
      const cache = await EmbeddingCache.open(path.join(dir, 'c.bin'), MODEL);
      const e = embedder({}, cache);
      assertVector(await e.embedQuery('where is the config parsed'), 'where is the config parsed');
      assert.equal(cache.size, 0);
      assert.equal(e.sentCount, 0);
    });

    it('goes ahead of queued indexing batches', async () => {
      fake.faults.latencyMs = 30;
      const e = embedder({ concurrency: 1 });
      const first = e.embed([item('batch one')]);
      const second = e.embed([item('batch two')]);
      await waitFor(() => fake.requests.length === 1);
      const query = e.embedQuery('the question');
      await Promise.all([first, second, query]);
      assert.deepEqual(embedRequests(fake).map((b) => b.input?.[0]), ['batch one', 'the question', 'batch two']);
    });

    it('falls back to truncation for a query longer than the context', async () => {
      fake.addModel({ name: 'short-ctx', kind: 'embed', dims: 16, contextLength: 4 });
      const long = 'question '.repeat(10);
      assertVector(await embedder({ model: 'short-ctx' }).embedQuery(long), long.slice(0, 16), 16);
    });
  });

  describe('probe', () => {
    it('reports the context length and dims of an embedding model', async () => {
      assert.deepEqual(await embedder().probe(), { ok: true, contextLength: 2048, dims: 64 });
      fake.addModel({ name: 'big', kind: 'embed', dims: 1024, contextLength: 8192 });
      assert.deepEqual(await embedder({ model: 'big' }).probe(), { ok: true, contextLength: 8192, dims: 1024 });
      assert.deepEqual(
        fake.requests.slice(0, 2).map((r) => `${r.method} ${r.path}`),
        ['GET /api/version', 'POST /api/show'],
      );
    });

    it('reports a missing model', async () => {
      const probe = await embedder({ model: 'absent' }).probe();
      assert.equal(probe.ok, false);
      assert.equal(!probe.ok && probe.reason, 'model-missing');
      assert.match(!probe.ok ? probe.message : '', /ollama pull absent/);
    });

    it('reports a model that cannot embed', async () => {
      const probe = await embedder({ model: 'llama3.2' }).probe();
      assert.equal(!probe.ok && probe.reason, 'not-embedding-model');
      assert.match(!probe.ok ? probe.message : '', /cannot make embeddings/);
    });

    it('judges by metadata when Ollama does not report embedding capabilities', async () => {
      const shows = [
        { capabilities: ['completion'], model_info: { 'general.architecture': 'bert', 'bert.pooling_type': 2, 'bert.context_length': 512 } },
        { model_info: { 'general.architecture': 'bert', 'bert.context_length': 512, 'bert.embedding_length': 384 }, parameters: 'num_ctx 256' },
        { capabilities: ['completion'], model_info: {} },
        { capabilities: ['embedding'], model_info: {} },
      ];
      const server = http.createServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(req.url === '/api/version' ? { version: '0.5.0' } : shows.shift()));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const e = new Embedder({ host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: MODEL });
        assert.deepEqual(await e.probe(), { ok: true, contextLength: 512 });
        // A Modelfile num_ctx below the trained length is the window in use.
        assert.deepEqual(await e.probe(), { ok: true, contextLength: 256, dims: 384 });
        const chatOnly = await e.probe();
        assert.equal(!chatOnly.ok && chatOnly.reason, 'not-embedding-model');
        // No context length reported: Ollama's historical default window.
        assert.deepEqual(await e.probe(), { ok: true, contextLength: 2048 });
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    it('reports an unreachable or hanging Ollama', async () => {
      await fake.goDown();
      const down = await embedder().probe();
      assert.equal(!down.ok && down.reason, 'unreachable');
      assert.match(!down.ok ? down.message : '', /connection refused/);
      await fake.restart();
      fake.faults.hang = true;
      const hanging = await embedder({ requestTimeoutMs: 50 }).probe();
      assert.equal(!hanging.ok && hanging.reason, 'unreachable');
      assert.match(!hanging.ok ? hanging.message : '', /no answer within 50 ms/);
    });

    it('reports a server that does not answer like Ollama', async () => {
      fake.faults.failNext = 1;
      fake.faults.failStatus = 404;
      const probe = await embedder().probe();
      assert.equal(!probe.ok && probe.reason, 'error');
      assert.match(!probe.ok ? probe.message : '', /does not answer like Ollama \(HTTP 404/);
    });

    it('rethrows when aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(embedder().probe(controller.signal), { name: 'AbortError' });
    });
  });

  describe('construction', () => {
    it('rejects bad options with clear errors', async () => {
      assert.throws(() => embedder({ batchSize: 0 }), /batchSize must be an integer >= 1, got 0/);
      assert.throws(() => embedder({ concurrency: 1.5 }), /concurrency must be an integer >= 1/);
      assert.throws(() => embedder({ maxRetries: -1 }), /maxRetries must be an integer >= 0/);
      assert.throws(() => embedder({ requestTimeoutMs: 0 }), /requestTimeoutMs/);
      assert.throws(() => embedder({ model: ' ' }), /No embedding model name/);
      assert.throws(() => embedder({ host: 'ftp://x' }), /Unsupported Ollama host/);
      const cache = await EmbeddingCache.open(path.join(dir, 'c.bin'), 'other');
      assert.throws(() => embedder({}, cache), /cache holds model "other", not "nomic-embed-text"/);
    });

    it('normalises the host', () => {
      assert.equal(new Embedder({ host: `${fake.url}/`, model: MODEL }).host, fake.url);
    });
  });
});
