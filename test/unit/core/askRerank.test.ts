// runAsk with and without `rerank`: a real folder indexed lexically by the real pipeline, answered by
// a real HTTP server speaking Ollama's API. What reaches the answer's prompt is what the rerank chose.
import * as assert from 'node:assert/strict';
import { runAsk, type AskOptions } from '../../../src/core/ask';
import { FakeOllama, type RecordedRequest } from '../../support/fakeOllama';
import { isAnswerRequest, observedRequests, promptSources, userPromptOf } from '../../support/fakeOllamaClient';
import { indexedFolder, type IndexedFolder } from '../../support/indexedFolder';

const QUESTION = 'how are failed requests retried?';

/** A rerank request, told apart from the answer (streamed) and the follow-up rewrite by its instructions. */
function isRerankRequest(request: RecordedRequest): boolean {
  return request.path === '/api/chat' && request.body?.stream === false && /search results/.test(request.body?.messages?.[0]?.content ?? '');
}

describe('runAsk with the chat-model rerank', function () {
  this.timeout(30_000);
  let folder: IndexedFolder;
  let fake: FakeOllama;
  /** The candidates the rerank prompt showed, in order, by path. */
  let rerankShown: string[];

  before(async () => {
    // Five files that all match the question, each its own excerpt.
    folder = await indexedFolder(
      'lore-ask-rerank-',
      Object.fromEntries(
        ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((name, i) => [
          `lib/${name}.ts`,
          `// Failed requests are retried here (${name}).\nexport function ${name}Retry(request: Request) {\n  return send(request, ${i + 1});\n}\n`,
        ]),
      ),
    );
  });
  after(() => folder.dispose());

  beforeEach(async () => {
    fake = await FakeOllama.start();
    rerankShown = [];
    // The rerank call picks the last two candidates it was shown, the last first; the answer is plain text.
    fake.chat.reply = (messages) => {
      if (!/search results/.test(messages[0]?.content ?? '')) return 'An answer [1].';
      rerankShown = promptSources(messages.at(-1)!.content).map((s) => s.path);
      return `[${rerankShown.length}, ${rerankShown.length - 1}]`;
    };
  });
  afterEach(async () => {
    await fake.stop();
  });

  function ask(extra: Partial<AskOptions> = {}) {
    return runAsk({
      root: folder.root,
      host: fake.url,
      model: 'llama3.2',
      question: QUESTION,
      k: 2,
      retriever: folder.retriever(),
      readCurrent: folder.readCurrent,
      onToken: () => {},
      ...extra,
    });
  }

  function answerSourcePaths(requests: RecordedRequest[]): string[] {
    const answers = requests.filter(isAnswerRequest);
    assert.equal(answers.length, 1);
    return promptSources(userPromptOf(answers[0])).map((s) => s.path);
  }

  it('off (the default): no rerank request, and the answer gets the top k of retrieval', async () => {
    const result = await ask();
    const { requests } = await observedRequests(fake.url);
    assert.equal(requests.filter(isRerankRequest).length, 0);
    assert.deepEqual(requests.map((r) => r.path), ['/api/show', '/api/chat']);
    const retrieved = (await folder.retriever().retrieve(QUESTION, { k: 2 })).results.map((r) => r.chunk.path);
    assert.deepEqual(answerSourcePaths(requests), retrieved);
    assert.deepEqual(result.sources.map((s) => s.chunk.path), retrieved);
  });

  it('on: one rerank request over a larger pool, and the answer gets the k it chose, in its order', async () => {
    const result = await ask({ rerank: true });
    const { requests } = await observedRequests(fake.url);
    const reranks = requests.filter(isRerankRequest);
    assert.equal(reranks.length, 1);
    assert.equal(reranks[0].body.options?.temperature, 0);
    assert.equal(reranks[0].body.options?.num_ctx, requests.find(isAnswerRequest)!.body.options?.num_ctx, 'same num_ctx as the answer: no model reload');
    assert.equal(rerankShown.length, 5, 'all five matches were candidates, not just k = 2');
    const chosen = [rerankShown[4], rerankShown[3]];
    assert.deepEqual(answerSourcePaths(requests), chosen);
    assert.deepEqual(result.sources.map((s) => s.chunk.path), chosen);
  });

  it('on, with a reply it cannot use: the answer gets the retrieval order', async () => {
    fake.chat.reply = (messages) => (/search results/.test(messages[0]?.content ?? '') ? 'I cannot rank these.' : 'An answer.');
    await ask({ rerank: true });
    const { requests } = await observedRequests(fake.url);
    assert.equal(requests.filter(isRerankRequest).length, 1);
    const retrieved = (await folder.retriever().retrieve(QUESTION, { k: 2 })).results.map((r) => r.chunk.path);
    assert.deepEqual(answerSourcePaths(requests), retrieved);
  });

  it('on, with a selection: no rerank request (the selection is what the question is about)', async () => {
    await ask({ rerank: true, selection: { path: 'lib/alpha.ts', startLine: 2, endLine: 4, language: 'typescript', text: 'export function alphaRetry(request: Request) {' } });
    const { requests } = await observedRequests(fake.url);
    assert.equal(requests.filter(isRerankRequest).length, 0);
    assert.equal(requests.filter(isAnswerRequest).length, 1);
  });

  it("on: the user's abort during the rerank stops the question before any answer is requested", async () => {
    const controller = new AbortController();
    const reason = new Error('stopped');
    // The user stops while the server is handling the rerank request.
    fake.chat.reply = (messages) => {
      if (/search results/.test(messages[0]?.content ?? '')) controller.abort(reason);
      return '[1]';
    };
    await assert.rejects(ask({ rerank: true, signal: controller.signal }), (err) => err === reason);
    assert.equal(fake.requests.filter(isRerankRequest).length, 1);
    assert.equal(fake.requests.filter(isAnswerRequest).length, 0);
  });
});
