// Combining the vector and lexical rankings, then turning adjacent hits into one readable excerpt.
import { compareCodeUnits } from '../compare';
import { chunkId, contentHash } from '../hash';
import type { Chunk, ChunkRef, RetrievedChunk, SearchIndex } from '../types';

export type HitSource = 'vector' | 'lexical';

/** The constant from Cormack et al. (2009): damps the head of each list so one ranking cannot dominate. */
export const DEFAULT_RRF_K = 60;
/** Results this many lines apart or fewer (blank lines, a short declaration between) read as one excerpt. */
export const DEFAULT_MAX_GAP_LINES = 3;

/** A merged excerpt stops growing here: one huge source would crowd the others out of the prompt. */
const MAX_MERGED_CHARS = 6000;

const SOURCE_ORDER: HitSource[] = ['vector', 'lexical'];

/** A fused hit: its chunk may not be read yet (lexical hits are ranked on ids and paths alone). */
export interface FusedHit<C extends ChunkRef = ChunkRef> {
  chunk: C;
  score: number;
  via: HitSource[];
}

/**
 * score(item) = sum over lists of weight / (k + rank), rank starting at 1. Raw scores are ignored:
 * cosine similarity and BM25 are not comparable, ranks are. Ties go to the item with the better
 * best rank, then to path and id, so the same inputs always give the same order.
 */
