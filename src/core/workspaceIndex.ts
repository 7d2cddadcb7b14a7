// Opens everything one indexed folder needs (store, chunker, embedder with its cache, indexer,
// retriever) the same way for the extension host and the CLI.
import * as path from 'node:path';
import { Chunker } from './chunk';
import { Embedder, EmbeddingCache, type EmbedderOptions, type EmbedProbe } from './embed';
import { Indexer } from './indexer';
import { Retriever } from './retrieve';
import { LoreStore } from './store';
import { acquireStoreLock, type StoreLock } from './store/lock';
import { openStoreForReading, removeDeadSnapshots } from './store/readSnapshot';
import { slug } from './storeLocation';

export interface WorkspaceIndexOptions {
  root: string;
  storeDir: string;
  host: string;
  /** Hosts embeddings are spread over (default: `host` alone); answers always go to `host`. */
  embedHosts?: string[];
  /** `undefined`: lexical only. */
  embedModel?: string;
  maxFileBytes: number;
  excludes?: string[];
  /** Absolute docs folders outside `root` that join its index (see IndexerOptions.docFolders). */
  docFolders?: string[];
  embedBatchSize?: number;
  embedConcurrency?: number;
  /** Deadlines and retries of embedding requests (defaults suit a real Ollama; tests shorten them). */
  embedRetries?: Pick<EmbedderOptions, 'maxRetries' | 'requestTimeoutMs' | 'retryBaseMs'>;
  /**
   * 'write' (default) holds the store's write lock until `close()`, so no other process writes it
   * meanwhile; a second writer gets StoreLockedError (after `lockWaitMs`). 'read' never writes and
   * works beside a writer (searches only).
   */
  access?: 'write' | 'read';
  lockWaitMs?: number;
  log?: (line: string) => void;
}

export interface WorkspaceIndex {
  readonly store: LoreStore;
  readonly indexer: Indexer;
  readonly embedder?: Embedder;
  readonly embedCache?: EmbeddingCache;
  readonly retriever: Retriever;
  /** Asks Ollama whether embeddings can be made now; sizes chunks to the model when they can. */
  probeEmbeddings(signal?: AbortSignal): Promise<EmbedProbe | undefined>;
  /** False while Ollama is unreachable: indexing and search go lexical-only until it is back. */
  setEmbeddingsEnabled(enabled: boolean): void;
  close(): Promise<void>;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

let sharedChunker: Promise<Chunker> | undefined;

export async function openWorkspaceIndex(options: WorkspaceIndexOptions): Promise<WorkspaceIndex> {
  let lock: StoreLock | undefined;
  let store: LoreStore;
  let closeStore: () => Promise<void>;
  if (options.access === 'read') {
    ({ store, close: closeStore } = await openStoreForReading(options.storeDir));
  } else {
    lock = await acquireStoreLock(options.storeDir, {
      waitMs: options.lockWaitMs,
      onWait: (owner) => options.log?.(`Waiting for another Lore process${owner ? ` (pid ${owner.pid})` : ''} to finish writing the index.`),
    });
    try {
      await removeDeadSnapshots(options.storeDir);
      store = await LoreStore.open(options.storeDir);
    } catch (err) {
      await lock.release();
      throw err;
    }
    closeStore = () => store.close();
  }
  if (store.recovered) options.log?.(`Index at ${options.storeDir} was unusable (${store.recovered}); it is being rebuilt.`);
  // Grammars are loaded once per process and shared by every folder.
  sharedChunker ??= Chunker.create();
  const chunker = await sharedChunker;

  let cache: EmbeddingCache | undefined;
  let embedder: Embedder | undefined;
  if (options.embedModel) {
    cache = await EmbeddingCache.open(path.join(options.storeDir, 'embeddings', `${slug(options.embedModel)}.bin`), options.embedModel);
    embedder = new Embedder(
      { ...options.embedRetries, host: options.host, hosts: options.embedHosts, model: options.embedModel, batchSize: options.embedBatchSize, concurrency: options.embedConcurrency },
      cache,
    );
  }
  const indexer = new Indexer({
    root: options.root,
    store,
    chunker,
    embedder,
    embedCache: cache,
    maxFileBytes: options.maxFileBytes,
    excludes: options.excludes,
    docFolders: options.docFolders,
    log: options.log,
  });
  let embeddingsEnabled = true;
  const retriever = new Retriever(
    store,
    embedder
      ? (text, signal) => (embeddingsEnabled ? embedder.embedQuery(text, signal) : Promise.reject(new Error('embeddings are off')))
      : undefined,
  );

  return {
    store,
    indexer,
    embedder,
    embedCache: cache,
    retriever,
    async probeEmbeddings(signal) {
      if (!embedder) return undefined;
      const probe = await embedder.probe(signal);
      if (probe.ok) indexer.fitChunksToContext(probe.contextLength);
      return probe;
    },
    setEmbeddingsEnabled(enabled) {
      embeddingsEnabled = enabled;
      indexer.setEmbeddingsEnabled(enabled);
    },
    async close() {
      try {
        await cache?.flush();
        await closeStore();
      } finally {
        await lock?.release();
      }
    },
  };
}
