// Retrieval metrics over ranked answers. A question counts as found at rank r when the r-th answer
// (1-based) is the first gold one; most questions have one gold answer, so recall@k is the share of
// questions found within the top k, and MRR the mean of 1/r (0 when not found within MRR_CUTOFF).

export const MRR_CUTOFF = 10;

export interface Metrics {
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  mrr: number;
  queries: number;
}

/** Rank (1-based) of the first answer `isGold` accepts, or undefined. */
export function firstGoldRank<T>(ranked: readonly T[], isGold: (answer: T) => boolean): number | undefined {
  const at = ranked.findIndex(isGold);
  return at >= 0 ? at + 1 : undefined;
}

/** Aggregates the first-gold ranks of a set of questions (undefined: not found). */
export function metricsOf(ranks: ReadonlyArray<number | undefined>): Metrics {
  const n = ranks.length;
  const share = (k: number) => (n === 0 ? 0 : ranks.filter((r) => r !== undefined && r <= k).length / n);
  const mrr = n === 0 ? 0 : ranks.reduce<number>((sum, r) => sum + (r !== undefined && r <= MRR_CUTOFF ? 1 / r : 0), 0) / n;
  return { recallAt1: share(1), recallAt5: share(5), recallAt10: share(10), mrr, queries: n };
}

/** Each figure divided by the baseline's (undefined where the baseline scored 0). */
export function ratioTo(metrics: Metrics, baseline: Metrics): Record<'recallAt1' | 'recallAt5' | 'recallAt10' | 'mrr', number | undefined> {
  const ratio = (a: number, b: number) => (b > 0 ? a / b : undefined);
  return {
    recallAt1: ratio(metrics.recallAt1, baseline.recallAt1),
    recallAt5: ratio(metrics.recallAt5, baseline.recallAt5),
    recallAt10: ratio(metrics.recallAt10, baseline.recallAt10),
    mrr: ratio(metrics.mrr, baseline.mrr),
  };
}
