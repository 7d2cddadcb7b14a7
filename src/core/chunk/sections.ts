// Chunks for documents: Markdown and reStructuredText split at headings. A chunk's symbol is its
// heading path ("Guide > Install > Linux"); a section over the budget is split at paragraphs (code
// blocks kept whole when they fit) and every piece carries the heading path as context.

import { LineText, Span, contextTokens, lineWindows, truncateToTokens } from './lines';

export interface Section {
  startRow: number;
  endRow: number;
  /** Heading path; undefined for text before the first heading. */
  path: string | undefined;
  /** Starts a page or notebook cell (documents.ts): never packed into the chunk before it, so each chunk has one place. */
  startsPlace?: boolean;
}

/** A document's sections plus the blocks that must not be split: fenced code, front matter, literal blocks. */
export interface Outline {
  sections: Section[];
  /** First row of each atomic block -> its last row. */
  atomic: Map<number, number>;
}

const PATH_SEPARATOR = ' > ';
/** A chunk still under this share of the budget takes in the next section too. */
const TINY_SECTION_SHARE = 0.5;
const CONTEXT_SHARE = 4;

// Patterns end in \s*$ rather than [ \t]*$ so a CRLF file's trailing '\r' does not hide a heading.
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?\s*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;
const LIST_OR_QUOTE = /^\s*([-*+>]|\d+[.)])(\s|$)/;

