// A chunk worker that fails on purpose, for the pool tests. While chunking a file whose path contains
// `crash-me` it exits; `uncaught-me`, it throws outside any handler (the thread dies with the error);
// `throw-me`, chunking throws (the thread lives on); `which-thread`, the chunk's text names the thread.
// Every other file is chunked as usual. Mocha,
// given this folder, loads the file on the main thread too, where it does nothing.
import { isMainThread, threadId } from 'node:worker_threads';
import { InThreadChunker } from '../../../src/core/chunk/inThread';

if (!isMainThread) {
  const chunk = InThreadChunker.prototype.chunk;
  InThreadChunker.prototype.chunk = function (path, text, options) {
    if (path.includes('crash-me')) process.exit(3);
    if (path.includes('uncaught-me')) {
      setImmediate(() => {
        throw new Error(`planted crash on ${path}`);
      });
      return new Promise(() => undefined); // never answers: the thread dies first
    }
    if (path.includes('throw-me')) throw new Error(`planted failure on ${path}`);
    if (path.includes('which-thread')) return chunk.call(this, path, `thread ${threadId}`, options);
    return chunk.call(this, path, text, options);
  };
  void import('../../../src/core/chunk/chunkWorker');
}
