// Extraction of real documents nobody on the team wrote (test/fixtures/docs/README.md says where each
// comes from): structure (headings, code, pages, cells) kept, markup and binary data dropped, and every
// damaged or unreadable file refused with a reason rather than a crash.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { asciidocOutline, documentFormatOf, extractDocument, maxBytesFor, UnreadableDocumentError, type ExtractedDoc } from '../../../src/core/docs';
import { LineText } from '../../../src/core/chunk/lines';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/docs');
/** HTML a reader would never see as text (the fixtures' code does contain `<removed-task>`). */
const MARKUP = /<\/?(?:a|p|div|span|pre|code|em|strong|li|ul|ol|dl|dt|dd|table|tr|td|th|h[1-6]|script|style|section|img|br)\b[^>]*>/i;

function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

async function extract(name: string, content: string | Uint8Array = /\.(pdf|docx)$/.test(name) ? fixtureBytes(name) : fixtureText(name)): Promise<ExtractedDoc> {
  return extractDocument(documentFormatOf(name)!, content);
}

/** The 0-based row of the line that contains `needle` (exactly one must). */
function rowOf(doc: ExtractedDoc, needle: string): number {
  const rows = doc.text.split('\n').flatMap((line, row) => (line.includes(needle) ? [row] : []));
  assert.equal(rows.length, 1, `${JSON.stringify(needle)} is on ${rows.length} rows`);
  return rows[0];
}

/** The page or cell number a row belongs to. */
function placeOf(doc: ExtractedDoc, row: number): number {
  const { startRows, numbers } = doc.places!;
  let i = startRows.length - 1;
  while (i > 0 && startRows[i] > row) i--;
  return numbers[i];
}

function headingTitles(doc: ExtractedDoc): string[] {
  return doc.headings.map((h) => h.title);
}

async function assertUnreadable(name: string, content: string | Uint8Array, reason: RegExp): Promise<void> {
  await assert.rejects(extractDocument(documentFormatOf(name)!, content), (err: unknown) => {
    assert.ok(err instanceof UnreadableDocumentError, `expected UnreadableDocumentError, got ${String(err)}`);
    assert.match(err.reason, reason);
    return true;
  });
}

