// A shared Ollama behind a proxy that wants a bearer key: the key goes on every request (embed, chat,
// model list), and a refusal is reported as exactly that, never as "does not answer like Ollama".
import * as assert from 'node:assert/strict';
import { Embedder } from '../../../src/core/embed';
import { streamChat } from '../../../src/core/llm';
import { listModels, OllamaAuthError, ollamaApiKey, setOllamaApiKey } from '../../../src/core/ollama';
import { FakeOllama } from '../../support/fakeOllama';

describe('Ollama API key', () => {
  let fake: FakeOllama;
  const envKey = process.env.OLLAMA_API_KEY;

  beforeEach(async () => {
    delete process.env.OLLAMA_API_KEY;
    setOllamaApiKey(undefined);
    fake = await FakeOllama.start({ apiKey: 'team-secret' });
  });

  afterEach(async () => {
    setOllamaApiKey(undefined);
    if (envKey === undefined) delete process.env.OLLAMA_API_KEY;
    else process.env.OLLAMA_API_KEY = envKey;
    await fake.stop();
  });

  it('takes the key the user set over OLLAMA_API_KEY, and ignores blanks', () => {
    assert.equal(ollamaApiKey({ OLLAMA_API_KEY: ' from-env ' }), 'from-env');
    assert.equal(ollamaApiKey({ OLLAMA_API_KEY: '  ' }), undefined);
    setOllamaApiKey('from-editor');
    assert.equal(ollamaApiKey({ OLLAMA_API_KEY: 'from-env' }), 'from-editor');
    setOllamaApiKey('   ');
    assert.equal(ollamaApiKey({}), undefined);
  });

  it('without a key: the probe says the server needs one (HTTP 401), and embedding fails with OllamaAuthError at once', async () => {
    const embedder = new Embedder({ host: fake.url, model: 'nomic-embed-text', retryBaseMs: 1 });
    const probe = await embedder.probe();
    assert.equal(probe.ok, false);
    assert.ok(!probe.ok && probe.reason === 'unauthorized', JSON.stringify(probe));
    assert.match(!probe.ok ? probe.message : '', /needs an API key \(HTTP 401\).*OLLAMA_API_KEY.*Lore: Set Ollama API Key/);
    const before = fake.requests.length;
    await assert.rejects(embedder.embed([{ hash: 'a', text: 'hello' }]), (err: Error) => err instanceof OllamaAuthError && err.status === 401);
    assert.equal(fake.requests.length - before, 1, 'a refusal is not retried');
  });

  it('with a wrong key: "refused the API key" (HTTP 403)', async () => {
    process.env.OLLAMA_API_KEY = 'wrong';
    const probe = await new Embedder({ host: fake.url, model: 'nomic-embed-text' }).probe();
    assert.ok(!probe.ok && probe.reason === 'unauthorized');
    assert.match(!probe.ok ? probe.message : '', /refused the API key \(HTTP 403\)/);
  });

  it('with the key (from OLLAMA_API_KEY or set by the editor): every request carries it, and embed, chat and the model list work', async () => {
    process.env.OLLAMA_API_KEY = 'team-secret';
    const embedder = new Embedder({ host: fake.url, model: 'nomic-embed-text' });
    assert.equal((await embedder.probe()).ok, true);
    const vectors = await embedder.embed([{ hash: 'a', text: 'hello' }, { hash: 'b', text: 'world' }]);
    assert.equal(vectors.length, 2);
    delete process.env.OLLAMA_API_KEY;
    setOllamaApiKey('team-secret');
    assert.ok((await listModels(fake.url)).includes('llama3.2:latest'));
    let answer = '';
    await streamChat({ host: fake.url, model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], numCtx: 2048, onToken: (t) => (answer += t) });
    assert.match(answer, /Fake answer to: hi/);
    assert.ok(fake.requests.length >= 5);
    for (const r of fake.requests) assert.equal(r.authorization, 'Bearer team-secret', `${r.method} ${r.path}`);
  });

  it('a chat refused for its key fails with OllamaAuthError naming the host', async () => {
    await assert.rejects(
      streamChat({ host: fake.url, model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], numCtx: 2048, onToken: () => {} }),
      (err: Error) => err instanceof OllamaAuthError && err.message.includes(fake.url) && /needs an API key/.test(err.message),
    );
  });

  it('sends no Authorization header when no key is set', async () => {
    const open = await FakeOllama.start();
    try {
      await new Embedder({ host: open.url, model: 'nomic-embed-text' }).embed([{ hash: 'a', text: 'x' }]);
      assert.ok(open.requests.every((r) => r.authorization === undefined));
    } finally {
      await open.stop();
    }
  });
});
