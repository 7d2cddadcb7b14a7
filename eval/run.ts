// `npm run eval`: retrieval quality of Lore against a plain BM25 baseline on corpora made from real
// code in node_modules (see corpora.ts). Indexes each corpus with Lore's real pipeline (scanner,
// chunker, store) into a temp store, asks every question, prints a Markdown table and writes
// eval/results.json. The hybrid rows use the test Ollama server's hashed bag-of-words embeddings:
// they prove the plumbing, they are not a quality figure.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Chunker } from '../src/core/chunk';
import { Indexer } from '../src/core/indexer';
import { lexicalQueryFor, Retriever } from '../src/core/retrieve';
import { LoreStore } from '../src/core/store';
import type { Chunk } from '../src/core/types';
import { openWorkspaceIndex } from '../src/core/workspaceIndex';
import { FakeOllama } from '../test/support/fakeOllama';
import { makeTempDir, removeDir } from '../test/support/tempTree';
import { Bm25Baseline } from './bm25Baseline';
import { buildDocCommentsCorpus, buildLintRulesCorpus, type Corpus, type EvalQuery } from './corpora';
import { firstGoldRank, metricsOf, ratioTo, type Metrics } from './metrics';

const MAX_FILE_BYTES = 1024 * 1024;
const TOP = 10;
const BASELINE = 'BM25 baseline';
const BASELINE_WITH_PATHS = 'BM25 + paths';

interface Row {
  corpus: string;
  system: string;
  level: 'file' | 'chunk';
  metrics: Metrics;
  ratio?: ReturnType<typeof ratioTo>;
  note?: string;
}

interface Ranks {
  file: Array<number | undefined>;
  chunk: Array<number | undefined>;
}

