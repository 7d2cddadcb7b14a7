// The index lags behind the editor (debounce, unsaved buffers, edits outside VS Code). A source the
// model cites must say what the file says now, at the lines the user will be sent to.
import { chunkId } from '../hash';
import type { RetrievedChunk } from '../types';
import { maskSecrets } from '../files';
import { splitLines } from './fusion';

/**
 * Files are read once each, concurrently. A file that cannot be read is treated like a deleted
 * one: a source nobody can open is no source. Chunks hold masked text (secrets replaced before
 * indexing), so the current text is masked the same way before it is compared.
 */
export async function checkFreshness(
  results: RetrievedChunk[],
  readCurrent: (path: string) => Promise<string | undefined>,
): Promise<RetrievedChunk[]> {
  const paths = [...new Set(results.map((r) => r.chunk.path))];
  const files = new Map<string, CurrentFile | undefined>();
  await Promise.all(
    paths.map(async (path) => {
      const text = await readCurrent(path).catch(() => undefined);
      files.set(path, typeof text === 'string' ? new CurrentFile(text) : undefined);
    }),
  );

  const fresh: RetrievedChunk[] = [];
  for (const r of results) {
    const file = files.get(r.chunk.path);
    const startLine = file?.locate(r.chunk.text, r.chunk.startLine);
    if (startLine === undefined) continue;
    if (startLine === r.chunk.startLine) {
      fresh.push(r);
      continue;
    }
    const endLine = startLine + (r.chunk.endLine - r.chunk.startLine);
    fresh.push({ ...r, chunk: { ...r.chunk, id: chunkId(r.chunk.path, startLine, r.chunk.hash), startLine, endLine } });
  }
  return fresh;
}

class CurrentFile {
  private readonly lines: string[];
  /** Line index of each distinct line, built on the first re-location only. */
  private linesByText?: Map<string, number[]>;

  constructor(text: string) {
    this.lines = splitLines(maskSecrets(text.replace(/^\uFEFF/, '')).text).map(normalizeLine);
  }

  /** The 1-based line where `text` now starts: `expectedStart` when unchanged, else the nearest other match. */
  locate(text: string, expectedStart: number): number | undefined {
    const wanted = splitLines(text).map(normalizeLine);
    if (this.matchesAt(wanted, expectedStart - 1)) return expectedStart;
    const candidates = this.index().get(wanted[0]) ?? [];
    let best: number | undefined;
    for (const at of candidates) {
      if (!this.matchesAt(wanted, at)) continue;
      if (best === undefined || Math.abs(at + 1 - expectedStart) < Math.abs(best - expectedStart)) best = at + 1;
    }
    return best;
  }

  private matchesAt(wanted: string[], at: number): boolean {
    if (at < 0 || at + wanted.length > this.lines.length) return false;
    return wanted.every((line, i) => this.lines[at + i] === line);
  }

  private index(): Map<string, number[]> {
    if (!this.linesByText) {
      this.linesByText = new Map();
      this.lines.forEach((line, i) => {
        const at = this.linesByText!.get(line);
        if (at) at.push(i);
        else this.linesByText!.set(line, [i]);
      });
    }
    return this.linesByText;
  }
}

/** Editors and formatters differ in trailing whitespace; that is no reason to call a source stale. */
function normalizeLine(line: string): string {
  return line.replace(/\s+$/, '');
}
