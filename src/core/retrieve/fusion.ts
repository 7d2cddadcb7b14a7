// Combining the vector and lexical rankings, then turning adjacent hits into one readable excerpt.
import { chunkId, contentHash } from '../hash';
import type { Chunk, RetrievedChunk, SearchHit, SearchIndex } from '../types';

export type HitSource = 'vector' | 'lexical';

/** The constant from Cormack et al. (2009): damps the head of each list so one ranking cannot dominate. */
export const DEFAULT_RRF_K = 60;
/** Chunks this many lines apart or fewer read as one excerpt when the lines between are indexed too. */
export const DEFAULT_MAX_GAP_LINES = 3;

const SOURCE_ORDER: HitSource[] = ['vector', 'lexical'];

/**
 * score(item) = sum over lists of weight / (k + rank), rank starting at 1. Raw scores are ignored:
 * cosine similarity and BM25 are not comparable, ranks are. Ties go to the item with the better
 * best rank, then to path, line and id, so the same inputs always give the same order.
 */
export function reciprocalRankFusion(
  lists: Array<{ source: HitSource; hits: SearchHit[]; weight?: number }>,
  k: number = DEFAULT_RRF_K,
): RetrievedChunk[] {
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`RRF k must be a finite number >= 0, got ${k}`);
  const fused = new Map<string, { chunk: Chunk; score: number; bestRank: number; via: Set<HitSource> }>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`RRF weight must be a finite number >= 0, got ${weight}`);
    const seen = new Set<string>();
    list.hits.forEach((hit, index) => {
      const id = hit.chunk.id;
      // A list that repeats an item counts it once, at its best rank.
      if (seen.has(id)) return;
      seen.add(id);
      const rank = index + 1;
      const entry = fused.get(id) ?? { chunk: hit.chunk, score: 0, bestRank: rank, via: new Set<HitSource>() };
      entry.score += weight / (k + rank);
      entry.bestRank = Math.min(entry.bestRank, rank);
      entry.via.add(list.source);
      fused.set(id, entry);
    });
  }
  return [...fused.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        a.bestRank - b.bestRank ||
        compareStrings(a.chunk.path, b.chunk.path) ||
        a.chunk.startLine - b.chunk.startLine ||
        compareStrings(a.chunk.id, b.chunk.id),
    )
    .map((e) => ({ chunk: e.chunk, score: e.score, via: SOURCE_ORDER.filter((s) => e.via.has(s)) }));
}

/**
 * Results are expected best first; a merged result takes the place of its best member. Chunks
 * whose text does not span exactly their line range are kept as they are rather than spliced
 * wrongly. Lines between two results are filled from the file's other indexed chunks; when some
 * are not indexed the results stay apart, since their text is unknown.
 */
export function mergeNeighbours(results: RetrievedChunk[], index: SearchIndex, maxGapLines: number = DEFAULT_MAX_GAP_LINES): RetrievedChunk[] {
  if (!Number.isInteger(maxGapLines) || maxGapLines < 0) throw new RangeError(`maxGapLines must be an integer >= 0, got ${maxGapLines}`);
  const unique = dropDuplicates(results);

  const byPath = new Map<string, RetrievedChunk[]>();
  for (const r of unique) {
    const group = byPath.get(r.chunk.path);
    if (group) group.push(r);
    else byPath.set(r.chunk.path, [r]);
  }

  // Each result maps to the merged result that replaces it (itself when alone).
  const replacement = new Map<RetrievedChunk, RetrievedChunk>();
  for (const [path, group] of byPath) {
    const splicable = group.filter((r) => spansItsLines(r.chunk));
    for (const r of group) if (!splicable.includes(r)) replacement.set(r, r);
    if (splicable.length === 0) continue;
    const fileChunks = splicable.length > 1 ? index.chunksOf(path).filter(spansItsLines) : [];
    for (const run of adjacentRuns(splicable, fileChunks, maxGapLines)) {
      const merged = run.length === 1 ? run[0] : mergeRun(run, fileChunks);
      for (const r of run) replacement.set(r, merged);
    }
  }

  const out: RetrievedChunk[] = [];
  const emitted = new Set<RetrievedChunk>();
  for (const r of unique) {
    const merged = replacement.get(r) ?? r;
    if (emitted.has(merged)) continue;
    emitted.add(merged);
    out.push(merged);
  }
  return out;
}

