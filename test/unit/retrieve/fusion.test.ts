import * as assert from 'node:assert/strict';
import { mergeNeighbourGroups, mergeNeighbours, reciprocalRankFusion } from '../../../src/core/retrieve';
import type { Chunk, RetrievedChunk, SearchHit } from '../../../src/core/types';
import { makeChunk, MemoryIndex, numberedLines } from './memoryIndex';

const hit = (chunk: Chunk, score = 1): SearchHit => ({ chunk, score });
const result = (chunk: Chunk, score: number, via: RetrievedChunk['via'] = ['lexical']): RetrievedChunk => ({ chunk, score, via });

describe('reciprocalRankFusion', () => {
  const a = makeChunk('a.ts', 1, ['alpha']);
  const b = makeChunk('b.ts', 1, ['beta']);
  const c = makeChunk('c.ts', 1, ['gamma']);
  const d = makeChunk('d.ts', 1, ['delta']);

  it('sums 1/(k + rank) over the lists and records where each item came from', () => {
    const fused = reciprocalRankFusion([
      { source: 'vector', hits: [hit(a, 0.9), hit(b, 0.8), hit(c, 0.1)] },
      { source: 'lexical', hits: [hit(c, 30), hit(a, 12)] },
    ]);
    const byPath = new Map(fused.map((r) => [r.chunk.path, r]));
    assert.equal(byPath.get('a.ts')!.score, 1 / 61 + 1 / 62);
    assert.equal(byPath.get('c.ts')!.score, 1 / 63 + 1 / 61);
    assert.equal(byPath.get('b.ts')!.score, 1 / 62);
    assert.deepEqual(byPath.get('a.ts')!.via, ['vector', 'lexical']);
    assert.deepEqual(byPath.get('b.ts')!.via, ['vector']);
    assert.deepEqual(fused.map((r) => r.chunk.path), ['a.ts', 'c.ts', 'b.ts']);
  });

  it('ignores raw scores: only ranks count', () => {
    const small = reciprocalRankFusion([{ source: 'lexical', hits: [hit(a, 0.001), hit(b, 0.0001)] }]);
    const large = reciprocalRankFusion([{ source: 'lexical', hits: [hit(a, 1e9), hit(b, 1e8)] }]);
    assert.deepEqual(small.map((r) => r.score), large.map((r) => r.score));
  });

  it('honours k and per-list weights', () => {
    const fused = reciprocalRankFusion(
      [
        { source: 'vector', hits: [hit(a)], weight: 2 },
        { source: 'lexical', hits: [hit(b)], weight: 0.5 },
      ],
      10,
    );
    assert.deepEqual(fused.map((r) => [r.chunk.path, r.score]), [
      ['a.ts', 2 / 11],
      ['b.ts', 0.5 / 11],
    ]);
  });

  it('counts an item repeated within one list once, at its best rank', () => {
    const fused = reciprocalRankFusion([{ source: 'lexical', hits: [hit(a), hit(b), hit(a)] }]);
    assert.equal(fused.length, 2);
    assert.equal(fused[0].score, 1 / 61);
  });

  it('counts an item once per list, two lists of one source included', () => {
    const fused = reciprocalRankFusion([
      { source: 'lexical', hits: [hit(b), hit(a), hit(b)] },
      { source: 'lexical', hits: [hit(a), hit(a)] },
    ]);
    assert.deepEqual(fused.map((r) => [r.chunk.path, r.score, r.via]), [
      ['a.ts', 1 / 62 + 1 / 61, ['lexical']],
      ['b.ts', 1 / 61, ['lexical']],
    ]);
  });

  it('breaks ties deterministically: better best rank, then path, then line', () => {
    // a and d tie on score (rank 1 in one list, rank 2 in the other); b and c tie exactly.
    const lists = [
      { source: 'vector' as const, hits: [hit(d), hit(a), hit(c)] },
      { source: 'lexical' as const, hits: [hit(a), hit(d), hit(b)] },
    ];
    const once = reciprocalRankFusion(lists).map((r) => r.chunk.path);
    const reversed = reciprocalRankFusion([...lists].reverse()).map((r) => r.chunk.path);
    assert.deepEqual(once, ['a.ts', 'd.ts', 'b.ts', 'c.ts']);
    assert.deepEqual(reversed, once);
  });

  it('returns [] for no lists or empty lists, and rejects a bad k or weight', () => {
    assert.deepEqual(reciprocalRankFusion([]), []);
    assert.deepEqual(reciprocalRankFusion([{ source: 'vector', hits: [] }]), []);
    assert.throws(() => reciprocalRankFusion([{ source: 'vector', hits: [hit(a)] }], -1), RangeError);
    assert.throws(() => reciprocalRankFusion([{ source: 'vector', hits: [hit(a)] }], Number.NaN), RangeError);
    assert.throws(() => reciprocalRankFusion([{ source: 'vector', hits: [hit(a)], weight: -2 }]), RangeError);
  });
});

