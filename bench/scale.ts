// `npm run bench:scale`: Lore at monorepo scale, 100k and 1M chunks of 768-dimension clustered
// vectors (clustered.ts) over real code text (synthetic.ts). For each size, in fresh processes
// (scaleProbe.ts): build the store, measure the machine's floor for loading it (read every byte,
// first-touch a Float32Array of the raw vectors), then open it cold and measure memory, queries,
// recall against an exact float32 scan, and saves. Writes bench/scale-results.json (the fields of
// issue 12, nothing else) and bench/scale-results.md, and prints the table.
//   node out/bench/scale.js [--sizes=100000,1000000] [--store=<dir>]
// --store measures a store built before (one size; its build is not redone, nor the store removed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineFacts, type MachineFacts } from './measure';

const REPO = path.resolve(__dirname, '../..');
const PROBE = path.join(__dirname, 'scaleProbe.js');
const DEFAULT_SIZES = [100_000, 1_000_000];
const DIMS = 768;
const FIELDS = [
  'chunks', 'rssMB', 'rawVectorMB', 'queryP50Ms', 'bruteP50Ms', 'recallAt10', 'loadMs', 'floorLoadMs', 'maxBlockMs', 'saveMs', 'diskBytesPerChunk',
] as const;

type Figures = Record<string, number>;

function probe(task: string, dir: string, chunks: number): Figures {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', PROBE, task, dir, String(chunks)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const figures = JSON.parse(out.trim().split('\n').pop()!) as Figures;
  log(`${task} ${chunks}: ${JSON.stringify(figures)}`);
  return figures;
}

function log(line: string): void {
  process.stderr.write(`[bench:scale] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function main(): void {
  const started = performance.now();
  const arg = process.argv.find((a) => a.startsWith('--sizes='));
  const sizes = arg ? arg.slice('--sizes='.length).split(',').map(Number) : DEFAULT_SIZES;
  const built = process.argv.find((a) => a.startsWith('--store='))?.slice('--store='.length);
  if (built && sizes.length !== 1) throw new Error('--store needs exactly one size');
  const machine = machineFacts();
  const results: { machine: typeof machine; sizes: Record<string, Figures> } = { machine, sizes: {} };
  const details: Record<string, Figures> = {};
  const work = mkdtempSync(path.join(os.tmpdir(), 'lore-scale-'));
  try {
    for (const size of sizes) {
      const dir = built ?? path.join(work, `lore-${size}`);
      if (!built) log(`${size} chunks: build`);
      const build = built ? {} : probe('build', dir, size);
      log(`${size} chunks: the floor`);
      const floor = probe('floor', dir, size);
      log(`${size} chunks: cold load, memory, queries, recall, saves`);
      const measured = probe('measure', dir, size);
      if (!built) rmSync(dir, { recursive: true, force: true });
      const all: Figures = { ...build, ...floor, ...measured, rawVectorMB: Math.round((measured.chunks * DIMS * 4) / 2 ** 20) };
      details[size] = all;
      results.sizes[size] = Object.fromEntries(FIELDS.map((field) => [field, all[field]]));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const table = markdownTable(results.machine, details, Math.round((performance.now() - started) / 1000));
  writeFileSync(path.join(REPO, 'bench', 'scale-results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(REPO, 'bench', 'scale-results.md'), table);
  process.stdout.write(table);
}

function markdownTable(machine: MachineFacts, sizes: Record<string, Figures>, seconds: number): string {
  const keys = Object.keys(sizes);
  const ratio = (a: number, b: number): string => (b ? `${(a / b).toFixed(2)}x` : 'n/a');
  const row = (label: string, cell: (f: Figures) => string): string => `| ${label} | ${keys.map((k) => cell(sizes[k])).join(' | ')} |`;
  const perChunk = (mb: number, f: Figures): number => Math.round((mb * 2 ** 20) / f.chunks);
  return [
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGB} GB, ${machine.platform}, Node ${machine.node}, load average ${machine.load1} at start. bench:scale took ${seconds} s.`,
    '',
    `| Chunks (768 dims, clustered) | ${keys.join(' | ')} |`,
    `| --- | ${keys.map(() => '---').join(' | ')} |`,
    row('Build (ms)', (f) => `${f.buildMs ?? 'n/a'}`),
    row('RSS after load (MB)', (f) => `${f.rssMB}`),
    row('  / raw float32 vectors (target at 1M <= 0.5x)', (f) => ratio(f.rssMB, f.rawVectorMB)),
    row('  bytes per chunk: RSS / JS heap / array buffers', (f) => `${perChunk(f.rssMB, f)} / ${perChunk(f.heapMB, f)} / ${perChunk(f.arrayBuffersMB, f)}`),
    row('Hybrid query p50 (ms)', (f) => `${f.queryP50Ms}`),
    row('  vector side p50 (ms)', (f) => `${f.vectorP50Ms}`),
    row('Brute-force float32 scan p50 (ms)', (f) => `${f.bruteP50Ms}`),
    row('  hybrid / brute force (target at 1M <= 0.25x)', (f) => ratio(f.queryP50Ms, f.bruteP50Ms)),
    row('Recall@10 vs exact float32 (target >= 0.97)', (f) => `${f.recallAt10}`),
    row('Cold load, every search ready (ms)', (f) => `${f.loadMs}`),
    row('  of which open (ms)', (f) => `${f.openMs}`),
    row('Floor: read every byte + first-touch raw vectors (ms)', (f) => `${f.floorLoadMs} (${f.floorReadMs} + ${f.floorLoadMs - f.floorReadMs})`),
    row('  load / floor (target: 100k <= 2x, 1M <= 2.5x)', (f) => ratio(f.loadMs, f.floorLoadMs)),
    row('Longest event-loop block while loading (ms, target <= 100)', (f) => `${f.maxBlockMs}`),
    row('Save-to-searchable, median (ms, target at 1M <= 50)', (f) => `${f.saveMs}`),
    row('Disk bytes per chunk', (f) => `${f.diskBytesPerChunk}`),
    row('  disk / raw float32 vectors (target <= 1.3x)', (f) => ratio(f.diskBytesPerChunk, DIMS * 4)),
    '',
  ].join('\n');
}

main();
