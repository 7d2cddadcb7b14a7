// Which files Lore reads by extracting their text, and how large they may be. Kept free of the
// extractors' libraries: the file walker on the extension host's thread imports this.

export type DocumentFormat = 'pdf' | 'docx' | 'html' | 'notebook';

const FORMAT_BY_EXTENSION = new Map<string, DocumentFormat>([
  ['pdf', 'pdf'],
  ['docx', 'docx'],
  ['html', 'html'],
  ['htm', 'html'],
  ['xhtml', 'html'],
  ['ipynb', 'notebook'],
]);

/**
 * PDF and Word files are mostly fonts, images and compression, and a notebook's bytes mostly base64
 * outputs (plots): their text is a small part of their size, so they may be larger than
 * `lore.maxFileSizeKB` allows a text file (up to this).
 */
export const BINARY_DOCUMENT_MAX_BYTES = 64 * 1024 * 1024;

/** The format Lore extracts text from for this path, or undefined for files read as they are. */
export function documentFormatOf(path: string): DocumentFormat | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? undefined : FORMAT_BY_EXTENSION.get(name.slice(dot + 1).toLowerCase());
}

/** PDF and Word files are read as bytes, not text. */
export function isBinaryDocument(path: string): boolean {
  const format = documentFormatOf(path);
  return format === 'pdf' || format === 'docx';
}

/** The size limit for this path: `maxFileBytes`, raised for PDF, Word and notebook files. */
export function maxBytesFor(path: string, maxFileBytes: number): number {
  const format = documentFormatOf(path);
  const raised = format === 'pdf' || format === 'docx' || format === 'notebook';
  return raised ? Math.max(maxFileBytes, BINARY_DOCUMENT_MAX_BYTES) : maxFileBytes;
}
