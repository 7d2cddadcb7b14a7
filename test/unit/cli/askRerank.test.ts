// `lore ask --rerank` as a user runs it: the built dist/cli.js in a child process, against a real HTTP
// server speaking Ollama's API. The rerank call is the non-streamed chat whose instructions rank search results.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FakeOllama, type RecordedRequest } from '../../support/fakeOllama';
import { isAnswerRequest, promptSources, userPromptOf } from '../../support/fakeOllamaClient';
import { assertCliBuilt, lore } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

function isRerankRequest(request: RecordedRequest): boolean {
  return request.path === '/api/chat' && request.body?.stream === false && /search results/.test(request.body?.messages?.[0]?.content ?? '');
}

describe('lore ask --rerank', function () {
  this.timeout(60_000);
  let root: string;
  let storeDir: string;
  let ollama: FakeOllama;

  before(() => assertCliBuilt());

  beforeEach(async () => {
    root = makeTempDir();
    storeDir = path.join(makeTempDir('lore-ask-rerank-store-'), 'store');
    writeTree(root, {
      'lib/parser.ts': 'export function parseConfigFile(text: string) {\n  return JSON.parse(text);\n}\n',
      'docs/guide.md': '# Guide\n\n## Configuration\n\nThe config file is parsed by parseConfigFile.\n',
    });
    ollama = await FakeOllama.start();
    const indexed = await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    assert.equal(indexed.code, 0, indexed.stderr);
    // The rerank puts its last candidate first; the answer is plain text.
    ollama.chat.reply = (messages) => {
      if (!/search results/.test(messages[0]?.content ?? '')) return 'Parsed by parseConfigFile [1].';
      return `[${promptSources(messages.at(-1)!.content).length}]`;
    };
  });

  afterEach(async () => {
    await ollama.stop();
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  it('asks the chat model to rerank, and the answer and the printed sources follow its order', async () => {
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', ollama.url, '--rerank']);
    assert.equal(run.code, 0, run.stderr);
    const reranks = ollama.requests.filter(isRerankRequest);
    assert.equal(reranks.length, 1);
    const shown = promptSources(userPromptOf(reranks[0])).map((s) => s.path);
    assert.ok(shown.length >= 2, `rerank candidates: ${shown.join(', ')}`);
    const answerSources = promptSources(userPromptOf(ollama.requests.find(isAnswerRequest)!)).map((s) => s.path);
    assert.equal(answerSources[0], shown.at(-1));
    const printed = run.stdout.split('\n\nSources:\n')[1].trimEnd().split('\n');
    assert.match(printed[0], new RegExp(`^\\[1\\] ${shown.at(-1)!.replace('.', '\\.')}:`));
  });

  it('does not rerank without the flag', async () => {
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', ollama.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(ollama.requests.filter(isRerankRequest).length, 0);
    assert.equal(ollama.requests.filter(isAnswerRequest).length, 1);
  });

  it('rejects a value given to --rerank as a usage error (exit 2), asking nothing', async () => {
    const before = ollama.requests.length;
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', ollama.url, '--rerank=yes']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /rerank/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    assert.equal(ollama.requests.length, before);
  });
});