describe('mergeNeighbours', () => {
  function fileIndex(): { index: MemoryIndex; parts: Chunk[] } {
    const index = new MemoryIndex();
    const parts = [
      index.add(makeChunk('src/a.ts', 1, numberedLines('a', 1, 10), { symbol: 'first' })),
      index.add(makeChunk('src/a.ts', 11, numberedLines('a', 11, 20), { symbol: 'second' })),
      index.add(makeChunk('src/a.ts', 21, numberedLines('a', 21, 22))),
      index.add(makeChunk('src/a.ts', 23, numberedLines('a', 23, 40), { symbol: 'fourth' })),
    ];
    return { index, parts };
  }

  it('merges touching chunks of one file: joined text, spanning lines, max score, union of via', () => {
    const { index, parts } = fileIndex();
    const merged = mergeNeighbours([result(parts[1], 0.5, ['lexical']), result(parts[0], 0.9, ['vector'])], index);
    assert.equal(merged.length, 1);
    const m = merged[0];
    assert.equal(m.chunk.startLine, 1);
    assert.equal(m.chunk.endLine, 20);
    assert.equal(m.chunk.text, numberedLines('a', 1, 20).join('\n'));
    assert.equal(m.score, 0.9);
    assert.deepEqual(m.via, ['vector', 'lexical']);
    assert.equal(m.chunk.symbol, 'first, second');
    assert.notEqual(m.chunk.hash, parts[0].hash);
  });

  it('merges overlapping chunks without repeating the shared lines', () => {
    const index = new MemoryIndex();
    const x = index.add(makeChunk('o.ts', 1, numberedLines('o', 1, 12)));
    const y = index.add(makeChunk('o.ts', 9, numberedLines('o', 9, 20)));
    const [m] = mergeNeighbours([result(x, 1), result(y, 2)], index);
    assert.equal(m.chunk.text, numberedLines('o', 1, 20).join('\n'));
    assert.deepEqual([m.chunk.startLine, m.chunk.endLine, m.score], [1, 20, 2]);
  });

  it('bridges a small gap with the indexed chunk between, and keeps a wider gap apart', () => {
    const { index, parts } = fileIndex();
    const bridged = mergeNeighbours([result(parts[1], 1), result(parts[3], 0.5)], index, 2);
    assert.equal(bridged.length, 1);
    assert.equal(bridged[0].chunk.text, numberedLines('a', 11, 40).join('\n'));

    const apart = mergeNeighbours([result(parts[0], 1), result(parts[3], 0.5)], index, 2);
    assert.deepEqual(apart.map((r) => r.chunk.id), [parts[0].id, parts[3].id]);
    const exactGap = mergeNeighbours([result(parts[0], 1), result(parts[3], 0.5)], index, 12);
    assert.equal(exactGap.length, 1);
    assert.equal(exactGap[0].chunk.text, numberedLines('a', 1, 40).join('\n'));
  });

  it('fills lines no chunk covers with blank lines, since chunks cover every non-blank line', () => {
    const index = new MemoryIndex();
    const x = index.add(makeChunk('g.ts', 1, ['one', 'two']));
    const y = index.add(makeChunk('g.ts', 5, ['five']));
    const [m] = mergeNeighbours([result(x, 1), result(y, 1)], index, 2);
    assert.equal(m.chunk.text, 'one\ntwo\n\n\nfive');
    assert.deepEqual([m.chunk.startLine, m.chunk.endLine], [1, 5]);
  });

  it('never splices the pieces of a hard-split long line', () => {
    const index = new MemoryIndex();
    const long = 'const data = [' + '1, '.repeat(400) + '];';
    const before = index.add(makeChunk('d.ts', 1, ['// data']));
    const head = index.add(makeChunk('d.ts', 2, [long.slice(0, 600)]));
    const tail = index.add(makeChunk('d.ts', 2, [long.slice(600)]));
    const out = mergeNeighbours([result(head, 3), result(tail, 2), result(before, 1)], index);
    assert.deepEqual(out.map((r) => r.chunk), [head, tail, before]);
  });

  it('reports the members of each merged result, best first', () => {
    const { index, parts } = fileIndex();
    const groups = mergeNeighbourGroups([result(parts[0], 1), result(parts[1], 2), result(parts[3], 0.1)], index, 0);
    assert.deepEqual(groups.map((g) => g.members.map((m) => m.chunk.startLine)), [[11, 1], [23]]);
    assert.equal(groups[1].merged.chunk, parts[3]);
  });

  it('stops a merged excerpt from growing without bound, so one file cannot crowd out the others', () => {
    const index = new MemoryIndex();
    const chunks = Array.from({ length: 40 }, (_, i) => index.add(makeChunk('long.ts', i * 10 + 1, numberedLines(`line of a long file ${i}`.padEnd(60, '.'), 1, 10))));
    const groups = mergeNeighbourGroups(chunks.map((c, i) => result(c, 40 - i)), index);
    assert.ok(groups.length > 1, 'split into several excerpts');
    for (const g of groups) assert.ok(g.members.length === 1 || g.merged.chunk.text.length <= 6000, `${g.merged.chunk.text.length} chars`);
    assert.equal(groups.reduce((n, g) => n + g.members.length, 0), 40, 'every result is in one excerpt');
    const covered = groups.map((g) => [g.merged.chunk.startLine, g.merged.chunk.endLine]).sort((a, b) => a[0] - b[0]);
    covered.forEach(([start], i) => assert.equal(start, i === 0 ? 1 : covered[i - 1][1] + 1, 'consecutive, no line lost'));
  });

  it('never merges across files, and keeps the ranked order with a merged result at its best member', () => {
    const { index, parts } = fileIndex();
    const other = index.add(makeChunk('src/b.ts', 11, numberedLines('b', 11, 20)));
    const out = mergeNeighbours([result(other, 3), result(parts[1], 2), result(parts[3], 1.5), result(parts[0], 1)], index, 0);
    assert.deepEqual(
      out.map((r) => [r.chunk.path, r.chunk.startLine, r.chunk.endLine]),
      [
        ['src/b.ts', 11, 20],
        ['src/a.ts', 1, 20],
        ['src/a.ts', 23, 40],
      ],
    );
  });

  it('drops exact duplicates (same hash), keeping the better-ranked copy', () => {
    const index = new MemoryIndex();
    const original = index.add(makeChunk('lib/license.ts', 1, ['// MIT License', '// Copyright']));
    const copy = index.add(makeChunk('vendor/license.ts', 1, ['// MIT License', '// Copyright']));
    const out = mergeNeighbours([result(original, 2), result(copy, 1), result(original, 0.5)], index);
    assert.deepEqual(out.map((r) => r.chunk.path), ['lib/license.ts']);
  });

  it('leaves a chunk whose text does not match its line range unmerged rather than splicing it wrongly', () => {
    const index = new MemoryIndex();
    const good = index.add(makeChunk('m.ts', 1, ['a', 'b']));
    const bad = index.add({ ...makeChunk('m.ts', 3, ['c', 'd']), endLine: 9 });
    const out = mergeNeighbours([result(good, 1), result(bad, 1)], index);
    assert.deepEqual(out.map((r) => r.chunk), [good, bad]);
  });

  it('returns [] for [] and rejects a negative or fractional gap', () => {
    const index = new MemoryIndex();
    assert.deepEqual(mergeNeighbours([], index), []);
    assert.throws(() => mergeNeighbours([], index, -1), RangeError);
    assert.throws(() => mergeNeighbours([], index, 1.5), RangeError);
  });
});
