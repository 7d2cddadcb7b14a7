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
  return (await freshVersions(results, readCurrent)).filter((r): r is RetrievedChunk => r !== undefined);
}

/** For each result: itself when unchanged, a re-located copy when moved, undefined when stale or gone. */
export async function freshVersions(
  results: RetrievedChunk[],
  readCurrent: (path: string) => Promise<string | undefined>,
): Promise<Array<RetrievedChunk | undefined>> {
  const paths = [...new Set(results.map((r) => r.chunk.path))];
  const files = new Map<string, CurrentFile | undefined>();
  await Promise.all(
    paths.map(async (path) => {
      const text = await readCurrent(path).catch(() => undefined);
      files.set(path, typeof text === 'string' ? new CurrentFile(text) : undefined);
    }),
  );

  return results.map((r) => {
    const startLine = files.get(r.chunk.path)?.locate(r.chunk.text, r.chunk.startLine);
    if (startLine === undefined) return undefined;
    if (startLine === r.chunk.startLine) return r;
    const endLine = startLine + (r.chunk.endLine - r.chunk.startLine);
    return { ...r, chunk: { ...r.chunk, id: chunkId(r.chunk.path, startLine, r.chunk.hash), startLine, endLine } };
  });
}

/** Only lines longer than a chunk are split into pieces: far more than this, far more than a normal line. */
const LONG_LINE_CHARS = 200;

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
    if (this.matchesAt(wanted, expectedStart - 1) || this.holdsPieceAt(wanted, expectedStart - 1)) return expectedStart;
    let best: number | undefined;
    const consider = (at: number) => {
      if (best === undefined || Math.abs(at + 1 - expectedStart) < Math.abs(best - expectedStart)) best = at + 1;
    };
    for (const at of this.index().get(wanted[0]) ?? []) if (this.matchesAt(wanted, at)) consider(at);
    // A long piece is distinctive enough to be looked for inside other lines; `}` is not.
    if (best === undefined && wanted.length === 1 && wanted[0].length >= LONG_LINE_CHARS) {
      this.lines.forEach((line, at) => line.includes(wanted[0]) && consider(at));
    }
    return best;
  }

  private matchesAt(wanted: string[], at: number): boolean {
    if (at < 0 || at + wanted.length > this.lines.length) return false;
    return wanted.every((line, i) => this.lines[at + i] === line);
  }

  /** The chunker hard-splits a line too long for one chunk into pieces that keep that line's number. */
  private holdsPieceAt(wanted: string[], at: number): boolean {
    const line = this.lines[at];
    return wanted.length === 1 && wanted[0].length > 0 && line !== undefined && line.length >= LONG_LINE_CHARS && line.includes(wanted[0]);
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
