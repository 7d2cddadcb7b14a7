// A chunk worker that fails on purpose, for the pool tests: it exits on a file whose path contains
// `crash-me` and throws outside any handler on one containing `throw-me`. The real worker (imported
// below) chunks every other file; its own listener comes after this one. Mocha, given this folder,
// loads the file on the main thread too, where it does nothing.
import { isMainThread, parentPort } from 'node:worker_threads';

if (!isMainThread) {
  parentPort!.on('message', (request: { path: string }) => {
    if (request.path.includes('crash-me')) process.exit(3);
    if (request.path.includes('throw-me')) throw new Error(`planted failure on ${request.path}`);
  });
  void import('../../../src/core/chunk/chunkWorker');
}
