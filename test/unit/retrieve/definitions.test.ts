import * as assert from 'node:assert/strict';
import { definitionsNamedIn, namedSymbols, promoteDefinitions, Retriever } from '../../../src/core/retrieve';
import type { SearchHit } from '../../../src/core/types';
import { makeChunk, MemoryIndex } from './memoryIndex';
import { REPORT_BODY } from './reportText';

describe('namedSymbols', () => {
  it('takes stack-frame functions, exception types, prose identifiers and backticked names, dotted names by part', () => {
    const report = [
      'Strict mode: `.length` throws with `strict` on; `sqlparse.split()` too, and parseConfig fails.',
      'Traceback (most recent call last):',
      '  File "app/models.py", line 42, in save_model',
      'ValueError: bad value',
    ].join('\n');
    const names = namedSymbols(report);
    for (const name of ['save_model', 'ValueError', 'strict', 'sqlparse', 'split', 'parseConfig', 'length']) assert.ok(names.includes(name), `${name} in ${names.join(' ')}`);
  });

  it('leaves out names only a code block uses, receivers such as self, and names under three characters', () => {
    const report = 'The parser breaks on maps.\n\n```ts\nconst itemParser = z.map(z.string());\nself.go(itemParser)\n```\n';
    assert.deepEqual(namedSymbols(report), []);
    assert.deepEqual(namedSymbols('`self.ab` and `this.run`'), ['run']);
  });
});

describe('definitionsNamedIn', () => {
  function index(): MemoryIndex {
    const idx = new MemoryIndex();
    idx.add(makeChunk('lib/runtime.js', 100, ['let container = {', '  strict: function (obj, name) {', '    if (!(name in obj)) throw new Error(name);', '  },'], { language: 'javascript' }));
    idx.add(makeChunk('lib/compiler.js', 10, ['  path.strict = true;', '  compile(path);'], { language: 'javascript' }));
    idx.add(makeChunk('spec/strict.js', 1, ['function strict(template) {', '  return compile(template, { strict: true });', '}'], { language: 'javascript' }));
    idx.add(makeChunk('pkg/settings.py', 1, ['class Config:', '    def __init__(self):', '        self.x = 1'], { language: 'python' }));
    idx.add(makeChunk('pkg/other.py', 1, ['class Other:', '    def __init__(self):', '        self.y = 2'], { language: 'python' }));
    idx.add(makeChunk('pyproject.toml', 1, ['black = true'], { language: 'toml' }));
    return idx;
  }

  it('finds the chunk that declares a named symbol and the line it does so on, not the code that uses it, nor tests', () => {
    const found = [...definitionsNamedIn('Strict mode throws: `strict` fails on strings', index()).values()];
    assert.deepEqual(found.map((d) => [d.chunk.path, d.name, d.line]), [['lib/runtime.js', 'strict', 101]]);
  });

  it('looks each name up as a whole identifier, not by its parts (whose posting lists can span the index)', () => {
    const idx = index();
    definitionsNamedIn('`nonNull` and parseConfig fail', idx);
    assert.deepEqual(idx.nameQueries.sort(), ['nonNull', 'parseConfig']);
  });

  it('recognises Python, JavaScript and TypeScript declaration forms', () => {
    const idx = new MemoryIndex();
    const forms: Array<[string, string]> = [
      ['a.py', 'async def load_file(path):'],
      ['b.py', 'class FileLoader(Base):'],
      ['c.ts', 'export async function loadFile<T>(path: string): Promise<T> {'],
      ['d.ts', 'export const loadAll = (paths: string[]) => paths.map(loadFile);'],
      ['e.ts', 'export interface LoaderOptions {'],
      ['f.ts', '  private async readChunk(at: number): Promise<void> {'],
      ['g.js', 'Loader.prototype.unload = function (x) {'],
      ['h.py', 'MAX_LOADERS = 4'],
    ];
    for (const [path, line] of forms) idx.add(makeChunk(`src/${path}`, 1, [line, '  body();']));
    const question = 'load_file, FileLoader, loadFile, loadAll, LoaderOptions, readChunk, `unload` and MAX_LOADERS all fail';
    const found = new Set([...definitionsNamedIn(question, idx).values()].map((d) => d.name));
    assert.deepEqual([...found].sort(), ['FileLoader', 'LoaderOptions', 'MAX_LOADERS', 'loadAll', 'loadFile', 'load_file', 'readChunk', 'unload']);
  });

  it('gives the line of the first declaration, past earlier uses and a NUL in the text, where its keyword and name may be on two lines', () => {
    const idx = new MemoryIndex();
    idx.add(makeChunk('src/a.ts', 1, ['const sep = "\0";', 'loadFile(sep);', 'export function', '  loadFile(path) {', '}']));
    assert.deepEqual([...definitionsNamedIn('`loadFile` fails', idx).values()].map((d) => d.line), [3]);
  });

  it('does not take a call, an assignment to a property, or a data file key for a definition', () => {
    const idx = new MemoryIndex();
    idx.add(makeChunk('src/a.ts', 1, ['  loadFile(path);', '  options.loadFile = true;', 'if (loadFile(x)) {']));
    idx.add(makeChunk('pyproject.toml', 1, ['loadFile = "yes"'], { language: 'toml' }));
    assert.equal(definitionsNamedIn('`loadFile` fails', idx).size, 0);
  });

  it('takes copies of a definition in a bundle for one definition, in its source file', () => {
    const idx = new MemoryIndex();
    const body = ['function fromNow(withoutSuffix) {', '  if (!this.isValid()) return invalidDate();', '  return this.from(createLocal(), withoutSuffix);', '}'];
    idx.add(makeChunk('src/lib/from.js', 1, ['import { createLocal } from "./local";', ...body.map((l, i) => (i === 0 ? `export ${l}` : l))], { language: 'javascript' }));
    for (const bundle of ['moment.js', 'min/moment.min.js']) {
      idx.add(makeChunk(bundle, 500, body.map((l) => `    ${l}`), { language: 'javascript' }));
      for (let i = 0; i < 3; i++) idx.add(makeChunk(bundle, 10 * i + 1, [`function part${i}() {}`], { language: 'javascript' }));
    }
    const found = [...definitionsNamedIn('`fromNow` ignores an invalid date', idx).values()];
    assert.deepEqual(found.map((d) => [d.chunk.path, d.line]), [['src/lib/from.js', 2]]);
  });

  it('finds a definition past the many tests that call the name more often than it is declared', () => {
    const idx = new MemoryIndex();
    for (let i = 0; i < 60; i++) idx.add(makeChunk(`test/locale/l${i}.js`, 1, [`assert.equal(m.fromNow(), "${i}");`], { language: 'javascript' }));
    idx.add(makeChunk('src/lib/from.js', 1, ['export function fromNow(withoutSuffix) {', '  return this.from(now(), withoutSuffix);', '}'], { language: 'javascript' }));
    assert.deepEqual([...definitionsNamedIn('`fromNow` is wrong', idx).values()].map((d) => d.chunk.path), ['src/lib/from.js']);
    // Tests are set aside by their path: only the code chunk is read.
    assert.equal(idx.reads.length, 1);
  });

  it('ignores a name defined in several files: it points nowhere', () => {
    assert.equal(definitionsNamedIn('`__init__` of `Config` fails', index()).size, 1);
    assert.deepEqual([...definitionsNamedIn('`__init__` fails', index()).values()], []);
  });
});