describe('document extraction', () => {
  describe('PDF (pages 13-18 of R-intro.pdf, r-doc-pdf)', () => {
    let doc: ExtractedDoc;
    before(async () => {
      doc = await extract('r-intro-p13-18.pdf');
    });

    it('numbers pages from 1, in order, one place per page', () => {
      assert.equal(doc.places?.kind, 'page');
      assert.deepEqual(doc.places?.numbers, [1, 2, 3, 4, 5, 6]);
    });

    it('puts each passage on the page it is printed on', () => {
      // Printed on the third page of the excerpt (R-intro.pdf page 15, "2.2 Vector arithmetic").
      assert.equal(placeOf(doc, rowOf(doc, 'Vectors can be used in arithmetic expressions')), 3);
      // Page 16 of R-intro.pdf: "2.4 Logical vectors".
      assert.equal(placeOf(doc, rowOf(doc, 'As well as numerical vectors, R allows manipulation of logical quantities')), 4);
    });

    it('takes the outline (bookmarks) as headings, placed where their titles are printed', () => {
      const arithmetic = doc.headings.find((h) => h.title === 'Vector arithmetic');
      assert.ok(arithmetic, `headings: ${headingTitles(doc).join(' | ')}`);
      assert.equal(arithmetic.level, 2);
      assert.equal(doc.headings.find((h) => h.title === '2 Simple manipulations; numbers and vectors')?.level, 1);
      assert.equal(placeOf(doc, arithmetic.row), 3);
      // The printed "2.2 Vector arithmetic" line became the heading; the body follows it.
      assert.ok(arithmetic.row < rowOf(doc, 'Vectors can be used in arithmetic expressions'));
      assert.equal(doc.text.split('\n').filter((line) => /^2\.2 Vector arithmetic$/.test(line)).length, 0);
    });

    it('drops running headers and page numbers, which would otherwise repeat in every chunk', async () => {
      // The PDF prints "Chapter 2: Simple manipulations; numbers and vectors <n>" atop 4 of its 6 pages
      // (Ghostscript -sDEVICE=txtwrite finds it there).
      assert.doesNotMatch(doc.text, /^Chapter 2: Simple manipulations; numbers and vectors \d+$/m);
      assert.match(doc.text, /^2 Simple manipulations; numbers and vectors$/m, 'the chapter heading itself stays');
    });

    it('separates paragraphs with blank lines and keeps no control characters', () => {
      assert.ok(doc.text.split('\n\n').length > 30);
      assert.doesNotMatch(doc.text, /[\u0000-\u0008\u000b-\u001f]/);
    });

    it('refuses an encrypted PDF, a scan without text and a truncated file, with a reason', async () => {
      await assertUnreadable('x.pdf', fixtureBytes('r-intro-p14-encrypted.pdf'), /^encrypted PDF/);
      await assertUnreadable('x.pdf', fixtureBytes('r-intro-p14-15-scanned.pdf'), /without a text layer/);
      const whole = fixtureBytes('r-intro-p13-18.pdf');
      await assertUnreadable('x.pdf', whole.slice(0, Math.floor(whole.length / 2)), /not a valid PDF|malformed PDF/);
      await assertUnreadable('x.pdf', new TextEncoder().encode('just text, named .pdf\n'), /not a valid PDF|malformed PDF/);
      await assertUnreadable('x.pdf', new Uint8Array(0), /not a valid PDF|malformed PDF/);
    });

    it('leaves the caller\'s buffer usable (pdf.js detaches what it is given)', async () => {
      const bytes = fixtureBytes('r-intro-p13-18.pdf');
      await extractDocument('pdf', bytes);
      assert.equal(bytes.byteLength > 0 && bytes[0], 0x25); // '%' of %PDF
    });

    it('takes a Node Buffer as well (what the indexer reads when chunking in its own thread)', async () => {
      const buffer = readFileSync(path.join(FIXTURES, 'r-intro-p13-18.pdf'));
      assert.deepEqual((await extractDocument('pdf', buffer)).places?.numbers, [1, 2, 3, 4, 5, 6]);
      assert.ok((await extractDocument('docx', readFileSync(path.join(FIXTURES, 'python-heapq.docx')))).headings.length > 0);
    });
  });

  describe('HTML (heapq.html from python3.11-doc)', () => {
    let doc: ExtractedDoc;
    before(async () => {
      doc = await extract('python-heapq.html');
    });

    it('takes h1-h6 as headings, without permalink marks', () => {
      assert.deepEqual(headingTitles(doc), ['heapq — Heap queue algorithm', 'Basic Examples', 'Priority Queue Implementation Notes', 'Theory']);
      assert.deepEqual(doc.headings.map((h) => h.level), [1, 2, 2, 2]);
    });

    it('keeps no markup, scripts, styles or navigation', () => {
      assert.doesNotMatch(doc.text, MARKUP);
      assert.doesNotMatch(doc.text, /¶|&gt;|&amp;|class=|function\s*\(|Navigation|Previous topic|Table of Contents|Report a Bug|Quick search/);
      const raw = fixtureText('python-heapq.html');
      assert.match(raw, /<script|<nav|role="navigation"/, 'the fixture does have scripts and navigation to drop');
    });

    it('keeps pre blocks as code, whole and with their line breaks', () => {
      const start = rowOf(doc, '>>> def heapsort(iterable):');
      const block = doc.atomic.find(([first, last]) => first <= start && start <= last);
      assert.ok(block, 'the example is an atomic block');
      const lines = doc.text.split('\n').slice(block[0], block[1] + 1);
      assert.ok(lines.includes('...     h = []'), lines.join('\n'));
      assert.ok(lines.includes('[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]'));
    });
  });

  describe('Word (heapq.rst from python3.11-doc, made a .docx by pandoc)', () => {
    it('takes Word headings as headings and code-styled paragraphs as code', async () => {
      const doc = await extract('python-heapq.docx');
      assert.deepEqual(headingTitles(doc), ['heapq --- Heap queue algorithm', 'Basic Examples', 'Priority Queue Implementation Notes', 'Theory']);
      const start = rowOf(doc, '>>> def heapsort(iterable):');
      assert.ok(doc.atomic.some(([first, last]) => first <= start && start < last), 'the example is one code block');
      assert.match(doc.text, /This module provides an implementation of the heap queue algorithm/);
      assert.doesNotMatch(doc.text, MARKUP);
    });

    it('refuses a truncated or foreign file named .docx, with a reason', async () => {
      const whole = fixtureBytes('python-heapq.docx');
      await assertUnreadable('x.docx', whole.slice(0, Math.floor(whole.length / 2)), /damaged Word document/);
      await assertUnreadable('x.docx', fixtureBytes('r-intro-p14-encrypted.pdf'), /damaged Word document/);
    });
  });

  describe('Jupyter notebook (code-cells.ipynb from python-nbsphinx-doc, trimmed)', () => {
    const raw = fixtureText('nbsphinx-code-cells.ipynb');
    let doc: ExtractedDoc;
    before(async () => {
      doc = await extract('nbsphinx-code-cells.ipynb');
    });

    it('says the kernel\'s language and which cells hold code', () => {
      const cells = JSON.parse(raw).cells as Array<{ cell_type: string }>;
      assert.equal(doc.code?.language, 'python');
      assert.deepEqual(doc.code?.places, cells.flatMap((cell, i) => (cell.cell_type === 'code' ? [i] : [])));
    });

    it('numbers cells from 0 as the notebook does', () => {
      const cells = JSON.parse(raw).cells as unknown[];
      assert.equal(doc.places?.kind, 'cell');
      assert.equal(placeOf(doc, rowOf(doc, 'Normal output + standard output')), 11);
      assert.ok(doc.places!.numbers.every((n, i, all) => i === 0 || n > all[i - 1]));
      assert.ok(Math.max(...doc.places!.numbers) < cells.length);
    });

    it('takes markdown headings as headings and code cells as code with their short text outputs', () => {
      assert.deepEqual(headingTitles(doc).slice(0, 4), ['Code Cells', 'Code, Output, Streams', 'Cell Magics', 'Special Display Formats']);
      assert.equal(doc.headings.find((h) => h.title === 'Plots')?.level, 3);
      const code = rowOf(doc, 'for i in 1 2 3');
      assert.ok(doc.atomic.some(([first, last]) => first <= code && code <= last), 'the %%bash cell is one code block');
      assert.equal(placeOf(doc, rowOf(doc, "I'll appear on the standard output stream\"")), 14);
    });

    it('drops image outputs: no base64 left, though the notebook holds a 50 KB PNG', () => {
      const pngs = (JSON.parse(raw).cells as Array<{ outputs?: Array<{ data?: Record<string, string> }> }>)
        .flatMap((cell) => cell.outputs ?? [])
        .map((output) => output.data?.['image/png'] ?? '')
        .filter(Boolean);
      assert.ok(pngs.some((png) => png.length > 30_000), 'the fixture really has a large image output');
      assert.doesNotMatch(doc.text, /[A-Za-z0-9+/]{60,}/);
      assert.ok(doc.text.length < raw.length / 10);
    });

    it('reads raw HTML in markdown cells as its text, and an embedded image as its alt text', async () => {
      assert.match(raw, /<div class=\\"alert alert-info\\">/);
      assert.doesNotMatch(doc.text, MARKUP);
      assert.match(doc.text, /Using the IPython kernel, the order is actually mixed up/);
      // A markdown cell with the notebook's own 51 KB plot pasted in as a data: URI, and a tag in code.
      const notebook = JSON.parse(raw);
      const png = (notebook.cells as Array<{ outputs?: Array<{ data?: Record<string, string> }> }>)
        .flatMap((cell) => cell.outputs ?? []).map((output) => output.data?.['image/png'] ?? '')
        .sort((a, b) => b.length - a.length)[0];
      notebook.cells.push({ cell_type: 'markdown', metadata: {}, source: [`The plot: ![a line plot](data:image/png;base64,${png}) and \`<br>\` kept in code.`] });
      const pasted = await extractDocument('notebook', JSON.stringify(notebook));
      const last = pasted.text.split('\n').filter(Boolean).pop();
      assert.equal(last, 'The plot: a line plot and `<br>` kept in code.');
      assert.equal(placeOf(pasted, pasted.text.split('\n').length - 1), notebook.cells.length - 1);
    });

    it('reads a raw cell marked text/html as HTML, other raw cells as they are (raw-cells.ipynb)', async () => {
      const rawCells = await extract('nbsphinx-raw-cells.ipynb');
      assert.equal(placeOf(rawCells, rowOf(rawCells, '“I’m a raw cell in HTML format.”')), 10);
      assert.doesNotMatch(rawCells.text, MARKUP);
      assert.equal(placeOf(rawCells, rowOf(rawCells, "\\textbf{I'm} a \\emph{raw cell}")), 12);
    });

    it('strips terminal colour codes from outputs', () => {
      assert.match(raw, /\\u001b\[|\u001b\[/);
      assert.doesNotMatch(doc.text, /\u001b/);
    });

    it('refuses damaged JSON and JSON that is not a notebook, with a reason', async () => {
      await assertUnreadable('x.ipynb', raw.slice(0, Math.floor(raw.length / 2)), /not valid JSON/);
      await assertUnreadable('x.ipynb', '{"worksheets": [], "nbformat": 3}', /nbformat 3/);
      await assertUnreadable('x.ipynb', 'null', /not a Jupyter notebook/);
    });
  });

  describe('AsciiDoc (README.adoc of Eclipse Jetty)', () => {
    it('takes = titles as the heading path and keeps ---- listings whole', () => {
      const text = fixtureText('jetty-README.adoc');
      const doc = new LineText(text);
      const outline = asciidocOutline(doc);
      const paths = outline.sections.map((s) => s.path);
      assert.ok(paths.includes('ECLIPSE JETTY > Quick Setup'), paths.join(' | '));
      const lines = text.split('\n');
      const listing = lines.indexOf('$ export JETTY_HOME=/path/to/jetty-home');
      const block = [...outline.atomic].find(([first, last]) => first < listing && listing < last);
      assert.ok(block, 'the listing is atomic');
      assert.equal(lines[block[0]], '----');
      assert.equal(lines[block[1]], '----');
    });
  });

  describe('AsciiDoc document title', () => {
    it('heads the path of the sections below it', () => {
      // A document title, then a level-1 and a level-2 section.
      const text = '= User Manual\n\nPreamble.\n\n== Install\n\nRun it.\n\n=== On Linux\n\nUse apt.\n';
      const paths = asciidocOutline(new LineText(text)).sections.map((s) => s.path);
      assert.deepEqual(paths, ['User Manual', 'User Manual > Install', 'User Manual > Install > On Linux']);
    });
  });

  describe('formats and size limits', () => {
    it('knows documents by extension, in any case, and nothing else', () => {
      assert.equal(documentFormatOf('docs/Manual.PDF'), 'pdf');
      assert.equal(documentFormatOf('a/b.ipynb'), 'notebook');
      assert.equal(documentFormatOf('a/b.htm'), 'html');
      assert.equal(documentFormatOf('a/b.docx'), 'docx');
      assert.equal(documentFormatOf('a.pdf/readme.md'), undefined);
      assert.equal(documentFormatOf('.pdf'), undefined);
      assert.equal(documentFormatOf('notes.doc'), undefined);
    });

    it('lets PDF, Word and notebooks be larger than a text file, HTML not', () => {
      const limit = 1024 * 1024;
      assert.ok(maxBytesFor('a.pdf', limit) > 10 * limit);
      assert.ok(maxBytesFor('a.ipynb', limit) > 10 * limit);
      assert.equal(maxBytesFor('a.html', limit), limit);
      assert.equal(maxBytesFor('a.ts', limit), limit);
    });
  });
});
