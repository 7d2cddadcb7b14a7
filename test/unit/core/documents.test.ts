// Documents through the whole indexing pipeline: real files nobody here wrote (test/fixtures/docs),
// a real store on disk, real chunk workers; a docs folder outside the workspace joins its index.
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Chunker } from '../../../src/core/chunk';
import { docFolderKey } from '../../../src/core/files';
import { Indexer } from '../../../src/core/indexer';
import { locationOf } from '../../../src/core/location';
import { documentAwareReader, indexedText, Retriever } from '../../../src/core/retrieve';
import { LoreStore } from '../../../src/core/store';
import type { Chunk } from '../../../src/core/types';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'docs');
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));

/** A run of base64 as image outputs carry it: what must never reach a chunk. */
const BASE64_RUN = /[A-Za-z0-9+/]{200,}/;

describe('Documents in the index (real files, store and chunk workers)', function () {
  this.timeout(120_000);
  let chunker: Chunker;
  let root: string;
  let docs: string;
  let storeDir: string;
  let store: LoreStore;

  before(async () => {
    chunker = await Chunker.create(undefined, { workers: 2 });
  });
  after(() => chunker.dispose());

  beforeEach(async () => {
    root = makeTempDir();
    docs = makeTempDir('lore-docs-');
    storeDir = makeTempDir('lore-store-');
    const pdf = fixture('r-intro-p13-18.pdf');
    writeTree(root, {
      'README.adoc': fixture('jetty-README.adoc'),
      'notebooks/code-cells.ipynb': fixture('nbsphinx-code-cells.ipynb'),
      'src/app.ts': 'export const answer = 42;\n',
    });
    writeTree(docs, {
      'R-intro.pdf': pdf,
      'library/heapq.html': fixture('python-heapq.html'),
      'heapq.docx': fixture('python-heapq.docx'),
      'bad/truncated.pdf': pdf.subarray(0, Math.floor(pdf.length / 2)),
      'bad/encrypted.pdf': fixture('r-intro-p14-encrypted.pdf'),
      'bad/scanned.pdf': fixture('r-intro-p14-15-scanned.pdf'),
      'bad/truncated.ipynb': fixture('nbsphinx-code-cells.ipynb').subarray(0, 5000),
      'bad/truncated.docx': fixture('python-heapq.docx').subarray(0, 4000),
    });
    store = await LoreStore.open(storeDir);
  });

  afterEach(async () => {
    await store.close();
    for (const dir of [root, docs, storeDir]) removeDir(dir);
  });

  const indexer = (docFolders: string[] = [docs]) => new Indexer({ root, store, chunker, maxFileBytes: 1 << 20, docFolders });
  const key = (rel: string) => docFolderKey(docs, rel);
  const allChunks = (): Chunk[] => [...store.files()].flatMap((f) => store.chunksOf(f.path));

  it('indexes the docs folder beside the workspace and skips each bad document with its reason', async () => {
    const result = await indexer().syncAll();
    const paths = [...store.files()].map((f) => f.path).sort();
    assert.deepEqual(paths, [key('R-intro.pdf'), key('heapq.docx'), key('library/heapq.html'), 'README.adoc', 'notebooks/code-cells.ipynb', 'src/app.ts'].sort());
    const reasons = new Map(result.skipped.map((s) => [s.path, s.reason]));
    assert.equal(reasons.get(key('bad/encrypted.pdf')), 'encrypted PDF (needs a password)');
    assert.match(reasons.get(key('bad/scanned.pdf')) ?? '', /no text layer|without a text layer/);
    assert.match(reasons.get(key('bad/truncated.pdf')) ?? '', /PDF/);
    assert.match(reasons.get(key('bad/truncated.ipynb')) ?? '', /notebook/);
    assert.match(reasons.get(key('bad/truncated.docx')) ?? '', /Word|docx|zip/i);
    assert.equal(result.skipped.length, 5, JSON.stringify(result.skipped));
  });

  it('gives PDF chunks their page, notebook chunks their cell, documents their heading path, and no chunk markup or base64', async () => {
    await indexer().syncAll();
    const chunks = allChunks();
    const pdf = store.chunksOf(key('R-intro.pdf'));
    assert.ok(pdf.length > 5);
    // "Missing values" is printed on the fixture's 5th page (page 15 of R-intro.pdf).
    const missing = pdf.find((c) => c.text.includes('special value NA'))!;
    assert.equal(missing.page, 5);
    assert.match(missing.symbol ?? '', /Missing values/);
    assert.deepEqual(locationOf(missing).outside, true);
    assert.ok(pdf.every((c) => c.page! >= 1 && c.page! <= 6 && c.cell === undefined));

    const notebook = store.chunksOf('notebooks/code-cells.ipynb');
    const bash = notebook.find((c) => c.text.includes('%%bash'))!;
    assert.equal(bash.cell, 17);
    assert.ok(notebook.every((c) => Number.isInteger(c.cell) && c.page === undefined));
    assert.equal(locationOf(bash).outside, undefined);

    const html = store.chunksOf(key('library/heapq.html'));
    assert.ok(html.some((c) => c.symbol?.includes('Priority Queue Implementation Notes')));
    for (const c of [...html, ...store.chunksOf(key('heapq.docx'))]) assert.doesNotMatch(c.text, /<\/?[a-z][a-z0-9]*[\s>]|&[a-z]+;/, c.text);
    for (const c of chunks) assert.doesNotMatch(c.text, BASE64_RUN, `${c.path}: ${c.text.slice(0, 80)}`);

    const adoc = store.chunksOf('README.adoc');
    assert.ok(adoc.some((c) => c.symbol && c.startLine > 1), 'AsciiDoc sections by their = headings');
  });

  it('masks secrets in extracted text', async () => {
    const page = fixture('python-heapq.html').toString('utf8').replace('</h1>', '</h1><p>aws key AKIAIOSFODNN7EXAMPLE here</p>');
    writeFileSync(path.join(docs, 'library', 'heapq.html'), page);
    await indexer().syncAll();
    const text = store.chunksOf(key('library/heapq.html')).map((c) => c.text).join('\n');
    assert.ok(text.includes('aws key'));
    assert.ok(!text.includes('AKIAIOSFODNN7EXAMPLE'));
  });

  it('drops the files of a docs folder no longer given, and keeps a changed document fresh by path', async () => {
    await indexer().syncAll();
    const html = path.join(docs, 'library', 'heapq.html');
    writeFileSync(html, '<html><body><main><h1>Replaced</h1><p>Only a zebra crossing now.</p></main></body></html>');
    const withDocs = indexer();
    await withDocs.syncPaths([key('library/heapq.html')]);
    assert.ok(store.chunksOf(key('library/heapq.html')).some((c) => c.text.includes('zebra crossing')));
    rmSync(path.join(docs, 'R-intro.pdf'));
    await withDocs.syncPaths([key('R-intro.pdf')]);
    assert.equal(store.getFile(key('R-intro.pdf')), undefined);

    await indexer([]).syncAll();
    assert.deepEqual([...store.files()].map((f) => f.path).sort(), ['README.adoc', 'notebooks/code-cells.ipynb', 'src/app.ts']);
  });

  it('indexes a new folder and a file in it given in one batch once (watcher events for a copied-in notebook)', async () => {
    const idx = indexer([]);
    await idx.syncAll();
    writeTree(root, { 'more/analysis.ipynb': fixture('nbsphinx-code-cells.ipynb') });
    const result = await idx.syncPaths(['more', 'more/analysis.ipynb']);
    assert.equal(result.changed, 1);
    assert.ok(store.chunksOf('more/analysis.ipynb').some((c) => c.cell === 17));
  });

  it('follows symlinks out of a docs folder (Debian manuals are links) but never out of the workspace', async () => {
    const target = path.join(docs, 'R-intro.pdf');
    const links = makeTempDir('lore-links-');
    try {
      symlinkSync(target, path.join(links, 'R-intro.pdf'));
      symlinkSync(target, path.join(root, 'linked.pdf'));
      const result = await indexer([links]).syncAll();
      assert.ok(store.chunksOf(docFolderKey(links, 'R-intro.pdf')).length > 0);
      assert.equal(store.getFile('linked.pdf'), undefined);
      assert.match(result.skipped.find((s) => s.path === 'linked.pdf')?.reason ?? '', /outside the indexed folder/);
    } finally {
      removeDir(links);
    }
  });

  it('returns document sources unchanged while the file is as indexed, and drops them once it changed', async () => {
    await indexer().syncAll();
    const readText = async () => undefined;
    const retriever = new Retriever(store);
    const read = documentAwareReader(root, store, readText);
    const { results } = await retriever.retrieve('missing value special value NA is.na', { k: 3, readCurrent: read });
    const top = results.find((r) => r.chunk.path === key('R-intro.pdf'));
    assert.ok(top, JSON.stringify(results.map((r) => r.chunk.path)));
    assert.equal(top.chunk.page, 5);

    const pdf = path.join(docs, 'R-intro.pdf');
    const later = new Date(statSync(pdf).mtimeMs + 5000);
    utimesSync(pdf, later, later);
    assert.equal(await read(key('R-intro.pdf')), undefined);
  });

  it('rebuilds the extracted text from a document\'s chunks, pieces of one long row joined back', () => {
    const chunk = (startLine: number, endLine: number, text: string) => ({ id: String(startLine) + text, path: 'a.pdf', startLine, endLine, language: 'pdf', text, hash: 'h' });
    const text = indexedText([chunk(1, 2, 'one\ntwo'), chunk(4, 4, 'long '), chunk(4, 4, 'row'), chunk(5, 6, 'five\nsix')]);
    assert.equal(text, 'one\ntwo\n\nlong row\nfive\nsix');
  });
});
