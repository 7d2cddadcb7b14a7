// The docs corpus of `npm run eval`: real documentation nobody on the team wrote, from Debian packages
// (apt-get install python3.11-doc r-doc-pdf python-nbsphinx-doc):
//  - python-html: pages of Python's HTML library reference;
//  - r-pdf: R's PDF manuals (R-intro, R-data, R-lang, R-admin);
//  - notebooks: nbsphinx's documentation notebooks.
// Questions are section titles (HTML h2/h3, PDF outline entries, notebook markdown headings). Where the
// file is text (HTML, notebooks) the copy has every occurrence of the title removed, so a question
// cannot be answered by finding its own words; a PDF cannot be edited, so its titles stay (the baseline
// cannot read a PDF's compressed text either way). Gold: the file, and for location hits the section's
// pages (a PDF chunk within one page of them) or cells.
// Lore (its real pipeline with the docs extraction) is compared with plain BM25 over the raw files:
// what indexing them as text gives a user. Chunks and bytes: today's line windows over the raw files
// ("before") against Lore's extracted chunks ("after").
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Chunker } from '../src/core/chunk';
import { Indexer } from '../src/core/indexer';
import { Retriever } from '../src/core/retrieve';
import { LoreStore } from '../src/core/store';
import type { Chunk } from '../src/core/types';
import { Bm25Baseline } from './bm25Baseline';
import { firstGoldRank, metricsOf, ratioTo, type Metrics } from './metrics';

export const DOCS_APT_PACKAGES = ['python3.11-doc', 'r-doc-pdf', 'python-nbsphinx-doc'];
const PYTHON_HTML = '/usr/share/doc/python3.11/html/library';
const R_MANUALS = '/usr/share/R/doc/manual';
const NBSPHINX = '/usr/share/doc/python-nbsphinx/html';
const HTML_PAGES = 60;
const MAX_QUESTIONS = 80;
const TOP = 10;

interface DocQuestion {
  question: string;
  file: string;
  /** Chunk at the right place: PDF pages [from - 1, to + 1], notebook cells [from, to]; HTML: the file. */
  place?: { kind: 'page' | 'cell'; from: number; to: number };
}

interface DocCorpus {
  name: string;
  files: number;
  rawBytes: number;
  questions: DocQuestion[];
}

export interface DocsRow {
  corpus: string;
  system: string;
  metrics: Metrics;
  ratio?: ReturnType<typeof ratioTo>;
}

export interface DocsSize {
  corpus: string;
  files: number;
  rawBytes: number;
  before: { chunks: number; bytes: number };
  after: { chunks: number; bytes: number };
}

/** Missing packages, or [] when every source is installed. */
export function missingDocsPackages(): string[] {
  const needs: Array<[string, string]> = [[PYTHON_HTML, 'python3.11-doc'], [R_MANUALS, 'r-doc-pdf'], [NBSPHINX, 'python-nbsphinx-doc']];
  return needs.filter(([dir]) => !existsSync(dir)).map(([, pkg]) => pkg);
}

export async function runDocsEval(work: string, sample?: number): Promise<{ rows: DocsRow[]; sizes: DocsSize[] }> {
  const rows: DocsRow[] = [];
  const sizes: DocsSize[] = [];
  const builders: Array<(root: string) => Promise<DocCorpus> | DocCorpus> = [buildHtmlCorpus, buildPdfCorpus, buildNotebookCorpus];
  const chunker = await Chunker.create();
  const pooled: Ranks = { baseline: [], windows: [], file: [], place: [] };
  try {
    for (const [i, build] of builders.entries()) {
      const root = path.join(work, `docs-${i}`);
      const corpus = await build(root);
      if (sample && corpus.questions.length > sample) corpus.questions = corpus.questions.filter((_, j) => j % Math.ceil(corpus.questions.length / sample) === 0);
      process.stderr.write(`eval: docs ${corpus.name}: ${corpus.files} files, ${corpus.questions.length} questions\n`);
      const ranks = await evaluate(corpus, root, path.join(work, `docs-store-${i}`), chunker, rows, sizes);
      for (const key of Object.keys(pooled) as Array<keyof Ranks>) pooled[key].push(...ranks[key]);
    }
  } finally {
    await chunker.dispose();
  }
  // Every question of the three corpora together: what a user with such a docs folder gets.
  rows.push(...rowsOf('all docs', pooled));
  return { rows, sizes };
}

/** Per question, the rank of the first gold hit (undefined: not in the top TOP) for each system. */
interface Ranks {
  baseline: Array<number | undefined>;
  windows: Array<number | undefined>;
  file: Array<number | undefined>;
  place: Array<number | undefined>;
}

function rowsOf(corpus: string, ranks: Ranks): DocsRow[] {
  const base = metricsOf(ranks.baseline);
  const windows = metricsOf(ranks.windows);
  const file = metricsOf(ranks.file);
  const place = metricsOf(ranks.place);
  return [
    { corpus, system: 'BM25 over the raw files (file)', metrics: base },
    { corpus, system: 'BM25 over raw line windows (excerpt in the right file)', metrics: windows },
    { corpus, system: 'Lore lexical (file)', metrics: file, ratio: ratioTo(file, base) },
    { corpus, system: 'Lore lexical (excerpt at the right page/cell/file)', metrics: place, ratio: ratioTo(place, windows) },
  ];
}

