// The docs part of `npm run bench` (Debian packages python3.11-doc, r-doc-pdf, python-nbsphinx-doc):
//  - chunks and bytes a docs corpus produces before (each file chunked as text in line windows, what
//    indexing it raw gives: the embedding calls a user pays) and after (Lore's extraction);
//  - a PDF of over 1,000 pages (R's fullrefman.pdf) indexed as the extension indexes a folder (chunk
//    worker, store, lexical index; no embeddings), while the calling thread measures its own event-loop
//    delay and the process's memory; beside it, an idle wait as long (this machine's noise). Medians of a few runs.
// Every measurement runs in a fresh Node process (this file, run with arguments) for clean memory figures.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { Chunker } from '../src/core/chunk';
import { documentFormatOf, isBinaryDocument } from '../src/core/docs/formats';
import { DEFAULT_MAX_FILE_BYTES, openWorkspaceIndex } from '../src/core/workspaceIndex';

export const DOCS_BENCH_APT_PACKAGES = ['python3.11-doc', 'r-doc-pdf', 'python-nbsphinx-doc'];
const CORPORA: Record<string, { dir: string; keep: (name: string) => boolean }> = {
  'python-html': { dir: '/usr/share/doc/python3.11/html/library', keep: (name) => name.endsWith('.html') },
  'r-pdf': { dir: '/usr/share/R/doc/manual', keep: (name) => /^R-.*\.pdf$/.test(name) },
  notebooks: { dir: '/usr/share/doc/python-nbsphinx/html', keep: (name) => /\.ipynb(\.gz)?$/.test(name) },
};
const BIG_PDF = '/usr/share/R/doc/manual/fullrefman.pdf';
const PDF_RUNS = 3;

type Figures = Record<string, number>;

export interface DocsBench {
  corpora: Record<string, Figures>;
  bigPdf: Figures;
  /** The same stretch of time with nothing indexed: this machine's noise. */
  idleWorker: Figures;
  note?: string;
}

/** Runs the docs measurements, or says which packages are missing. */
export function benchDocs(log: (line: string) => void): DocsBench {
  const missing = [...Object.values(CORPORA).map((c) => c.dir), BIG_PDF].filter((p) => !existsSync(p));
  if (missing.length) {
    return { corpora: {}, bigPdf: {}, idleWorker: {}, note: `not measured: ${missing.join(', ')} missing (apt-get install ${DOCS_BENCH_APT_PACKAGES.join(' ')})` };
  }
  const corpora: Record<string, Figures> = {};
  for (const name of Object.keys(CORPORA)) {
    log(`docs corpus ${name}: chunks and bytes before/after`);
    corpora[name] = probeDocs('sizes', name);
  }
  const pdfRuns: Figures[] = [];
  const idleRuns: Figures[] = [];
  for (let run = 0; run < PDF_RUNS; run++) {
    log(`${path.basename(BIG_PDF)} indexed, run ${run + 1}/${PDF_RUNS} (and an idle wait beside it)`);
    const pdf = probeDocs('pdf', BIG_PDF);
    pdfRuns.push(pdf);
    // As long as the PDF took: the same stretch of this machine's noise.
    idleRuns.push(probeDocs('idle', BIG_PDF, { LORE_BENCH_IDLE_MS: String(pdf.chunkMs) }));
  }
  return { corpora, bigPdf: medians(pdfRuns), idleWorker: medians(idleRuns) };
}

/** Markdown lines for bench/results.md. */
export function docsTable(docs: DocsBench): string[] {
  if (docs.note) return [`Docs: ${docs.note}.`, ''];
  const names = Object.keys(docs.corpora);
  const row = (label: string, values: Array<string | number>) => `| ${label} | ${values.join(' | ')} |`;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
  const { bigPdf: pdf, idleWorker: idle } = docs;
  return [
    `| Docs corpus (real files) | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    row('Files / raw MB', names.map((n) => `${docs.corpora[n].files} / ${mb(docs.corpora[n].rawBytes)}`)),
    row('Chunks: raw line windows -> Lore', names.map((n) => `${docs.corpora[n].beforeChunks} -> ${docs.corpora[n].afterChunks} (${(docs.corpora[n].afterChunks / docs.corpora[n].beforeChunks).toFixed(2)}x)`)),
    row('Chunk text MB: raw -> Lore', names.map((n) => `${mb(docs.corpora[n].beforeBytes)} -> ${mb(docs.corpora[n].afterBytes)}`)),
    row('Skipped (unreadable)', names.map((n) => docs.corpora[n].skipped)),
    '',
    `${path.basename(BIG_PDF)} (${mb(pdf.fileBytes)} MB; chunks on ${pdf.pages} of its pages) indexed as the extension indexes a folder (no embeddings), medians of ${PDF_RUNS} runs: ` +
      `**${(pdf.chunkMs / 1000).toFixed(1)} s** to ${pdf.chunks} chunks; the indexing thread's event-loop delay max **${pdf.loopMaxMs} ms**, p99 ${pdf.loopP99Ms} ms ` +
      `(an idle wait beside it: max ${idle.loopMaxMs} ms, p99 ${idle.loopP99Ms} ms); process RSS grew **${pdf.rssGrowthMB} MB** at its peak ` +
      `(${(pdf.rssGrowthMB / (pdf.fileBytes / 2 ** 20)).toFixed(1)}x the file; idle: ${idle.rssGrowthMB} MB); held a second after (the index of the PDF, ` +
      `and a fresh worker in place of the one that read it): **${pdf.rssAfterMB - pdf.rssBeforeMB} MB** (${((pdf.rssAfterMB - pdf.rssBeforeMB) / (pdf.fileBytes / 2 ** 20)).toFixed(1)}x the file).`,
    '',
  ];
}

