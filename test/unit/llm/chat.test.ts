import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelMissingError, OllamaUnavailableError } from '../../../src/core/ollama';
import { ChatFailedError, ChatModelMissingError, ChatTimeoutError, getChatModelInfo, standaloneQuery, streamChat } from '../../../src/core/llm';
import type { ChatMessage } from '../../../src/core/prompt';
import { FakeOllama, FAKE_STREAM_ERROR } from '../../support/fakeOllama';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Answer from the sources.' },
  { role: 'user', content: 'Where is parseConfig defined?' },
];

/** Polls `condition` (the server notices a disconnect asynchronously). */
async function eventually(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('chat client (Ollama-API server)', function () {
  this.timeout(20_000);
  let fake: FakeOllama;

  beforeEach(async () => {
    fake = await FakeOllama.start({
      models: [
        { name: 'llama3.2', kind: 'chat' },
        { name: 'qwen-long', kind: 'chat', contextLength: 32768 },
        { name: 'nomic-embed-text', kind: 'embed' },
      ],
    });
  });
  afterEach(async () => {
    fake.faults.hang = false;
    await fake.stop();
  });

  describe('getChatModelInfo', () => {
    it("reads the model's context length from /api/show", async () => {
      assert.deepEqual(await getChatModelInfo(fake.url, 'llama3.2'), { contextLength: 8192 });
      assert.deepEqual(await getChatModelInfo(fake.url, 'qwen-long'), { contextLength: 32768 });
      assert.deepEqual(fake.requests.map((r) => [r.path, r.body.model]), [
        ['/api/show', 'llama3.2'],
        ['/api/show', 'qwen-long'],
      ]);
    });

    it('falls back to 4096 when the model reports no context length', async () => {
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: {}, model_info: { 'general.architecture': 'mystery' } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        assert.deepEqual(await getChatModelInfo(url, 'mystery'), { contextLength: 4096 });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('reports a missing model as ChatModelMissingError, a ModelMissingError with a chat remedy', async () => {
      const err = await getChatModelInfo(fake.url, 'not-pulled').catch((e: unknown) => e);
      assert.ok(err instanceof ChatModelMissingError && err instanceof ModelMissingError, String(err));
      assert.match((err as Error).message, /Chat model "not-pulled" is not installed.*ollama pull not-pulled.*lore\.chatModel/);
    });

    it('reports an unreachable server as OllamaUnavailableError', async () => {
      await fake.goDown();
      await assert.rejects(getChatModelInfo(fake.url, 'llama3.2'), (err: Error) => err instanceof OllamaUnavailableError && /Cannot reach Ollama/.test(err.message));
    });

    it('rejects an empty model name before asking', async () => {
      await assert.rejects(getChatModelInfo(fake.url, ' '), RangeError);
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('streamChat', () => {
    it('delivers the tokens in order and resolves with the whole answer', async () => {
      fake.chat.reply = 'parseConfig is defined in src/config.ts [1], and called from the loader [2].';
      const tokens: string[] = [];
      const text = await streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 6144, onToken: (t) => tokens.push(t) });
      assert.equal(text, fake.chat.reply);
      assert.ok(tokens.length > 5, 'streamed token by token');
      assert.equal(tokens.join(''), fake.chat.reply);
    });

    it('sends num_ctx explicitly, streaming, with the messages as given', async () => {
      await streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 6144, onToken: () => {} });
      const request = fake.requests.find((r) => r.path === '/api/chat')!;
      assert.equal(request.body.options?.num_ctx, 6144);
      assert.equal(request.body.stream, true);
      assert.deepEqual(request.body.messages, MESSAGES);
    });

    it('stops at once on abort, and the server sees the disconnect', async () => {
      fake.chat.reply = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
      fake.chat.tokenDelayMs = 20;
      const controller = new AbortController();
      const tokens: string[] = [];
      const answer = streamChat({
        host: fake.url,
        model: 'llama3.2',
        messages: MESSAGES,
        numCtx: 4096,
        signal: controller.signal,
        onToken: (t) => {
          tokens.push(t);
          if (tokens.length === 3) controller.abort();
        },
      });
      await assert.rejects(answer, { name: 'AbortError' });
      assert.equal(tokens.length, 3, 'no token is delivered after the abort');
      await eventually(() => fake.abortedChats === 1, 'the server saw the client disconnect');
    });

    it('rejects at once when the signal is already aborted, without a request', async () => {
      await assert.rejects(streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 4096, signal: AbortSignal.abort(), onToken: () => {} }), {
        name: 'AbortError',
      });
      assert.equal(fake.requests.length, 0);
    });

    it('surfaces an error sent mid-stream, after the tokens before it', async () => {
      fake.chat.reply = 'one two three four five';
      fake.chat.errorAfterTokens = 2;
      const tokens: string[] = [];
      await assert.rejects(
        streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 4096, onToken: (t) => tokens.push(t) }),
        (err: Error) => err instanceof ChatFailedError && err.message.includes(FAKE_STREAM_ERROR),
      );
      assert.deepEqual(tokens, ['one', ' two']);
    });

    it('gives a clear timeout error when the server hangs before the first token, and closes the request', async () => {
      fake.faults.hang = true;
      await assert.rejects(
        streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 4096, onToken: () => {}, firstTokenTimeoutMs: 300 }),
        (err: Error) => err instanceof ChatTimeoutError && /did not start answering with "llama3\.2" within 300 ms/.test(err.message),
      );
      await eventually(() => fake.inFlight === 0, 'the held request was closed');
    });

    it('gives a clear timeout error when tokens stop coming', async () => {
      fake.chat.reply = 'first second third';
      fake.chat.tokenDelayMs = 1500;
      const tokens: string[] = [];
      await assert.rejects(
        streamChat({ host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 4096, onToken: (t) => tokens.push(t), idleTimeoutMs: 300 }),
        (err: Error) => err instanceof ChatTimeoutError && /stopped answering/.test(err.message),
      );
      assert.deepEqual(tokens, ['first']);
    });

    it('reports a missing model, a failing server and an unreachable one with distinct errors', async () => {
      const call = (model = 'llama3.2') => streamChat({ host: fake.url, model, messages: MESSAGES, numCtx: 4096, onToken: () => {} });
      await assert.rejects(call('not-pulled'), ChatModelMissingError);
      await assert.rejects(call('nomic-embed-text'), (err: Error) => err instanceof ChatFailedError && /does not support chat/.test(err.message));
      fake.faults.failNext = 1;
      await assert.rejects(call(), (err: Error) => err instanceof ChatFailedError && /HTTP 500/.test(err.message));
      await fake.goDown();
      await assert.rejects(call(), OllamaUnavailableError);
    });

    it('lets an error thrown by onToken through unchanged and closes the stream', async () => {
      fake.chat.reply = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
      fake.chat.tokenDelayMs = 10;
      const boom = new Error('view disposed');
      await assert.rejects(
        streamChat({
          host: fake.url,
          model: 'llama3.2',
          messages: MESSAGES,
          numCtx: 4096,
          onToken: () => {
            throw boom;
          },
        }),
        (err: unknown) => err === boom,
      );
      await eventually(() => fake.abortedChats === 1, 'the stream was closed');
    });

    it('rejects bad arguments before sending anything', async () => {
      const ok = { host: fake.url, model: 'llama3.2', messages: MESSAGES, numCtx: 4096, onToken: () => {} };
      for (const numCtx of [0, -1, 2.5, Number.NaN]) await assert.rejects(streamChat({ ...ok, numCtx }), RangeError);
      await assert.rejects(streamChat({ ...ok, messages: [] }), RangeError);
      await assert.rejects(streamChat({ ...ok, model: '' }), RangeError);
      await assert.rejects(streamChat({ ...ok, firstTokenTimeoutMs: 0 }), RangeError);
      await assert.rejects(streamChat({ ...ok, host: 'ftp://example' }), /Unsupported Ollama host/);
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('standaloneQuery', () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'What does parseConfig do?' },
      { role: 'assistant', content: 'It parses the JSON settings file [1].' },
    ];

    it('returns the question unchanged, without calling the model, when there is no history', async () => {
      assert.equal(await standaloneQuery({ host: fake.url, model: 'llama3.2', question: 'and where is it called?', history: [] }), 'and where is it called?');
      assert.equal(fake.requests.length, 0);
    });

    it('rewrites a follow-up with the model: non-streamed, temperature 0, the history in the prompt', async () => {
      fake.chat.reply = 'call sites of parseConfig';
      const query = await standaloneQuery({ host: fake.url, model: 'llama3.2', question: 'and where is it called?', history });
      assert.equal(query, 'call sites of parseConfig');
      const request = fake.requests.find((r) => r.path === '/api/chat')!;
      assert.equal(request.body.stream, false);
      assert.equal(request.body.options?.temperature, 0);
      assert.ok(request.body.options?.num_ctx === undefined, 'no num_ctx unless given');
      const prompt = (request.body.messages ?? []).map((m) => m.content).join('\n');
      assert.ok(prompt.includes('What does parseConfig do?') && prompt.includes('and where is it called?'));
    });

    it('passes num_ctx through when given, so Ollama does not reload the model', async () => {
      fake.chat.reply = 'parseConfig callers';
      await standaloneQuery({ host: fake.url, model: 'llama3.2', question: 'and its callers?', history, numCtx: 8192 });
      assert.equal(fake.requests.find((r) => r.path === '/api/chat')!.body.options?.num_ctx, 8192);
    });

    it('cleans labels, quotes and reasoning off the reply, and keeps identifiers the model dropped', async () => {
      fake.chat.reply = '<think>The user means the function.</think>\nQuery: "where the function is called"';
      const query = await standaloneQuery({ host: fake.url, model: 'llama3.2', question: 'and where is `parseConfig` called in src/app.ts?', history });
      assert.equal(query, 'where the function is called src/app.ts parseConfig');
    });

    it('falls back to the raw question on timeout', async () => {
      fake.faults.latencyMs = 1500;
      const question = 'and where is it called?';
      assert.equal(await standaloneQuery({ host: fake.url, model: 'llama3.2', question, history, timeoutMs: 200 }), question);
    });

    it('falls back to the raw question on an error, an empty or a rambling reply, and an unreachable server', async () => {
      const question = 'and where is it called?';
      const ask = () => standaloneQuery({ host: fake.url, model: 'llama3.2', question, history });
      fake.faults.failNext = 1;
      assert.equal(await ask(), question);
      fake.chat.reply = '   ';
      assert.equal(await ask(), question);
      fake.chat.reply = 'Sure! '.repeat(100);
      assert.equal(await ask(), question);
      assert.equal(await standaloneQuery({ host: fake.url, model: 'not-pulled', question, history }), question);
      await fake.goDown();
      assert.equal(await ask(), question);
    });

    it("rejects with the caller's abort instead of falling back", async () => {
      fake.faults.latencyMs = 1500;
      const controller = new AbortController();
      const pending = standaloneQuery({ host: fake.url, model: 'llama3.2', question: 'and then?', history, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(pending, { name: 'AbortError' });
    });
  });
});