async function evaluate(corpus: DocCorpus, root: string, storeDir: string, chunker: Chunker, rows: DocsRow[], sizes: DocsSize[]): Promise<Ranks> {
  const store = await LoreStore.open(storeDir);
  try {
    await new Indexer({ root, store, chunker, maxFileBytes: 1024 * 1024 }).syncAll();
    const retriever = new Retriever(store);
    const files = listFiles(root);
    const raw = files.map((f) => ({ id: f, path: f, text: readFileSync(path.join(root, f)).toString('utf8') }));
    const baseline = new Bm25Baseline(raw, { withPaths: false });
    // Today's treatment: the raw file as text, in line windows (PDF and Word were excluded outright; counted here as text).
    const windows: Chunk[] = [];
    for (const f of raw) windows.push(...(await chunker.chunk(`${f.path}.txt`, f.text.replace(/\r\n?/g, '\n'))).map((c) => ({ ...c, path: f.path })));
    const windowIndex = new Bm25Baseline(windows.map((c) => ({ id: c.id, path: c.path, text: c.text })), { withPaths: false });
    const windowById = new Map(windows.map((c) => [c.id, c]));
    const ranks: Ranks = { baseline: [], windows: [], file: [], place: [] };
    for (const q of corpus.questions) {
      ranks.baseline.push(firstGoldRank(baseline.search(q.question, TOP), (f) => f === q.file));
      ranks.windows.push(firstGoldRank(windowIndex.search(q.question, TOP), (id) => windowById.get(id)!.path === q.file));
      const ranked = await retriever.rankFiles(q.question, { k: TOP });
      ranks.file.push(firstGoldRank(ranked.files, (f) => f.path === q.file));
      const { results } = await retriever.retrieve(q.question, { k: TOP });
      ranks.place.push(firstGoldRank(results, (r) => atPlace(r.chunk, q)));
    }
    rows.push(...rowsOf(corpus.name, ranks));

    const after = files.flatMap((f) => store.chunksOf(f));
    sizes.push({
      corpus: corpus.name,
      files: corpus.files,
      rawBytes: corpus.rawBytes,
      before: { chunks: windows.length, bytes: windows.reduce((n, c) => n + Buffer.byteLength(c.text), 0) },
      after: { chunks: after.length, bytes: after.reduce((n, c) => n + Buffer.byteLength(c.text), 0) },
    });
    return ranks;
  } finally {
    await store.close();
  }
}

function atPlace(chunk: Chunk, q: DocQuestion): boolean {
  if (chunk.path !== q.file) return false;
  if (!q.place) return true;
  const at = q.place.kind === 'page' ? chunk.page : chunk.cell;
  if (at === undefined) return false;
  const slack = q.place.kind === 'page' ? 1 : 0;
  return at >= q.place.from - slack && at <= q.place.to + slack;
}

