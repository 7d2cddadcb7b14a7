// The shape every document extractor (PDF, HTML, notebook, Word) produces: plain text in lines,
// with the headings, the blocks that must stay whole (code) and where each page or cell starts.
// The chunker cuts it into heading sections like Markdown (chunk/sections.ts), so chunk line
// numbers refer to this extracted text, not to the file's bytes.

/** A heading of the extracted text: the row it is on, its depth (1 = top) and its title. */
export interface DocHeading {
  row: number;
  level: number;
  title: string;
}

/** Pages of a PDF (numbered from 1) or cells of a notebook (numbered from 0). */
export interface DocPlaces {
  kind: 'page' | 'cell';
  /** Row where each place starts, ascending. */
  startRows: number[];
  /** Number of the place at startRows[i] is `numbers[i]`. */
  numbers: number[];
}

export interface ExtractedDoc {
  /** Lines split on '\n'. */
  text: string;
  headings: DocHeading[];
  /** First row of each block that must not be split (code) -> its last row. */
  atomic: Array<[number, number]>;
  places?: DocPlaces;
  /** Places (notebook cells) holding code in a language the document names (the kernel's). */
  code?: { language: string; places: number[] };
}

/** A document Lore cannot read (encrypted, no text layer, damaged): skipped with this reason. */
export class UnreadableDocumentError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnreadableDocumentError';
  }
}

/**
 * Builds an ExtractedDoc line by line, so every extractor lays out text the same way: a heading on
 * its own line, paragraphs separated by a blank line, code kept verbatim as one atomic block.
 */
export class DocBuilder {
  private readonly lines: string[] = [];
  private readonly headings: DocHeading[] = [];
  private readonly atomic: Array<[number, number]> = [];
  private places?: DocPlaces;

  /** Starts page or cell `number` at the next line. */
  place(kind: DocPlaces['kind'], number: number): void {
    this.places ??= { kind, startRows: [], numbers: [] };
    this.separate();
    this.places.startRows.push(this.lines.length);
    this.places.numbers.push(number);
  }

  heading(level: number, title: string): void {
    const text = collapseSpaces(title);
    if (!text) return;
    this.separate();
    this.headings.push({ row: this.lines.length, level: Math.max(1, Math.min(6, level)), title: text });
    this.lines.push(text);
  }

  /** Prose: runs of whitespace collapse; line breaks inside are kept only where `keepLines`. */
  paragraph(text: string, keepLines = false): void {
    const rows = (keepLines ? text.split('\n') : [text]).map(collapseSpaces).filter(Boolean);
    if (!rows.length) return;
    this.separate();
    this.lines.push(...rows);
  }

  /** Verbatim lines (code, preformatted text, program output), kept together when they fit a chunk. */
  code(text: string): void {
    const rows = text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n').map((row) => row.trimEnd());
    while (rows.length && !rows[0]) rows.shift();
    while (rows.length && !rows[rows.length - 1]) rows.pop();
    if (!rows.length) return;
    this.separate();
    const first = this.lines.length;
    this.lines.push(...rows);
    if (rows.length > 1) this.atomic.push([first, this.lines.length - 1]);
  }

  build(): ExtractedDoc {
    const doc: ExtractedDoc = { text: this.lines.join('\n'), headings: this.headings, atomic: this.atomic };
    if (this.places) doc.places = this.places;
    return doc;
  }

  /** One blank line between blocks. */
  private separate(): void {
    if (this.lines.length && this.lines[this.lines.length - 1] !== '') this.lines.push('');
  }
}

function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
