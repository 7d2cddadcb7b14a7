// Jupyter notebooks (.ipynb, nbformat 4) by cell: markdown cells are prose with their headings,
// code cells are code, and outputs keep only short text (text/plain, stream text, error names and
// messages). Images, HTML and other rich outputs are dropped: base64 helps no search and would
// each cost an embedding call.
import { DocBuilder, UnreadableDocumentError, type ExtractedDoc } from './document';
import { writeHtml } from './html';

interface NotebookCell {
  cell_type?: string;
  metadata?: { raw_mimetype?: unknown; format?: unknown };
  source?: string | string[];
  outputs?: NotebookOutput[];
}

interface NotebookMetadata {
  kernelspec?: { language?: unknown };
  language_info?: { name?: unknown };
}

interface NotebookOutput {
  output_type?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** Output text kept per output: enough for a printed value or a short table, not a dump. */
const MAX_OUTPUT_LINES = 12;
const MAX_OUTPUT_CHARS = 1000;
/** A line of this many base64 characters is encoded data, not something a person reads. */
const BASE64_RUN = /[A-Za-z0-9+/=]{100,}/;
const ATX_HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** `Title` over a line of `=` (level 1) or `-` (level 2): a setext heading, when it opens a paragraph. */
const SETEXT_UNDERLINE = /^ {0,3}(=|-)\1*\s*$/;
/** An HTML tag (markdown cells may hold raw HTML: alert boxes, images, tables). */
const HTML_TAG = /<\/?[A-Za-z][\w:-]*(?:\s[^<>]*)?\/?>/g;
/** A markdown image embedded as a data: URI; its alt text is what a reader gets from it. */
const DATA_IMAGE = /!\[([^\]]*)\]\(\s*data:[^)]*\)/g;
/** Inline code spans: their text is shown as is, tags included. */
const CODE_SPAN = /(`+)[\s\S]*?\1/g;
/** Terminal colour codes in tracebacks and progress output. */
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

export function extractNotebook(json: string): ExtractedDoc {
  let notebook: { cells?: unknown; nbformat?: unknown; metadata?: NotebookMetadata };
  try {
    notebook = JSON.parse(json);
  } catch (err) {
    throw new UnreadableDocumentError(`damaged notebook: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!notebook || typeof notebook !== 'object' || !Array.isArray(notebook.cells)) {
    throw new UnreadableDocumentError(`not a Jupyter notebook Lore reads (nbformat 4 with a "cells" list; got nbformat ${String(notebook?.nbformat ?? 'none')})`);
  }
  const builder = new DocBuilder();
  const codeCells: number[] = [];
  (notebook.cells as NotebookCell[]).forEach((cell, index) => {
    if (!cell || typeof cell !== 'object') return;
    builder.place('cell', index);
    const source = joined(cell.source);
    if (cell.cell_type === 'markdown') writeMarkdown(builder, source);
    else if (cell.cell_type === 'code') {
      codeCells.push(index);
      builder.code(source);
      for (const output of Array.isArray(cell.outputs) ? cell.outputs : []) {
        const text = outputText(output);
        if (text) builder.code(text);
      }
    } else if (rawFormat(cell) === 'text/html') writeHtml(builder, source);
    else builder.paragraph(source, true); // raw cells in other formats (reST, LaTeX, none) read as they are
  });
  const doc = builder.build();
  const language = kernelLanguage(notebook.metadata);
  if (language && codeCells.length) doc.code = { language, places: codeCells };
  return doc;
}

/** nbformat 4 names the kernel's language in kernelspec.language, or language_info.name. */
function kernelLanguage(metadata: NotebookMetadata | undefined): string | undefined {
  const name = metadata?.kernelspec?.language ?? metadata?.language_info?.name;
  return typeof name === 'string' && /^[\w+#-]{1,40}$/.test(name) ? name.toLowerCase() : undefined;
}

/** Headings become headings; fenced code stays whole; the rest keeps its lines. */
function writeMarkdown(builder: DocBuilder, source: string): void {
  // Before splitting: base64 in a data: URI is wrapped over many lines.
  const lines = source.replace(DATA_IMAGE, '$1').split('\n');
  let prose: string[] = [];
  const flush = (): void => {
    for (const paragraph of prose.join('\n').split(/\n\s*\n/)) builder.paragraph(paragraph, true);
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]);
    if (fence) {
      flush();
      let end = i + 1;
      while (end < lines.length && !lines[end].trimStart().startsWith(fence[1])) end++;
      builder.code(lines.slice(i, end + 1).join('\n'));
      i = end;
      continue;
    }
    const heading = ATX_HEADING.exec(lines[i]);
    const underline = SETEXT_UNDERLINE.exec(lines[i + 1] ?? '');
    if (heading) {
      flush();
      builder.heading(heading[1].length, heading[2]);
    } else if (underline && /\S/.test(lines[i]) && (i === 0 || !/\S/.test(lines[i - 1]))) {
      flush();
      builder.heading(underline[1] === '=' ? 1 : 2, lines[i].trim());
      i++;
    } else prose.push(readableProse(lines[i]));
  }
  flush();
}

/** A markdown line without raw HTML tags, code spans left as they are. */
function readableProse(line: string): string {
  let out = '';
  let last = 0;
  const clean = (text: string) => text.replace(HTML_TAG, '');
  for (const span of line.matchAll(CODE_SPAN)) {
    out += clean(line.slice(last, span.index)) + span[0];
    last = span.index! + span[0].length;
  }
  return out + clean(line.slice(last));
}

/** The short text an output shows, or '' when it has none worth indexing. */
function outputText(output: NotebookOutput): string {
  if (!output || typeof output !== 'object') return '';
  if (output.output_type === 'error') return `${output.ename ?? 'Error'}: ${output.evalue ?? ''}`.replace(ANSI_ESCAPE, '');
  const text = output.output_type === 'stream' ? joined(output.text) : joined(output.data?.['text/plain'] as string | string[] | undefined);
  const readable = text.replace(ANSI_ESCAPE, '').split('\n').filter((line) => !BASE64_RUN.test(line)).join('\n');
  const kept = readable.split('\n').slice(0, MAX_OUTPUT_LINES).join('\n').slice(0, MAX_OUTPUT_CHARS);
  return kept.length < readable.length ? `${kept}\n…` : kept;
}

/** A raw cell's format: nbformat 4 says `raw_mimetype` (older notebooks `format`). */
function rawFormat(cell: NotebookCell): string | undefined {
  const format = cell.metadata?.raw_mimetype ?? cell.metadata?.format;
  return typeof format === 'string' ? format : undefined;
}

/** nbformat stores multi-line strings as lists of lines (each with its '\n'), or as one string. */
function joined(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value.filter((part) => typeof part === 'string').join('');
  return typeof value === 'string' ? value : '';
}
