// PDF text by page with Mozilla's pdf.js (the PDF reader of Firefox): the best-kept PDF parser in
// JavaScript, with no native code. Its "fake worker" parses in the calling thread, which is always a
// chunk worker in the extension (never the extension host's thread). The outline (bookmarks), where
// the file has one, gives each page's text its heading path.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PDFDocumentProxy, TextItem } from 'pdfjs-dist/types/src/display/api';
import { DocBuilder, UnreadableDocumentError, type ExtractedDoc } from './document';

type PdfJs = typeof import('pdfjs-dist');

let pdfjs: Promise<PdfJs> | undefined;

/**
 * pdf.js is ES modules only. tsc (module commonjs) would turn `import()` into a `require()`, which
 * Node 20 before 20.19 cannot do for ES modules, so the import goes through a Function. The bundle
 * ships pdf.js unbundled in `pdfjs/` beside it (esbuild.mjs); tsc's out/ uses node_modules.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function pdfJsFiles(): { api: string; worker: string } {
  const shipped = path.join(__dirname, 'pdfjs');
  const dir = existsSync(shipped) ? shipped : path.dirname(require.resolve('pdfjs-dist/legacy/build/pdf.mjs'));
  return { api: path.join(dir, 'pdf.mjs'), worker: path.join(dir, 'pdf.worker.mjs') };
}

/**
 * Loaded on the first PDF only. pdf.js prints warnings with console.log while it loads (it looks for
 * a canvas package that only rendering needs); in a worker that would reach the CLI's stdout.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const files = pdfJsFiles();
    const log = console.log;
    console.log = () => undefined;
    try {
      const [api, worker] = await Promise.all([importModule(pathToFileURL(files.api).href), importModule(pathToFileURL(files.worker).href)]);
      // pdf.js parses in this thread with the worker code it finds here, instead of importing it by URL.
      (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
      return api as PdfJs;
    } finally {
      console.log = log;
    }
  })();
  pdfjs.catch(() => {
    pdfjs = undefined;
  });
  return pdfjs;
}

/** Pages read between two clean-ups of pdf.js's document-wide caches (fonts, parsed objects). */
const CLEANUP_EVERY_PAGES = 50;

/** A gap between two text lines larger than this many line heights starts a new paragraph. */
const PARAGRAPH_GAP = 1.6;

/**
 * Text of every page, with the outline's titles as headings. Throws UnreadableDocumentError for an
 * encrypted, damaged or text-less (scanned) file. The file's bytes are not kept after this returns.
 */
export async function extractPdf(bytes: Uint8Array): Promise<ExtractedDoc> {
  const { getDocument } = await loadPdfJs();
  // pdf.js takes ownership of (detaches) the buffer it is given, and refuses a Node Buffer: a plain copy.
  const task = getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, disableFontFace: true, stopAtErrors: true });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy();
    throw new UnreadableDocumentError(describePdfError(err));
  }
  try {
    const headings = await outlineByPage(doc);
    const pages: string[][] = [];
    for (let pageNumber = 1; pageNumber <= doc.numPages; pageNumber++) {
      const page = await doc.getPage(pageNumber);
      pages.push(pageLines((await page.getTextContent()).items as TextItem[]));
      page.cleanup();
      // pdf.js keeps fonts and parsed objects for the whole document; let them go now and then.
      if (pageNumber % CLEANUP_EVERY_PAGES === 0) await doc.cleanup();
    }
    const builder = new DocBuilder();
    let textChars = 0;
    const running = runningLines(pages);
    pages.forEach((pageText, index) => {
      const pageNumber = index + 1;
      const lines = withoutRunningLines(pageText, running);
      pages[index] = []; // the builder keeps its own copy
      textChars += lines.reduce((n, line) => n + line.length, 0);
      builder.place('page', pageNumber);
      let start = 0;
      const flush = (end: number) => {
        // Paragraphs are the runs between blank lines pageLines left.
        for (const paragraph of lines.slice(start, end).join('\n').split(/\n{2,}/)) builder.paragraph(paragraph, true);
      };
      for (const heading of headings.get(pageNumber) ?? []) {
        const at = lines.findIndex((line, i) => i >= start && sameTitle(line, heading.title));
        flush(at < 0 ? start : at);
        builder.heading(heading.level, heading.title);
        if (at >= 0) start = at + 1;
      }
      flush(lines.length);
    });
    if (textChars === 0) throw new UnreadableDocumentError('PDF without a text layer (a scan?): nothing to read');
    return builder.build();
  } catch (err) {
    if (err instanceof UnreadableDocumentError) throw err;
    throw new UnreadableDocumentError(describePdfError(err));
  } finally {
    await doc.destroy();
  }
}

function describePdfError(err: unknown): string {
  const name = (err as { name?: string })?.name;
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'PasswordException') return 'encrypted PDF (needs a password)';
  if (name === 'InvalidPDFException') return `not a valid PDF (${message})`;
  return `malformed PDF (${message})`;
}

