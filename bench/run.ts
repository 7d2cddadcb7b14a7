// `npm run bench`: Lore's speed and footprint against the targets and against a naive single
// Vectra index, measured side by side in one run on this machine. Every measurement runs in a fresh
// Node process (probe.ts) so loads are cold and memory figures are not polluted by earlier ones.
// Writes bench/results.json and bench/results.md and prints the table.
//   node out/bench/run.js [--sizes=1000,20000,100000] [--naive-sizes=1000,20000] [--no-package] [--no-docs]
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineFacts, type MachineFacts } from './measure';
import { benchDocs, docsTable, type DocsBench } from './docs';

const REPO = path.resolve(__dirname, '../..');
const PROBE = path.join(__dirname, 'probe.js');
/** One JSON value is at most 512 MB in V8; the naive JSON index outgrows it past ~30k 768-dim chunks. */
const DEFAULT_NAIVE_SIZES = [1_000, 20_000];
const DEFAULT_SIZES = [1_000, 20_000, 100_000];
const DIMS = 768;

type Figures = Record<string, number>;

interface Results {
  machine: MachineFacts;
  pipeline: Figures;
  sizes: Record<string, Figures>;
  naive: Record<string, Figures & { note?: string }>;
  activationMs: number;
  vsixBytes: number;
  docs?: DocsBench;
  benchSeconds: number;
}

function probe(task: string, dir: string, chunks: number): Figures {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', PROBE, task, dir, String(chunks)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  const figures = JSON.parse(out.trim().split('\n').pop()!) as Figures;
  log(`${task} ${chunks || ''}: ${JSON.stringify(figures)}`);
  return figures;
}

