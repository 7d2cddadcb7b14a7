// Loaded by the real VS Code's extension host as `extensionTestsPath` (see vscodeOpen.ts): opens a
// prebuilt store there, on the host's own thread beside the activated extension, and records the
// host's longest event-loop block meanwhile. Its result goes to the file named by $LORE_SCALE_RESULT.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { LoreStore } from '../src/core/store';
import type { LoreApi } from '../src/host/lore';
import { watchEventLoop } from './measure';

const SETTLE_MS = 5_000;

export async function run(): Promise<void> {
  const resultFile = process.env.LORE_SCALE_RESULT!;
  try {
    // The host's own blocks with Lore activated, its workspace indexed and nothing opening, as a baseline.
    const api = (await vscode.extensions.getExtension('lore-dev.lore')!.activate()) as LoreApi;
    await api.whenIdle();
    const idle = watchEventLoop();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const idleMaxBlockMs = idle.stop();

    const watch = watchEventLoop();
    const started = performance.now();
    // A reader, as a second window would open it: nothing is written to the prebuilt store.
    const store = await LoreStore.open(process.env.LORE_SCALE_STORE!, { savesLexicalSnapshots: false });
    const openMs = performance.now() - started;
    await store.whenLexicalReady();
    const loadMs = performance.now() - started;
    const maxBlockMs = watch.stop();
    const { chunks, vectors } = await store.stats();
    const memory = process.memoryUsage();
    await store.close();
    writeFileSync(resultFile, JSON.stringify({
      vscodeVersion: vscode.version, node: process.version, recovered: store.recovered ?? null, chunks, vectors,
      openMs: Math.round(openMs), loadMs: Math.round(loadMs), maxBlockMs: Math.round(maxBlockMs), idleMaxBlockMs: Math.round(idleMaxBlockMs),
      rssMB: Math.round(memory.rss / 2 ** 20),
    }));
  } catch (err) {
    writeFileSync(resultFile, JSON.stringify({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  }
}
