// Load on the live index, driven as the extension host drives it (file events -> IndexQueue ->
// Indexer.syncPaths/syncAll) with embeddings from an Ollama-API server in another process: a burst
// of saves, a branch switch rewriting thousands of files, a large workspace. The queue must
// coalesce, memory stay bounded, the index end exactly as a clean index of the files on disk, and
// the event loop never stall for long; the longest stall and peak memory are measured and printed.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { IndexQueue } from '../../src/core/indexQueue';
import { startFakeOllamaProcess, type FakeOllamaProcess } from '../support/fakeOllamaProcess';
import { makeTempDir, removeDir } from '../support/tempTree';
import { assertSameIndex, generateTree, SOAK, seededRandom, snapshotStore, sourceFile, docFile } from './helpers';
import { openPipeline, type Pipeline } from './pipeline';

/** The host's budget for one stretch of work on the extension host's event loop. */
const MAX_BLOCK_MS = 100;
const WORKSPACE_FILES = SOAK ? 100_000 : 5_000;

interface LoadFigures {
  maxBlockMs: number;
  peakRssMb: number;
  peakHeapMb: number;
}

/** Measures event-loop stalls (a timer that should fire every 10 ms) and peak memory while `work` runs. */
async function measure<T>(work: () => Promise<T>): Promise<{ value: T; figures: LoadFigures }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = performance.now();
  let maxBlockMs = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxBlockMs = Math.max(maxBlockMs, now - last - 10);
    last = now;
    const mem = process.memoryUsage();
    peakRss = Math.max(peakRss, mem.rss);
    peakHeap = Math.max(peakHeap, mem.heapUsed);
  }, 10);
  try {
    const value = await work();
    return {
      value,
      figures: {
        maxBlockMs: Math.round(Math.max(maxBlockMs, histogram.max / 1e6 - 10)),
        peakRssMb: Math.round(peakRss / 2 ** 20),
        peakHeapMb: Math.round(peakHeap / 2 ** 20),
      },
    };
  } finally {
    clearInterval(probe);
    histogram.disable();
  }
}

describe('reliability: load on the live index', function () {
  this.timeout(SOAK ? 3_600_000 : 240_000);
  let root: string;
  let scratch: string;
  let ollama: FakeOllamaProcess;
  let pipeline: Pipeline;
  let queue: IndexQueue;
  let runs: { paths: number; full: number };
  const report: string[] = [];

  before(async () => {
    ollama = await startFakeOllamaProcess();
  });
  after(async () => {
    await ollama.stop();
    console.log(report.map((line) => `      ${line}`).join('\n'));
  });
  beforeEach(async () => {
    root = makeTempDir('lore-rel-load-');
    scratch = makeTempDir('lore-rel-load-store-');
    pipeline = await openPipeline({ root, storeDir: path.join(scratch, 'store'), host: ollama.url, embedRetries: { requestTimeoutMs: 30_000 } });
    runs = { paths: 0, full: 0 };
    // As FolderIndex wires it.
    queue = new IndexQueue(
      {
        syncPaths: (paths, signal) => {
          runs.paths++;
          return pipeline.indexer.syncPaths(paths, signal);
        },
        syncAll: (signal, force) => {
          runs.full++;
          return pipeline.indexer.syncAll({ signal, force });
        },
      },
      { debounceMs: 300, retryMs: 200, onError: (err) => assert.fail(`index run failed: ${err}`) },
    );
  });
  afterEach(async () => {
    queue.dispose();
    await pipeline.close();
    removeDir(root);
    removeDir(scratch);
  });

  async function assertMatchesCleanIndex(): Promise<void> {
    await pipeline.close();
    const clean = await openPipeline({ root, storeDir: path.join(scratch, 'clean'), host: ollama.url, embedRetries: { requestTimeoutMs: 30_000 } });
    await clean.indexer.syncAll();
    await clean.close();
    assertSameIndex(await snapshotStore(path.join(scratch, 'store')), await snapshotStore(path.join(scratch, 'clean')), true);
    pipeline = await openPipeline({ root, storeDir: path.join(scratch, 'store') });
  }

  it('2,000 saves in 10 s across 500 files: coalesced into few runs, index exact, event loop responsive', async () => {
    const paths = generateTree(root, 500);
    queue.enqueueFull();
    await queue.whenIdle();
    const random = seededRandom(7);
    const { figures } = await measure(async () => {
      const started = Date.now();
      for (let i = 0; i < 2_000; i++) {
        const n = Math.floor(random() * paths.length);
        const rel = paths[n];
        await fs.writeFile(path.join(root, ...rel.split('/')), rel.endsWith('.md') ? docFile(n, i + 1) : sourceFile(n, i + 1));
        queue.enqueue([rel]);
        // 2,000 saves spread over 10 s.
        const due = started + ((i + 1) * 10_000) / 2_000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      await queue.whenIdle();
    });
    report.push(`2,000 saves/10 s over 500 files: ${runs.paths} syncPaths runs, max event-loop block ${figures.maxBlockMs} ms, peak RSS ${figures.peakRssMb} MB, heap ${figures.peakHeapMb} MB`);
    assert.ok(runs.paths < 200, `coalesced: ${runs.paths} runs for 2,000 saves`);
    assert.ok(figures.maxBlockMs < MAX_BLOCK_MS, `event loop blocked for ${figures.maxBlockMs} ms`);
    await assertMatchesCleanIndex();
  });

  it(`a git checkout rewriting ${WORKSPACE_FILES.toLocaleString('en')} files at once, in a ${WORKSPACE_FILES.toLocaleString('en')}-file workspace`, async () => {
    // Writing the files is the test's own (synchronous) work: it stays outside the measurements.
    generateTree(root, WORKSPACE_FILES);
    const initial = await measure(async () => {
      queue.enqueueFull();
      await queue.whenIdle();
    });
    report.push(`initial index of ${WORKSPACE_FILES} files: max event-loop block ${initial.figures.maxBlockMs} ms, peak RSS ${initial.figures.peakRssMb} MB, heap ${initial.figures.peakHeapMb} MB`);
    // The checkout: every file rewritten, a tenth deleted, new ones created; the watcher reports each path.
    const changed = generateTree(root, WORKSPACE_FILES, 1);
    const deleted = changed.filter((_, i) => i % 10 === 3);
    await Promise.all(deleted.map((rel) => fs.rm(path.join(root, ...rel.split('/')))));
    const created = Array.from({ length: 200 }, (_, i) => `src/new/branch${i}.ts`);
    await fs.mkdir(path.join(root, 'src/new'), { recursive: true });
    await Promise.all(created.map((rel, i) => fs.writeFile(path.join(root, rel), sourceFile(100_000 + i))));
    const { figures } = await measure(async () => {
      queue.enqueue([...changed, ...created]);
      await queue.whenIdle();
    });
    report.push(`checkout of ${WORKSPACE_FILES} files: ${runs.paths} syncPaths runs, max event-loop block ${figures.maxBlockMs} ms, peak RSS ${figures.peakRssMb} MB, heap ${figures.peakHeapMb} MB`);
    assert.ok(runs.paths <= 3, `the checkout became ${runs.paths} runs`);
    assert.ok(figures.maxBlockMs < MAX_BLOCK_MS && initial.figures.maxBlockMs < MAX_BLOCK_MS, `event loop blocked for ${Math.max(figures.maxBlockMs, initial.figures.maxBlockMs)} ms`);
    assert.ok(figures.peakHeapMb < (SOAK ? 4_000 : 1_000), `heap peaked at ${figures.peakHeapMb} MB`);
    await assertMatchesCleanIndex();
  });
});
