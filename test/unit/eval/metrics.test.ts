import * as assert from 'node:assert/strict';
import { firstGoldRank, metricsOf, MRR_CUTOFF, ratioTo } from '../../../eval/metrics';

describe('eval metrics', () => {
  it('finds the rank of the first gold answer', () => {
    assert.equal(firstGoldRank(['a', 'b', 'c'], (x) => x === 'b' || x === 'c'), 2);
    assert.equal(firstGoldRank(['a'], (x) => x === 'z'), undefined);
    assert.equal(firstGoldRank([], () => true), undefined);
  });

  it('computes recall@1/5/10 and MRR with a cutoff', () => {
    const m = metricsOf([1, 2, 6, undefined, MRR_CUTOFF + 1]);
    assert.equal(m.queries, 5);
    assert.equal(m.recallAt1, 1 / 5);
    assert.equal(m.recallAt5, 2 / 5);
    assert.equal(m.recallAt10, 3 / 5);
    assert.ok(Math.abs(m.mrr - (1 + 1 / 2 + 1 / 6) / 5) < 1e-12);
  });

  it('gives zeros for no questions and no ratio against a zero baseline', () => {
    assert.deepEqual(metricsOf([]), { recallAt1: 0, recallAt5: 0, recallAt10: 0, mrr: 0, queries: 0 });
    const ratio = ratioTo(metricsOf([1, 3]), metricsOf([2, undefined]));
    assert.equal(ratio.recallAt1, undefined);
    assert.equal(ratio.recallAt5, 2);
    assert.ok(Math.abs(ratio.mrr! - (1 + 1 / 3) / 2 / 0.25) < 1e-12);
  });
});
