import * as assert from 'node:assert/strict';
import { listModels, OllamaUnavailableError, pullModel, type PullProgress } from '../../../src/core/ollama';
import { FakeOllama } from '../../support/fakeOllama';

describe('pullModel', () => {
  let fake: FakeOllama;

  beforeEach(async () => {
    fake = await FakeOllama.start({ pullable: [{ name: 'mxbai-embed-large', kind: 'embed', dims: 32 }] });
  });
  afterEach(() => fake.stop());

  it('reports progress until success and the model is then installed', async () => {
    const progress: PullProgress[] = [];
    await pullModel(fake.url, 'mxbai-embed-large', (p) => progress.push(p));
    assert.equal(progress[0].status, 'pulling manifest');
    assert.equal(progress.at(-1)?.status, 'success');
    const downloads = progress.filter((p) => p.total !== undefined);
    assert.ok(downloads.length >= 2);
    assert.ok(downloads.every((p, i) => i === 0 || p.completed! >= downloads[i - 1].completed!));
    assert.equal(downloads.at(-1)?.completed, downloads.at(-1)?.total);
    assert.ok(fake.hasModel('mxbai-embed-large'));
    assert.deepEqual(fake.requests.at(-1), { method: 'POST', path: '/api/pull', body: { name: 'mxbai-embed-large', stream: true }, status: 200 });
  });

  it("fails with Ollama's reason for a name the registry does not know", async () => {
    const progress: PullProgress[] = [];
    await assert.rejects(pullModel(fake.url, 'no-such-model', (p) => progress.push(p)), /Pulling "no-such-model" failed: pull model manifest: file does not exist/);
    assert.deepEqual(progress.map((p) => p.status), ['pulling manifest']);
    assert.equal(fake.hasModel('no-such-model'), false);
  });

  it('fails with an HTTP error the server answers', async () => {
    fake.faults.failNext = 1;
    await assert.rejects(pullModel(fake.url, 'mxbai-embed-large', () => undefined), /Pulling "mxbai-embed-large" failed: HTTP 500/);
  });

  it('throws OllamaUnavailableError when Ollama is down', async () => {
    await fake.goDown();
    await assert.rejects(pullModel(fake.url, 'mxbai-embed-large', () => undefined), (err: unknown) => err instanceof OllamaUnavailableError && /connection refused/.test(err.message));
  });

  it('stops reading progress when aborted', async () => {
    fake.pullStepDelayMs = 20;
    const controller = new AbortController();
    let calls = 0;
    const pending = pullModel(
      fake.url,
      'mxbai-embed-large',
      () => {
        calls++;
        controller.abort();
      },
      controller.signal,
    );
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(calls, 1);
  });

  it('rejects an empty model name or a bad host before any request', async () => {
    await assert.rejects(pullModel(fake.url, '  ', () => undefined), /No model name given/);
    await assert.rejects(pullModel('gopher://x', 'm', () => undefined), /Unsupported Ollama host/);
    assert.equal(fake.requests.length, 0);
  });
});

describe('listModels', () => {
  let fake: FakeOllama;

  beforeEach(async () => {
    fake = await FakeOllama.start();
  });
  afterEach(() => fake.stop());

  it('names the installed models, and a pulled one after its pull', async () => {
    assert.deepEqual((await listModels(fake.url)).sort(), ['llama3.2:latest', 'nomic-embed-text:latest']);
    fake.addModel({ name: 'qwen2.5-coder', kind: 'chat' });
    assert.ok((await listModels(fake.url)).includes('qwen2.5-coder:latest'));
    assert.deepEqual([fake.requests.at(-1)?.method, fake.requests.at(-1)?.path], ['GET', '/api/tags']);
  });

  it("rejects with the server's error and when Ollama is down", async () => {
    fake.faults.failNext = 1;
    await assert.rejects(listModels(fake.url));
    await fake.goDown();
    await assert.rejects(listModels(fake.url), /fetch failed/);
  });
});
