import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Chunker } from '../../../src/core/chunk';
import { Embedder } from '../../../src/core/embed';
import { maskSecrets } from '../../../src/core/files';
import { contentHash } from '../../../src/core/hash';
import { Retriever } from '../../../src/core/retrieve';
import { LoreStore } from '../../../src/core/store';
import type { Chunk } from '../../../src/core/types';
import { FakeOllama } from '../../support/fakeOllama';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';
import { makeChunk, MemoryIndex } from './memoryIndex';

/** Queries that must never make retrieval throw. */
const AWKWARD_QUERIES = [
  '',
  '   \n\t',
  'what is the',
  '?',
  '(.*+?[]{}\\^$|)',
  '"unterminated quote',
  "it's `half open",
  '``` ```',
  'AND OR NOT * ~ ^ : -',
  'Что делает эта функция?',
  '这个函数做什么',
  'مرحبا بالعالم',
  '🔥💥 emoji 🚀',
  '\u0000\u0001\ufffd\ud800',
  'x'.repeat(100_000),
  'parseConfig('.repeat(10_000),
];

describe('Retriever (in-memory index)', () => {
  function corpus(): { index: MemoryIndex; parse: Chunk; load: Chunk; readme: Chunk } {
    const index = new MemoryIndex();
    const parse = index.add(makeChunk('src/config.ts', 1, ['export function parseConfig(text) {', '  return JSON.parse(text);', '}']), [1, 0, 0]);
    const load = index.add(makeChunk('src/loader.ts', 1, ['export function loadSettings(file) {', '  return parseConfig(read(file));', '}']), [0, 1, 0]);
    const readme = index.add(makeChunk('README.md', 1, ['# Settings', 'Settings live in a JSON file.'], { language: 'markdown' }), [0.9, 0.1, 0]);
    return { index, parse, load, readme };
  }

  it('fuses vector and lexical hits in hybrid mode, with provenance', async () => {
    const { index } = corpus();
    const embedded: string[] = [];
    const retriever = new Retriever(index, async (text) => {
      embedded.push(text);
      return Float32Array.from([1, 0, 0]);
    });
    const { mode, results } = await retriever.retrieve('where is parseConfig defined?', { k: 3 });
    assert.equal(mode, 'hybrid');
    // The question once; the rest are the embedding model's meaning probe, asked once.
    assert.deepEqual(embedded.filter((text) => text.includes('parseConfig')), ['where is parseConfig defined?']);
    assert.equal(results[0].chunk.path, 'src/config.ts');
    assert.deepEqual(results[0].via, ['vector', 'lexical']);
    assert.deepEqual(results.find((r) => r.chunk.path === 'README.md')?.via, ['vector']);
    assert.equal(index.lexicalQueries[0], 'parseConfig parseConfig defined');
  });

  it('weighs the vector ranking as its fusion settings say', async () => {
    const { index } = corpus();
    // The README ranks second by vector, and not at all lexically for this question.
    const retriever = new Retriever(index, async () => Float32Array.from([0.95, 0.05, 0]));
    const question = 'where is loadSettings?';
    const ranks = async () => (await retriever.retrieve(question, { k: 3 })).results.map((r) => r.chunk.path);
    const equal = await ranks();
    assert.equal(equal[0], 'src/loader.ts', 'equal weights: the only chunk in both rankings wins');
    retriever.fusion = { rrfK: 0, vectorWeight: 10 };
    assert.equal((await ranks())[0], 'src/config.ts', 'a heavy vector side puts its top hit first');
  });

  it('falls back to lexical-only when embedding the query throws', async () => {
    const { index } = corpus();
    const retriever = new Retriever(index, async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:11434');
    });
    const { mode, results } = await retriever.retrieve('where is parseConfig defined?', { k: 5 });
    assert.equal(mode, 'lexical');
    assert.deepEqual(results.map((r) => r.chunk.path), ['src/config.ts', 'src/loader.ts']);
    assert.ok(results.every((r) => r.via.length === 1 && r.via[0] === 'lexical'));
  });

  it('is lexical-only without an embedder, and without vectors it never asks for one', async () => {
    const { index } = corpus();
    assert.equal((await new Retriever(index).retrieve('parseConfig', { k: 2 })).mode, 'lexical');

    const noVectors = new MemoryIndex();
    noVectors.add(makeChunk('a.ts', 1, ['parseConfig()']));
    let calls = 0;
    const retriever = new Retriever(noVectors, async () => {
      calls++;
      return Float32Array.from([1]);
    });
    const { mode, results } = await retriever.retrieve('parseConfig', { k: 2 });
    assert.equal(mode, 'lexical');
    assert.equal(results.length, 1);
    assert.equal(calls, 0);
  });

  it('answers empty and stop-word-only questions with no results and no embedding call', async () => {
    const { index } = corpus();
    let calls = 0;
    const retriever = new Retriever(index, async () => {
      calls++;
      return Float32Array.from([1, 0, 0]);
    });
    for (const q of ['', '  ', 'what is the', 'how does it work?']) {
      assert.deepEqual(await retriever.retrieve(q, { k: 3 }), { mode: 'hybrid', results: [] });
    }
    assert.equal(calls, 0);
    assert.equal(index.lexicalQueries.length, 0);
  });

  it('never throws on awkward queries', async () => {
    const { index } = corpus();
    const retriever = new Retriever(index, async () => Float32Array.from([0, 0, 1]));
    for (const q of AWKWARD_QUERIES) {
      const { results } = await retriever.retrieve(q, { k: 3 });
      assert.ok(Array.isArray(results) && results.length <= 3, JSON.stringify(q.slice(0, 40)));
    }
  });

  it('embeds only the head of a huge paste', async () => {
    const { index } = corpus();
    let embeddedLength = 0;
    const retriever = new Retriever(index, async (text) => {
      embeddedLength = text.length;
      return Float32Array.from([1, 0, 0]);
    });
    await retriever.retrieve(`parseConfig fails: ${'stack frame line\n'.repeat(10_000)}`, { k: 3 });
    assert.ok(embeddedLength > 0 && embeddedLength <= 4000, `embedded ${embeddedLength} chars`);
  });

  it('returns at most k results, checking freshness and filling in from lower ranks', async () => {
    const index = new MemoryIndex();
    const chunks = ['alpha', 'beta', 'gamma', 'delta'].map((w, i) => index.add(makeChunk(`${w}.ts`, 1, [`const ${w} = token${'!'.repeat(4 - i)};`])));
    const current = new Map(chunks.map((c) => [c.path, c.text]));
    current.delete('alpha.ts'); // deleted since indexing
    current.set('beta.ts', 'const beta = changed;'); // edited since indexing
    const retriever = new Retriever(index);
    const { results } = await retriever.retrieve('token', { k: 2, readCurrent: async (p) => current.get(p) });
    assert.deepEqual(results.map((r) => r.chunk.path), ['gamma.ts', 'delta.ts']);
    const all = await retriever.retrieve('token', { k: 2 });
    assert.equal(all.results.length, 2, 'without readCurrent nothing is checked');
  });

  it('falls back to the still-fresh parts of a merged result when one part was edited', async () => {
    const index = new MemoryIndex();
    const first = index.add(makeChunk('m.ts', 1, ['function tokenA() {', '  return 1;', '}']));
    index.add(makeChunk('m.ts', 4, ['function tokenB() {', '  return 2;', '}']));
    const current = `${first.text}\nfunction tokenB() {\n  return 20;\n}`;
    const retriever = new Retriever(index);
    const merged = await retriever.retrieve('tokenA tokenB', { k: 3 });
    assert.equal(merged.results.length, 1, 'the two chunks merge');
    const { results } = await retriever.retrieve('tokenA tokenB', { k: 3, readCurrent: async () => current });
    assert.deepEqual(results.map((r) => r.chunk), [first]);
  });

  it('stops with the abort reason when cancelled, instead of falling back', async () => {
    const { index } = corpus();
    const controller = new AbortController();
    const retriever = new Retriever(index, (_text, signal) => {
      controller.abort();
      return Promise.reject(signal?.reason ?? new Error('aborted'));
    });
    await assert.rejects(retriever.retrieve('parseConfig', { k: 2, signal: controller.signal }), { name: 'AbortError' });
    await assert.rejects(new Retriever(index).retrieve('parseConfig', { k: 2, signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  it('reads only the head of the ranking, and deeper hits in the head\'s files, which merge into its excerpts', async () => {
    const index = new MemoryIndex();
    const top = index.add(makeChunk('src/widget.ts', 1, ['export function frobnicate(widget) {', '  return widget;', '}']));
    for (let n = 0; n < 30; n++) index.add(makeChunk(`src/other${n}.ts`, 1, [`const widget${n} = widget;`]));
    // Ranked last (all but the top score alike and keep their order), far past the head of 5.
    const rest = index.add(makeChunk('src/widget.ts', 4, ['export const widget = 1;']));
    const ranking = index.lexicalRanking('widget frobnicate', 100).map((hit) => hit.chunk.id);
    assert.equal(ranking.indexOf(rest.id), 31);

    const { results } = await new Retriever(index).retrieve('widget frobnicate', { k: 1, candidates: 5 });
    assert.deepEqual([results[0].chunk.startLine, results[0].chunk.endLine], [top.startLine, rest.endLine]);
    assert.deepEqual(new Set(index.reads), new Set([...ranking.slice(0, 5), rest.id]));
  });

  it('leaves out a hit whose chunk can no longer be read (its file changed after the ranking), and goes on', async () => {
    const { index, parse, load } = corpus();
    index.gone.add(parse.id);
    const { results } = await new Retriever(index).retrieve('parseConfig', { k: 3 });
    assert.ok(results.length > 0);
    assert.ok(results.every((r) => r.chunk.id !== parse.id && r.chunk.path !== parse.path));
    assert.ok(results.some((r) => r.chunk.id === load.id));
    const files = await new Retriever(index).rankFiles('parseConfig', { k: 3 });
    assert.ok(!files.files.some((f) => f.path === parse.path));
  });

  it('rejects a k or candidate count that is not a positive integer', async () => {
    const retriever = new Retriever(corpus().index);
    for (const k of [0, -1, 1.5, Number.NaN]) await assert.rejects(retriever.retrieve('parseConfig', { k }), RangeError);
    await assert.rejects(retriever.retrieve('parseConfig', { k: 2, candidates: 0 }), RangeError);
  });
});

describe('Retriever (real store, Ollama-API server)', function () {
  this.timeout(30_000);
  let root: string;
  let fake: FakeOllama;
  let store: LoreStore;
  let embedder: Embedder;

  const files: Record<string, string> = {
    'src/config.ts': 'export function parseConfig(text: string) {\n  return JSON.parse(text);\n}\n\nexport function validateConfig(config: object) {\n  return Object.keys(config).length > 0;\n}',
    'src/server.ts': 'import { parseConfig } from "./config";\n\nexport function startServer(port: number) {\n  listen(port);\n}',
    'docs/setup.md': '# Setup\n\nInstall the dependencies, then start the server on a free port.',
  };

  before(async () => {
    root = makeTempDir('lore-retriever-');
    writeTree(root, files);
    fake = await FakeOllama.start();
    store = await LoreStore.open(path.join(root, '.store'));
    embedder = new Embedder({ host: fake.url, model: 'nomic-embed-text', maxRetries: 0, retryBaseMs: 0 });
    const chunks = Object.entries(files).flatMap(([file, text]) =>
      // One chunk per blank-line-separated block, as a chunker would cut declarations.
      text.split('\n\n').reduce<{ line: number; chunks: Chunk[] }>(
        (acc, block) => {
          const lines = block.split('\n');
          acc.chunks.push(makeChunk(file, acc.line, lines, { language: file.endsWith('.md') ? 'markdown' : 'typescript' }));
          acc.line += lines.length + 1;
          return acc;
        },
        { line: 1, chunks: [] },
      ).chunks,
    );
    const vectors = await embedder.embed(chunks.map((c) => ({ text: c.text, hash: c.hash })));
    for (const file of Object.keys(files)) {
      const own = chunks.filter((c) => c.path === file);
      const vectorMap = new Map(own.map((c) => [c.id, vectors[chunks.indexOf(c)]]));
      await store.putFile({ path: file, hash: contentHash(files[file]), size: files[file].length, mtimeMs: 0 }, own, vectorMap, 'nomic-embed-text');
    }
  });
  after(async () => {
    await store?.close();
    await fake?.stop();
    removeDir(root);
  });

  const readFromDisk = (rel: string) => fs.readFile(path.join(root, rel), 'utf8').catch(() => undefined);

  it('retrieves in hybrid mode with the query embedded by Ollama', async () => {
    const retriever = new Retriever(store, (text, signal) => embedder.embedQuery(text, signal));
    const { mode, results } = await retriever.retrieve('where is parseConfig defined?', { k: 3, readCurrent: readFromDisk });
    assert.equal(mode, 'hybrid');
    assert.equal(results[0].chunk.path, 'src/config.ts');
    assert.equal(results[0].chunk.startLine, 1);
    assert.ok(results[0].via.includes('lexical') && results[0].via.includes('vector'));
    assert.ok(fake.requests.some((r) => r.path === '/api/embed' && r.body.input?.[0] === 'where is parseConfig defined?'));
  });

  it('goes lexical-only while Ollama is down, and hybrid again when it is back', async () => {
    const retriever = new Retriever(store, (text, signal) => embedder.embedQuery(text, signal));
    await fake.goDown();
    try {
      const down = await retriever.retrieve('startServer port', { k: 2 });
      assert.equal(down.mode, 'lexical');
      assert.equal(down.results[0].chunk.path, 'src/server.ts');
    } finally {
      await fake.restart();
    }
    assert.equal((await retriever.retrieve('startServer port', { k: 2 })).mode, 'hybrid');
  });

  it('never throws on awkward queries against the real store', async () => {
    const retriever = new Retriever(store, (text, signal) => embedder.embedQuery(text, signal));
    for (const q of AWKWARD_QUERIES) {
      const { results } = await retriever.retrieve(q, { k: 4, readCurrent: readFromDisk });
      assert.ok(results.length <= 4, JSON.stringify(q.slice(0, 40)));
    }
  });

  it('merges neighbouring chunks of the same file into one source', async () => {
    const retriever = new Retriever(store);
    const { results } = await retriever.retrieve('parseConfig validateConfig config', { k: 5, readCurrent: readFromDisk });
    const config = results.filter((r) => r.chunk.path === 'src/config.ts');
    assert.equal(config.length, 1);
    assert.equal(config[0].chunk.text, files['src/config.ts'].split('\n').slice(0, 7).join('\n'));
    assert.deepEqual([config[0].chunk.startLine, config[0].chunk.endLine], [1, 7]);
  });

  it('drops a result whose file changed on disk since indexing, and re-locates one that moved', async () => {
    const retriever = new Retriever(store);
    const moved = `// new header\n\n${files['src/server.ts']}`;
    writeTree(root, { 'src/server.ts': moved });
    try {
      const { results } = await retriever.retrieve('startServer', { k: 3, readCurrent: readFromDisk });
      const server = results.find((r) => r.chunk.path === 'src/server.ts' && r.chunk.text.includes('startServer'));
      assert.ok(server, 'the moved function is still found');
      assert.ok(server.chunk.startLine >= 3, 'its lines moved down by two');
      assert.equal(moved.split('\n').slice(server.chunk.startLine - 1, server.chunk.endLine).join('\n'), server.chunk.text);
      writeTree(root, { 'src/server.ts': files['src/server.ts'].replace('listen(port)', 'listen(port, host)') });
      const after = await retriever.retrieve('startServer', { k: 3, readCurrent: readFromDisk });
      assert.ok(!after.results.some((r) => r.chunk.text.includes('listen(port);')), 'the stale text is not returned');
    } finally {
      writeTree(root, { 'src/server.ts': files['src/server.ts'] });
    }
  });
});

describe('Retriever over the real chunker', function () {
  this.timeout(60_000);
  let root: string;
  let store: LoreStore;

  const source = [
    '// Settings for the server.',
    'export interface ServerSettings {',
    '  port: number;',
    '  host: string;',
    '}',
    '',
    '',
    '/** Reads the settings file. */',
    'export function readSettings(text: string): ServerSettings {',
    '  return JSON.parse(text) as ServerSettings;',
    '}',
    '',
    'export function defaultSettings(): ServerSettings {',
    "  return { port: 8080, host: 'localhost' };",
    '}',
    '',
  ].join('\n');

  before(async () => {
    root = makeTempDir('lore-retriever-chunker-');
    writeTree(root, { 'src/settings.ts': source });
    store = await LoreStore.open(path.join(root, '.store'));
    const chunker = await Chunker.create();
    const chunks = await chunker.chunk('src/settings.ts', maskSecrets(source).text, { maxTokens: 24, overlapLines: 0 });
    assert.ok(chunks.length >= 3, `the fixture must be cut into several chunks, got ${chunks.length}`);
    await store.putFile({ path: 'src/settings.ts', hash: contentHash(source), size: source.length, mtimeMs: 0 }, chunks);
  });
  after(async () => {
    await store?.close();
    removeDir(root);
  });

  it('returns merged neighbours that match the file line for line, so the freshness check keeps them', async () => {
    const readFromDisk = (rel: string) => fs.readFile(path.join(root, rel), 'utf8').catch(() => undefined);
    const retriever = new Retriever(store);
    const { results } = await retriever.retrieve('readSettings defaultSettings ServerSettings', { k: 5, readCurrent: readFromDisk });
    assert.ok(results.length > 0);
    assert.ok(results.some((r) => r.chunk.text.includes('readSettings') && r.chunk.text.includes('defaultSettings')), 'adjacent functions merged');
    const lines = source.split('\n');
    for (const r of results) {
      assert.equal(lines.slice(r.chunk.startLine - 1, r.chunk.endLine).join('\n'), r.chunk.text, `${r.chunk.startLine}-${r.chunk.endLine}`);
    }
  });
});