describe('promoteDefinitions', () => {
  it('lifts a defining chunk to the score at the given rank, adds one the search missed, and leaves higher ones alone', () => {
    const c = (path: string) => makeChunk(path, 1, [path]);
    const [a, b, d, missed] = [c('a.ts'), c('b.ts'), c('d.ts'), c('missed.ts')];
    const hits: SearchHit[] = [{ chunk: a, score: 10 }, { chunk: b, score: 9 }, { chunk: d, score: 1 }];
    const definitions = new Map([d, missed, a].map((chunk) => [chunk.id, { chunk, name: 'x', line: 1 }]));
    const promoted = promoteDefinitions(hits, definitions, (chunk, score) => ({ chunk, score }), 2);
    assert.deepEqual(promoted.map((h) => [h.chunk.path, h.score]), [['a.ts', 10], ['d.ts', 9], ['missed.ts', 9], ['b.ts', 9]]);
    assert.deepEqual(promoteDefinitions(hits.slice(0, 1), definitions, (chunk, score) => ({ chunk, score }), 3).map((h) => h.chunk.path), ['a.ts', 'd.ts', 'missed.ts']);
  });
});

describe('Retriever, named definitions', () => {
  it('ranks the file defining the function a report names with the best matches, above files that only repeat its words', async () => {
    const idx = new MemoryIndex();
    const js = { language: 'javascript' };
    idx.add(makeChunk('lib/precompiler.js', 1, ['// strict mode: length of a string, error thrown, arrays, enabled', 'function cli(opts) { return opts.strict; }'], js));
    idx.add(makeChunk('lib/utils.js', 1, ['// length of arrays and string values; error when not enabled', 'function isArray(x) { return x.length >= 0; }'], js));
    idx.add(makeChunk('lib/compiler.js', 1, ['// strict mode error: string or arrays', 'function compile(x) { return x; }'], js));
    idx.add(makeChunk('lib/runtime.js', 100, ['let container = {', '  strict: function (obj, name) {', '    if (!(name in obj)) throw new Error(name);', '  },'], js));
    const question = `Strict mode: \`.length\` works on arrays but throws an error on a string when \`strict\` is enabled\n\n${REPORT_BODY}`;
    for (const name of ['lexer', 'parser', 'printer']) idx.add(makeChunk(`lib/${name}.js`, 1, [`// ${name}: string arrays error`, `function ${name}() {}`], js));
    const { files } = await new Retriever(idx).rankFiles(question, { k: 7 });
    assert.equal(files.findIndex((f) => f.path === 'lib/runtime.js'), 2, files.map((f) => f.path).join(' '));
  });
});
