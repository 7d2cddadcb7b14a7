// The context window an answer uses: Lore's default 8192, more when the user allows it (setting
// `lore.maxContextTokens`, `lore ask --max-context`), never more than the model has; a larger window
// carries more sources. A real folder indexed by the real pipeline, a real HTTP server speaking
// Ollama's API.
import * as assert from 'node:assert/strict';
import { runAsk, sourcesForWindow, type AskOptions } from '../../../src/core/ask';
import { FakeOllama } from '../../support/fakeOllama';
import { isAnswerRequest, observedRequests, promptSources, userPromptOf } from '../../support/fakeOllamaClient';
import { indexedFolder, type IndexedFolder } from '../../support/indexedFolder';

const QUESTION = 'how are failed requests retried?';
const MATCHING_FILES = 40;

describe('runAsk: the context window and the sources it holds', function () {
  this.timeout(30_000);
  let folder: IndexedFolder;
  let fake: FakeOllama;

  before(async () => {
    // Forty short files that all match the question: more than any window here asks for.
    folder = await indexedFolder(
      'lore-ask-window-',
      Object.fromEntries(
        Array.from({ length: MATCHING_FILES }, (_, i) => [
          `lib/client${i}.ts`,
          `// Failed requests are retried here (client ${i}).\nexport function retryFailed${i}(request: Request) {\n  return send(request, ${i + 1});\n}\n`,
        ]),
      ),
    );
  });
  after(() => folder.dispose());
  beforeEach(async () => {
    fake = await FakeOllama.start({ models: [{ name: 'small', kind: 'chat', contextLength: 8192 }, { name: 'long', kind: 'chat', contextLength: 131072 }, { name: 'mid', kind: 'chat', contextLength: 16384 }] });
    fake.chat.reply = 'An answer [1].';
  });
  afterEach(async () => {
    await fake.stop();
  });

  function ask(extra: Partial<AskOptions>) {
    return runAsk({
      root: folder.root,
      host: fake.url,
      model: 'long',
      question: QUESTION,
      retriever: folder.retriever(),
      readCurrent: folder.readCurrent,
      onToken: () => {},
      ...extra,
    });
  }

  /** The answer request's num_ctx and the number of sources its prompt shows. */
  async function answerRequest(): Promise<{ numCtx: unknown; sources: number }> {
    const answers = (await observedRequests(fake.url)).requests.filter(isAnswerRequest);
    assert.equal(answers.length, 1);
    return { numCtx: answers[0].body.options?.num_ctx, sources: promptSources(userPromptOf(answers[0])).length };
  }

  it('sourcesForWindow: 8 up to the default window, proportionally more above it, at most 32', () => {
    assert.deepEqual([2048, 8192, 12288, 16384, 32768, 131072, 1 << 20].map(sourcesForWindow), [8, 8, 12, 16, 32, 32, 32]);
  });

  it('by default a long-context model still gets 8192 tokens and 8 sources', async () => {
    const result = await ask({});
    assert.deepEqual(await answerRequest(), { numCtx: 8192, sources: 8 });
    assert.equal(result.sources.length, 8);
  });

  it('a larger window the user allows is used, with proportionally more sources', async () => {
    const result = await ask({ maxContextTokens: 32768 });
    assert.deepEqual(await answerRequest(), { numCtx: 32768, sources: 32 });
    assert.equal(result.sources.length, 32);
  });

  it("the model's own context length caps what the user allows", async () => {
    await ask({ model: 'mid', maxContextTokens: 65536 });
    assert.deepEqual(await answerRequest(), { numCtx: 16384, sources: 16 });
  });

  it('an explicit k wins over the window', async () => {
    await ask({ maxContextTokens: 32768, k: 3 });
    assert.deepEqual(await answerRequest(), { numCtx: 32768, sources: 3 });
  });

  for (const bad of [1024, 8192.5, Number.NaN, 2 ** 21]) {
    it(`maxContextTokens ${bad}: a clear error before anything is sent`, async () => {
      await assert.rejects(ask({ maxContextTokens: bad }), /maxContextTokens must be a whole number from 2048 to 1048576/);
      assert.equal(fake.requests.length, 0);
    });
  }
});
