// One measurement in a fresh Node process, so that load time and resident memory are those of a
// cold start and earlier runs leave nothing behind. Invoked by run.ts as
//   node --expose-gc out/bench/probe.js <task> <storeDir> <chunks>
// and prints one JSON line with its figures.
import './slimVectra';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { LocalIndex } from 'vectra';
import { Retriever } from '../src/core/retrieve';
import { LEXICAL_FILE, LoreStore } from '../src/core/store';
import { measureActivation } from './activation';
import { measureMcpSearch } from './mcp';
import { measurePipeline } from './pipeline';
import { watchEventLoop, median, percentile, sizeOfTree, topKBruteForce } from './measure';
import { CHUNKS_PER_FILE, DIMS, loadSourceText, SyntheticCorpus } from './synthetic';

const QUERIES = 40;
/**
 * Questions asked before the measured ones: a fresh process spends its first questions compiling
 * code and decoding the files they read (1k chunks: 30-55 ms, then 2-6 ms each until most files
 * were read, ~1 ms after), which put the p50 of 40 on that knee. Their times are reported apart
 * (`firstQueryMs`, `coldP50Ms`).
 */
const WARMUP_QUERIES = 40;
const SAVES = 15;
/** Files added per putFiles call while building: large commits, as a first full index makes them. */
const BUILD_FILES_PER_COMMIT = 2_000;
/** The naive design saves a file as one upsertItem per chunk; each rewrites the whole index. */
const NAIVE_SAVES = 2;

const NODE_MODULES = path.resolve(__dirname, '../../node_modules');

type Figures = Record<string, number | string | undefined>;

async function main(): Promise<void> {
  const [task, dir, chunksArg] = process.argv.slice(2);
  const files = Math.ceil(Number(chunksArg) / CHUNKS_PER_FILE);
  // Built lazily: the measuring tasks load the store before the corpus, so memory is the store's alone.
  const corpus = () => new SyntheticCorpus(loadSourceText(NODE_MODULES));
  const tasks: Record<string, () => Promise<Figures>> = {
    'lore-build': () => buildLore(dir, corpus(), files),
    'lore-measure': () => measureLore(dir, corpus, files),
    'lore-rebuild-lexical': () => measureLexicalRebuild(dir),
    'mcp-search': () => measureMcpSearch(dir),
    'naive-build': () => buildNaive(dir, corpus(), files),
    'naive-measure': () => measureNaive(dir, corpus, files),
    pipeline: () => measurePipeline(dir),
    activation: () => measureActivation(dir),
  };
  const run = tasks[task];
  if (!run) throw new Error(`unknown task ${task}`);
  process.stdout.write(JSON.stringify(await run()) + '\n');
}

async function buildLore(dir: string, corpus: SyntheticCorpus, files: number): Promise<Figures> {
  const started = performance.now();
  const store = await LoreStore.open(dir);
  for (let first = 0; first < files; first += BUILD_FILES_PER_COMMIT) {
    const updates = [];
    for (let file = first; file < Math.min(files, first + BUILD_FILES_PER_COMMIT); file++) updates.push(corpus.update(file));
    await store.putFiles(updates, 'synthetic');
  }
  await store.close();
  return { buildMs: Math.round(performance.now() - started) };
}

async function measureLore(dir: string, makeCorpus: () => SyntheticCorpus, files: number): Promise<Figures> {
  const watch = watchEventLoop();
  const started = performance.now();
  const store = await LoreStore.open(dir);
  const loadMs = performance.now() - started;
  const atOpen = process.memoryUsage();
  // The lexical index fills in the background after open; the event loop is watched until it is done.
  await store.whenLexicalReady();
  const lexicalReadyMs = performance.now() - started;
  const maxBlockMs = watch.stop();
  if (store.recovered) throw new Error(`store was rebuilt: ${store.recovered}`);
  const stats = await store.stats();
  global.gc?.();
  const memory = process.memoryUsage();

  const corpus = makeCorpus();
  // The floor: the same vectors, one Float32Array, scanned in the same process.
  const raw = new Float32Array(files * CHUNKS_PER_FILE * DIMS);
  let row = 0;
  for (let file = 0; file < files; file++) for (const chunk of corpus.chunks(file)) raw.set(unit(corpus.vector(chunk)), DIMS * row++);

  const { warmup, queries } = questions(corpus, files);
  const retriever = new Retriever(store, corpus.embedder([...warmup, ...queries]));
  const timed = async (run: () => unknown): Promise<number> => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  // Each question's searches and the scan side by side, so that the machine's changing speed (a
  // shared VM's) weighs on both alike.
  const [hybrid, vectorOnly, lexicalOnly, brute]: number[][] = [[], [], [], []];
  const cold: number[] = [];
  for (const [n, query] of [...warmup, ...queries].entries()) {
    const figures = [
      await timed(() => retriever.retrieve(query.text, { k: 10 })),
      await timed(() => store.vectorSearch(query.vector, 40)),
      await timed(() => store.lexicalSearch(query.text, 40)),
      await timed(() => topKBruteForce(raw, DIMS, unit(query.vector), 40)),
    ];
    if (n < warmup.length) cold.push(figures[0]);
    else [hybrid, vectorOnly, lexicalOnly, brute].forEach((list, i) => list.push(figures[i]));
  }

  const saves: number[] = [];
  for (let n = 0; n < SAVES; n++) {
    const update = corpus.update((n * 104_729) % files, n + 1);
    const t = performance.now();
    await store.putFile(update.record, update.chunks, update.vectors);
    saves.push(performance.now() - t);
  }
  await store.close();

  return {
    chunks: stats.chunks,
    vectors: stats.vectors,
    loadMs: Math.round(loadMs),
    lexicalReadyMs: Math.round(lexicalReadyMs),
    maxBlockMs: Math.round(maxBlockMs),
    rssAtOpenMB: Math.round(atOpen.rss / 2 ** 20),
    rssMB: Math.round(memory.rss / 2 ** 20),
    heapMB: Math.round(memory.heapUsed / 2 ** 20),
    arrayBuffersMB: Math.round(memory.arrayBuffers / 2 ** 20),
    diskBytesPerChunk: Math.round(stats.diskBytes / stats.chunks),
    saveMs: round1(median(saves)),
    saveMaxMs: round1(Math.max(...saves)),
    firstQueryMs: round1(cold[0]),
    coldP50Ms: round1(median(cold)),
    queryP50Ms: round1(median(hybrid)),
    queryP95Ms: round1(percentile(hybrid, 95)),
    vectorP50Ms: round1(median(vectorOnly)),
    lexicalP50Ms: round1(median(lexicalOnly)),
    bruteP50Ms: round1(median(brute)),
  };
}

