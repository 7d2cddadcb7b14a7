// The bug-report rows of `npm run eval`: each dev-set issue text is the question, asked of its
// repository at the base commit. File level: is a file the fix changed among the top k files
// (Acc@k) and at what rank (MRR). Definition level, for reports whose fix changed a named function
// or class: does a top-10 excerpt show that definition, and does the prompt `lore ask` sends at
// num_ctx 8192 (test server) show it. Beside Lore: plain BM25 over whole files.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAsk } from '../src/core/ask';
import { Chunker } from '../src/core/chunk';
import { Indexer } from '../src/core/indexer';
import { fileLinesOf, Retriever } from '../src/core/retrieve';
import { LoreStore } from '../src/core/store';
import { openWorkspaceIndex } from '../src/core/workspaceIndex';
import type { FakeOllama } from '../test/support/fakeOllama';
import { isAnswerRequest, promptSources, userPromptOf } from '../test/support/fakeOllamaClient';
import { makeTempDir, removeDir } from '../test/support/tempTree';
import { Bm25Baseline } from './bm25Baseline';
import { holdsDefinition, type DevSetCase, type DevSetLanguage } from './devset';
import { firstGoldRank, metricsOf, type Metrics } from './metrics';
import { ASK_K } from './promptEval';

const MAX_FILE_BYTES = 1024 * 1024;
const TOP = 10;

export interface DevSetRow {
  language: DevSetLanguage | 'all';
  system: string;
  /** File level: Acc@1/5/10 as recall@k, and MRR. */
  files: Metrics;
  /**
   * Reports whose fix changed a named definition, and the share of them held by a top-10 excerpt / by
   * the prompt (in any form) / by the prompt only as a signature (the definition's line, its body left out).
   */
  definitions?: { reports: number; inTop10: number; inPrompt?: number; signatureOnlyInPrompt?: number };
}

interface CaseResult {
  language: DevSetLanguage;
  fileRank: Record<string, number | undefined>;
  /** Per system: did a top-10 excerpt hold a gold definition; undefined when the fix changed none. */
  defInTop10: Record<string, boolean | undefined>;
  /** How the prompt held a gold definition: with lines of its body, as its signature alone, or not at all. */
  defInPrompt?: 'body' | 'signature' | 'no';
}

export const LORE_LEXICAL = 'Lore lexical';
export const LORE_HYBRID_FAKE = 'Lore hybrid (test-server embeddings)';
const BM25 = 'BM25 baseline (files)';

