// AsciiDoc (.adoc) is read as it is written, like Markdown: its `=` (or `#`) section titles give
// the heading path and delimited blocks (listings, literals, tables, passthroughs) stay whole.
// Chunk lines are the file's own lines.
import type { LineText } from '../chunk/lines';
import { sectionsOf, type Outline } from '../chunk/sections';

/** `== Title` or Markdown-style `## Title`; the document title (`= Title`) heads the path of every section. */
const SECTION_TITLE = /^(={1,6}|#{1,6})[ \t]+(\S.*?)[ \t]*$/;
/** Delimiter lines: four or more of one character (listing, literal, example, sidebar, quote, pass, comment) or a table. */
const DELIMITER = /^(-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,}|\/{4,}|\|={3,})\s*$/;

export function asciidocOutline(doc: LineText): Outline {
  const atomic = new Map<number, number>();
  const headings: Array<{ row: number; level: number; title: string }> = [];
  for (let row = 0; row < doc.rowCount; row++) {
    const line = doc.lines[row];
    const delimiter = DELIMITER.exec(line);
    if (delimiter) {
      const closing = delimiter[1].trimEnd();
      let end = row + 1;
      while (end < doc.rowCount && doc.lines[end].trimEnd() !== closing) end++;
      atomic.set(row, Math.min(end, doc.rowCount - 1));
      row = end;
      continue;
    }
    const title = SECTION_TITLE.exec(line);
    if (title) headings.push({ row, level: title[1].length, title: title[2] });
  }
  return { sections: sectionsOf(doc, headings), atomic };
}
