// Documents Lore reads by extracting their text (PDF, Word, HTML, Jupyter notebooks): which files
// they are and how large they may be (formats.ts), and the extraction itself. Chunk workers call
// `extractDocument`; the extension host never does (pdf.js on a large file runs for seconds). The
// extractors load on first use: the CLI, the extension host and every worker start without mammoth,
// htmlparser2 and pdf.js until a document comes.
import type { ExtractedDoc } from './document';
import type { DocumentFormat } from './formats';

export type { DocHeading, DocPlaces, ExtractedDoc } from './document';
export { UnreadableDocumentError } from './document';
export { asciidocOutline } from './asciidoc';
export { BINARY_DOCUMENT_MAX_BYTES, documentFormatOf, isBinaryDocument, maxBytesFor } from './formats';
export type { DocumentFormat } from './formats';

/** Throws UnreadableDocumentError when the file cannot be read as its format. */
export async function extractDocument(format: DocumentFormat, content: string | Uint8Array): Promise<ExtractedDoc> {
  switch (format) {
    case 'pdf':
      return (await import('./pdf')).extractPdf(asBytes(content));
    case 'docx':
      return (await import('./docx')).extractDocx(asBytes(content));
    case 'html':
      return (await import('./html')).extractHtml(asText(content));
    case 'notebook':
      return (await import('./notebook')).extractNotebook(asText(content));
  }
}

function asBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

function asText(content: string | Uint8Array): string {
  return typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
}
