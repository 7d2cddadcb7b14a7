// `npm run eval`: retrieval quality of Lore against a plain BM25 baseline on corpora made from real
// code in node_modules (see corpora.ts). Indexes each corpus with Lore's real pipeline (scanner,
// chunker, store) into a temp store, asks every question, prints a Markdown table and writes
// eval/results.json. The hybrid rows use the test Ollama server's hashed bag-of-words embeddings:
// they prove the plumbing, they are not a quality figure. With `--ollama` they use a real Ollama's
// embeddings, and `--rerank` adds rows reranked by its chat model (options.ts lists the options).
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Chunker } from '../src/core/chunk';
import { Embedder } from '../src/core/embed';
import { ModelMissingError, OllamaUnavailableError } from '../src/core/ollama';
import { Indexer } from '../src/core/indexer';
import { DEFAULT_RERANK_CANDIDATES, lexicalQueryFor, Retriever, showsLine, type FusionSettings } from '../src/core/retrieve';
import { LoreStore } from '../src/core/store';
import type { Chunk } from '../src/core/types';
import { openWorkspaceIndex } from '../src/core/workspaceIndex';
import { FakeOllama } from '../test/support/fakeOllama';
import { makeTempDir, removeDir } from '../test/support/tempTree';
import { Bm25Baseline } from './bm25Baseline';
import { docsTable, missingDocsPackages, runDocsEval, type DocsRow, type DocsSize } from './docsEval';
import { devSetLocation, loadDevSet, prepareDevSet } from './devset';
import { devSetTable, runDevSet, type DevSetRow } from './devsetRun';
import { buildDocCommentsCorpus, buildLintRulesCorpus, type Corpus, type EvalQuery } from './corpora';
import { firstGoldRank, metricsOf, ratioTo, type Metrics } from './metrics';
import { evenSample, EVAL_USAGE, EvalUsageError, parseEvalOptions, type EvalOptions } from './options';
import { ASK_K, promptGoldRanks } from './promptEval';
import { EvalReranker, wordOverlapReply } from './rerankEval';

const MAX_FILE_BYTES = 1024 * 1024;
const TOP = 10;
const BASELINE = 'BM25 baseline';
const BASELINE_WITH_PATHS = 'BM25 + paths';
const ASK_PROMPT = 'Lore ask prompt';
const ASK_PROMPT_NOTE = `the sources of the prompt lore ask sends (k ${ASK_K}, num_ctx 8192, test server); Recall@10 is the share of prompts holding the gold line`;

/** The Ollama given with --ollama cannot serve the run. */
class EvalSetupError extends Error {
  override name = 'EvalSetupError';
}

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

/** Where the hybrid rows get their embeddings: a real Ollama, or the test server (plumbing only). */
interface Embeddings {
  host: string;
  model: string;
  real: boolean;
}