export function reciprocalRankFusion<C extends ChunkRef>(
  lists: Array<{ source: HitSource; hits: Array<{ chunk: C; score: number }>; weight?: number }>,
  k: number = DEFAULT_RRF_K,
): Array<FusedHit<C>> {
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`RRF k must be a finite number >= 0, got ${k}`);
  // `sources`: a bit per source (its index in SOURCE_ORDER) that ranked the item; `list`: the last list that did.
  const fused = new Map<string, { chunk: C; score: number; bestRank: number; sources: number; list: number }>();
  lists.forEach((list, listIndex) => {
    const weight = list.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`RRF weight must be a finite number >= 0, got ${weight}`);
    const bit = 1 << SOURCE_ORDER.indexOf(list.source);
    list.hits.forEach((hit, index) => {
      const rank = index + 1;
      const entry = fused.get(hit.chunk.id);
      if (!entry) fused.set(hit.chunk.id, { chunk: hit.chunk, score: weight / (k + rank), bestRank: rank, sources: bit, list: listIndex });
      // A list that repeats an item counts it once, at its best rank (its first).
      else if (entry.list !== listIndex) {
        entry.score += weight / (k + rank);
        entry.bestRank = Math.min(entry.bestRank, rank);
        entry.sources |= bit;
        entry.list = listIndex;
      }
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.bestRank - b.bestRank || compareCodeUnits(a.chunk.path, b.chunk.path) || compareCodeUnits(a.chunk.id, b.chunk.id))
    .map((e) => ({ chunk: e.chunk, score: e.score, via: SOURCE_ORDER.filter((_, i) => e.sources & (1 << i)) }));
}

/**
 * Results are expected best first; a merged result takes the place of its best member. Only
 * chunks whose text is exactly their lines take part: a chunk whose text does not span its range,
 * or a piece of a hard-split long line (another chunk gives the same line a different text), is
 * kept as it is rather than spliced wrongly. Lines between two results come from the file's other
 * indexed chunks; lines no chunk covers are blank, since chunks cover every non-blank line.
 */
export function mergeNeighbours(results: RetrievedChunk[], index: SearchIndex, maxGapLines: number = DEFAULT_MAX_GAP_LINES): RetrievedChunk[] {
  return mergeNeighbourGroups(results, index, maxGapLines).map((g) => g.merged);
}

/** `mergeNeighbours` with the results each merged one was made of (the freshness check falls back to them). */
export function mergeNeighbourGroups(
  results: RetrievedChunk[],
  index: SearchIndex,
  maxGapLines: number = DEFAULT_MAX_GAP_LINES,
): Array<{ merged: RetrievedChunk; members: RetrievedChunk[] }> {
  if (!Number.isInteger(maxGapLines) || maxGapLines < 0) throw new RangeError(`maxGapLines must be an integer >= 0, got ${maxGapLines}`);
  const unique = dropDuplicates(results);

  const byPath = new Map<string, RetrievedChunk[]>();
  for (const r of unique) {
    const group = byPath.get(r.chunk.path);
    if (group) group.push(r);
    else byPath.set(r.chunk.path, [r]);
  }

  // Each result maps to the group that replaces it (alone when nothing merges with it).
  const groupOf = new Map<RetrievedChunk, { merged: RetrievedChunk; members: RetrievedChunk[] }>();
  for (const [path, group] of byPath) {
    if (!mayTouch(group.filter((r) => spansItsLines(r.chunk)), maxGapLines)) continue;
    const file = new FileLines([...group.map((r) => r.chunk), ...index.chunksOf(path)]);
    const splicable = group.filter((r) => file.isExact(r.chunk));
    for (const run of adjacentRuns(splicable, file, maxGapLines)) {
      if (run.length > 1) {
        // Members best first: if the merged result turns out stale, they stand in for it in rank order.
        const entry = { merged: mergeRun(run, file), members: [...run].sort((a, b) => b.score - a.score) };
        for (const r of run) groupOf.set(r, entry);
      }
    }
  }

  const out: Array<{ merged: RetrievedChunk; members: RetrievedChunk[] }> = [];
  const emitted = new Set<RetrievedChunk>();
  for (const r of unique) {
    const entry = groupOf.get(r) ?? { merged: r, members: [r] };
    if (emitted.has(entry.merged)) continue;
    emitted.add(entry.merged);
    out.push(entry);
  }
  return out;
}

/**
 * Whether any two of a file's results (that span their lines) overlap or lie at most `maxGap`
 * lines apart: if none do, nothing merges, and the file's lines need not be laid out (most files
 * with two hits).
 */
function mayTouch(group: RetrievedChunk[], maxGap: number): boolean {
  if (group.length < 2) return false;
  const sorted = group.map((r) => r.chunk).sort((a, b) => a.startLine - b.startLine);
  let end = sorted[0].endLine;
  for (const chunk of sorted.slice(1)) {
    if (chunk.startLine - end - 1 <= maxGap) return true;
    end = Math.max(end, chunk.endLine);
  }
  return false;
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

/** What the indexed chunks of one file say each line holds (lines no chunk covers read as blank). */
export class FileLines {
  private readonly text = new Map<number, string>();
  /** Lines given different texts by different chunks: pieces of a hard-split line. */
  private readonly conflicting = new Set<number>();

  constructor(chunks: Chunk[]) {
    for (const chunk of chunks) {
      if (!spansItsLines(chunk)) continue;
      splitLines(chunk.text).forEach((line, i) => {
        const at = chunk.startLine + i;
        const known = this.text.get(at);
        if (known === undefined) this.text.set(at, line);
        else if (known !== line) this.conflicting.add(at);
      });
    }
  }

  isExact(chunk: Chunk): boolean {
    if (!spansItsLines(chunk)) return false;
    for (let line = chunk.startLine; line <= chunk.endLine; line++) if (this.conflicting.has(line)) return false;
    return true;
  }

  /** True when no line in [from, to] is a piece of a split line, so the range can be spelled out. */
  canFill(from: number, to: number): boolean {
    for (let line = from; line <= to; line++) if (this.conflicting.has(line)) return false;
    return true;
  }

  chars(from: number, to: number): number {
    let total = 0;
    for (let line = from; line <= to; line++) total += (this.text.get(line)?.length ?? 0) + 1;
    return total;
  }

  lines(from: number, to: number): string {
    return Array.from({ length: to - from + 1 }, (_, i) => this.text.get(from + i) ?? '').join('\n');
  }
}

/** Groups results (of one file, and one page or cell of a document) whose ranges overlap, touch, or are at most maxGap lines apart. */
function adjacentRuns(results: RetrievedChunk[], file: FileLines, maxGap: number): RetrievedChunk[][] {
  const sorted = [...results].sort((a, b) => a.chunk.startLine - b.chunk.startLine || a.chunk.endLine - b.chunk.endLine);
  const runs: RetrievedChunk[][] = [];
  let current: RetrievedChunk[] = [];
  let runStart = 0;
  let runEnd = 0;
  for (const r of sorted) {
    const gap = r.chunk.startLine - runEnd - 1;
    const joins =
      current.length > 0 &&
      // A document's page or cell is where a user is sent: a merged result stays on one.
      r.chunk.page === current[0].chunk.page &&
      r.chunk.cell === current[0].chunk.cell &&
      (gap <= 0 || (gap <= maxGap && file.canFill(runEnd + 1, r.chunk.startLine - 1))) &&
      file.chars(runStart, Math.max(runEnd, r.chunk.endLine)) <= MAX_MERGED_CHARS;
    if (!joins && current.length > 0) {
      runs.push(current);
      current = [];
    }
    current.push(r);
    if (current.length === 1) runStart = r.chunk.startLine;
    runEnd = current.length === 1 ? r.chunk.endLine : Math.max(runEnd, r.chunk.endLine);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

function mergeRun(run: RetrievedChunk[], file: FileLines): RetrievedChunk {
  const start = Math.min(...run.map((r) => r.chunk.startLine));
  const end = Math.max(...run.map((r) => r.chunk.endLine));
  const text = file.lines(start, end);
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
      // A document's place is where the merged text starts.
      ...(first.chunk.page !== undefined ? { page: first.chunk.page } : {}),
      ...(first.chunk.cell !== undefined ? { cell: first.chunk.cell } : {}),
      text,
      hash,
    },
    score: best.score,
    via: SOURCE_ORDER.filter((s) => run.some((r) => r.via.includes(s))),
  };
}

/**
 * Per chunk read from the store (frozen, and cached with its file's other chunks), whether it spans
 * its lines: every query's merging asks it of every chunk of each file with two hits.
 */
const spanKnown = new WeakMap<Chunk, boolean>();

function spansItsLines(chunk: Chunk): boolean {
  let spans = spanKnown.get(chunk);
  if (spans === undefined) {
    spans = chunk.startLine >= 1 && chunk.endLine >= chunk.startLine && lineCount(chunk.text) === chunk.endLine - chunk.startLine + 1;
    if (Object.isFrozen(chunk)) spanKnown.set(chunk, spans);
  }
  return spans;
}

/** splitLines(text).length, without building the lines. */
function lineCount(text: string): number {
  let count = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}
