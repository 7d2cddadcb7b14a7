// The CLI contract (`lore index|query|status|ask`), run as a user runs it: the built dist/cli.js in a
// child process, against real folders and a real HTTP server speaking Ollama's API.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FakeOllama } from '../../support/fakeOllama';
import { assertCliBuilt, closedPortUrl, lore, REPO } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';


describe('lore CLI', function () {
  this.timeout(120_000);
  let root: string;
  let storeDir: string;
  let ollama: FakeOllama;

  before(assertCliBuilt);

  beforeEach(async () => {
    root = makeTempDir();
    storeDir = path.join(makeTempDir('lore-cli-store-'), 'store');
    writeTree(root, {
      'lib/parser.ts': 'export function parseConfigFile(text: string) {\n  return JSON.parse(text);\n}\n',
      'lib/http.ts': 'export async function fetchWithRetry(url: string) {\n  for (let i = 0; i < 3; i++) {\n    try { return await fetch(url); } catch {}\n  }\n}\n',
      'docs/guide.md': '# Guide\n\n## Configuration\n\nThe config file is parsed by parseConfigFile.\n',
    });
    ollama = await FakeOllama.start();
  });

  afterEach(async () => {
    await ollama.stop();
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  it('index --json prints the contract object; a second run embeds nothing', async () => {
    const first = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.deepEqual(Object.keys(summary).sort(), ['chunks', 'durationMs', 'embedded', 'files', 'mode', 'skipped']);
    assert.equal(summary.files, 3);
    assert.equal(summary.mode, 'hybrid');
    assert.equal(summary.embedded, summary.chunks);

    const second = JSON.parse((await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json'])).stdout);
    assert.equal(second.embedded, 0);
    assert.equal(second.chunks, summary.chunks);
  });

  it('query --json returns POSIX paths, lines, scores, text and provenance, best first', async () => {
    await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    const run = await lore(['query', root, 'where is the config file parsed?', '-k', '2', '--store', storeDir, '--host', ollama.url, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.mode, 'hybrid');
    assert.ok(out.results.length >= 1 && out.results.length <= 2);
    const top = out.results[0];
    assert.ok(['lib/parser.ts', 'docs/guide.md'].includes(top.path), top.path);
    assert.ok(top.startLine >= 1 && top.endLine >= top.startLine);
    assert.equal(typeof top.text, 'string');
    assert.ok(top.via.length >= 1 && top.via.every((v: string) => v === 'vector' || v === 'lexical'));
    for (let i = 1; i < out.results.length; i++) assert.ok(out.results[i - 1].score >= out.results[i].score);
  });

  it('runs lexical-only with one warning line and exit 0 when Ollama is unreachable', async () => {
    const host = await closedPortUrl();
    const index = await lore(['index', root, '--store', storeDir, '--host', host, '--json']);
    assert.equal(index.code, 0);
    assert.equal(JSON.parse(index.stdout).mode, 'lexical');
    assert.equal(index.stderr.trim().split('\n').length, 1, index.stderr);
    const query = await lore(['query', root, 'fetchWithRetry', '--store', storeDir, '--host', host, '--json']);
    assert.equal(query.code, 0);
    assert.equal(JSON.parse(query.stdout).results[0].path, 'lib/http.ts');
  });

  it('takes the host from $OLLAMA_HOST when --host is absent', async () => {
    const run = await lore(['index', root, '--store', storeDir, '--json'], { OLLAMA_HOST: ollama.url });
    assert.equal(JSON.parse(run.stdout).mode, 'hybrid');
    assert.ok(ollama.requests.some((r) => r.path === '/api/embed'));
  });

  it('--no-embed indexes lexically and sends nothing to Ollama', async () => {
    const run = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--no-embed', '--json']);
    assert.equal(JSON.parse(run.stdout).mode, 'lexical');
    assert.equal(ollama.requests.length, 0);
  });

  it('status --json reports files, chunks and vectors', async () => {
    await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    const run = await lore(['status', root, '--store', storeDir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout);
    assert.equal(s.files, 3);
    assert.equal(s.vectors, s.chunks);
    assert.equal(s.embedModel, 'nomic-embed-text');
  });

  for (const [args, pattern] of [
    [[], /Usage/],
    [['frobnicate', '.'], /unknown command 'frobnicate'/],
    [['index'], /takes a folder/],
    [['query', '.'], /a folder and a question/],
    [['query', '.', 'q', '-k', 'zero'], /-k takes a whole number/],
    [['ask', '.', 'q', '--max-context', '1024'], /--max-context takes a number of tokens from 2048/],
    [['ask', '.', 'q', '--max-context', 'lots'], /--max-context takes a number of tokens/],
    [['query', '.', 'q', '--max-context', '8192'], /max-context/],
    [['index', '.', '--bogus'], /bogus/],
    [['index', '.', '--host', 'ftp://x'], /scheme|http/i],
  ] as Array<[string[], RegExp]>) {
    it(`usage error exits 2 without a stack trace: lore ${args.join(' ')}`, async () => {
      const run = await lore(args);
      assert.equal(run.code, 2);
      assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  }

  it('a missing folder exits 1 with a clear message', async () => {
    const run = await lore(['index', path.join(root, 'nope'), '--store', storeDir]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /folder not found/);
  });

  it('querying a folder that was never indexed exits 1 and says how to fix it', async () => {
    const run = await lore(['query', root, 'anything', '--store', storeDir]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /lore index/);
  });

  it('an unusable store location exits 1 with a clear message', async () => {
    const file = path.join(path.dirname(storeDir), 'a-file');
    writeFileSync(file, 'not a folder');
    const run = await lore(['index', root, '--store', path.join(file, 'store'), '--no-embed']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot open the index/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('indexes a real code base from node_modules and finds a function by name', async () => {
    const pkg = path.join(REPO, 'node_modules/ignore');
    const index = await lore(['index', pkg, '--store', storeDir, '--no-embed', '--json']);
    assert.equal(index.code, 0, index.stderr);
    assert.ok(JSON.parse(index.stdout).files >= 3);
    const query = JSON.parse((await lore(['query', pkg, 'checkPath', '--store', storeDir, '--json'])).stdout);
    assert.ok(query.results.some((r: { text: string }) => r.text.includes('checkPath')));
  });
});
