import * as assert from 'node:assert/strict';
import { aggregateByFile, Retriever } from '../../../src/core/retrieve';
import type { SearchHit } from '../../../src/core/types';
import { makeChunk, MemoryIndex } from './memoryIndex';
import { REPORT_BODY } from './reportText';

function hit(path: string, line: number, score: number): SearchHit {
  return { chunk: makeChunk(path, line, [`line ${line} of ${path}`]), score };
}

describe('aggregateByFile', () => {
  it('scores a file by its best chunk plus decaying support from its next two', () => {
    const files = aggregateByFile([hit('a.ts', 1, 10), hit('b.ts', 1, 9), hit('b.ts', 5, 8), hit('b.ts', 9, 4), hit('b.ts', 20, 4)], 0.5);
    assert.deepEqual(
      files.map((f) => [f.path, f.score]),
      [
        ['b.ts', 9 + 0.5 * 8 + 0.25 * 4],
        ['a.ts', 10],
      ],
    );
    assert.deepEqual(files[0].hits.map((h) => h.chunk.startLine), [1, 5, 9, 20]);
  });

  it('ranks by best chunk alone with decay 0, ties kept in first-seen order', () => {
    assert.deepEqual(aggregateByFile([hit('x.ts', 1, 3), hit('y.ts', 1, 3), hit('y.ts', 2, 3)], 0).map((f) => f.path), ['x.ts', 'y.ts']);
  });

  it('returns [] for no hits and rejects a decay outside [0, 1]', () => {
    assert.deepEqual(aggregateByFile([]), []);
    for (const decay of [-0.1, 1.5, Number.NaN]) assert.throws(() => aggregateByFile([hit('a.ts', 1, 1)], decay), RangeError);
  });
});

describe('Retriever.rankFiles', () => {
  it('ranks files lexically, at most k, and answers empty questions with no files', async () => {
    const index = new MemoryIndex();
    index.add(makeChunk('src/retry.ts', 1, ['retry with backoff', 'retry again']));
    index.add(makeChunk('src/retry.ts', 4, ['backoff grows']));
    index.add(makeChunk('src/log.ts', 1, ['log a retry']));
    const retriever = new Retriever(index);
    const ranked = await retriever.rankFiles('retry backoff', { k: 1 });
    assert.equal(ranked.mode, 'lexical');
    assert.deepEqual(ranked.files.map((f) => f.path), ['src/retry.ts']);
    assert.deepEqual((await retriever.rankFiles('', { k: 3 })).files, []);
    assert.deepEqual((await retriever.rankFiles('what is the', { k: 3 })).files, []);
    await assert.rejects(retriever.rankFiles('retry', { k: 0 }), RangeError);
  });

  it('lexical-only, weighs a file by the ranks of its matching chunks for a report, by their scores for a short question', async () => {
    // One chunk of long.ts matches all six words; three chunks of spread.ts match three each. By raw
    // scores long.ts wins (6 against 3 + 0.3 * 3 + 0.09 * 3); by rank, three chunks at ranks 2-4 are
    // more evidence than one at rank 1.
    const index = new MemoryIndex();
    index.add(makeChunk('src/long.ts', 1, ['parse token stream cache flush retry']));
    for (const line of [1, 10, 20]) index.add(makeChunk('src/spread.ts', line, [`parse token stream ${line}`]));
    const retriever = new Retriever(index);
    const report = `parse token stream cache flush retry\n\n${REPORT_BODY}`;
    assert.deepEqual((await retriever.rankFiles(report, { k: 2 })).files.map((f) => f.path), ['src/spread.ts', 'src/long.ts']);
    // Typed in chat: the one chunk matching all of its few words is the best answer.
    assert.deepEqual((await retriever.rankFiles('parse token stream cache flush retry', { k: 2 })).files.map((f) => f.path), ['src/long.ts', 'src/spread.ts']);
  });

  it("counts a report's matching chunks deep in the ranking (past the 100th) as its file's evidence", async () => {
    // Both files match all three words once; target.ts also matches at rank 153, after 150 other
    // files' chunks: with 100 candidates that second chunk is cut off and competitor.ts, first by
    // order, wins.
    const index = new MemoryIndex();
    index.add(makeChunk('src/competitor.ts', 1, ['scheduler queue flush']));
    index.add(makeChunk('src/target.ts', 1, ['scheduler queue flush']));
    for (let i = 0; i < 150; i++) index.add(makeChunk(`src/other${i}.ts`, 1, [`queue ${i}`]));
    index.add(makeChunk('src/target.ts', 50, ['flush again']));
    const report = `scheduler queue flush\n\n${REPORT_BODY}`;
    assert.deepEqual((await new Retriever(index).rankFiles(report, { k: 2 })).files.map((f) => f.path), ['src/target.ts', 'src/competitor.ts']);
  });

  it('fuses the vector ranking in when the question can be embedded', async () => {
    const index = new MemoryIndex();
    index.add(makeChunk('a.ts', 1, ['alpha']), [1, 0]);
    index.add(makeChunk('b.ts', 1, ['beta']), [0, 1]);
    const retriever = new Retriever(index, async () => Float32Array.from([0, 1]));
    const ranked = await retriever.rankFiles('alpha', { k: 2 });
    assert.equal(ranked.mode, 'hybrid');
    assert.deepEqual(ranked.files.map((f) => f.path).sort(), ['a.ts', 'b.ts']);
  });
});

