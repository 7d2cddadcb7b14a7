import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chunker, DEFAULT_CHUNK_OPTIONS, languageOf } from '../../../src/core/chunk';
import { chunkId, contentHash } from '../../../src/core/hash';
import { FIXTURE_DIR, assertAllProperties, chunksAt, lineOf, readFixture } from './helpers';

const PACKAGE_WASM_DIR = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));

/** Deterministic PRNG (mulberry32), so a failing damaged input can be reproduced. */
function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts, unbalanced brackets and quotes, pasted copies, long runs, stray CRs and blank lines. */
function damage(text: string, random: () => number): string {
  for (let edits = 1 + Math.floor(random() * 5); edits > 0; edits--) {
    const at = Math.floor(random() * text.length);
    const kind = Math.floor(random() * 6);
    const insert = ['', '{(\n"\'`/*', text.slice(0, Math.floor(random() * 500)), 'x'.repeat(Math.floor(random() * 3000)), '', '\n\n   \n'][kind];
    if (kind === 0) text = text.slice(0, at) + text.slice(at + Math.floor(random() * 40));
    else if (kind === 4) text = text.replace(/\n/g, () => (random() < 0.1 ? '\r\n' : '\n'));
    else text = text.slice(0, at) + insert + text.slice(at);
  }
  return text;
}

