// A quick loop for retrieval work on the dev set: each report's repository is indexed once into a
// store kept under the eval cache (`stores/`), later runs only reopen it and rerun file ranking and
// retrieval (no prompt, no BM25 baseline, no hybrid). Valid while chunking and the lexical index's
// terms are unchanged; delete the stores after changing those. Writes each report's gold ranks and
// top files to `devset-fast.json` in the cache for looking at the misses.
//   node out/eval/devsetFast.js [--only id,id] [--out file]
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Chunker } from '../src/core/chunk';
import { Indexer } from '../src/core/indexer';
import { Retriever } from '../src/core/retrieve';
import { LoreStore } from '../src/core/store';
import { devSetLocation, holdsDefinition, loadDevSet, prepareDevSet } from './devset';
import { metricsOf } from './metrics';

const MAX_FILE_BYTES = 1024 * 1024;
const TOP = 10;

interface Row {
  id: string;
  language: string;
  rank?: number;
  goldRanks: Record<string, number | undefined>;
  top: string[];
  defInTop10?: boolean;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : undefined;
  const where = devSetLocation();
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(where.cache, 'devset-fast.json');
  const { cases } = prepareDevSet(
    loadDevSet().filter((i) => !only || only.has(i.id)),
    where,
  );
  const rows: Row[] = [];
  for (const c of cases) {
    const storeDir = path.join(where.cache, 'stores', path.basename(c.root));
    const fresh = !existsSync(storeDir);
    const store = await LoreStore.open(storeDir);
    try {
      if (fresh) await new Indexer({ root: c.root, store, chunker: await Chunker.create(), maxFileBytes: MAX_FILE_BYTES }).syncAll();
      await store.whenLexicalReady();
      const retriever = new Retriever(store);
      // As the eval ranks (k 10, default candidates), and deeper with the same pool for looking at misses.
      const top = (await retriever.rankFiles(c.question, { k: TOP })).files.map((f) => f.path);
      const deeper = (await retriever.rankFiles(c.question, { k: 50, candidates: Math.max(200, Number(process.env.CANDIDATES ?? 0)) })).files.map((f) => f.path);
      const goldRanks = Object.fromEntries(c.goldFiles.map((g) => [g, deeper.includes(g) ? deeper.indexOf(g) + 1 : undefined]));
      const ranks = c.goldFiles.map((g) => top.indexOf(g) + 1).filter((r) => r > 0);
      const row: Row = { id: c.id, language: c.language, rank: ranks.length ? Math.min(...ranks) : undefined, goldRanks, top };
      if (c.goldDefinitions.length > 0) {
        const { results } = await retriever.retrieve(c.question, { k: TOP });
        row.defInTop10 = results.some((r) => holdsDefinition(c, r.chunk));
      }
      rows.push(row);
    } finally {
      await store.close();
    }
  }
  writeFileSync(out, JSON.stringify(rows, null, 1));
  for (const language of ['all', 'python', 'javascript', 'typescript']) {
    const part = rows.filter((r) => language === 'all' || r.language === language);
    if (part.length === 0) continue;
    const m = metricsOf(part.map((r) => r.rank));
    const defs = part.filter((r) => r.defInTop10 !== undefined);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(
      `${language.padEnd(10)} n=${String(part.length).padStart(2)} Acc@1 ${pct(m.recallAt1)} Acc@5 ${pct(m.recallAt5)} Acc@10 ${pct(m.recallAt10)} MRR ${m.mrr.toFixed(3)} def@10 ${defs.filter((r) => r.defInTop10).length}/${defs.length}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