export function markdownOutline(doc: LineText): Outline {
  const { lines } = doc;
  const atomic = new Map<number, number>();
  const headings: Array<{ row: number; level: number; title: string }> = [];
  let row = 0;
  if (/^---\s*$/.test(lines[0])) {
    const close = lines.findIndex((line, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (close > 0) {
      atomic.set(0, close);
      row = close + 1;
    }
  }
  /** Whether the previous row is a one-line paragraph a setext underline can turn into a heading. */
  let paragraphRow = -1;
  for (; row < lines.length; row++) {
    const line = lines[row];
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const end = fenceEnd(lines, row, fence[1]);
      atomic.set(row, end);
      row = end;
      paragraphRow = -1;
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      headings.push({ row, level: atx[1].length, title: (atx[2] ?? '').trim() });
      paragraphRow = -1;
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraphRow === row - 1) {
      headings.push({ row: row - 1, level: underline[1][0] === '=' ? 1 : 2, title: lines[row - 1].trim() });
      paragraphRow = -1;
      continue;
    }
    const startsParagraph = !doc.isBlank(row) && !/^ {4}/.test(line) && !LIST_OR_QUOTE.test(line)
      && (row === 0 || doc.isBlank(row - 1) || headings[headings.length - 1]?.row === row - 1);
    paragraphRow = startsParagraph ? row : -1;
  }
  return { sections: sectionsOf(doc, headings), atomic };
}

/** Row of the fence closing the one opened at `row` (same character, at least as long), or the last row. */
function fenceEnd(lines: string[], row: number, opener: string): number {
  const closing = new RegExp(`^ {0,3}${opener[0] === '`' ? '`' : '~'}{${opener.length},}\\s*$`);
  for (let i = row + 1; i < lines.length; i++) if (closing.test(lines[i])) return i;
  return lines.length - 1;
}

/** Adornment: one punctuation character repeated, from column 0. */
const ADORNMENT = /^([!-\/:-@\[-`{-~])\1*\s*$/;
const LITERAL_INTRO = /::\s*$/;
const DIRECTIVE = /^(\s*)\.\. [\w:-]+::/;

export function rstOutline(doc: LineText): Outline {
  const { lines } = doc;
  const atomic = new Map<number, number>();
  const headings: Array<{ row: number; level: number; title: string }> = [];
  const styles: string[] = [];
  const addHeading = (row: number, style: string, title: string): void => {
    if (!styles.includes(style)) styles.push(style);
    headings.push({ row, level: styles.indexOf(style) + 1, title });
  };
  for (let row = 0; row < lines.length; row++) {
    const line = lines[row];
    const next = lines[row + 1];
    const afterNext = lines[row + 2];
    const adornment = ADORNMENT.test(line) ? line.trimEnd() : undefined;
    if (adornment && next !== undefined && afterNext !== undefined && !doc.isBlank(row + 1)
      && !ADORNMENT.test(next) && afterNext.trimEnd() === adornment && adornment.length >= next.trim().length) {
      addHeading(row, `${adornment[0]}over`, next.trim());
      row += 2;
      continue;
    }
    if (!adornment && next !== undefined && !doc.isBlank(row) && !/^\s/.test(line)
      && (row === 0 || doc.isBlank(row - 1)) && ADORNMENT.test(next) && isUnderlineFor(next.trimEnd(), line.trimEnd())) {
      addHeading(row, `${next[0]}under`, line.trim());
      row += 1;
      continue;
    }
    const directive = DIRECTIVE.exec(line);
    if (directive || LITERAL_INTRO.test(line)) {
      const indent = directive ? directive[1].length : /^\s*/.exec(line)![0].length;
      const end = indentedBlockEnd(doc, row, indent);
      if (end > row) {
        // A directive keeps its own line with its content; a `::` paragraph only its literal block.
        atomic.set(directive ? row : doc.nextNonBlank(row + 1, end), end);
        row = end;
      }
    }
  }
  return { sections: sectionsOf(doc, headings), atomic };
}

/** Docutils accepts an underline shorter than its title only when it is at least 4 characters. */
function isUnderlineFor(underline: string, title: string): boolean {
  return underline.length >= title.length || underline.length >= 4;
}

/** Last non-blank row of the block indented deeper than `indent` below `row` (or `row` if none). */
function indentedBlockEnd(doc: LineText, row: number, indent: number): number {
  let end = row;
  for (let i = row + 1; i < doc.rowCount; i++) {
    if (doc.isBlank(i)) continue;
    if (/^\s*/.exec(doc.lines[i])![0].length <= indent) break;
    end = i;
  }
  return end;
}

export function sectionsOf(doc: LineText, headings: Array<{ row: number; level: number; title: string }>): Section[] {
  const sections: Section[] = [];
  const add = (startRow: number, nextRow: number, path: string | undefined): void => {
    const endRow = doc.previousNonBlank(nextRow - 1, startRow);
    const firstRow = doc.nextNonBlank(startRow, endRow);
    if (firstRow <= endRow) sections.push({ startRow: firstRow, endRow, path });
  };
  add(0, headings[0]?.row ?? doc.rowCount, undefined);
  const trail: string[] = [];
  headings.forEach((heading, i) => {
    trail.length = Math.min(trail.length, heading.level - 1);
    while (trail.length < heading.level - 1) trail.push('');
    trail.push(heading.title);
    add(heading.row, headings[i + 1]?.row ?? doc.rowCount, trail.filter(Boolean).join(PATH_SEPARATOR) || undefined);
  });
  return sections;
}

/**
 * Packs sections into chunks: a section that fits stays whole, and a chunk still under
 * TINY_SECTION_SHARE of the budget takes in the next section while the two fit together.
 */
export function chunkSections(doc: LineText, outline: Outline, budget: number, overlapLines: number): Span[] {
  const spans: Span[] = [];
  let open: Span | undefined;
  const close = (): void => {
    if (open) spans.push(open);
    open = undefined;
  };
  for (const section of outline.sections) {
    if (doc.tokens(section.startRow, section.endRow) > budget) {
      close();
      splitSection(doc, section, outline.atomic, budget, overlapLines, spans);
      continue;
    }
    if (open && !section.startsPlace && doc.tokens(open.startRow, open.endRow) < budget * TINY_SECTION_SHARE
      && doc.tokens(open.startRow, section.endRow) <= budget) {
      open.endRow = section.endRow;
      open.symbol ??= section.path;
      continue;
    }
    close();
    open = { startRow: section.startRow, endRow: section.endRow };
    if (section.path) open.symbol = section.path;
  }
  close();
  return spans;
}

/** Splits a section at blank lines, never inside an atomic block that fits; each piece keeps the heading path. */
function splitSection(doc: LineText, section: Section, atomic: Map<number, number>, budget: number,
  overlapLines: number, spans: Span[]): void {
  const context = section.path ? truncateToTokens(section.path, Math.floor(budget / CONTEXT_SHARE)) || undefined : undefined;
  const contextCost = contextTokens(context);
  const piece = (startRow: number, endRow: number): Span => {
    const span: Span = { startRow, endRow };
    if (section.path) span.symbol = section.path;
    if (context) span.context = context;
    return span;
  };
  let open: Span | undefined;
  for (const [startRow, endRow] of blocksOf(doc, section, atomic)) {
    if (doc.tokens(startRow, endRow) + contextCost > budget) {
      if (open) spans.push(open);
      open = undefined;
      lineWindows(doc, startRow, endRow, budget, overlapLines, section.path, context, spans);
    } else if (open && doc.tokens(open.startRow, endRow) + contextCost <= budget) {
      open.endRow = endRow;
    } else {
      if (open) spans.push(open);
      open = piece(startRow, endRow);
    }
  }
  if (open) spans.push(open);
}

/** Paragraphs (runs of non-blank rows) and atomic blocks, as [startRow, endRow] pairs. */
function blocksOf(doc: LineText, section: Section, atomic: Map<number, number>): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  let row = section.startRow;
  while (row <= section.endRow) {
    if (doc.isBlank(row)) {
      row++;
      continue;
    }
    const atomicEnd = atomic.get(row);
    let end = row;
    if (atomicEnd !== undefined) {
      end = Math.min(atomicEnd, section.endRow);
    } else {
      while (end + 1 <= section.endRow && !doc.isBlank(end + 1) && !atomic.has(end + 1)) end++;
    }
    blocks.push([row, doc.previousNonBlank(end, row)]);
    row = end + 1;
  }
  return blocks;
}