function listArg(name: string, fallback: number[]): number[] {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3).split(',').filter(Boolean).map(Number) : fallback;
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const sizes = listArg('sizes', DEFAULT_SIZES);
  const naiveSizes = listArg('naive-sizes', DEFAULT_NAIVE_SIZES);
  const work = mkdtempSync(path.join(os.tmpdir(), 'lore-bench-'));
  try {
    const results: Results = {
      machine: machineFacts(),
      pipeline: {},
      sizes: {},
      naive: {},
      activationMs: 0,
      vsixBytes: 0,
      benchSeconds: 0,
    };

    if (!process.argv.includes('--no-package')) {
      log('packaging lore.vsix');
      execSync('npm run package --silent', { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    results.vsixBytes = statSync(path.join(REPO, 'lore.vsix'), { throwIfNoEntry: false })?.size ?? 0;
    log('activation');
    const activations = [0, 1, 2].map((n) => probe('activation', path.join(work, `activation${n}`), 0).activationMs);
    results.activationMs = activations.sort((a, b) => a - b)[1];

    log('pipeline on real code from node_modules');
    results.pipeline = probe('pipeline', path.join(work, 'pipeline'), 0);
    rmSync(path.join(work, 'pipeline'), { recursive: true, force: true });

    for (const size of sizes) {
      const dir = path.join(work, `lore-${size}`);
      log(`lore store, ${size} chunks: build`);
      const { buildMs } = probe('lore-build', dir, size);
      log(`lore store, ${size} chunks: cold load, memory, queries, saves`);
      results.sizes[size] = { ...probe('lore-measure', dir, size), buildMs, rawVectorMB: Math.round((size * DIMS * 4) / 2 ** 20) };
      if (size === sizes[sizes.length - 1]) {
        log(`lore store, ${size} chunks: search over MCP and lore query`);
        Object.assign(results.sizes[size], probe('mcp-search', dir, size));
      }
      log(`lore store, ${size} chunks: open without the lexical snapshot`);
      Object.assign(results.sizes[size], probe('lore-rebuild-lexical', dir, size));
      rmSync(dir, { recursive: true, force: true });
    }
    for (const size of naiveSizes) {
      const dir = path.join(work, `naive-${size}`);
      log(`naive single index, ${size} chunks: build`);
      const { buildMs } = probe('naive-build', dir, size);
      log(`naive single index, ${size} chunks: cold load, memory, queries, saves`);
      results.naive[size] = { ...probe('naive-measure', dir, size), buildMs };
      rmSync(dir, { recursive: true, force: true });
    }
    for (const size of sizes.filter((s) => !naiveSizes.includes(s))) {
      results.naive[size] = { note: 'not measured: the JSON index outgrows V8\'s 512 MB string limit past ~30k chunks' } as Figures & { note: string };
    }
    if (!process.argv.includes('--no-docs')) results.docs = benchDocs(log);
    results.benchSeconds = Math.round((performance.now() - started) / 1000);

    const table = markdownTable(results);
    writeFileSync(path.join(REPO, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(path.join(REPO, 'bench', 'results.md'), table);
    process.stdout.write(table);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function markdownTable(results: Results): string {
  const { machine, pipeline } = results;
  const sizes = Object.keys(results.sizes);
  const cell = (value: number | undefined, unit = ''): string => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value}${unit}`);
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || !b ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const row = (label: string, values: string[]): string => `| ${label} | ${values.join(' | ')} |`;
  const lore = (key: string, unit = ''): string[] => sizes.map((s) => cell(results.sizes[s][key], unit));
  const naive = (key: string, unit = ''): string[] => sizes.map((s) => (results.naive[s]?.note ? 'n/a' : cell(results.naive[s]?.[key], unit)));
  const firstSave = results.sizes[sizes[0]]?.saveMs;
  const lines = [
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGB} GB, ${machine.platform}, Node ${machine.node}, load average ${machine.load1} at start. Bench took ${results.benchSeconds} s.`,
    '',
    `Pipeline (scan + chunk + lexical + store, instant embedder) on ${pipeline.files} real files / ${pipeline.chunks} chunks from node_modules: ` +
      `**${pipeline.filesPerSec} files/s, ${pipeline.chunksPerSec} chunks/s** (target >= 3000 chunks/s).`,
    `Activation: **${results.activationMs} ms** (target <= 100). .vsix: **${(results.vsixBytes / 2 ** 20).toFixed(1)} MB** (target <= 15).`,
    '',
    `| Chunks (768 dims) | ${sizes.join(' | ')} |`,
    `| --- | ${sizes.map(() => '---').join(' | ')} |`,
    row('Save-to-searchable, median (ms)', lore('saveMs')),
    row('  ratio to the first size (target <= 2x)', sizes.map((s) => ratio(results.sizes[s].saveMs, firstSave))),
    row('Hybrid query p50 / p95 (ms), after warm-up questions', sizes.map((s) => `${cell(results.sizes[s].queryP50Ms)} / ${cell(results.sizes[s].queryP95Ms)}`)),
    row('  first question after open; p50 of the warm-up questions (ms)', sizes.map((s) => `${cell(results.sizes[s].firstQueryMs)}; ${cell(results.sizes[s].coldP50Ms)}`)),
    row('  vector side p50 / lexical side p50 (ms)', sizes.map((s) => `${cell(results.sizes[s].vectorP50Ms)} / ${cell(results.sizes[s].lexicalP50Ms)}`)),
    row('Brute-force Float32Array scan p50 (ms)', lore('bruteP50Ms')),
    row('  hybrid / brute force (target <= 1.5x)', sizes.map((s) => ratio(results.sizes[s].queryP50Ms, results.sizes[s].bruteP50Ms))),
    row('  vector side / brute force', sizes.map((s) => ratio(results.sizes[s].vectorP50Ms, results.sizes[s].bruteP50Ms))),
    row('MCP search round trip p50 / lore query search p50 (ms), largest size', sizes.map((s) => (results.sizes[s].mcpSearchP50Ms === undefined ? '' : `${cell(results.sizes[s].mcpSearchP50Ms)} / ${cell(results.sizes[s].querySearchP50Ms)}`))),
    row('  MCP / lore query (target <= 1.5x); whole lore query run (ms)', sizes.map((s) => (results.sizes[s].mcpSearchP50Ms === undefined ? '' : `${ratio(results.sizes[s].mcpSearchP50Ms, results.sizes[s].querySearchP50Ms)}; ${cell(results.sizes[s].cliQueryWallMs)}`))),
    row('Cold load: open, every search ready (ms)', lore('lexicalReadyMs')),
    row('  longest event-loop block meanwhile (ms)', lore('maxBlockMs')),
    row('  without a lexical snapshot: open / lexical rebuilt in the background (ms)', sizes.map((s) => `${cell(results.sizes[s].rebuildLoadMs)} / ${cell(results.sizes[s].rebuildMs)}`)),
    row('  without a lexical snapshot: longest event-loop block (ms)', lore('rebuildMaxBlockMs')),
    row('RSS after load (MB)', lore('rssMB')),
    row('  of which JS heap / array buffers (MB)', sizes.map((s) => `${cell(results.sizes[s].heapMB)} / ${cell(results.sizes[s].arrayBuffersMB)}`)),
    row('  RSS / raw float32 vectors (target at 100k <= 2x)', sizes.map((s) => ratio(results.sizes[s].rssMB, results.sizes[s].rawVectorMB))),
    row('Disk bytes per chunk', lore('diskBytesPerChunk')),
    row('  disk / raw float32 vectors (target <= 1.3x)', sizes.map((s) => ratio(results.sizes[s].diskBytesPerChunk, DIMS * 4))),
    row('Naive: save, upsertItem per chunk (ms)', naive('saveMs')),
    row('Naive: query p50 (ms)', naive('queryP50Ms')),
    row('Naive: cold load (ms)', naive('loadMs')),
    row('Naive: RSS after load (MB)', naive('rssMB')),
    row('Naive: disk bytes per chunk', naive('diskBytesPerChunk')),
    '',
  ];
  const notes = sizes.flatMap((s) => (results.naive[s]?.note ? [`Naive at ${s}: ${results.naive[s].note}.`] : []));
  return [...lines, ...notes, '', ...(results.docs ? docsTable(results.docs) : [])].join('\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