/** `--lexical-only` skips the hybrid plumbing check (quicker while tuning the lexical side). */
async function main(lexicalOnly: boolean): Promise<void> {
  const started = performance.now();
  const work = makeTempDir('lore-eval-');
  const rows: Row[] = [];
  const latencies: number[] = [];
  const corpora: Array<Corpus & { chunks: number }> = [];
  const fake = await FakeOllama.start();
  try {
    const builders = [buildLintRulesCorpus, buildDocCommentsCorpus];
    for (const build of builders) {
      const root = path.join(work, `corpus-${corpora.length}`);
      const corpus = build(root);
      const chunks = await lexicalRun(corpus, root, path.join(work, `store-${corpora.length}`), rows, latencies);
      if (!lexicalOnly) await hybridRun(corpus, root, path.join(work, `hybrid-${corpora.length}`), fake.url, rows);
      corpora.push({ ...corpus, chunks });
    }
  } finally {
    await fake.stop();
    removeDir(work);
  }
  addPooledRows(rows, corpora);

  latencies.sort((a, b) => a - b);
  const latency = {
    queries: latencies.length,
    medianMs: round(latencies[Math.floor(latencies.length / 2)] ?? 0, 2),
    p95Ms: round(latencies[Math.floor(latencies.length * 0.95)] ?? 0, 2),
  };
  const report = {
    generatedBy: 'npm run eval',
    node: process.version,
    corpora: corpora.map(({ name, description, files, chunks, queries }) => ({ name, description, files, chunks, questions: queries.length })),
    notes: [
      'recall@k: share of questions with a gold answer in the top k; MRR: mean 1/rank of the first gold answer within the top 10.',
      'file level: ranked files; chunk level: ranked excerpts, a hit when one spans the gold line.',
      'ratio: the figure divided by the plain BM25 baseline on the same corpus and level.',
      'hybrid rows use the test Ollama server (hashed bag-of-words embeddings): they prove the plumbing and are not a quality figure.',
    ],
    lexicalSearchLatency: latency,
    rows: rows.map((r) => ({ ...r, metrics: roundMetrics(r.metrics), ratio: r.ratio && roundRatio(r.ratio) })),
    durationSeconds: round((performance.now() - started) / 1000, 1),
  };
  writeFileSync(path.resolve(__dirname, '../../eval/results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(markdownTable(rows));
  console.log(`\nLexical search latency over ${latency.queries} queries: median ${latency.medianMs} ms, p95 ${latency.p95Ms} ms.`);
  console.log(`Corpora: ${report.corpora.map((c) => `${c.name} (${c.files} files, ${c.chunks} chunks, ${c.questions} questions)`).join('; ')}.`);
  console.log(`Wrote eval/results.json in ${report.durationSeconds} s.`);
}

/** Lore lexical-only and the BM25 baselines on one corpus; returns the number of chunks indexed. */
async function lexicalRun(corpus: Corpus, root: string, storeDir: string, rows: Row[], latencies: number[]): Promise<number> {
  const store = await LoreStore.open(storeDir);
  try {
    const indexer = new Indexer({ root, store, chunker: await Chunker.create(), maxFileBytes: MAX_FILE_BYTES });
    await indexer.syncAll();
    const files = listFiles(root);
    const chunks = files.flatMap((f) => store.chunksOf(f));
    const retriever = new Retriever(store);

    const lore: Ranks = { file: [], chunk: [] };
    for (const query of corpus.queries) {
      const t0 = performance.now();
      store.lexicalSearch(lexicalQueryFor(query.question), 100);
      latencies.push(performance.now() - t0);
      const { files: ranked } = await retriever.rankFiles(query.question, { k: TOP });
      lore.file.push(firstGoldRank(ranked, (f) => query.goldFiles.includes(f.path)));
      const { results } = await retriever.retrieve(query.question, { k: TOP });
      lore.chunk.push(firstGoldRank(results, (r) => spansGold(r.chunk, query)));
    }

    const byId = new Map(chunks.map((c) => [c.id, c]));
    const baselines: Record<string, Ranks> = {};
    for (const withPaths of [false, true]) {
      const fileIndex = new Bm25Baseline(files.map((f) => ({ id: f, path: f, text: chunksText(store.chunksOf(f)) })), { withPaths });
      const chunkIndex = new Bm25Baseline(chunks.map((c) => ({ id: c.id, path: c.path, text: c.text })), { withPaths });
      const ranks: Ranks = { file: [], chunk: [] };
      for (const query of corpus.queries) {
        ranks.file.push(firstGoldRank(fileIndex.search(query.question, TOP), (f) => query.goldFiles.includes(f)));
        ranks.chunk.push(firstGoldRank(chunkIndex.search(query.question, TOP), (id) => spansGold(byId.get(id)!, query)));
      }
      baselines[withPaths ? BASELINE_WITH_PATHS : BASELINE] = ranks;
    }
    for (const level of ['file', 'chunk'] as const) {
      const baseline = metricsOf(baselines[BASELINE][level]);
      rows.push({ corpus: corpus.name, system: BASELINE, level, metrics: baseline });
      for (const [system, ranks] of [[BASELINE_WITH_PATHS, baselines[BASELINE_WITH_PATHS]], ['Lore lexical', lore]] as const) {
        const metrics = metricsOf(ranks[level]);
        rows.push({ corpus: corpus.name, system, level, metrics, ratio: ratioTo(metrics, baseline) });
      }
    }
    return chunks.length;
  } finally {
    await store.close();
  }
}

/** Lore hybrid through the real embedder and Ollama API against the test server: plumbing only. */
async function hybridRun(corpus: Corpus, root: string, storeDir: string, host: string, rows: Row[]): Promise<void> {
  const workspace = await openWorkspaceIndex({ root, storeDir, host, embedModel: 'nomic-embed-text', maxFileBytes: MAX_FILE_BYTES, embedBatchSize: 64 });
  try {
    const run = await workspace.indexer.syncAll();
    if (run.mode !== 'hybrid') throw new Error(`hybrid run indexed in ${run.mode} mode: ${run.embedError?.message ?? 'no vectors'}`);
    const ranks: Ranks = { file: [], chunk: [] };
    for (const query of corpus.queries) {
      const files = await workspace.retriever.rankFiles(query.question, { k: TOP });
      if (files.mode !== 'hybrid') throw new Error('a hybrid query fell back to lexical-only');
      ranks.file.push(firstGoldRank(files.files, (f) => query.goldFiles.includes(f.path)));
      const { results } = await workspace.retriever.retrieve(query.question, { k: TOP });
      ranks.chunk.push(firstGoldRank(results, (r) => spansGold(r.chunk, query)));
    }
    const note = 'plumbing only: test server embeddings, not a quality figure';
    for (const level of ['file', 'chunk'] as const) {
      const baseline = rows.find((r) => r.corpus === corpus.name && r.level === level && r.system === BASELINE)!.metrics;
      const metrics = metricsOf(ranks[level]);
      rows.push({ corpus: corpus.name, system: 'Lore hybrid (fake embeddings)', level, metrics, ratio: ratioTo(metrics, baseline), note });
    }
  } finally {
    await workspace.close();
  }
}

/** All corpora together: each question counts once, whatever corpus it comes from. */
function addPooledRows(rows: Row[], corpora: Corpus[]): void {
  const pooled: Row[] = [];
  for (const level of ['file', 'chunk'] as const) {
    const systems = [...new Set(rows.filter((r) => r.level === level).map((r) => r.system))];
    const baselineMetrics = pool(rows.filter((r) => r.level === level && r.system === BASELINE), corpora);
    for (const system of systems) {
      const parts = rows.filter((r) => r.level === level && r.system === system);
      const metrics = system === BASELINE ? baselineMetrics : pool(parts, corpora);
      pooled.push({
        corpus: 'all',
        system,
        level,
        metrics,
        ...(system === BASELINE ? {} : { ratio: ratioTo(metrics, baselineMetrics) }),
        ...(parts[0].note ? { note: parts[0].note } : {}),
      });
    }
  }
  rows.push(...pooled);
}

/** Question-weighted mean of per-corpus metrics. */
function pool(parts: Row[], corpora: Corpus[]): Metrics {
  const n = parts.reduce((sum, r) => sum + r.metrics.queries, 0);
  const mean = (key: keyof Omit<Metrics, 'queries'>) => parts.reduce((sum, r) => sum + r.metrics[key] * r.metrics.queries, 0) / (n || 1);
  if (parts.length !== corpora.length) throw new Error('every corpus must report every system');
  return { recallAt1: mean('recallAt1'), recallAt5: mean('recallAt5'), recallAt10: mean('recallAt10'), mrr: mean('mrr'), queries: n };
}

function spansGold(chunk: Chunk, query: EvalQuery): boolean {
  return query.goldLines.some((g) => g.path === chunk.path && chunk.startLine <= g.line && g.line <= chunk.endLine);
}

/** A file's indexed text, rebuilt from its chunks (what the baseline sees is what Lore saw). */
function chunksText(chunks: Chunk[]): string {
  return chunks.map((c) => c.text).join('\n');
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

function markdownTable(rows: Row[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const withRatio = (value: string, ratio: number | undefined) => (ratio === undefined ? value : `${value} (${ratio.toFixed(2)}x)`);
  const lines = [
    '| Corpus | Level | System | Questions | Recall@1 | Recall@5 | Recall@10 | MRR |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const m = r.metrics;
    const system = r.note ? `${r.system}*` : r.system;
    lines.push(
      `| ${r.corpus} | ${r.level} | ${system} | ${m.queries} | ${withRatio(pct(m.recallAt1), r.ratio?.recallAt1)} | ` +
        `${withRatio(pct(m.recallAt5), r.ratio?.recallAt5)} | ${withRatio(pct(m.recallAt10), r.ratio?.recallAt10)} | ` +
        `${withRatio(m.mrr.toFixed(3), r.ratio?.mrr)} |`,
    );
  }
  lines.push('', '(x): ratio to the BM25 baseline on the same corpus and level. *: test-server embeddings, proves the plumbing only, not a quality figure.');
  return lines.join('\n');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundMetrics(m: Metrics): Metrics {
  return { recallAt1: round(m.recallAt1, 4), recallAt5: round(m.recallAt5, 4), recallAt10: round(m.recallAt10, 4), mrr: round(m.mrr, 4), queries: m.queries };
}

function roundRatio(r: ReturnType<typeof ratioTo>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(r).map(([key, value]) => [key, value === undefined ? undefined : round(value, 3)]));
}

main(process.argv.includes('--lexical-only')).catch((error) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exitCode = 1;
});
