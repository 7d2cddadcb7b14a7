// Small measuring tools shared by the benchmarks.
import { readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const TICK_MS = 5;

/** Longest stretch the event loop was blocked while watched: a 5 ms timer's drift and Node's delay histogram. */
export function watchEventLoop(): { stop(): number } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = performance.now();
  let maxDrift = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxDrift = Math.max(maxDrift, now - last - TICK_MS);
    last = now;
  }, TICK_MS);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      // The last stretch, up to now, counts too (the watched work may end with a long synchronous step).
      maxDrift = Math.max(maxDrift, performance.now() - last - TICK_MS);
      return Math.max(0, maxDrift, histogram.max / 1e6 - 10);
    },
  };
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function sizeOfTree(target: string): number {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOfTree(path.join(target, name)), 0);
}

/** The physical floor of exact search: one pass of dot products over a packed matrix, keeping the best k. */
export function topKBruteForce(matrix: Float32Array, dims: number, query: Float32Array, k: number): Int32Array {
  const rows = matrix.length / dims;
  const best = new Int32Array(k).fill(-1);
  const scores = new Float64Array(k).fill(-Infinity);
  for (let row = 0, base = 0; row < rows; row++, base += dims) {
    let dot = 0;
    for (let j = 0; j < dims; j++) dot += matrix[base + j] * query[j];
    if (dot <= scores[k - 1]) continue;
    let i = k - 1;
    while (i > 0 && scores[i - 1] < dot) {
      scores[i] = scores[i - 1];
      best[i] = best[i - 1];
      i--;
    }
    scores[i] = dot;
    best[i] = row;
  }
  return best;
}

/** The machine a run was measured on: results from these shared VMs mean little without it. */
export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  platform: string;
  /** Load average over the last minute when the run started. */
  load1: number;
}

export function machineFacts(): MachineFacts {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load1: Math.round(os.loadavg()[0] * 10) / 10,
  };
}