/** Python library pages, evenly spaced; questions: h2/h3 titles, removed from the copy. */
function buildHtmlCorpus(root: string): DocCorpus {
  const pages = readdirSync(PYTHON_HTML).filter((f) => f.endsWith('.html')).sort();
  const chosen = pages.filter((_, i) => i % Math.ceil(pages.length / HTML_PAGES) === 0);
  const questions: DocQuestion[] = [];
  let rawBytes = 0;
  for (const name of chosen) {
    let html = readFileSync(path.join(PYTHON_HTML, name), 'utf8');
    const titles = [...html.matchAll(/<h[23][^>]*>([\s\S]*?)<\/h[23]>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').replace(/¶/g, '').replace(/\s+/g, ' ').trim());
    for (const title of titles.filter(isQuestion)) {
      questions.push({ question: title, file: name });
      html = withheld(html, title);
    }
    rawBytes += Buffer.byteLength(html);
    write(root, name, html);
  }
  return { name: 'python-html', files: chosen.length, rawBytes, questions: spread(questions) };
}

/** R manuals as they are; questions: outline titles below the chapters, gold: the pages of their section. */
async function buildPdfCorpus(root: string): Promise<DocCorpus> {
  const questions: DocQuestion[] = [];
  let rawBytes = 0;
  const names = ['R-intro.pdf', 'R-data.pdf', 'R-lang.pdf', 'R-admin.pdf'];
  for (const name of names) {
    const bytes = readFileSync(path.join(R_MANUALS, name));
    rawBytes += bytes.length;
    write(root, name, bytes);
    const entries = await pdfOutline(bytes);
    entries.forEach((entry, i) => {
      const title = entry.title.replace(/^[\d.A-Z]+\s+(?=\S)/, '');
      const next = entries.slice(i + 1).find((e) => e.level <= entry.level);
      if (entry.level >= 2 && isQuestion(title)) questions.push({ question: title, file: name, place: { kind: 'page', from: entry.page, to: Math.max(entry.page, next?.page ?? entry.page) } });
    });
  }
  return { name: 'r-pdf', files: names.length, rawBytes, questions: spread(questions) };
}

/** nbsphinx's notebooks (some gzipped in the package); questions: markdown headings below the title, removed from the copy. */
function buildNotebookCorpus(root: string): DocCorpus {
  const questions: DocQuestion[] = [];
  let rawBytes = 0;
  const names = readdirSync(NBSPHINX).filter((f) => /\.ipynb(\.gz)?$/.test(f)).sort();
  for (const file of names) {
    const bytes = readFileSync(path.join(NBSPHINX, file));
    let json = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
    const name = file.replace(/\.gz$/, '');
    const cells = (JSON.parse(json).cells ?? []) as Array<{ cell_type: string; source: string | string[] }>;
    const headings: Array<{ title: string; cell: number; level: number }> = [];
    cells.forEach((cell, i) => {
      if (cell.cell_type !== 'markdown') return;
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      for (const m of source.matchAll(/^(#{2,6})\s+(.+?)\s*$/gm)) headings.push({ title: m[2], cell: i, level: m[1].length });
    });
    headings.forEach((h, i) => {
      if (!isQuestion(h.title)) return;
      const next = headings.slice(i + 1).find((n) => n.level <= h.level);
      questions.push({ question: h.title, file: name, place: { kind: 'cell', from: h.cell, to: (next?.cell ?? cells.length) - 1 } });
      json = withheld(json, JSON.stringify(h.title).slice(1, -1));
    });
    rawBytes += Buffer.byteLength(json);
    write(root, name, json);
  }
  return { name: 'notebooks', files: names.length, rawBytes, questions: spread(questions) };
}

/** A title worth asking: three words at least. */
function isQuestion(title: string): boolean {
  return title.split(/\s+/).filter((w) => /[a-z]{2}/i.test(w)).length >= 3;
}

/** The text with every occurrence of the title, and of its URL slug, removed. */
function withheld(text: string, title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return text.split(title).join('').split(slug).join('');
}

/** At most MAX_QUESTIONS, evenly spread over the corpus. */
function spread(questions: DocQuestion[]): DocQuestion[] {
  if (questions.length <= MAX_QUESTIONS) return questions;
  const step = questions.length / MAX_QUESTIONS;
  return Array.from({ length: MAX_QUESTIONS }, (_, i) => questions[Math.floor(i * step)]);
}

// pdf.js for the gold pages: the outline read independently of Lore's extraction.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function pdfOutline(bytes: Buffer): Promise<Array<{ title: string; level: number; page: number }>> {
  const build = path.dirname(require.resolve('pdfjs-dist/legacy/build/pdf.mjs'));
  (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker ??= await importModule(pathToFileURL(path.join(build, 'pdf.worker.mjs')).href);
  const pdfjs = (await importModule(pathToFileURL(path.join(build, 'pdf.mjs')).href)) as typeof import('pdfjs-dist');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const out: Array<{ title: string; level: number; page: number }> = [];
  const visit = async (nodes: Awaited<ReturnType<typeof doc.getOutline>>, level: number): Promise<void> => {
    for (const node of nodes ?? []) {
      const dest = typeof node.dest === 'string' ? await doc.getDestination(node.dest) : node.dest;
      const ref = dest?.[0];
      if (ref) out.push({ title: node.title.trim(), level, page: (typeof ref === 'number' ? ref : await doc.getPageIndex(ref as never)) + 1 });
      await visit(node.items, level + 1);
    }
  };
  await visit(await doc.getOutline(), 1);
  await doc.destroy();
  return out;
}

function write(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Markdown: recall and MRR per system (ratio to the raw baseline of its level), then chunks and bytes. */
export function docsTable(rows: DocsRow[], sizes: DocsSize[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const ratio = (x: number | undefined) => (x === undefined ? '' : ` (${x.toFixed(2)}x)`);
  const lines = ['| Corpus | System | Questions | Recall@5 | MRR |', '| --- | --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    lines.push(`| ${r.corpus} | ${r.system} | ${r.metrics.queries} | ${pct(r.metrics.recallAt5)}${ratio(r.ratio?.recallAt5)} | ${r.metrics.mrr.toFixed(3)}${ratio(r.ratio?.mrr)} |`);
  }
  lines.push('', '| Corpus | Files | Raw bytes | Chunks before | Chunks after | Chunk bytes before | Chunk bytes after |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of sizes) lines.push(`| ${s.corpus} | ${s.files} | ${s.rawBytes} | ${s.before.chunks} | ${s.after.chunks} | ${s.before.bytes} | ${s.after.bytes} |`);
  lines.push('', 'Before: the raw files as text in line windows (what indexing them gave). Excerpt rows: ratio to BM25 over those windows; file rows: to BM25 over whole raw files. PDF titles are not withheld (a PDF cannot be edited).');
  return lines.join('\n');
}
