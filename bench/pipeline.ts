// Indexing pipeline throughput on real code: scan + read + mask + chunk + lexical + store, with an
// in-process embedder that answers at once, so Ollama's speed is not what is measured. `indexMs` is
// the part before the embedding catch-up (files searchable lexically), `embedMs` the catch-up.
import { cpSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Chunker } from '../src/core/chunk';
import type { Embedder, EmbedItem } from '../src/core/embed';
import { Indexer } from '../src/core/indexer';
import { LoreStore } from '../src/core/store';
import { seededRandom } from './synthetic';

/** Real TypeScript and JavaScript from the repository's own dependencies (present after npm ci). */
const PACKAGES = ['eslint/lib', '@types/node', 'protobufjs/src', 'mocha/lib', 'vectra/src', 'minisearch/src', 'highlight.js/lib/languages'];
const MAX_FILE_BYTES = 1024 * 1024;
const DIMS = 768;

/** Duck-typed to the Embedder the indexer calls: vectors from a seeded generator, no I/O. */
function instantEmbedder(): Embedder {
  let sent = 0;
  return {
    model: 'instant',
    get sentCount() {
      return sent;
    },
    async embed(items: EmbedItem[]): Promise<Float32Array[]> {
      sent += items.length;
      return items.map((item) => {
        const random = seededRandom(parseInt(item.hash.slice(0, 8), 16));
        // A plain loop: Float32Array.from with a callback cost ~0.05 ms a vector, 5% of the run.
        const vector = new Float32Array(DIMS);
        for (let i = 0; i < DIMS; i++) vector[i] = random() * 2 - 1;
        return vector;
      });
    },
  } as unknown as Embedder;
}

export async function measurePipeline(dir: string): Promise<Record<string, number>> {
  const nodeModules = path.resolve(__dirname, '../../node_modules');
  const root = path.join(dir, 'workspace');
  for (const pkg of PACKAGES) {
    cpSync(path.join(nodeModules, pkg), path.join(root, pkg), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}node_modules${path.sep}`, nodeModules.length + 1) && statSync(source).size <= MAX_FILE_BYTES,
    });
  }
  const chunker = await Chunker.create();
  const store = await LoreStore.open(path.join(dir, 'store'));
  const indexer = new Indexer({ root, store, chunker, embedder: instantEmbedder(), maxFileBytes: MAX_FILE_BYTES });
  const chunkWorkers = chunker.workerCount;
  const started = performance.now();
  // Where the run turns from committing chunks to embedding them: the two halves are reported apart.
  let embeddingFrom: number | undefined;
  const result = await indexer.syncAll({ onProgress: ({ phase }) => phase === 'embedding' && (embeddingFrom ??= performance.now()) });
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  await store.close();
  await chunker.dispose();
  if (result.embedError) throw new Error(`embedding failed: ${result.embedError.message}`);
  return {
    files: result.files,
    chunks: result.chunks,
    chunkWorkers,
    durationMs: Math.round(seconds * 1000),
    indexMs: Math.round((embeddingFrom ?? ended) - started),
    embedMs: Math.round(ended - (embeddingFrom ?? ended)),
    filesPerSec: Math.round(result.files / seconds),
    chunksPerSec: Math.round(result.chunks / seconds),
  };
}
