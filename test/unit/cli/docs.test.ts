// `--docs DIR` as a user runs it: the built dist/cli.js (with pdf.js shipped in dist/pdfjs), a
// workspace with a notebook, and a docs folder outside it with a PDF, an HTML page and bad files.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { assertCliBuilt, lore, REPO } from '../../support/cli';
import { FakeOllama } from '../../support/fakeOllama';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const fixture = (name: string): Buffer => readFileSync(path.join(REPO, 'test', 'fixtures', 'docs', name));

describe('lore CLI --docs', function () {
  this.timeout(120_000);
  let root: string;
  let docs: string;
  let storeDir: string;

  before(assertCliBuilt);

  beforeEach(() => {
    root = makeTempDir();
    docs = makeTempDir('lore-cli-docs-');
    storeDir = path.join(makeTempDir('lore-cli-store-'), 'store');
    const pdf = fixture('r-intro-p13-18.pdf');
    writeTree(root, { 'analysis/code-cells.ipynb': fixture('nbsphinx-code-cells.ipynb'), 'src/main.ts': 'export const main = 1;\n' });
    writeTree(docs, { 'R-intro.pdf': pdf, 'heapq.html': fixture('python-heapq.html'), 'truncated.pdf': pdf.subarray(0, 30_000) });
  });

  afterEach(() => {
    for (const dir of [root, docs, path.dirname(storeDir)]) removeDir(dir);
  });

  it('index --docs exits 0, counts the truncated PDF as skipped; query --json says page, cell, heading and outside', async () => {
    const index = await lore(['index', root, '--docs', docs, '--store', storeDir, '--no-embed', '--json']);
    assert.equal(index.code, 0, index.stderr);
    const summary = JSON.parse(index.stdout);
    assert.equal(summary.files, 4);
    assert.equal(summary.skipped, 1);
    assert.equal(index.stderr, '', 'pdf.js prints nothing');

    const pdfQuery = await lore(['query', root, 'which function gives a logical vector telling which elements are NA missing', '-k', '3', '--store', storeDir, '--json']);
    assert.equal(pdfQuery.code, 0, pdfQuery.stderr);
    const pdfHit = JSON.parse(pdfQuery.stdout).results.find((r: { path: string }) => r.path.endsWith('R-intro.pdf'));
    assert.ok(pdfHit, pdfQuery.stdout);
    assert.equal(pdfHit.path, `${docs.split(path.sep).join('/')}/R-intro.pdf`);
    assert.equal(pdfHit.page, 5);
    assert.equal(pdfHit.outside, true);
    assert.match(pdfHit.heading, /Missing values/);

    const cellQuery = await lore(['query', root, 'cell magics bash for loop echo', '-k', '1', '--store', storeDir, '--json']);
    const [cellHit] = JSON.parse(cellQuery.stdout).results;
    assert.equal(cellHit.path, 'analysis/code-cells.ipynb');
    assert.equal(cellHit.cell, 17);
    assert.equal(cellHit.outside, undefined);
    assert.equal(cellHit.page, undefined);

    const htmlQuery = await lore(['query', root, 'priority queue implementation notes heap entries', '-k', '1', '--store', storeDir, '--json']);
    const [htmlHit] = JSON.parse(htmlQuery.stdout).results;
    assert.ok(htmlHit.path.endsWith('/heapq.html'), htmlHit.path);
    assert.doesNotMatch(htmlHit.text, /<[a-z]+[\s>]/);

    const status = await lore(['status', root, '--docs', docs, '--store', storeDir, '--json']);
    assert.deepEqual(JSON.parse(status.stdout).docFolders, [{ folder: docs, files: 2 }]);
  });

  it('packs no docs-folder file: a bundle holds no absolute path', async () => {
    const ollama = await FakeOllama.start();
    try {
      const index = await lore(['index', root, '--docs', docs, '--store', storeDir, '--host', ollama.url, '--json']);
      assert.equal(JSON.parse(index.stdout).files, 4, index.stderr);
      const pack = await lore(['pack', root, '--store', storeDir, '--out', path.join(path.dirname(storeDir), 'index.lorepack'), '--json']);
      assert.equal(pack.code, 0, pack.stderr);
      assert.equal(JSON.parse(pack.stdout).files, 2);
    } finally {
      await ollama.stop();
    }
  });

  it('rejects a docs folder that does not exist, or lies inside the workspace', async () => {
    const missing = await lore(['index', root, '--docs', path.join(docs, 'nope'), '--store', storeDir, '--no-embed']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /docs folder not found/);
    const inside = await lore(['index', root, '--docs', path.join(root, 'analysis'), '--store', storeDir, '--no-embed']);
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /inside/);
  });

  it('warns on query when a docs folder given was never indexed', async () => {
    await lore(['index', root, '--store', storeDir, '--no-embed']);
    const run = await lore(['query', root, 'anything', '--docs', docs, '--store', storeDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /nothing from .* is in the index: run 'lore index/);
  });
});
