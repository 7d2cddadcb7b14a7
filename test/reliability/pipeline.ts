// The core pipeline wired as the extension wires it (store, chunker, embedder with its cache,
// indexer), with short embedder deadlines so faults resolve in test time.
import * as path from 'node:path';
import { Chunker } from '../../src/core/chunk';
import { Embedder, EmbeddingCache, type EmbedderOptions } from '../../src/core/embed';
import { Indexer } from '../../src/core/indexer';
import { LoreStore } from '../../src/core/store';

export interface Pipeline {
  store: LoreStore;
  indexer: Indexer;
  embedder?: Embedder;
  close(): Promise<void>;
}

let chunker: Promise<Chunker> | undefined;

export async function openPipeline(o: {
  root: string;
  storeDir: string;
  host?: string;
  model?: string;
  maxFileBytes?: number;
  embedder?: Partial<EmbedderOptions>;
  log?: (line: string) => void;
}): Promise<Pipeline> {
  const store = await LoreStore.open(o.storeDir);
  chunker ??= Chunker.create();
  let cache: EmbeddingCache | undefined;
  let embedder: Embedder | undefined;
  if (o.host) {
    const model = o.model ?? 'nomic-embed-text';
    cache = await EmbeddingCache.open(path.join(o.storeDir, 'embeddings', `${model}.bin`), model);
    embedder = new Embedder({ host: o.host, model, requestTimeoutMs: 1_500, retryBaseMs: 20, maxRetries: 3, ...o.embedder }, cache);
  }
  const indexer = new Indexer({ root: o.root, store, chunker: await chunker, embedder, embedCache: cache, maxFileBytes: o.maxFileBytes ?? 1 << 20, log: o.log });
  return {
    store,
    indexer,
    embedder,
    async close() {
      await cache?.flush();
      await store.close();
    },
  };
}