function probeDocs(task: string, arg: string, env: Record<string, string> = {}): Figures {
  // The indexing probes run as the extension host does, without --expose-gc: with it, the same run's
  // longest event-loop block measured 126-156 ms instead of 64-73 ms (collections differ).
  const flags = task === 'sizes' ? ['--expose-gc'] : [];
  const out = execFileSync(process.execPath, [...flags, __filename, task, arg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Figures;
}

function medians(runs: Figures[]): Figures {
  const out: Figures = {};
  for (const key of Object.keys(runs[0])) {
    const sorted = runs.map((r) => r[key]).sort((a, b) => a - b);
    out[key] = sorted[Math.floor(sorted.length / 2)];
  }
  return out;
}

/** Files of a corpus with their content: bytes for PDF and Word, text otherwise (notebooks may be gzipped). */
function corpusFiles(name: string): Array<{ path: string; content: string | Uint8Array; raw: string }> {
  const { dir, keep } = CORPORA[name];
  return readdirSync(dir).filter(keep).sort().map((file) => {
    const bytes = readFileSync(path.join(dir, file));
    const data = file.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    const docPath = file.replace(/\.gz$/, '');
    // Before: what chunking the file as text gives (a PDF's bytes as Latin-1, as a text reader sees them).
    const raw = data.toString(isBinaryDocument(docPath) ? 'latin1' : 'utf8');
    return { path: docPath, content: isBinaryDocument(docPath) ? new Uint8Array(data) : data.toString('utf8'), raw };
  });
}

async function measureSizes(name: string): Promise<Figures> {
  const chunker = await Chunker.create();
  try {
    const figures: Figures = { files: 0, rawBytes: 0, beforeChunks: 0, beforeBytes: 0, afterChunks: 0, afterBytes: 0, skipped: 0 };
    for (const file of corpusFiles(name)) {
      figures.files++;
      figures.rawBytes += Buffer.byteLength(file.raw, 'latin1');
      const windows = await chunker.chunk(`${file.path}.txt`, file.raw);
      figures.beforeChunks += windows.length;
      figures.beforeBytes += windows.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
      if (!documentFormatOf(file.path)) continue;
      try {
        const chunks = await chunker.chunk(file.path, file.content);
        figures.afterChunks += chunks.length;
        figures.afterBytes += chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
      } catch {
        figures.skipped++;
      }
    }
    return figures;
  } finally {
    await chunker.dispose();
  }
}

/**
 * The PDF indexed as the extension indexes a folder (chunk worker, store, lexical index; no embeddings),
 * or an idle wait for as long, the calling thread measuring itself.
 */
async function measurePdf(file: string, idle: boolean): Promise<Figures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const work = mkdtempSync(path.join(os.tmpdir(), 'lore-bench-pdf-'));
  const root = path.join(work, 'folder');
  mkdirSync(root);
  copyFileSync(file, path.join(root, path.basename(file)));
  const index = await openWorkspaceIndex({ root, storeDir: path.join(work, 'store'), host: UNREACHABLE_HOST, maxFileBytes: DEFAULT_MAX_FILE_BYTES, access: 'write', log: () => undefined });
  index.setEmbeddingsEnabled(false);
  try {
    gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    if (idle) await new Promise((resolve) => setTimeout(resolve, Number(process.env.LORE_BENCH_IDLE_MS)));
    else await index.indexer.syncAll();
    const chunkMs = Math.round(performance.now() - started);
    delay.disable();
    clearInterval(sampler);
    // What stays held: the pool replaces the worker that read a big file, and its thread's memory goes with it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    gc?.();
    const chunks = index.store.chunksOf(path.basename(file));
    return {
      fileBytes: statSync(file).size,
      pages: new Set(chunks.map((c) => c.page)).size,
      chunks: chunks.length,
      chunkMs,
      loopMaxMs: Math.round(delay.max / 1e6),
      loopP99Ms: Math.round(delay.percentile(99) / 1e6),
      rssBeforeMB: Math.round(rssBefore / 2 ** 20),
      rssGrowthMB: Math.round((rssPeak - rssBefore) / 2 ** 20),
      rssAfterMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  } finally {
    await index.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Nothing listens here: the bench indexes without embeddings. */
const UNREACHABLE_HOST = 'http://127.0.0.1:9';

if (require.main === module) {
  const [task, arg] = process.argv.slice(2);
  const run = task === 'sizes' ? measureSizes(arg) : measurePdf(arg, task === 'idle');
  run.then(
    (figures) => process.stdout.write(JSON.stringify(figures) + '\n'),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
