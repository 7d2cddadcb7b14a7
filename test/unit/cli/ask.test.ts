// `lore ask` as a user runs it: the built dist/cli.js in a child process, on a real folder indexed by
// `lore index`, answered by a real HTTP server speaking Ollama's API.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { FakeOllama } from '../../support/fakeOllama';
import { isAnswerRequest, promptSources, userPromptOf } from '../../support/fakeOllamaClient';
import { CLI, closedPortUrl, startLore, type CliRun } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

/** Runs the CLI; `onStdout` sees the output as it arrives. */
function lore(args: string[], onStdout?: (soFar: string) => void): Promise<CliRun> {
  return startLore(args, {}, onStdout).done;
}

const STACK_TRACE = /\n\s+at /;

describe('lore ask', function () {
  this.timeout(60_000);
  let root: string;
  let storeDir: string;
  let ollama: FakeOllama;

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });

  beforeEach(async () => {
    root = makeTempDir();
    storeDir = path.join(makeTempDir('lore-ask-store-'), 'store');
    writeTree(root, {
      'lib/parser.ts': 'export function parseConfigFile(text: string) {\n  return JSON.parse(text);\n}\n',
      'lib/http.ts': 'export async function fetchWithRetry(url: string) {\n  for (let i = 0; i < 3; i++) {\n    try { return await fetch(url); } catch {}\n  }\n}\n',
      'docs/guide.md': '# Guide\n\n## Configuration\n\nThe config file is parsed by parseConfigFile.\n',
    });
    ollama = await FakeOllama.start();
    const indexed = await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    assert.equal(indexed.code, 0, indexed.stderr);
  });

  afterEach(async () => {
    await ollama.stop();
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  it('streams the answer to stdout, then lists the numbered sources the model was given', async () => {
    const reply = 'The config file is parsed by parseConfigFile [1].';
    ollama.chat.reply = reply;
    // Slow enough that the answer is still streaming when its first word reaches stdout.
    ollama.chat.tokenDelayMs = 100;
    let streamingWhenFirstWordArrived: boolean | undefined;
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', ollama.url], (soFar) => {
      if (streamingWhenFirstWordArrived === undefined && soFar.startsWith('The')) streamingWhenFirstWordArrived = ollama.inFlight > 0;
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(streamingWhenFirstWordArrived, true, 'the first word reached stdout only after the answer had ended');

    const [answer, sourcesPart] = run.stdout.split('\n\nSources:\n');
    assert.equal(answer, reply);
    assert.ok(sourcesPart, `no Sources section in:\n${run.stdout}`);
    const lines = sourcesPart.trimEnd().split('\n');
    assert.ok(lines.length >= 2, run.stdout);
    const printed = lines.map((line, i) => {
      const m = /^\[(\d+)\] (\S+):(\d+)-(\d+)$/.exec(line);
      assert.ok(m, `not a "[n] path:start-end" line: ${line}`);
      assert.equal(Number(m[1]), i + 1);
      return { n: Number(m[1]), path: m[2], startLine: Number(m[3]), endLine: Number(m[4]) };
    });
    assert.ok(printed.some((s) => s.path === 'lib/parser.ts'), run.stdout);

    const answers = ollama.requests.filter(isAnswerRequest);
    assert.equal(answers.length, 1);
    const prompt = userPromptOf(answers[0]);
    assert.ok(prompt.includes('where is the config file parsed?'), prompt);
    assert.deepEqual(promptSources(prompt).map(({ n, path: p, startLine, endLine }) => ({ n, path: p, startLine, endLine })), printed);
    assert.ok(prompt.includes('return JSON.parse(text);'), 'the source text itself is in the prompt');
  });

  it('uses the chat model named by --model', async () => {
    ollama.addModel({ name: 'qwen2.5-coder:7b', kind: 'chat' });
    const run = await lore(['ask', root, 'what does fetchWithRetry do?', '--store', storeDir, '--host', ollama.url, '--model', 'qwen2.5-coder:7b']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(ollama.requests.filter(isAnswerRequest).map((r) => r.body.model), ['qwen2.5-coder:7b']);
  });

  it('--max-context lets a long-context model use a larger window (default 8192)', async () => {
    ollama.addModel({ name: 'long-ctx', kind: 'chat', contextLength: 65536 });
    const question = 'what does fetchWithRetry do?';
    const byDefault = await lore(['ask', root, question, '--store', storeDir, '--host', ollama.url, '--model', 'long-ctx']);
    const allowed = await lore(['ask', root, question, '--store', storeDir, '--host', ollama.url, '--model', 'long-ctx', '--max-context', '32768']);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(ollama.requests.filter(isAnswerRequest).map((r) => r.body.options?.num_ctx), [8192, 32768]);
  });

  it('exits 1 with a clear message, and no stack trace, when Ollama is unreachable', async () => {
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', await closedPortUrl()]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^lore: Cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+ .*ollama serve/m);
    assert.doesNotMatch(run.stderr, STACK_TRACE);
    assert.equal(run.stdout, '', 'no partial answer or sources');
  });

  it('exits 1 with a clear message, and no stack trace, when the chat model is not installed', async () => {
    ollama.removeModel('llama3.2');
    const run = await lore(['ask', root, 'where is the config file parsed?', '--store', storeDir, '--host', ollama.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^lore: Chat model "llama3\.2" is not installed in Ollama at .*ollama pull llama3\.2/m);
    assert.doesNotMatch(run.stderr, STACK_TRACE);
    assert.equal(run.stdout, '');
    assert.equal(ollama.requests.filter(isAnswerRequest).length, 0, 'no answer was requested');
  });

  it('exits 1 and says how to fix it when the folder was never indexed', async () => {
    const fresh = path.join(path.dirname(storeDir), 'never-indexed');
    const before = ollama.requests.length;
    const run = await lore(['ask', root, 'anything', '--store', fresh, '--host', ollama.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no index at .*lore index/);
    assert.equal(ollama.requests.length, before, 'nothing was sent to Ollama');
  });
});