/**
 * A store without its lexical snapshot (written by an older Lore, or the snapshot was damaged): the
 * lexical index is rebuilt from the chunk packs in the background after open.
 */
async function measureLexicalRebuild(dir: string): Promise<Figures> {
  rmSync(path.join(dir, LEXICAL_FILE), { force: true });
  const watch = watchEventLoop();
  const started = performance.now();
  const store = await LoreStore.open(dir);
  const loadMs = performance.now() - started;
  await store.whenLexicalReady();
  const rebuildMs = performance.now() - started;
  const maxBlockMs = watch.stop();
  await store.close();
  return { rebuildLoadMs: Math.round(loadMs), rebuildMs: Math.round(rebuildMs), rebuildMaxBlockMs: Math.round(maxBlockMs) };
}

function naiveIndex(dir: string): LocalIndex {
  return new LocalIndex(dir);
}

async function buildNaive(dir: string, corpus: SyntheticCorpus, files: number): Promise<Figures> {
  const started = performance.now();
  const index = naiveIndex(dir);
  await index.createIndex({ version: 1 });
  // Built in one update (per-chunk upserts would take hours); saves below use upsertItem per chunk.
  await index.beginUpdate();
  for (let file = 0; file < files; file++) {
    const { chunks, vectors } = corpus.update(file);
    for (const chunk of chunks) {
      await index.insertItem({ id: chunk.id, vector: Array.from(vectors!.get(chunk.id)!), metadata: { path: chunk.path, text: chunk.text } });
    }
  }
  await index.endUpdate();
  return { buildMs: Math.round(performance.now() - started) };
}

async function measureNaive(dir: string, makeCorpus: () => SyntheticCorpus, files: number): Promise<Figures> {
  const watch = watchEventLoop();
  const started = performance.now();
  const index = naiveIndex(dir);
  const count = (await index.listItems()).length;
  const loadMs = performance.now() - started;
  const maxBlockMs = watch.stop();
  global.gc?.();
  const memory = process.memoryUsage();
  const corpus = makeCorpus();
  const { warmup, queries } = questions(corpus, files);
  for (const query of warmup) await index.queryItems(Array.from(query.vector), query.text, 10);
  const times: number[] = [];
  for (const query of queries) {
    const t = performance.now();
    await index.queryItems(Array.from(query.vector), query.text, 10);
    times.push(performance.now() - t);
  }
  const saves: number[] = [];
  for (let n = 0; n < NAIVE_SAVES; n++) {
    const { chunks, vectors } = corpus.update((n * 104_729) % files, n + 1);
    const t = performance.now();
    for (const chunk of chunks) {
      await index.upsertItem({ id: chunk.id, vector: Array.from(vectors!.get(chunk.id)!), metadata: { path: chunk.path, text: chunk.text } });
    }
    saves.push(performance.now() - t);
  }
  return {
    chunks: count,
    loadMs: Math.round(loadMs),
    maxBlockMs: Math.round(maxBlockMs),
    rssMB: Math.round(memory.rss / 2 ** 20),
    diskBytesPerChunk: Math.round(sizeOfTree(dir) / count),
    saveMs: Math.round(median(saves)),
    queryP50Ms: round1(median(times)),
    queryP95Ms: round1(percentile(times, 95)),
  };
}

/** The measured questions (the same for every design and run) and the warm-up ones asked before them. */
function questions(corpus: SyntheticCorpus, files: number): { warmup: Question[]; queries: Question[] } {
  const question = (n: number) => corpus.query((n * 7919) % files, n);
  return {
    warmup: Array.from({ length: WARMUP_QUERIES }, (_, i) => question(QUERIES + i)),
    queries: Array.from({ length: QUERIES }, (_, n) => question(n)),
  };
}

type Question = ReturnType<SyntheticCorpus['query']>;

function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j] * vector[j];
  const norm = Math.sqrt(sum);
  return vector.map((x) => x / norm);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
