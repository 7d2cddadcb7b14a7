import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { maskSecrets } from '../../../src/core/files';
import { checkFreshness } from '../../../src/core/retrieve';
import type { RetrievedChunk } from '../../../src/core/types';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';
import { makeChunk } from './memoryIndex';

const FILE = [
  'import { readFile } from "node:fs";',
  '',
  'export function parseConfig(text: string) {',
  '  return JSON.parse(text);',
  '}',
  '',
  'export function loadConfig(path: string) {',
  '  return parseConfig(readFile(path));',
  '}',
].join('\n');

/** A result as the index holds it: lines `from..to` of `text` in `file`. */
function indexed(file: string, text: string, from: number, to: number): RetrievedChunk {
  return { chunk: makeChunk(file, from, text.split('\n').slice(from - 1, to)), score: 1, via: ['lexical'] };
}

describe('checkFreshness', () => {
  let root: string;
  const readFromDisk = (rel: string) => fs.readFile(path.join(root, rel), 'utf8').catch(() => undefined);

  beforeEach(() => {
    root = makeTempDir('lore-fresh-');
    writeTree(root, { 'src/config.ts': FILE, 'src/other.ts': 'export const other = 1;\n' });
  });
  afterEach(() => removeDir(root));

  it('keeps unchanged results as they are, in order', async () => {
    const results = [indexed('src/config.ts', FILE, 7, 9), indexed('src/other.ts', 'export const other = 1;', 1, 1), indexed('src/config.ts', FILE, 3, 5)];
    const fresh = await checkFreshness(results, readFromDisk);
    assert.deepEqual(fresh, results);
  });

  it('re-locates text that moved and gives it the new line numbers', async () => {
    const result = indexed('src/config.ts', FILE, 7, 9);
    writeTree(root, { 'src/config.ts': `// header added\n// another line\n\n${FILE}` });
    const [moved] = await checkFreshness([result], readFromDisk);
    assert.equal(moved.chunk.startLine, 10);
    assert.equal(moved.chunk.endLine, 12);
    assert.equal(moved.chunk.text, result.chunk.text);
    assert.notEqual(moved.chunk.id, result.chunk.id, 'the id follows the position');
    const current = (await readFromDisk('src/config.ts'))!.split('\n').slice(9, 12).join('\n');
    assert.equal(current, result.chunk.text);
  });

  it('picks the occurrence nearest to the old position when the text now appears twice', async () => {
    const block = ['function twin() {', '  return 1;', '}'];
    const before = ['// a', '// b', ...block].join('\n');
    const result = indexed('twin.ts', before, 3, 5);
    writeTree(root, { 'twin.ts': [...block, '// a', '// b', '// c', ...block].join('\n') });
    const [moved] = await checkFreshness([result], readFromDisk);
    assert.equal(moved.chunk.startLine, 1);
  });

  it('drops results whose text was edited', async () => {
    const results = [indexed('src/config.ts', FILE, 3, 5), indexed('src/config.ts', FILE, 7, 9)];
    writeTree(root, { 'src/config.ts': FILE.replace('JSON.parse(text)', 'JSON.parse(text.trim())') });
    const fresh = await checkFreshness(results, readFromDisk);
    assert.deepEqual(fresh.map((r) => r.chunk.startLine), [7]);
  });

  it('drops results of deleted files and of files that cannot be read', async () => {
    const results = [indexed('src/config.ts', FILE, 3, 5), indexed('src/other.ts', 'export const other = 1;', 1, 1), indexed('src/gone.ts', 'x', 1, 1)];
    await fs.rm(path.join(root, 'src/config.ts'));
    const failing = (rel: string) => (rel === 'src/other.ts' ? Promise.reject(new Error('EACCES')) : readFromDisk(rel));
    assert.deepEqual(await checkFreshness(results, failing), []);
  });

  it('judges by the text readCurrent gives (an unsaved buffer), not by the disk', async () => {
    const result = indexed('src/config.ts', FILE, 3, 5);
    const unsaved = FILE.replace('parseConfig(text: string)', 'parseConfig(text: string, strict = false)');
    const buffers = (rel: string) => (rel === 'src/config.ts' ? Promise.resolve(unsaved) : readFromDisk(rel));
    assert.deepEqual(await checkFreshness([result], buffers), []);
  });

  it('reads each file once, however many results it has', async () => {
    const reads: string[] = [];
    const counting = (rel: string) => {
      reads.push(rel);
      return readFromDisk(rel);
    };
    await checkFreshness([indexed('src/config.ts', FILE, 1, 1), indexed('src/config.ts', FILE, 3, 5), indexed('src/config.ts', FILE, 7, 9)], counting);
    assert.deepEqual(reads, ['src/config.ts']);
  });

  it('tolerates CRLF line endings, a BOM and trailing whitespace', async () => {
    const result = indexed('src/config.ts', FILE, 3, 5);
    writeTree(root, { 'src/config.ts': '\uFEFF' + FILE.split('\n').map((l) => `${l}  `).join('\r\n') });
    const [fresh] = await checkFreshness([result], readFromDisk);
    assert.equal(fresh.chunk.startLine, 3);
  });

  it('compares against masked text, as the index stores chunks with secrets masked', async () => {
    const source = ['const client = new Api({', '  key: "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",', '});'].join('\n');
    const masked = maskSecrets(source);
    assert.ok(masked.masked > 0, 'the fixture must contain something the masker masks');
    writeTree(root, { 'api.ts': source });
    const result = indexed('api.ts', masked.text, 1, 3);
    const fresh = await checkFreshness([result], readFromDisk);
    assert.equal(fresh.length, 1);
    assert.equal(fresh[0].chunk.text, masked.text, 'the secret stays masked');
  });

  it('keeps the pieces of a hard-split long line, short tail included, and drops them when the line changes', async () => {
    const long = `export const table = [${Array.from({ length: 300 }, (_, i) => i).join(', ')}];`;
    writeTree(root, { 'table.ts': `// numbers\n${long}\n` });
    const pieces = [long.slice(0, 700), long.slice(700, long.length - 2), long.slice(long.length - 2)].map(
      (piece): RetrievedChunk => ({ chunk: makeChunk('table.ts', 2, [piece]), score: 1, via: ['lexical'] }),
    );
    assert.equal((await checkFreshness(pieces, readFromDisk)).length, 3);
    writeTree(root, { 'table.ts': `// numbers\nexport const table = [];\n` });
    assert.deepEqual(await checkFreshness(pieces, readFromDisk), []);
  });

  it('does not match a short one-line chunk loosely inside another line', async () => {
    writeTree(root, { 'short.ts': 'if (a) {\n  run();\n}' });
    const result: RetrievedChunk = { chunk: makeChunk('short.ts', 2, ['run();']), score: 1, via: ['lexical'] };
    writeTree(root, { 'short.ts': 'if (a) {\n  rerun();\n}' });
    assert.deepEqual(await checkFreshness([result], readFromDisk), []);
  });

  it('returns [] for [] without reading anything', async () => {
    let reads = 0;
    assert.deepEqual(
      await checkFreshness([], async () => {
        reads++;
        return '';
      }),
      [],
    );
    assert.equal(reads, 0);
  });
});