/** The same text twice (copied files, repeated boilerplate) adds nothing: the better-ranked copy stays. */
function dropDuplicates(results: RetrievedChunk[]): RetrievedChunk[] {
  const seenHashes = new Set<string>();
  const seenIds = new Set<string>();
  return results.filter((r) => {
    if (seenHashes.has(r.chunk.hash) || seenIds.has(r.chunk.id)) return false;
    seenHashes.add(r.chunk.hash);
    seenIds.add(r.chunk.id);
    return true;
  });
}

/** Groups results (of one file) whose ranges overlap, touch, or are at most maxGap indexed lines apart. */
function adjacentRuns(results: RetrievedChunk[], fileChunks: Chunk[], maxGap: number): RetrievedChunk[][] {
  const sorted = [...results].sort((a, b) => a.chunk.startLine - b.chunk.startLine || a.chunk.endLine - b.chunk.endLine);
  const runs: RetrievedChunk[][] = [];
  let current: RetrievedChunk[] = [];
  let runEnd = 0;
  for (const r of sorted) {
    const gap = r.chunk.startLine - runEnd - 1;
    const joins = current.length > 0 && (gap <= 0 || (gap <= maxGap && covered(fileChunks, runEnd + 1, r.chunk.startLine - 1)));
    if (!joins && current.length > 0) {
      runs.push(current);
      current = [];
    }
    current.push(r);
    runEnd = current.length === 1 ? r.chunk.endLine : Math.max(runEnd, r.chunk.endLine);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** True when every line in [from, to] belongs to some indexed chunk. */
function covered(chunks: Chunk[], from: number, to: number): boolean {
  let next = from;
  for (const c of [...chunks].sort((a, b) => a.startLine - b.startLine)) {
    if (c.startLine > next) break;
    if (c.endLine >= next) next = c.endLine + 1;
    if (next > to) return true;
  }
  return next > to;
}

function mergeRun(run: RetrievedChunk[], fileChunks: Chunk[]): RetrievedChunk {
  const start = Math.min(...run.map((r) => r.chunk.startLine));
  const end = Math.max(...run.map((r) => r.chunk.endLine));
  // Results first so their text wins; indexed chunks only fill the gaps between them.
  const lines = new Map<number, string>();
  for (const chunk of [...run.map((r) => r.chunk), ...fileChunks]) {
    const chunkLines = splitLines(chunk.text);
    for (let line = Math.max(start, chunk.startLine); line <= Math.min(end, chunk.endLine); line++) {
      if (!lines.has(line)) lines.set(line, chunkLines[line - chunk.startLine]);
    }
  }
  const text = Array.from({ length: end - start + 1 }, (_, i) => lines.get(start + i) ?? '').join('\n');
  const best = run.reduce((a, b) => (b.score > a.score ? b : a));
  const first = run.reduce((a, b) => (b.chunk.startLine < a.chunk.startLine ? b : a));
  const symbols = [...new Set(run.map((r) => r.chunk.symbol).filter((s): s is string => !!s))];
  const hash = contentHash(text);
  return {
    chunk: {
      id: chunkId(best.chunk.path, start, hash),
      path: best.chunk.path,
      startLine: start,
      endLine: end,
      language: best.chunk.language,
      ...(symbols.length > 0 ? { symbol: symbols.join(', ') } : {}),
      ...(first.chunk.context !== undefined ? { context: first.chunk.context } : {}),
      text,
      hash,
    },
    score: best.score,
    via: SOURCE_ORDER.filter((s) => run.some((r) => r.via.includes(s))),
  };
}

function spansItsLines(chunk: Chunk): boolean {
  return chunk.startLine >= 1 && chunk.endLine >= chunk.startLine && splitLines(chunk.text).length === chunk.endLine - chunk.startLine + 1;
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Code-unit order, not locale order: stable across machines. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