/** Runs every case; `hybrid` adds the rows with the test server's hashed embeddings (graceful-fusion check). */
export async function runDevSet(cases: DevSetCase[], fake: FakeOllama, options: { hybrid: boolean }): Promise<DevSetRow[]> {
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const started = performance.now();
    const work = makeTempDir('lore-devset-');
    try {
      const result: CaseResult = { language: c.language, fileRank: {}, defInTop10: {} };
      await lexicalCase(c, path.join(work, 'store'), fake, result);
      if (options.hybrid) await hybridCase(c, path.join(work, 'hybrid'), fake, result);
      results.push(result);
    } finally {
      removeDir(work);
    }
    process.stderr.write(`eval: dev set ${i + 1}/${cases.length} ${c.id} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  const systems = [BM25, LORE_LEXICAL, ...(options.hybrid ? [LORE_HYBRID_FAKE] : [])];
  const rows: DevSetRow[] = [];
  for (const language of ['all', 'python', 'javascript', 'typescript'] as const) {
    const part = results.filter((r) => language === 'all' || r.language === language);
    if (part.length === 0) continue;
    for (const system of systems) {
      const withDefs = part.filter((r) => r.defInTop10[system] !== undefined);
      const share = (held: (r: CaseResult) => boolean | undefined) => withDefs.filter(held).length / (withDefs.length || 1);
      rows.push({
        language,
        system,
        files: metricsOf(part.map((r) => r.fileRank[system])),
        ...(system === BM25
          ? {}
          : { definitions: { reports: withDefs.length, inTop10: share((r) => r.defInTop10[system]), ...(system === LORE_LEXICAL ? { inPrompt: share((r) => r.defInPrompt !== 'no'), signatureOnlyInPrompt: share((r) => r.defInPrompt === 'signature') } : {}) } }),
      });
    }
  }
  return rows;
}

async function lexicalCase(c: DevSetCase, storeDir: string, fake: FakeOllama, result: CaseResult): Promise<void> {
  const store = await LoreStore.open(storeDir);
  try {
    await new Indexer({ root: c.root, store, chunker: await Chunker.create(), maxFileBytes: MAX_FILE_BYTES }).syncAll();
    const retriever = new Retriever(store);
    await rankCase(c, retriever, LORE_LEXICAL, result);
    const files = [...store.files()].map((f) => f.path);
    const baseline = new Bm25Baseline(
      files.map((f) => ({ id: f, path: f, text: store.chunksOf(f).map((ch) => ch.text).join('\n') })),
      { withPaths: false },
    );
    result.fileRank[BM25] = firstGoldRank(baseline.search(c.question, TOP), (f) => c.goldFiles.includes(f));
    if (c.goldDefinitions.length > 0) result.defInPrompt = await promptHoldsDefinition(c, retriever, fake);
  } finally {
    await store.close();
  }
}

async function hybridCase(c: DevSetCase, storeDir: string, fake: FakeOllama, result: CaseResult): Promise<void> {
  const workspace = await openWorkspaceIndex({ root: c.root, storeDir, host: fake.url, embedModel: 'nomic-embed-text', maxFileBytes: MAX_FILE_BYTES, embedBatchSize: 64 });
  try {
    const run = await workspace.indexer.syncAll();
    if (run.mode !== 'hybrid') throw new Error(`${c.id}: hybrid run indexed in ${run.mode} mode`);
    await rankCase(c, workspace.retriever, LORE_HYBRID_FAKE, result);
  } finally {
    await workspace.close();
  }
}

async function rankCase(c: DevSetCase, retriever: Retriever, system: string, result: CaseResult): Promise<void> {
  const { files } = await retriever.rankFiles(c.question, { k: TOP });
  result.fileRank[system] = firstGoldRank(files, (f) => c.goldFiles.includes(f.path));
  if (c.goldDefinitions.length === 0) return;
  const { results } = await retriever.retrieve(c.question, { k: TOP });
  result.defInTop10[system] = results.some((r) => holdsDefinition(c, r.chunk));
}

/** runAsk as `lore ask` runs it (k 8, num_ctx 8192) against the test server; does a numbered source of the prompt it sent show a gold definition, and more than its signature? */
async function promptHoldsDefinition(c: DevSetCase, retriever: Retriever, fake: FakeOllama): Promise<'body' | 'signature' | 'no'> {
  fake.requests.length = 0;
  await runAsk({ root: c.root, host: fake.url, model: 'llama3.2', question: c.question, k: ASK_K, retriever, readCurrent: (rel) => readFile(path.join(c.root, rel), 'utf8').catch(() => undefined), onToken: () => {} });
  const answer = fake.requests.find(isAnswerRequest);
  if (!answer) throw new Error('runAsk sent no answer request to the test server');
  const holding = promptSources(userPromptOf(answer)).filter((s) => holdsDefinition(c, s));
  if (holding.length === 0) return 'no';
  return holding.some((s) => !isSignatureOnly(s)) ? 'body' : 'signature';
}

/** A source the prompt shows as a definition's signature alone: one line, then the rest of its range left out. */
function isSignatureOnly(source: { startLine: number; endLine: number; text: string }): boolean {
  const shown = fileLinesOf(source.startLine, source.text).filter((line) => line !== undefined);
  return shown.length === 1 && source.endLine > source.startLine;
}

export function devSetTable(rows: DevSetRow[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    '| Language (reports) | System | Acc@1 | Acc@5 | Acc@10 | MRR | Definition in top-10 excerpts | Definition in ask prompt (of which signature only) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const d = r.definitions;
    lines.push(
      `| ${r.language} (${r.files.queries}) | ${r.system} | ${pct(r.files.recallAt1)} | ${pct(r.files.recallAt5)} | ${pct(r.files.recallAt10)} | ${r.files.mrr.toFixed(3)} | ` +
        `${d ? `${pct(d.inTop10)} of ${d.reports}` : ''} | ${d?.inPrompt !== undefined ? `${pct(d.inPrompt)} (${pct(d.signatureOnlyInPrompt ?? 0)})` : ''} |`,
    );
  }
  return lines.join('\n');
}