/** A page's text items as lines, with a blank line where the vertical gap says a paragraph ends. */
function pageLines(items: TextItem[]): string[] {
  const lines: string[] = [];
  let line = '';
  let lineY: number | undefined;
  let lineHeight = 0;
  let previousY: number | undefined;
  const endLine = () => {
    const text = line.replace(/\s+/g, ' ').trim();
    if (text) {
      if (previousY !== undefined && lineY !== undefined && lineHeight > 0 && previousY - lineY > PARAGRAPH_GAP * lineHeight) lines.push('');
      lines.push(text);
      previousY = lineY;
    }
    line = '';
    lineY = undefined;
  };
  for (const item of items) {
    if (item.str) {
      lineY ??= item.transform[5];
      if (item.height > 0) lineHeight = item.height;
    }
    line += item.str;
    if (item.hasEOL) endLine();
  }
  endLine();
  return lines;
}

/** Lines at the top or bottom of a page that may be a running header or footer. */
const EDGE_LINES = 2;
/** A top or bottom line repeated (numbers aside) on this many pages is a running header or footer. */
const RUNNING_MIN_PAGES = 3;
/** A page number alone: arabic or roman. */
const PAGE_NUMBER = /^(\d+|[ivxlcdm]+)$/i;

/** Numbers aside, so "Chapter 2: Vectors 9" and "Chapter 2: Vectors 10" are the same header. */
function runningKey(line: string): string {
  return line.replace(/\d+/g, '#');
}

function edgeRows(lines: string[]): number[] {
  const rows = lines.flatMap((line, row) => (line ? [row] : []));
  return rows.length <= 2 * EDGE_LINES ? rows : [...rows.slice(0, EDGE_LINES), ...rows.slice(-EDGE_LINES)];
}

/** Keys of the lines repeated at the top or bottom of several pages: running headers and footers. */
function runningLines(pages: string[][]): Set<string> {
  const pagesWith = new Map<string, number>();
  for (const lines of pages) {
    for (const key of new Set(edgeRows(lines).map((row) => runningKey(lines[row])))) pagesWith.set(key, (pagesWith.get(key) ?? 0) + 1);
  }
  // Words, not code: a `}` closing listings at the foot of several pages is content.
  const isRunning = (key: string, count: number) => count >= RUNNING_MIN_PAGES && /[A-Za-z].*[A-Za-z].*[A-Za-z].*[A-Za-z]/.test(key);
  return new Set([...pagesWith].filter(([key, count]) => isRunning(key, count)).map(([key]) => key));
}

/** A page's lines without its running header and footer and a page number alone at its top or bottom. */
function withoutRunningLines(lines: string[], running: Set<string>): string[] {
  const drop = new Set(edgeRows(lines).filter((row) => running.has(runningKey(lines[row])) || PAGE_NUMBER.test(lines[row])));
  return lines.filter((_, row) => !drop.has(row));
}

interface OutlineHeading {
  title: string;
  /** 1 for a top-level outline entry. */
  level: number;
}

/** The outline's entries by the 1-based page they point to, in outline order; empty without an outline. */
async function outlineByPage(doc: PDFDocumentProxy): Promise<Map<number, OutlineHeading[]>> {
  const byPage = new Map<number, OutlineHeading[]>();
  const outline = await doc.getOutline().catch(() => null);
  type Node = NonNullable<typeof outline>[number];
  const visit = async (nodes: Node[], level: number): Promise<void> => {
    for (const node of nodes) {
      const title = node.title.replace(/\s+/g, ' ').trim();
      const page = await pageOf(doc, node.dest);
      if (page !== undefined && title) {
        const list = byPage.get(page) ?? [];
        list.push({ title, level });
        byPage.set(page, list);
      }
      await visit(node.items, level + 1);
    }
  };
  await visit(outline ?? [], 1);
  return byPage;
}

/** The 1-based page an outline destination points to, or undefined when it points nowhere readable. */
async function pageOf(doc: PDFDocumentProxy, dest: string | unknown[] | null): Promise<number | undefined> {
  try {
    const explicit = typeof dest === 'string' ? await doc.getDestination(dest) : dest;
    const target = explicit?.[0];
    if (target === undefined || target === null) return undefined;
    const index = typeof target === 'number' ? target : await doc.getPageIndex(target as Parameters<PDFDocumentProxy['getPageIndex']>[0]);
    return index + 1;
  } catch {
    return undefined;
  }
}

/** Whether a text line is the outline title (spacing and case aside; numbered titles may wrap). */
function sameTitle(line: string, title: string): boolean {
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const [a, b] = [norm(line), norm(title)];
  // Outlines often leave out the section number the page prints ("2.2 Vector arithmetic", "A.1 ...").
  const unnumbered = a.replace(/^(?:[a-z]|\d+)(?:\.\d+)*\.?\s+/, '');
  return a.length > 0 && (a === b || unnumbered === b || (b.startsWith(a) && a.length >= 12));
}
