// Questions users really type or paste that a search engine can choke on: through the real
// pipeline (scanner, chunker, store, retriever) and through `lore query` as a user runs it.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Chunker } from '../../../src/core/chunk';
import { Indexer } from '../../../src/core/indexer';
import { Retriever } from '../../../src/core/retrieve';
import { LoreStore } from '../../../src/core/store';
import { assertCliBuilt, closedPortUrl, lore } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';


const FILES = {
  'src/http/retryPolicy.ts': 'export function fetchWithRetry(url: string, attempts = 3) {\n  // backoff doubles after each failed request\n  return attempts;\n}\n',
  'src/config/parse_config.py': 'def parse_config(text):\n    """Reads the settings file."""\n    return text.split("=")\n',
  'docs/guide.md': '# Guide\n\n## Retries\n\nFailed requests are retried with backoff.\n',
};

/** Must give no results: nothing in them can be searched for. */
const EMPTY_QUESTIONS = ['', '   \n\t ', 'what is the', 'How does it work?', '?!?', '(.*+?[]{}\\^$|)', '``` ```', '""', "''"];

/** Must give an answer or nothing, never an exception. */
const AWKWARD_QUESTIONS = [
  'the of and to in is it',
  'retry(.*)+$ [a-z]{2,} \\d+ ^fetch',
  '"unterminated quote about retries',
  "it's `half open code",
  'AND OR NOT * ~ ^ : - +retry -backoff',
  'Где настраиваются повторные попытки?',
  '重试策略在哪里配置？',
  'أين يتم تكوين إعادة المحاولة؟',
  '🔁 retry 🚀',
  '\u0000\u0001\ufffd\ud800 retry',
  'Traceback (most recent call last):\n  File "/home/u/app/src/config/parse_config.py", line 2, in parse_config\nValueError: bad "=" in settings',
  `TypeError: x is undefined\n${'    at fetchWithRetry (src/http/retryPolicy.ts:2:3)\n'.repeat(1800)}`,
  'retry '.repeat(20_000),
  'x'.repeat(100_000),
];

describe('bad input through the real retrieval pipeline', function () {
  this.timeout(60_000);
  let root: string;
  let storeDir: string;
  let store: LoreStore;
  let retriever: Retriever;

  before(async () => {
    root = makeTempDir();
    storeDir = makeTempDir('lore-bad-input-store-');
    writeTree(root, FILES);
    store = await LoreStore.open(storeDir);
    await new Indexer({ root, store, chunker: await Chunker.create(), maxFileBytes: 1 << 20 }).syncAll();
    retriever = new Retriever(store);
  });

  after(async () => {
    await store.close();
    removeDir(root);
    removeDir(storeDir);
  });

  it('answers empty, stop-word-only and punctuation-only questions with no results', async () => {
    for (const q of EMPTY_QUESTIONS) {
      assert.deepEqual((await retriever.retrieve(q, { k: 5 })).results, [], JSON.stringify(q));
      assert.deepEqual((await retriever.rankFiles(q, { k: 5 })).files, [], JSON.stringify(q));
    }
  });

  it('never throws on other scripts, regex metacharacters, quotes, control characters and 100 KB pastes', async () => {
    for (const q of AWKWARD_QUESTIONS) {
      const { results } = await retriever.retrieve(q, { k: 5 });
      assert.ok(results.length <= 5, q.slice(0, 30));
      for (const r of results) assert.ok(Object.keys(FILES).includes(r.chunk.path));
      assert.ok((await retriever.rankFiles(q, { k: 5 })).files.length <= 5);
    }
  });

  it('still finds the file a stack trace or a quoted question points at', async () => {
    const files = async (q: string) => (await retriever.rankFiles(q, { k: 3 })).files.map((f) => f.path);
    assert.equal((await files(AWKWARD_QUESTIONS[10]))[0], 'src/config/parse_config.py');
    assert.equal((await files(AWKWARD_QUESTIONS[11]))[0], 'src/http/retryPolicy.ts');
    assert.equal((await files('"unterminated quote about fetchWithRetry'))[0], 'src/http/retryPolicy.ts');
  });
});

describe('bad input through lore query', function () {
  this.timeout(120_000);
  let root: string;
  let storeDir: string;
  let host: string;

  before(async function () {
    assertCliBuilt();
    root = makeTempDir();
    storeDir = path.join(makeTempDir('lore-bad-input-cli-'), 'store');
    writeTree(root, FILES);
    host = await closedPortUrl();
    const index = await lore(['index', root, '--store', storeDir, '--no-embed', '--json']);
    assert.equal(index.code, 0, index.stderr);
  });

  after(() => {
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  it('prints empty results for empty and stop-word-only questions, and results or nothing for the rest, exit 0, no stack trace', async () => {
    // One process per question: a sample of each kind (argv cannot carry NUL, and an empty argument is a usage error).
    const kinds = [/^the of/, /^retry\(/, /^"unterminated/, /^Где/, /^重试/, /^أين/, /^TypeError/, /^x+$/];
    const sample = ['what is the', '(.*+?[]{}\\^$|)', '""', ...AWKWARD_QUESTIONS.filter((a) => kinds.some((kind) => kind.test(a)))];
    for (const q of sample) {
      const run = await lore(['query', root, q, '--store', storeDir, '--host', host, '--json', '-k', '3']);
      assert.equal(run.code, 0, `${q.slice(0, 30)}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      const { results } = JSON.parse(run.stdout) as { results: Array<{ path: string }> };
      assert.ok(results.length <= 3);
      if (EMPTY_QUESTIONS.includes(q)) assert.deepEqual(results, [], JSON.stringify(q));
    }
  });
});

