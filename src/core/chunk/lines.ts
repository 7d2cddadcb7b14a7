// The line model every chunking strategy works on, and the line-window fallback they all end in.
// Lines split on '\n' only: a CRLF file keeps its '\r' at the end of each line's text, so line
// numbers and the `text === lines.slice(startLine - 1, endLine).join('\n')` property still hold.

import { CHARS_PER_TOKEN, estimateTokens } from '../tokens';

/**
 * A chunk before it gets its id and hash. Rows are 0-based and inclusive. `text` is set only for a
 * piece of a hard-split line; otherwise the text is exactly the rows.
 */
export interface Span {
  startRow: number;
  endRow: number;
  symbol?: string;
  context?: string;
  text?: string;
}

/** One file's text with O(1) row slicing and token estimates: no string is built until it is kept. */
export class LineText {
  readonly lines: string[];
  /** Char offset where each row starts, plus one entry for "one past the last row". */
  private readonly rowStarts: number[];
  private readonly blank: boolean[];

  constructor(readonly text: string) {
    this.lines = text.split('\n');
    this.rowStarts = new Array<number>(this.lines.length + 1);
    this.blank = new Array<boolean>(this.lines.length);
    let offset = 0;
    for (let row = 0; row < this.lines.length; row++) {
      this.rowStarts[row] = offset;
      offset += this.lines[row].length + 1;
      this.blank[row] = !/\S/.test(this.lines[row]);
    }
    this.rowStarts[this.lines.length] = offset;
  }

  get rowCount(): number {
    return this.lines.length;
  }

  isBlank(row: number): boolean {
    return this.blank[row];
  }

  /** The rows joined by '\n' (a substring of the text: V8 shares, rather than copies, its chars). */
  slice(startRow: number, endRow: number): string {
    return this.text.slice(this.rowStarts[startRow], this.rowStarts[endRow + 1] - 1);
  }

  tokens(startRow: number, endRow: number): number {
    return estimateTokens(this.slice(startRow, endRow));
  }

  /** First non-blank row in [row, endRow], or endRow + 1 when there is none. */
  nextNonBlank(row: number, endRow: number): number {
    while (row <= endRow && this.blank[row]) row++;
    return row;
  }

  /** Last non-blank row in [startRow, row], or startRow - 1 when there is none. */
  previousNonBlank(row: number, startRow: number): number {
    while (row >= startRow && this.blank[row]) row--;
    return row;
  }
}

/** Tokens a chunk's context costs: the context is embedded with the text, so it counts against the budget. */
export function contextTokens(context: string | undefined): number {
  return context ? estimateTokens(context) : 0;
}

/** The longest prefix of `text` within `maxTokens`, never cutting a surrogate pair. */
export function truncateToTokens(text: string, maxTokens: number): string {
  let end = Math.min(text.length, Math.max(0, maxTokens) * CHARS_PER_TOKEN);
  while (end > 0 && estimateTokens(text.slice(0, end)) > maxTokens) end--;
  if (end > 0 && end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/**
 * Covers the non-blank rows of [startRow, endRow] with windows of whole rows, each within `budget`
 * tokens including `context`. Consecutive windows share up to `overlapLines` rows (never more than
 * half a window, so every window moves forward). A row that alone exceeds the budget is hard-split.
 */
export function lineWindows(
  doc: LineText,
  startRow: number,
  endRow: number,
  budget: number,
  overlapLines: number,
  symbol: string | undefined,
  context: string | undefined,
  out: Span[],
): void {
  const available = budget - contextTokens(context);
  let row = doc.nextNonBlank(startRow, endRow);
  while (row <= endRow) {
    if (doc.tokens(row, row) > available) {
      hardSplitRow(doc, row, available, symbol, context, out);
      row = doc.nextNonBlank(row + 1, endRow);
      continue;
    }
    let end = row;
    while (end < endRow && doc.tokens(row, end + 1) <= available) end++;
    const last = doc.previousNonBlank(end, row);
    out.push({ startRow: row, endRow: last, symbol, context });
    const following = doc.nextNonBlank(end + 1, endRow);
    if (following > endRow) return;
    // Step back into this window for the overlap, but never more than half of it, and only as far as
    // still lets the next window reach a new row.
    let next = last + 1 - Math.min(overlapLines, Math.floor((last - row + 1) / 2));
    while (next <= last && doc.tokens(next, following) > available) next++;
    row = doc.nextNonBlank(next, following);
  }
}

/** Splits one over-long row into pieces within `available` tokens, preferring to break after whitespace. */
function hardSplitRow(
  doc: LineText,
  row: number,
  available: number,
  symbol: string | undefined,
  context: string | undefined,
  out: Span[],
): void {
  const line = doc.lines[row];
  let start = 0;
  while (start < line.length) {
    const piece = truncateToTokens(line.slice(start), Math.max(1, available));
    let end = start + Math.max(1, piece.length);
    if (end < line.length) {
      const breakAt = lastWhitespace(line, start + Math.floor((end - start) * 0.75), end);
      if (breakAt >= 0) end = breakAt + 1;
    }
    out.push({ startRow: row, endRow: row, symbol, context, text: line.slice(start, end) });
    start = end;
  }
}

function lastWhitespace(line: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) return i;
  }
  return -1;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