describe('Chunker', () => {
  let chunker: Chunker;
  before(async () => {
    chunker = await Chunker.create();
  });

  describe('ids and hashes', () => {
    const text = readFixture('sample.ts.fixture');

    it('derives hash from text and context, and id from path, start line and hash', async () => {
      const chunks = await chunker.chunk('src/sample.ts', text, { maxTokens: 100 });
      assert.ok(chunks.some((c) => c.context));
      for (const chunk of chunks) {
        assert.equal(chunk.hash, contentHash(chunk.text, chunk.context ?? ''));
        assert.equal(chunk.id, chunkId('src/sample.ts', chunk.startLine, chunk.hash));
      }
    });

    it('gives the same ids and hashes on a second run', async () => {
      const first = await chunker.chunk('src/sample.ts', text, { maxTokens: 100 });
      const second = await chunker.chunk('src/sample.ts', text, { maxTokens: 100 });
      assert.deepEqual(second, first);
      const fresh = await (await Chunker.create()).chunk('src/sample.ts', text, { maxTokens: 100 });
      assert.deepEqual(fresh, first);
    });

    it('changes only the edited chunk when a body changes, and ids but not hashes when lines move', async () => {
      const before = await chunker.chunk('src/sample.ts', text, { maxTokens: 100 });
      const edited = text.replace('this.byId.clear();', 'this.byId.clear(); // forget everyone');
      const after = await chunker.chunk('src/sample.ts', edited, { maxTokens: 100 });
      assert.equal(after.length, before.length);
      const editedLine = lineOf(text, 'this.byId.clear();');
      for (let i = 0; i < before.length; i++) {
        const touched = before[i].startLine <= editedLine && editedLine <= before[i].endLine;
        assert.equal(after[i].id === before[i].id, !touched, `chunk ${before[i].startLine}`);
        assert.equal(after[i].hash === before[i].hash, !touched);
      }

      const shifted = await chunker.chunk('src/sample.ts', `// license\n\n${text}`, { maxTokens: 100 });
      const moved = shifted.slice(-3);
      const original = before.slice(-3);
      for (let i = 0; i < 3; i++) {
        assert.equal(moved[i].hash, original[i].hash);
        assert.equal(moved[i].startLine, original[i].startLine + 2);
        assert.notEqual(moved[i].id, original[i].id);
      }

      const renamed = await chunker.chunk('src/other.ts', text, { maxTokens: 100 });
      assert.deepEqual(renamed.map((c) => c.hash), before.map((c) => c.hash));
      assert.ok(renamed.every((c, i) => c.id !== before[i].id));
    });
  });

  describe('input edge cases', () => {
    it('returns no chunks for an empty or whitespace-only file', async () => {
      for (const text of ['', '\n', '   \n\t\n  ', '\r\n\r\n']) {
        for (const file of ['a.ts', 'a.md', 'a.txt', 'a.rst']) assert.deepEqual(await chunker.chunk(file, text), []);
      }
    });

    // The chunker assumes '\n' line ends but does not require them: a CRLF file keeps each '\r'
    // inside its chunk text, so line numbers and the exact-text property still hold.
    it('keeps CRLF files correct: same lines, same symbols, carriage returns kept in text', async () => {
      const lf = readFixture('shapes.py');
      const crlf = lf.replace(/\n/g, '\r\n');
      const lfChunks = await chunker.chunk('shapes.py', lf, { maxTokens: 100 });
      const crlfChunks = await chunker.chunk('shapes.py', crlf, { maxTokens: 100 });
      assertAllProperties(crlf, crlfChunks, 100, 'shapes.py', 'python');
      assert.ok(crlfChunks.some((c) => c.text.includes('\r\n')));
      for (const needle of ['@dataclass', 'class Shape:', 'def __init__', '@property', 'def largest']) {
        const line = lineOf(lf, needle);
        assert.deepEqual(chunksAt(crlfChunks, line).map((c) => c.symbol), chunksAt(lfChunks, line).map((c) => c.symbol), needle);
      }
      const md = '# Title\r\n\r\nText\r\n\r\n## Part\r\n\r\nMore\r\n';
      const mdChunks = await chunker.chunk('a.md', md, { maxTokens: 5 });
      assertAllProperties(md, mdChunks, 5, 'a.md', 'markdown');
      assert.equal(chunksAt(mdChunks, 5)[0].symbol, 'Title > Part');
    });

    it('handles a file without a final newline and one with only a comment', async () => {
      for (const [file, text] of [['a.go', 'package a\nfunc F() {}'], ['b.py', '# just a comment'], ['c.rs', '//! crate docs\n']]) {
        const chunks = await chunker.chunk(file, text);
        assertAllProperties(text, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, file, languageOf(file));
        assert.equal(chunks.length, 1);
      }
    });

    it('keeps every property on randomly damaged files', async () => {
      const random = seededRandom(20240611);
      const files = readdirSync(FIXTURE_DIR);
      for (let round = 0; round < 4; round++) {
        for (const file of files) {
          const text = damage(readFixture(file), random);
          const name = file.replace(/\.fixture$/, '');
          const maxTokens = 1 + Math.floor(random() * 400);
          const chunks = await chunker.chunk(name, text, { maxTokens, overlapLines: Math.floor(random() * 5) });
          assertAllProperties(text, chunks, maxTokens, name, languageOf(name));
        }
      }
    });

    it('rejects invalid options with a RangeError naming the option', async () => {
      for (const maxTokens of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(chunker.chunk('a.ts', 'const a = 1;', { maxTokens }), { name: 'RangeError', message: /maxTokens/ });
      }
      for (const overlapLines of [-1, 0.5, Number.NaN]) {
        await assert.rejects(chunker.chunk('a.txt', 'x', { overlapLines }), { name: 'RangeError', message: /overlapLines/ });
      }
    });

    it('uses 384 tokens and 3 overlap lines by default', async () => {
      assert.deepEqual({ ...DEFAULT_CHUNK_OPTIONS }, { maxTokens: 384, overlapLines: 3 });
      const text = Array.from({ length: 400 }, (_, i) => `row ${i} ${'x'.repeat(40)}`).join('\n');
      const defaults = await chunker.chunk('a.txt', text);
      assert.deepEqual(defaults, await chunker.chunk('a.txt', text, { maxTokens: 384, overlapLines: 3 }));
      assert.equal(defaults[1].startLine, defaults[0].endLine - 2);
    });

    it('chunks many files at once with the same results as one by one', async () => {
      const files = ['sample.ts.fixture', 'shapes.py', 'server.go', 'cache.rs', 'guide.md', 'Repo.php', 'deploy.sh', 'ring.c'];
      const name = (file: string): string => file.replace(/\.fixture$/, '');
      const together = await Promise.all(files.map((file) => chunker.chunk(name(file), readFixture(file), { maxTokens: 90 })));
      for (let i = 0; i < files.length; i++) {
        assert.deepEqual(together[i], await chunker.chunk(name(files[i]), readFixture(files[i]), { maxTokens: 90 }));
      }
    });
  });

  describe('grammar folder', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'lore-chunk-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('rejects a folder without tree-sitter.wasm, naming the folder', async () => {
      await assert.rejects(Chunker.create(dir), (err: Error) => err.message.includes('tree-sitter.wasm') && err.message.includes(dir));
    });

    it('loads a grammar on first use, and only once', async () => {
      copyFileSync(path.join(PACKAGE_WASM_DIR, 'tree-sitter.wasm'), path.join(dir, 'tree-sitter.wasm'));
      const local = await Chunker.create(dir);
      const go = readFixture('server.go');
      const line = lineOf(go, 'func (s *Server) Hits()');
      const grammar = path.join(dir, 'tree-sitter-go.wasm');
      copyFileSync(path.join(PACKAGE_WASM_DIR, 'tree-sitter-go.wasm'), grammar);
      assert.equal(chunksAt(await local.chunk('a.go', go, { maxTokens: 100 }), line)[0].symbol, 'Server.Hits');
      rmSync(grammar);
      assert.equal(chunksAt(await local.chunk('b.go', go, { maxTokens: 100 }), line)[0].symbol, 'Server.Hits');
    });

    it('loads grammars from an explicit folder and falls back to line windows for missing or broken ones', async () => {
      copyFileSync(path.join(PACKAGE_WASM_DIR, 'tree-sitter.wasm'), path.join(dir, 'tree-sitter.wasm'));
      copyFileSync(path.join(PACKAGE_WASM_DIR, 'tree-sitter-go.wasm'), path.join(dir, 'tree-sitter-go.wasm'));
      writeFileSync(path.join(dir, 'tree-sitter-python.wasm'), 'not wasm');
      const local = await Chunker.create(dir);

      const go = readFixture('server.go');
      const goChunks = await local.chunk('server.go', go, { maxTokens: 100 });
      assert.equal(chunksAt(goChunks, lineOf(go, 'func (s *Server) Hits()'))[0].symbol, 'Server.Hits');

      for (const [file, fixture, language] of [['shapes.py', 'shapes.py', 'python'], ['sample.ts', 'sample.ts.fixture', 'typescript']]) {
        const text = readFixture(fixture);
        const chunks = await local.chunk(file, text, { maxTokens: 100 });
        assertAllProperties(text, chunks, 100, file, language);
        assert.ok(chunks.every((c) => c.symbol === undefined), `${file} falls back to line windows`);
        assert.ok(chunks.length > 1);
      }
    });
  });

  describe('languageOf', () => {
    it('maps extensions and well-known names to VS Code language ids', () => {
      const cases: Array<[string, string]> = [
        ['src/a.ts', 'typescript'], ['a.mts', 'typescript'], ['a.tsx', 'typescriptreact'], ['a.js', 'javascript'],
        ['a.cjs', 'javascript'], ['a.jsx', 'javascriptreact'], ['a.py', 'python'], ['a.go', 'go'], ['a.rs', 'rust'],
        ['A.java', 'java'], ['a.c', 'c'], ['a.h', 'cpp'], ['a.cc', 'cpp'], ['a.hpp', 'cpp'], ['a.cs', 'csharp'],
        ['a.rb', 'ruby'], ['Gemfile', 'ruby'], ['a.php', 'php'], ['a.sh', 'shellscript'], ['.bashrc', 'shellscript'],
        ['README.md', 'markdown'], ['a.mdx', 'markdown'], ['a.markdown', 'markdown'], ['a.rst', 'restructuredtext'],
        ['a.json', 'json'], ['a.yml', 'yaml'], ['a.yaml', 'yaml'], ['Cargo.toml', 'toml'], ['a.html', 'html'],
        ['a.css', 'css'], ['a.txt', 'plaintext'], ['Dockerfile', 'dockerfile'], ['Dockerfile.dev', 'dockerfile'],
        ['Makefile', 'makefile'], ['GNUmakefile', 'makefile'], ['CMakeLists.txt', 'cmake'], ['.gitignore', 'ignore'],
      ];
      for (const [file, language] of cases) assert.equal(languageOf(file), language, file);
    });

    it('ignores case and folders, and answers plaintext for unknown or odd names', () => {
      assert.equal(languageOf('Docs/README.MD'), 'markdown');
      assert.equal(languageOf('src\\win\\Main.CS'), 'csharp');
      assert.equal(languageOf('dir.ts/LICENSE'), 'plaintext');
      for (const odd of ['', 'noext', '.hidden', 'a.unknownext', 'a.constructor', 'a.__proto__', 'a.', 'toString']) {
        assert.equal(languageOf(odd), 'plaintext', odd);
      }
    });
  });
});
