// Copies of code: a bundle (`moment.js`, `lib/marked.esm.js`, `min/*.js`) or a vendored copy holds
// the same functions as the source files it was built from, re-indented, often several times over.
// Ranked on words, each copy matches a report as well as the source does, and a bundle, holding the
// whole library, gathers far more matching chunks than any one source file: the copies crowd out
// the file a fix would change. So a hit on a copy counts for the original: the same definition
// (same symbol, nearly the same lines) in the file with the fewest chunks, where it is written.
import type { Chunk, SearchHit, SearchIndex } from '../types';

/** Share of the shorter definition's lines the other must hold, trimmed, to be a copy of it. */
const COPY_LINE_SHARE = 0.8;
/** Definitions of fewer distinct lines (a getter: head, `return x`, brace) are alike by chance. */
const MIN_COPY_LINES = 4;

/** Module syntax a bundle drops: imports, re-exports, and the `export` before a declaration. */
const MODULE_LINE = /^(?:import\b|export\s*(?:\{|\*))/;
const EXPORT_KEYWORD = /^export\s+(?:default\s+)?/;

/** Trimmed non-blank lines, without module syntax. */
function linesOf(chunk: Chunk): Set<string> {
  const lines = new Set<string>();
  for (const line of chunk.text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed && !MODULE_LINE.test(trimmed)) lines.add(trimmed.replace(EXPORT_KEYWORD, ''));
  }
  return lines;
}

function isCopy(a: Set<string>, b: Set<string>): boolean {
  const [shorter, longer] = a.size <= b.size ? [a, b] : [b, a];
  if (shorter.size < MIN_COPY_LINES) return false;
  let shared = 0;
  for (const line of shorter) if (longer.has(line)) shared++;
  return shared >= COPY_LINE_SHARE * shorter.size;
}

/**
 * For chunks that may hold the same definition (same symbol), which are copies and of what: the
 * original is the one in the file with the fewest chunks (a bundle holds many modules, a source
 * file few). Chunks of one file are never copies of each other.
 */
export function originalsOfCopies(chunks: readonly Chunk[], index: Pick<SearchIndex, 'chunksOf'>, fileSize = new Map<string, number>()): Map<string, Chunk> {
  const originalOf = new Map<string, Chunk>();
  if (new Set(chunks.map((c) => c.path)).size < 2) return originalOf;
  const sizeOf = (path: string) => fileSize.get(path) ?? fileSize.set(path, index.chunksOf(path).length).get(path)!;
  const bySize = [...chunks].sort((a, b) => sizeOf(a.path) - sizeOf(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const originals: Array<{ chunk: Chunk; lines: Set<string> }> = [];
  for (const chunk of bySize) {
    const lines = linesOf(chunk);
    const original = originals.find((o) => o.chunk.path !== chunk.path && isCopy(o.lines, lines));
    if (original) originalOf.set(chunk.id, original.chunk);
    else originals.push({ chunk, lines });
  }
  return originalOf;
}

/**
 * Hits (best first) with each copy's hit given to its original, in the copy's place when that is
 * better than the original's own (one hit per chunk, best first again).
 */
export function creditCopiesToOriginals<T extends SearchHit>(hits: T[], index: Pick<SearchIndex, 'chunksOf'>): T[] {
  const bySymbol = new Map<string, Chunk[]>();
  for (const { chunk } of hits) {
    if (!chunk.symbol) continue;
    const group = bySymbol.get(chunk.symbol);
    if (group) group.push(chunk);
    else bySymbol.set(chunk.symbol, [chunk]);
  }
  const fileSize = new Map<string, number>();
  const originalOf = new Map<string, Chunk>();
  for (const group of bySymbol.values()) for (const [id, original] of originalsOfCopies(group, index, fileSize)) originalOf.set(id, original);
  if (originalOf.size === 0) return hits;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const hit of hits) {
    const chunk = originalOf.get(hit.chunk.id) ?? hit.chunk;
    if (seen.has(chunk.id)) continue;
    seen.add(chunk.id);
    out.push(chunk === hit.chunk ? hit : { ...hit, chunk });
  }
  return out;
}
