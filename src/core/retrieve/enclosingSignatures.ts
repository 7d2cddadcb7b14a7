// An excerpt from the middle of a long function or class says what the code does but not where it
// sits: which function, taking what. The chunker kept the enclosing signatures as the piece's
// `context`; here they are found again in the file and shown above the piece with their own line
// numbers, the lines between left out and marked (as aider's repository map does), so the model
// and the user see `def process(...)` at line 29 and the 20 lines the question is about, not 400.
import { chunkId, contentHash } from '../hash';
import type { RetrievedChunk, SearchIndex } from '../types';
import { FileLines, splitLines } from './fusion';

/** Lines between two shown parts up to this many are shown rather than marked as left out. */
const MAX_FILLED_GAP = 2;
/** How far above a piece its signatures are looked for: past this, the piece is shown alone. */
const MAX_LOOKBACK_LINES = 2000;
const ELISION = /^⋮ lines (\d+)-(\d+) left out$/;

/** The marker line standing for the lines from..to of the file, which an excerpt leaves out. */
export function elisionLine(from: number, to: number): string {
  return `⋮ lines ${from}-${to} left out`;
}

/**
 * For each line of an excerpt's text, the file line it shows (undefined for a marker of lines left
 * out): the line numbers of an excerpt with enclosing signatures are not consecutive.
 */
export function fileLinesOf(startLine: number, text: string): Array<number | undefined> {
  let next = startLine;
  return splitLines(text).map((line) => {
    const elided = ELISION.exec(line);
    if (!elided) return next++;
    next = Number(elided[2]) + 1;
    return undefined;
  });
}

/** True when the excerpt shows file line `line` (not merely spans it with the line left out). */
export function showsLine(source: { startLine: number; endLine: number; text: string }, line: number): boolean {
  if (line < source.startLine || line > source.endLine) return false;
  return fileLinesOf(source.startLine, source.text).includes(line);
}

/**
 * The result with the signatures enclosing it shown above it, when it is a piece of a split
 * declaration whose signatures are all found above it in the indexed file; otherwise as it is.
 * The text and range then start at the outermost signature; lines left out are marked.
 */
export function withEnclosingSignatures(result: RetrievedChunk, index: SearchIndex): RetrievedChunk {
  const { chunk } = result;
  const wanted = (chunk.context ?? '').split('\n').map((line) => line.trimEnd()).filter((line) => line && line !== '…');
  if (wanted.length === 0) return result;
  const file = new FileLines(index.chunksOf(chunk.path));
  // Nearest first, innermost signature last: match the context's lines bottom-up, walking up the file.
  const found: number[] = [];
  const stop = Math.max(1, chunk.startLine - MAX_LOOKBACK_LINES);
  for (let line = chunk.startLine - 1, want = wanted.length - 1; line >= stop && want >= 0; line--) {
    if (file.lines(line, line).trimEnd() === wanted[want]) {
      found.unshift(line);
      want--;
    }
  }
  if (found.length < wanted.length) return result;

  const parts: string[] = [];
  let shownTo = found[0] - 1;
  const showUpTo = (line: number): void => {
    if (line - shownTo - 1 > MAX_FILLED_GAP) {
      parts.push(elisionLine(shownTo + 1, line - 1));
      shownTo = line - 1;
    }
    if (line > shownTo) parts.push(file.lines(shownTo + 1, line));
    shownTo = line;
  };
  for (const line of found) showUpTo(line);
  if (chunk.startLine - shownTo - 1 > MAX_FILLED_GAP) parts.push(elisionLine(shownTo + 1, chunk.startLine - 1));
  else if (chunk.startLine - 1 > shownTo) parts.push(file.lines(shownTo + 1, chunk.startLine - 1));
  parts.push(chunk.text);
  const text = parts.join('\n');
  const hash = contentHash(text);
  return { ...result, chunk: { ...chunk, id: chunkId(chunk.path, found[0], hash), startLine: found[0], text, hash } };
}

/** The runs of file lines an extended excerpt shows above its piece (`pieceStart`), to check against the file as it is now. */
export function linesShownAbove(extended: RetrievedChunk, pieceStart: number): RetrievedChunk[] {
  const textLines = splitLines(extended.chunk.text);
  const runs: Array<{ from: number; lines: string[] }> = [];
  fileLinesOf(extended.chunk.startLine, extended.chunk.text).forEach((line, i) => {
    if (line === undefined || line >= pieceStart) return;
    const last = runs[runs.length - 1];
    if (last && line === last.from + last.lines.length) last.lines.push(textLines[i]);
    else runs.push({ from: line, lines: [textLines[i]] });
  });
  return runs.map(({ from, lines }) => ({ ...extended, chunk: { ...extended.chunk, startLine: from, endLine: from + lines.length - 1, text: lines.join('\n') } }));
}
