import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Ollama, type ChatResponse, type ProgressResponse } from 'ollama';
import { FAKE_STREAM_ERROR, FakeOllama, fakeEmbedding, identifierWords, splitTokens } from '../../support/fakeOllama';

function dot(a: number[], b: number[]): number {
  return a.reduce((s, x, i) => s + x * b[i], 0);
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: { error: string; embeddings?: number[][] } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { error: string; embeddings?: number[][] } };
}

/** The HTTP status an `ollama` client error carries (its ResponseError's `status_code`). */
function statusOf(err: unknown): number | undefined {
  return (err as { status_code?: number }).status_code;
}

describe('FakeOllama', () => {
  let fake: FakeOllama;
  let client: Ollama;

  beforeEach(async () => {
    fake = await FakeOllama.start();
    client = new Ollama({ host: fake.url });
  });
  afterEach(() => fake.stop());

  it('answers the root, version and tags like Ollama', async () => {
    const root = await fetch(fake.url);
    assert.equal(await root.text(), 'Ollama is running');
    assert.equal((await fetch(fake.url, { method: 'HEAD' })).status, 200);
    assert.match((await client.version()).version, /^\d+\.\d+\.\d+$/);
    const names = (await client.list()).models.map((m) => m.name).sort();
    assert.deepEqual(names, ['llama3.2:latest', 'nomic-embed-text:latest']);
    assert.equal((await fetch(`${fake.url}/api/nothing`)).status, 404);
    assert.equal((await fetch(`${fake.url}/api/embed`)).status, 405);
  });

  it('describes models through /api/show, and 404s unknown ones', async () => {
    const embed = await client.show({ model: 'nomic-embed-text' });
    const info = embed.model_info as unknown as Record<string, unknown>;
    const arch = info['general.architecture'];
    assert.equal(info[`${arch}.context_length`], 2048);
    assert.equal(info[`${arch}.embedding_length`], 64);
    assert.deepEqual(embed.capabilities, ['embedding']);
    const chat = await client.show({ model: 'llama3.2:latest' });
    assert.ok(chat.capabilities.includes('completion'));
    await assert.rejects(client.show({ model: 'nope' }), (err: Error) => statusOf(err) === 404 && /not found/.test(err.message));
  });

  it('embeds a string or a list with the deterministic fake embedding', async () => {
    fake.addModel({ name: 'small', kind: 'embed', dims: 8 });
    const one = await client.embed({ model: 'small', input: 'parseConfig file' });
    assert.deepEqual(one.embeddings, [fakeEmbedding('parseConfig file', 8)]);
    const many = await client.embed({ model: 'nomic-embed-text', input: ['a b', 'c'] });
    assert.deepEqual(many.embeddings, [fakeEmbedding('a b', 64), fakeEmbedding('c', 64)]);
    assert.deepEqual(fake.requests.at(-1), { method: 'POST', path: '/api/embed', body: { model: 'nomic-embed-text', input: ['a b', 'c'] }, status: 200 });
  });

  it('rejects bad embed requests as Ollama does', async () => {
    assert.equal((await postJson(`${fake.url}/api/embed`, { model: 'missing', input: 'x' })).json.error, 'model "missing" not found, try pulling it first');
    const chatModel = await postJson(`${fake.url}/api/embed`, { model: 'llama3.2', input: 'x' });
    assert.equal(chatModel.status, 400);
    assert.match(chatModel.json.error, /does not support embeddings/);
    assert.equal((await postJson(`${fake.url}/api/embed`, { model: 'nomic-embed-text', input: [1, 2] })).status, 400);
    assert.equal((await postJson(`${fake.url}/api/embed`, { input: 'x' })).status, 400);
    const notJson = await fetch(`${fake.url}/api/embed`, { method: 'POST', body: '{oops' });
    assert.equal(notJson.status, 400);
  });

  it('refuses over-long input only when truncate is false', async () => {
    fake.addModel({ name: 'tiny', kind: 'embed', dims: 4, contextLength: 10 });
    const long = 'word '.repeat(20);
    const refused = await postJson(`${fake.url}/api/embed`, { model: 'tiny', input: ['ok', long], truncate: false });
    assert.equal(refused.status, 400);
    assert.match(refused.json.error, /input length exceeds the context length/);
    const truncated = await postJson(`${fake.url}/api/embed`, { model: 'tiny', input: [long] });
    assert.deepEqual(truncated.json.embeddings, [fakeEmbedding(long.slice(0, 40), 4)]);
  });

  it('streams a chat reply token by token that the ollama client reassembles', async () => {
    fake.chat.reply = (messages) => `You said ${messages.at(-1)?.content}`;
    const parts: string[] = [];
    let final: ChatResponse | undefined;
    for await (const part of await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hello there' }], stream: true })) {
      if (part.done) final = part;
      else parts.push(part.message.content);
    }
    assert.deepEqual(parts, ['You', ' said', ' hello', ' there']);
    assert.ok(final);
    assert.equal(final.done_reason, 'stop');
    assert.equal(final.eval_count, 4);
    assert.ok(final.prompt_eval_count > 0);
  });

  it('answers a non-streamed chat with one object', async () => {
    fake.chat.reply = 'All in one.';
    const res = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'q' }], stream: false });
    assert.equal(res.message.content, 'All in one.');
    assert.equal(res.done, true);
  });

  it('sends an error line mid-stream when asked to', async () => {
    fake.chat.reply = 'one two three four';
    fake.chat.errorAfterTokens = 2;
    const parts: string[] = [];
    await assert.rejects(async () => {
      for await (const part of await client.chat({ model: 'llama3.2', messages: [], stream: true })) parts.push(part.message.content);
    }, new RegExp(FAKE_STREAM_ERROR));
    assert.deepEqual(parts, ['one', ' two']);
  });

  it('rejects chat with unknown or embedding models', async () => {
    await assert.rejects(client.chat({ model: 'nope', messages: [] }), (err) => statusOf(err) === 404);
    await assert.rejects(client.chat({ model: 'nomic-embed-text', messages: [] }), (err) => statusOf(err) === 400);
  });

  it('stops streaming when the client disconnects', async () => {
    fake.chat.reply = 'a '.repeat(200).trim();
    fake.chat.tokenDelayMs = 5;
    const stream = await client.chat({ model: 'llama3.2', messages: [], stream: true });
    let received = 0;
    await assert.rejects(async () => {
      for await (const _part of stream) {
        if (++received === 3) stream.abort();
      }
    }, /abort/i);
    await waitFor(() => fake.abortedChats === 1);
    assert.equal(fake.abortedChats, 1);
  });

  it('pulls a registry model with progress, adding it, and fails unknown names with an error line', async () => {
    const fresh = await FakeOllama.start({ pullable: [{ name: 'all-minilm', kind: 'embed', dims: 16 }] });
    try {
      const c = new Ollama({ host: fresh.url });
      const lines: ProgressResponse[] = [];
      for await (const line of await c.pull({ model: 'all-minilm', stream: true })) lines.push(line);
      assert.equal(lines.at(-1)?.status, 'success');
      const withBytes = lines.filter((l) => l.total);
      assert.ok(withBytes.length >= 2);
      assert.equal(withBytes.at(-1)?.completed, withBytes.at(-1)?.total);
      assert.ok(fresh.hasModel('all-minilm'));
      assert.equal((await c.embed({ model: 'all-minilm', input: 'x' })).embeddings[0].length, 16);

      await assert.rejects(async () => {
        for await (const _line of await c.pull({ model: 'no-such-model', stream: true })) {
          // drain
        }
      }, /file does not exist/);
      assert.equal(fresh.hasModel('no-such-model'), false);
    } finally {
      await fresh.stop();
    }
  });

  it('records every request and serves failNext errors first', async () => {
    fake.faults.failNext = 2;
    fake.faults.failStatus = 503;
    await assert.rejects(client.version(), (err) => statusOf(err) === 503);
    await assert.rejects(client.list(), (err) => statusOf(err) === 503);
    assert.ok((await client.version()).version);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /api/version', 'GET /api/tags', 'GET /api/version'],
    );
  });

  it('returns longer vectors with wrongDims', async () => {
    fake.faults.wrongDims = true;
    assert.equal((await client.embed({ model: 'nomic-embed-text', input: 'x' })).embeddings[0].length, 65);
  });

  it('holds requests while hanging and answers them once released', async () => {
    fake.faults.hang = true;
    const pending = client.version();
    await waitFor(() => fake.requests.length === 1);
    let answered = false;
    void pending.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(answered, false);
    fake.faults.hang = false;
    assert.ok((await pending).version);
  });

  it('refuses connections while down and comes back on the same port', async () => {
    const url = fake.url;
    await fake.goDown();
    await assert.rejects(fetch(`${url}/api/version`), (err: Error) => (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED');
    await fake.restart();
    assert.equal(fake.url, url);
    assert.equal((await fetch(`${url}/api/version`)).status, 200);
  });

  it('observes how many requests are in flight at once', async () => {
    fake.faults.latencyMs = 30;
    await Promise.all([client.version(), client.version(), client.version()]);
    assert.equal(fake.maxInFlight, 3);
    assert.equal(fake.inFlight, 0);
  });

  it('serves its recorded requests and aborted chats to other processes, without recording that', async () => {
    await client.embed({ model: 'nomic-embed-text', input: 'x' });
    fake.abortedChats = 2;
    const res = await fetch(`${fake.url}/__requests`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { requests: [{ method: 'POST', path: '/api/embed', body: { model: 'nomic-embed-text', input: 'x' }, status: 200 }], abortedChats: 2 });
    assert.equal(fake.requests.length, 1);
    assert.equal((await fetch(`${fake.url}/__nothing`)).status, 404);
  });

  it('takes the chat reply and token delay from POST /__chat, and refuses bad values unchanged', async () => {
    assert.equal((await postJson(`${fake.url}/__chat`, { reply: 'set remotely', tokenDelayMs: 3 })).status, 200);
    assert.equal(fake.chat.tokenDelayMs, 3);
    assert.equal((await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] })).message.content, 'set remotely');
    for (const bad of [{ reply: 42 }, { tokenDelayMs: -1 }, { tokenDelayMs: 'slow' }]) {
      const res = await postJson(`${fake.url}/__chat`, bad);
      assert.equal(res.status, 400);
      assert.match(res.json.error, /must be/);
    }
    assert.equal(fake.chat.reply, 'set remotely');
    assert.equal(fake.chat.tokenDelayMs, 3);
    assert.deepEqual(fake.requests.map((r) => r.path), ['/api/chat']);
  });

  it('runs as a separate process that prints its URL and stops on SIGTERM', async () => {
    const main = path.join(__dirname, '..', '..', 'support', 'fakeOllamaMain.js');
    const child = spawn(process.execPath, [main], { env: { ...process.env, FAKE_OLLAMA_REPLY: 'from the child' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /FAKE_OLLAMA_URL=(\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const c = new Ollama({ host: url });
      assert.equal((await c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] })).message.content, 'from the child');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits with an error for a bad port argument', async () => {
    const main = path.join(__dirname, '..', '..', 'support', 'fakeOllamaMain.js');
    const child = spawn(process.execPath, [main, 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /invalid port "eighty"/);
  });
});

describe('fakeEmbedding', () => {
  it('splits identifiers into lowercased words', () => {
    assert.deepEqual(identifierWords('parseHTTPRequest load_config_v2 Émile'), ['parse', 'http', 'request', 'load', 'config', 'v', '2', 'émile']);
  });

  it('is unit length, deterministic, and closer for texts sharing words', () => {
    const a = fakeEmbedding('readConfigFile', 64);
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-9);
    assert.deepEqual(a, fakeEmbedding('read_config_file', 64));
    const near = fakeEmbedding('read the config', 64);
    const far = fakeEmbedding('render button color', 64);
    assert.ok(dot(a, near) > dot(a, far));
  });

  it('gives a unit vector for text without words', () => {
    const v = fakeEmbedding('  ...  ', 8);
    assert.equal(dot(v, v), 1);
  });

  it('splits a reply into tokens that join back to it', () => {
    const reply = 'Hello,  world!\nNext line ';
    assert.equal(splitTokens(reply).join(''), reply);
    assert.deepEqual(splitTokens('a b'), ['a', ' b']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
