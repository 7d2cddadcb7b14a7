// Where a source is, in the terms a user opens it by: a PDF's page, a notebook's cell, a document's
// heading path, and whether the file lies outside the repository (a docs folder).
import { isOutsideWorkspace } from './files/docFolders';
import type { Chunk } from './types';

/** The optional fields `lore query --json` adds to a result (and the chat view shows). */
export interface SourceLocation {
  /** PDF: 1-based page. */
  page?: number;
  /** Notebook: 0-based cell index. */
  cell?: number;
  /** Heading path of a document chunk ("Guide > Install"). */
  heading?: string;
  /** The file is in a docs folder outside the repository; `path` is then absolute. */
  outside?: true;
}

/** Languages whose `symbol` is a heading path rather than a declaration name. */
const DOCUMENT_LANGUAGES = new Set(['markdown', 'restructuredtext', 'asciidoc', 'html', 'pdf', 'docx', 'jupyter']);

export function locationOf(chunk: Chunk): SourceLocation {
  const location: SourceLocation = {};
  if (chunk.page !== undefined) location.page = chunk.page;
  if (chunk.cell !== undefined) location.cell = chunk.cell;
  if (chunk.symbol && DOCUMENT_LANGUAGES.has(chunk.language)) location.heading = chunk.symbol;
  if (isOutsideWorkspace(chunk.path)) location.outside = true;
  return location;
}

/** `R-intro.pdf p. 15`, `analysis.ipynb cell 4`, else `path:start-end`. */
export function sourceLabel(chunk: Pick<Chunk, 'path' | 'startLine' | 'endLine' | 'page' | 'cell'>): string {
  const name = chunk.path.slice(chunk.path.lastIndexOf('/') + 1);
  if (chunk.page !== undefined) return `${name} p. ${chunk.page}`;
  if (chunk.cell !== undefined) return `${name} cell ${chunk.cell}`;
  return `${chunk.path}:${chunk.startLine}-${chunk.endLine}`;
}
