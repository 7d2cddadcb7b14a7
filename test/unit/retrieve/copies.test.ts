import * as assert from 'node:assert/strict';
import { creditCopiesToOriginals, originalsOfCopies } from '../../../src/core/retrieve/copies';
import { Retriever } from '../../../src/core/retrieve';
import type { SearchHit } from '../../../src/core/types';
import { makeChunk, MemoryIndex } from './memoryIndex';
import { REPORT_BODY } from './reportText';

const js = { language: 'javascript' };
const PARSE = ['export function parseFormat(config) {', '  var tokens = config._f.match(formattingTokens);', '  config._pf.unusedTokens = tokens;', '  return tokens;', '}'];
const FORMAT = ['export function formatMoment(m, format) {', '  var output = expandFormat(format, m.localeData());', '  return output.replace(/x/g, m.toString());', '}'];

/** A source tree and a bundle built from it: the same functions, re-indented, without `export`, among many other chunks. */
function treeWithBundle(): MemoryIndex {
  const idx = new MemoryIndex();
  idx.add(makeChunk('src/create/parse.js', 1, ['import { formattingTokens } from "../format";', ...PARSE], { ...js, symbol: 'parseFormat' }));
  idx.add(makeChunk('src/format/format.js', 1, FORMAT, { ...js, symbol: 'formatMoment' }));
  const indent = (lines: string[]) => lines.map((l) => `    ${l.replace(/^export /, '')}`);
  idx.add(makeChunk('moment.js', 100, indent(PARSE), { ...js, symbol: 'parseFormat' }));
  idx.add(makeChunk('moment.js', 200, indent(FORMAT), { ...js, symbol: 'formatMoment' }));
  for (let i = 0; i < 6; i++) idx.add(makeChunk('moment.js', 300 + 10 * i, [`    function helper${i}() { return ${i}; }`], { ...js, symbol: `helper${i}` }));
  return idx;
}

describe('originalsOfCopies', () => {
  it('takes a re-indented definition without its export and imports for a copy of the one in the smaller file', () => {
    const idx = treeWithBundle();
    const parse = idx.chunksOf('src/create/parse.js')[0];
    const [bundled] = idx.chunksOf('moment.js');
    assert.deepEqual([...originalsOfCopies([bundled, parse], idx)].map(([id, original]) => [id, original.path]), [[bundled.id, 'src/create/parse.js']]);
  });

  it('keeps definitions that differ in more than a fifth of their lines, short ones, and two in one file apart', () => {
    const idx = new MemoryIndex();
    const a = idx.add(makeChunk('src/a.js', 1, ['function load(x) {', '  const y = read(x);', '  check(y);', '  return y;', '}'], js));
    const b = idx.add(makeChunk('src/b.js', 1, ['function load(x) {', '  const z = fetch(x);', '  verify(z);', '  return z;', '}'], js));
    const short1 = idx.add(makeChunk('src/c.js', 1, ['get size() {', '  return this.n;', '}'], js));
    const short2 = idx.add(makeChunk('src/d.js', 1, ['get size() {', '  return this.n;', '}'], js));
    const same1 = idx.add(makeChunk('src/e.js', 1, PARSE, js));
    const same2 = idx.add(makeChunk('src/e.js', 50, PARSE, js));
    assert.equal(originalsOfCopies([a, b], idx).size, 0);
    assert.equal(originalsOfCopies([short1, short2], idx).size, 0);
    assert.equal(originalsOfCopies([same1, same2], idx).size, 0);
  });
});

describe('creditCopiesToOriginals', () => {
  it("gives a copy's hit to its original, at the copy's rank when better, one hit per chunk", () => {
    const idx = treeWithBundle();
    const [parse] = idx.chunksOf('src/create/parse.js');
    const [bundledParse, bundledFormat] = idx.chunksOf('moment.js');
    const helper = idx.chunksOf('moment.js')[2];
    const hits: SearchHit[] = [{ chunk: bundledParse, score: 9 }, { chunk: helper, score: 8 }, { chunk: parse, score: 7 }, { chunk: bundledFormat, score: 6 }];
    const credited = creditCopiesToOriginals(hits, idx);
    // formatMoment's original is not among the hits: its copy stays.
    assert.deepEqual(credited.map((h) => [h.chunk.path, h.score]), [['src/create/parse.js', 9], ['moment.js', 8], ['moment.js', 6]]);
  });

  it('ranks the source file above the bundle that copies it (rankFiles)', async () => {
    const idx = treeWithBundle();
    const report = `parseFormat drops unusedTokens when the format has formattingTokens\n\n${REPORT_BODY}`;
    const { files } = await new Retriever(idx).rankFiles(report, { k: 3 });
    assert.equal(files[0].path, 'src/create/parse.js', files.map((f) => f.path).join(' '));
  });
});