async function main(options: EvalOptions): Promise<void> {
  const started = performance.now();
  const work = makeTempDir('lore-eval-');
  const rows: Row[] = [];
  const latencies: number[] = [];
  const corpora: Array<Corpus & { chunks: number }> = [];
  const fake = await FakeOllama.start();
  let reranker: EvalReranker | undefined;
  let docs: { rows: DocsRow[]; sizes: DocsSize[] } | { skipped: string } | undefined;
  let devSet: { reports: number; skipped: number; rows: DevSetRow[] } | undefined;
  try {
    const embeddings: Embeddings = options.ollama ? { host: options.ollama.host, model: options.ollama.embedModel, real: true } : { host: fake.url, model: 'nomic-embed-text', real: false };
    // A real Ollama that cannot embed is found out now, not after the first corpus's lexical run.
    if (embeddings.real && !options.lexicalOnly) {
      const probe = await new Embedder({ host: embeddings.host, model: embeddings.model }).probe();
      if (!probe.ok) throw new EvalSetupError(probe.message);
    }
    if (options.rerank?.kind === 'ollama') {
      const model = options.rerank.chatModel;
      reranker = await EvalReranker.open({ host: embeddings.host, model, timeoutMs: options.rerank.timeoutMs, label: model });
    } else if (options.rerank?.kind === 'plumbing') {
      fake.chat.reply = wordOverlapReply;
      const note = 'plumbing only: the test server ranks by shared words, not a quality figure';
      reranker = await EvalReranker.open({ host: fake.url, model: 'llama3.2', timeoutMs: options.rerank.timeoutMs, label: 'plumbing', note });
    }
    const builders = options.devSetOnly ? [] : [buildLintRulesCorpus, buildDocCommentsCorpus];
    for (const build of builders) {
      const root = path.join(work, `corpus-${corpora.length}`);
      const built = build(root);
      const corpus = options.sample ? { ...built, queries: evenSample(built.queries, options.sample) } : built;
      const chunks = await lexicalRun(corpus, root, path.join(work, `store-${corpora.length}`), rows, latencies, fake, reranker);
      if (!options.lexicalOnly) await hybridRun(corpus, root, path.join(work, `hybrid-${corpora.length}`), embeddings, rows, reranker, options.fusion);
      corpora.push({ ...corpus, chunks });
    }
    // The dev set runs without an Ollama: lexical rows, and hybrid rows on the test server's embeddings (graceful-fusion check).
    if (!options.ollama) {
      const { cases, missing } = prepareDevSet(loadDevSet(), devSetLocation());
      if (missing.length > 0) process.stderr.write(`eval: dev set: ${missing.length} reports skipped:\n  ${missing.join('\n  ')}\n`);
      devSet = { reports: cases.length, skipped: missing.length, rows: cases.length > 0 ? await runDevSet(cases, fake, { hybrid: !options.lexicalOnly }) : [] };
    }
    // The docs corpus is read from Debian packages; without them it is reported as not run.
    const missing = missingDocsPackages();
    docs = missing.length ? { skipped: `needs: apt-get install ${missing.join(' ')}` } : await runDocsEval(work, options.sample);
  } finally {
    await fake.stop();
    removeDir(work);
  }
  if (corpora.length > 0) addPooledRows(rows, corpora);

  latencies.sort((a, b) => a - b);
  const latency = {
    queries: latencies.length,
    medianMs: round(latencies[Math.floor(latencies.length / 2)] ?? 0, 2),
    p95Ms: round(latencies[Math.floor(latencies.length * 0.95)] ?? 0, 2),
  };
  const rerankSummary = reranker && summarizeRerank(reranker);
  const report = {
    generatedBy: `npm run eval${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    node: process.version,
    corpora: corpora.map(({ name, description, files, chunks, queries }) => ({ name, description, files, chunks, questions: queries.length })),
    notes: [
      'recall@k: share of questions with a gold answer in the top k; MRR: mean 1/rank of the first gold answer within the top 10.',
      'file level: ranked files; chunk level: ranked excerpts, a hit when one spans the gold line.',
      'ratio: the figure divided by the plain BM25 baseline on the same corpus and level.',
      options.ollama
        ? `hybrid rows use ${options.ollama.embedModel} on the Ollama at ${options.ollama.host}.`
        : 'hybrid rows use the test Ollama server (hashed bag-of-words embeddings): they prove the plumbing and are not a quality figure.',
      ...(reranker
        ? [`"+ rerank" rows: the top ${DEFAULT_RERANK_CANDIDATES} excerpts reranked by the chat model (${reranker.label}), chunk level only; a call that failed or timed out keeps the retrieval order and is counted in rerank.fallbacks.`]
        : []),
      ...(options.sample ? [`${options.sample} evenly spaced questions per corpus (--sample).`] : []),
    ],
    lexicalSearchLatency: latency,
    ...(rerankSummary ? { rerank: rerankSummary } : {}),
    rows: rows.map((r) => ({ ...r, metrics: roundMetrics(r.metrics), ratio: r.ratio && roundRatio(r.ratio) })),
    docs: docs && 'rows' in docs ? { rows: docs.rows.map((r) => ({ ...r, metrics: roundMetrics(r.metrics), ratio: r.ratio && roundRatio(r.ratio) })), sizes: docs.sizes } : docs,
    ...(devSet ? { devSet: { ...devSet, rows: devSet.rows.map((r) => ({ ...r, files: roundMetrics(r.files) })) } } : {}),
    durationSeconds: round((performance.now() - started) / 1000, 1),
  };
  writeFileSync(path.resolve(__dirname, '../../eval', options.resultsFile), `${JSON.stringify(report, null, 2)}\n`);
  if (rows.length > 0) console.log(markdownTable(rows));
  if (devSet && devSet.rows.length > 0) console.log(`\nBug-report dev set (${devSet.reports} reports, lexical-only unless marked):\n\n${devSetTable(devSet.rows)}`);
  if (docs) console.log(`\nDocs corpus:\n${'rows' in docs ? docsTable(docs.rows, docs.sizes) : `not run: ${docs.skipped}`}`);
  if (latency.queries > 0) console.log(`\nLexical search latency over ${latency.queries} queries: median ${latency.medianMs} ms, p95 ${latency.p95Ms} ms.`);
  if (rerankSummary) {
    const reasons = Object.entries(rerankSummary.fallbacks).map(([reason, n]) => `${n}x ${reason}`).join('; ');
    console.log(
      `Rerank (${reranker!.label}): ${rerankSummary.calls} calls, median ${rerankSummary.medianMs} ms, p95 ${rerankSummary.p95Ms} ms; ` +
        `kept the retrieval order on ${rerankSummary.fallbackCount}${reasons ? ` (${reasons})` : ''}.`,
    );
  }
  if (corpora.length > 0) console.log(`Corpora: ${report.corpora.map((c) => `${c.name} (${c.files} files, ${c.chunks} chunks, ${c.questions} questions)`).join('; ')}.`);
  console.log(`Wrote eval/${options.resultsFile} in ${report.durationSeconds} s.`);
}

function summarizeRerank(reranker: EvalReranker) {
  const { calls, fallbacks, latencies } = reranker.stats;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    calls,
    medianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0, 1),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)] ?? 0, 1),
    fallbackCount: [...fallbacks.values()].reduce((a, b) => a + b, 0),
    fallbacks: Object.fromEntries([...fallbacks].sort((a, b) => b[1] - a[1])),
  };
}

/** A chunk-level row of reranked excerpts, next to the rows of the retrieval it reranks. */
async function addRerankRow(reranker: EvalReranker, retriever: Retriever, corpus: Corpus, system: string, rows: Row[]): Promise<void> {
  const ranks = await reranker.firstGoldRanks(retriever, corpus.queries, TOP, (r, query) => spansGold(r.chunk, query), (done) =>
    process.stderr.write(`eval: ${corpus.name}, ${system}: ${done}/${corpus.queries.length} questions\n`),
  );
  const baseline = rows.find((r) => r.corpus === corpus.name && r.level === 'chunk' && r.system === BASELINE)!.metrics;
  const metrics = metricsOf(ranks);
  rows.push({ corpus: corpus.name, system, level: 'chunk', metrics, ratio: ratioTo(metrics, baseline), ...(reranker.note ? { note: reranker.note } : {}) });
}

/** Lore lexical-only and the BM25 baselines on one corpus; returns the number of chunks indexed. */
async function lexicalRun(corpus: Corpus, root: string, storeDir: string, rows: Row[], latencies: number[], fake: FakeOllama, reranker?: EvalReranker): Promise<number> {
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
    const prompt = metricsOf(await promptGoldRanks(fake, root, retriever, corpus.queries));
    rows.push({ corpus: corpus.name, system: ASK_PROMPT, level: 'chunk', metrics: prompt, ratio: ratioTo(prompt, metricsOf(baselines[BASELINE].chunk)), note: ASK_PROMPT_NOTE });
    if (reranker) await addRerankRow(reranker, retriever, corpus, `Lore lexical + rerank (${reranker.label})`, rows);
    return chunks.length;
  } finally {
    await store.close();
  }
}

/** Lore hybrid through the real embedder and Ollama API: against the test server, plumbing only. */
async function hybridRun(corpus: Corpus, root: string, storeDir: string, embeddings: Embeddings, rows: Row[], reranker?: EvalReranker, fusion?: FusionSettings): Promise<void> {
  const { host, model, real } = embeddings;
  // A real model is used as Lore uses it (default batch size, chunks fitted to its context); the
  // test server's figures stay comparable with earlier runs.
  const workspace = await openWorkspaceIndex({ root, storeDir, host, embedModel: model, maxFileBytes: MAX_FILE_BYTES, embedBatchSize: real ? undefined : 64 });
  try {
    if (real) {
      const probe = await workspace.probeEmbeddings();
      if (probe && !probe.ok) throw new EvalSetupError(probe.message);
      process.stderr.write(`eval: ${corpus.name}: embedding with ${model} at ${host}\n`);
    }
    if (fusion) workspace.retriever.fusion = fusion;
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
    const tuned = fusion ? `, RRF k ${fusion.rrfK}, vector weight ${fusion.vectorWeight}` : '';
    const system = real ? `Lore hybrid (${model}${tuned})` : `Lore hybrid (fake embeddings${tuned})`;
    const note = real ? {} : { note: 'plumbing only: test server embeddings, not a quality figure' };
    for (const level of ['file', 'chunk'] as const) {
      const baseline = rows.find((r) => r.corpus === corpus.name && r.level === level && r.system === BASELINE)!.metrics;
      const metrics = metricsOf(ranks[level]);
      rows.push({ corpus: corpus.name, system, level, metrics, ratio: ratioTo(metrics, baseline), ...note });
    }
    if (reranker) await addRerankRow(reranker, workspace.retriever, corpus, `${system} + rerank (${reranker.label})`, rows);
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
  return query.goldLines.some((g) => g.path === chunk.path && showsLine(chunk, g.line));
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
  const notes = [...new Set(rows.flatMap((r) => (r.note ? [r.note] : [])))];
  lines.push('', `(x): ratio to the BM25 baseline on the same corpus and level.${notes.length ? ` *: ${notes.join('; ')}.` : ''}`);
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

function start(argv: string[]): void {
  let options: EvalOptions;
  try {
    options = parseEvalOptions(argv);
  } catch (error) {
    if (!(error instanceof EvalUsageError)) throw error;
    console.error(`eval: ${error.message}\n\n${EVAL_USAGE}`);
    process.exitCode = 2;
    return;
  }
  main(options).catch((error) => {
    // Ollama's state (down, a model not pulled) is the user's to fix: the message says how, a stack trace would not.
    const forUser = error instanceof EvalSetupError || error instanceof ModelMissingError || error instanceof OllamaUnavailableError;
    console.error(forUser ? `eval: ${error.message}` : error instanceof Error ? error.stack ?? error.message : String(error));
    process.exitCode = 1;
  });
}

start(process.argv.slice(2));
