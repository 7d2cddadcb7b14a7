// Word .docx with mammoth: it maps Word's paragraph styles (Heading 1..6, lists, tables) to plain
// semantic HTML, which then takes the HTML path, so a Word document gets the same headings, code
// and table rows as a web page.
import * as mammoth from 'mammoth';
import { UnreadableDocumentError, type ExtractedDoc } from './document';
import { extractHtml } from './html';

/**
 * Word's own styles that mammoth leaves as plain paragraphs: the title is the top heading, and
 * paragraphs in a code style (Word's "HTML Preformatted", pandoc's and LibreOffice's "Source Code",
 * a common "Code") are code, one block per run of them.
 */
const STYLE_MAP = [
  "p[style-name='Title'] => h1:fresh",
  "p[style-name='Subtitle'] => h2:fresh",
  ...['Source Code', 'Code', 'HTML Preformatted', 'Preformatted Text'].map((name) => `p[style-name='${name}'] => pre:separator('\\n')`),
];

/** Images become their alt text only: reading them as base64 would cost time and memory for nothing. */
const NO_IMAGE_DATA = mammoth.images.imgElement(async () => ({ src: '' }));

export async function extractDocx(bytes: Uint8Array): Promise<ExtractedDoc> {
  let html: string;
  try {
    // No external file access: a document must not make Lore read files it links to.
    ({ value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) }, { convertImage: NO_IMAGE_DATA, externalFileAccess: false, styleMap: STYLE_MAP }));
  } catch (err) {
    throw new UnreadableDocumentError(`damaged Word document: ${err instanceof Error ? err.message : String(err)}`);
  }
  return extractHtml(html);
}
