// The indexing pipeline: plan (diff the manifest against the files) -> read -> mask -> chunk -> commit
// lexically -> embed what has no vector yet. Chunks are committed before they are embedded so a
// file is searchable at once, and embedding catches up whenever Ollama is reachable.
import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ChunkingError, type Chunker } from './chunk';
import type { Embedder, EmbeddingCache } from './embed';
import { DimensionMismatchError } from './embed';
import { documentFormatOf, isBinaryDocument, maxBytesFor } from './docs/formats';
import { ModelMissingError, OllamaAuthError, OllamaUnavailableError } from './ollama';
import { searchMode } from './searchMode';
import { IgnoreRules, docFolderKey, docFolderOf, isOutsideWorkspace, maskSecrets, readFileBytes, readTextFile, resolveIndexedPath, scanFolder } from './files';
import { contentHash } from './hash';
import type { FileRecord, FileUpdate, LoreStore } from './store';
import type { Chunk, IndexMode, ScannedFile, SkippedFile } from './types';

export interface IndexerOptions {
  /** Absolute path of the folder being indexed. */
  root: string;
  store: LoreStore;
  chunker: Chunker;
  /** Absent: lexical only (`--no-embed`, or no embedding model configured). */
  embedder?: Embedder;
  /** Flushed after each embedding round so vectors already paid for survive a crash. */
  embedCache?: EmbeddingCache;
  maxFileBytes: number;
  /** Extra gitignore-style excludes (the `lore.exclude` setting, VS Code's `files.exclude`). */
  excludes?: string[];
  /**
   * Absolute folders outside `root` whose files join this index (`lore.docFolders`, `--docs`),
   * keyed by absolute path (files/docFolders.ts). Their own .gitignore files and the built-in
   * excludes apply; a folder that cannot be read is listed in `skipped`.
   */
  docFolders?: string[];
  /** Upper bound on chunk size in tokens; lowered further to fit the embedding model's context. */
  chunkTokens?: number;
  log?: (line: string) => void;
}

export interface IndexProgress {
  phase: 'scanning' | 'indexing' | 'embedding';
  done: number;
  total: number;
}

export interface IndexRunResult {
  /** Files in the index after the run. */
  files: number;
  /** Chunks in the index after the run. */
  chunks: number;
  /** Chunks sent to the embedding model in this run (cache hits excluded). */
  embedded: number;
  /** Files (re)chunked in this run. */
  changed: number;
  /** Files removed from the index in this run. */
  removed: number;
  skipped: SkippedFile[];
  durationMs: number;
  mode: IndexMode;
  /** Why embeddings are missing or incomplete, when they are. */
  embedError?: EmbedProblem;
}

export interface EmbedProblem {
  kind: 'unreachable' | 'model-missing' | 'unauthorized' | 'failed';
  message: string;
}

/** Files committed to the store per write: large enough to amortise shard writes, small enough to show progress. */
const COMMIT_BATCH_FILES = 64;
/**
 * Chunks embedded per catch-up round before their vectors are committed, so progress survives a
 * crash. A round that took under EMBED_FAST_ROUND_MS (vectors from the cache, a fast model) doubles
 * the next one, up to the maximum: fewer, larger commits rewrite each shard fewer times, and a crash
 * still loses about a second of embedding at most.
 */
const EMBED_ROUND_CHUNKS = 256;
const EMBED_MAX_ROUND_CHUNKS = 4096;
const EMBED_FAST_ROUND_MS = 1000;
const DEFAULT_CHUNK_TOKENS = 384;
/** Files read and chunked ahead of the one being committed: enough to keep the disk and the chunk workers busy. */
const READ_AHEAD_FILES = 32;
/** Commits waiting on the store while the indexer prepares the next batch. */
const MAX_QUEUED_COMMITS = 2;
/** PDF, Word and notebook files (up to 64 MB each) read and extracted at once: bounds the memory read-ahead holds. */
const LARGE_DOCUMENTS_AT_ONCE = 2;

/** One file, read and chunked, waiting for its turn to be committed. */
type PreparedFile =
  | { kind: 'absent' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'unchanged'; record: Omit<FileRecord, 'chunkIds'>; chunkIds: readonly string[]; restat: boolean }
  | { kind: 'changed'; record: Omit<FileRecord, 'chunkIds'>; chunks: Chunk[] };

export class Indexer {
  /** By root: the workspace folder and each docs folder. */
  private readonly ignoreRules = new Map<string, Promise<IgnoreRules>>();
  private readonly largeDocuments = new Slots(LARGE_DOCUMENTS_AT_ONCE);
  private embeddingsEnabled = true;
  private chunkTokens: number;
  /** Skip reasons by path, kept across incremental updates so Show Index Status can list them. */
  private readonly skippedByPath = new Map<string, string>();

  constructor(private readonly options: IndexerOptions) {
    this.chunkTokens = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  }

  get root(): string {
    return this.options.root;
  }

  /** The docs folders outside the root whose files this index holds. */
  get docFolders(): readonly string[] {
    return this.options.docFolders ?? [];
  }

  get store(): LoreStore {
    return this.options.store;
  }

  get skipped(): SkippedFile[] {
    return [...this.skippedByPath].map(([p, reason]) => ({ path: p, reason })).sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Off while Ollama is known to be unreachable: runs stay lexical instead of waiting on retries. */
  setEmbeddingsEnabled(enabled: boolean): void {
    this.embeddingsEnabled = enabled;
  }

  /** Sizes chunks to the embedding model's context (with room for the estimate's error). */
  fitChunksToContext(contextLength: number): void {
    this.chunkTokens = Math.max(64, Math.min(this.options.chunkTokens ?? DEFAULT_CHUNK_TOKENS, Math.floor(contextLength * 0.8)));
  }

  /**
   * Full reconciliation: every file on disk is in the index with its current content, nothing else is.
   * `force` re-chunks every file (Reindex Workspace); vectors still come from the embedding cache.
   */
  async syncAll(options: { signal?: AbortSignal; onProgress?: (p: IndexProgress) => void; force?: boolean } = {}): Promise<IndexRunResult> {
    const { signal, onProgress, force = false } = options;
    const started = Date.now();
    const { store } = this.options;
    const embedStart = this.options.embedder?.sentCount ?? 0;
    onProgress?.({ phase: 'scanning', done: 0, total: 0 });
    const scan = await scanFolder({
      root: this.options.root,
      maxFileBytes: this.options.maxFileBytes,
      excludes: this.options.excludes,
      signal,
      onProgress: (seen) => onProgress?.({ phase: 'scanning', done: seen, total: 0 }),
    });
    this.skippedByPath.clear();
    for (const s of scan.skipped) this.skippedByPath.set(s.path, s.reason);
    for (const folder of this.options.docFolders ?? []) {
      const docs = await this.scanDocFolder(folder, signal);
      scan.files.push(...docs.files);
      for (const s of docs.skipped) this.skippedByPath.set(s.path, s.reason);
    }

    const onDisk = new Set(scan.files.map((f) => f.path));
    const gone = [...store.files()].map((f) => f.path).filter((p) => !onDisk.has(p));
    // mtime and size unchanged: trust the manifest. Otherwise read and compare content hashes.
    const candidates = scan.files.filter((f) => {
      if (force) return true;
      const known = store.getFile(f.path);
      return !known || known.size !== f.size || known.mtimeMs !== f.mtimeMs;
    });

    if (gone.length) await store.removeFiles(gone);
    const changed = await this.indexFiles(candidates.map((f) => f.path), { signal, force }, (done) =>
      onProgress?.({ phase: 'indexing', done, total: candidates.length }),
    );
    const embedError = await this.catchUpEmbeddings(signal, onProgress);
    await this.compactEmbeddingCache();
    return this.result(started, embedStart, changed, gone.length, embedError);
  }

  /**
   * Brings the given paths up to date (watcher events: saved, created, deleted, renamed, changed on disk).
   * A path that no longer exists, or is now ignored, leaves the index; a folder path covers its files.
   */
  async syncPaths(paths: string[], signal?: AbortSignal): Promise<IndexRunResult> {
    const started = Date.now();
    const embedStart = this.options.embedder?.sentCount ?? 0;
    for (const p of paths) {
      const root = this.rootOf(p)?.root;
      if (root && /(^|\/)\.(git|lore)ignore$/.test(p)) await (await this.rules(root)).reload();
    }

    const toIndex: string[] = [];
    const toRemove = new Set<string>();
    for (const key of paths) {
      const place = this.rootOf(key);
      if (!place) {
        // An outside file of a docs folder no longer configured.
        if (this.options.store.getFile(key)) toRemove.add(key);
        continue;
      }
      const { root, rel } = place;
      const stat = await fs.stat(this.abs(key)).catch(() => undefined);
      if (stat?.isDirectory()) {
        // A folder appeared or moved: reconcile its subtree via a scan of just what we know about it.
        const known = [...this.options.store.files()].map((f) => f.path).filter((p) => p.startsWith(key + '/'));
        known.forEach((p) => toRemove.add(p));
        const sub = root === this.options.root
          ? await scanFolder({ root, maxFileBytes: this.options.maxFileBytes, excludes: this.options.excludes, signal })
          : await this.scanDocFolder(root, signal);
        for (const f of sub.files) if (f.path.startsWith(key + '/')) { toIndex.push(f.path); toRemove.delete(f.path); }
      } else if (!stat || (await this.ignores(root, rel))) {
        if (this.options.store.getFile(key)) toRemove.add(key);
        // A deleted folder: its files are known only by prefix.
        if (!stat) for (const f of this.options.store.files()) if (f.path.startsWith(key + '/')) toRemove.add(f.path);
        this.skippedByPath.delete(key);
      } else {
        toIndex.push(key);
      }
    }
    if (toRemove.size) await this.options.store.removeFiles([...toRemove]);
    // A new folder and a file in it can arrive in one batch: each file is indexed once.
    const changed = await this.indexFiles([...new Set(toIndex)], { signal });
    const embedError = await this.catchUpEmbeddings(signal);
    return this.result(started, embedStart, changed, toRemove.size, embedError);
  }

  /** Embeds every chunk that has no vector yet. Returns what stopped it, if anything did. */
  async catchUpEmbeddings(signal?: AbortSignal, onProgress?: (p: IndexProgress) => void): Promise<EmbedProblem | undefined> {
    const { embedder, store } = this.options;
    if (!embedder || !this.embeddingsEnabled) return undefined;
    let saving: Promise<void> = Promise.resolve();
    try {
      if (await store.useEmbedModel(embedder.model)) this.options.log?.(`Embedding model is now ${embedder.model}: vectors will be rebuilt.`);
      const pending = await store.chunksWithoutVectors();
      let roundChunks = EMBED_ROUND_CHUNKS;
      for (let done = 0; done < pending.length; ) {
        signal?.throwIfAborted();
        onProgress?.({ phase: 'embedding', done, total: pending.length });
        const batch = pending.slice(done, done + roundChunks);
        done += batch.length;
        const roundStarted = performance.now();
        const vectors = await embedder.embed(batch.map((c) => ({ hash: c.hash, text: embeddingText(c) })), signal);
        const fast = performance.now() - roundStarted < EMBED_FAST_ROUND_MS;
        roundChunks = fast ? Math.min(2 * roundChunks, EMBED_MAX_ROUND_CHUNKS) : EMBED_ROUND_CHUNKS;
        // The model embeds the next batch while the store writes this one; one write at a time.
        await saving;
        saving = store.setVectors(new Map(batch.map((c, j) => [c.id, vectors[j]])), embedder.model);
        saving.catch(() => undefined); // awaited above or below, not unhandled meanwhile
      }
      await saving;
      if (pending.length) onProgress?.({ phase: 'embedding', done: pending.length, total: pending.length });
      return undefined;
    } catch (err) {
      if (signal?.aborted) throw err;
      return describeEmbedFailure(err);
    } finally {
      await saving.catch(() => undefined); // already reported, or overtaken by the failure above
      await this.options.embedCache?.flush();
    }
  }

  private async indexFiles(paths: string[], { signal, force = false }: { signal?: AbortSignal; force?: boolean }, onProgress?: (done: number) => void): Promise<number> {
    const { store } = this.options;
    // Consecutive files then share shards, so each batch rewrites one or two shards, not dozens.
    paths = store.inWriteOrder(paths);
    let changed = 0;
    let pending: FileUpdate[] = [];
    // Commits do not hold up reading and chunking: the store writes them one after another while the
    // next batches are prepared. Two may wait on the store, which bounds the memory they hold.
    const commits: Array<Promise<void>> = [];
    const commit = async () => {
      if (!pending.length) return;
      const written = store.putFiles(pending);
      written.catch(() => undefined); // awaited below, not unhandled meanwhile
      commits.push(written);
      pending = [];
      while (commits.length > MAX_QUEUED_COMMITS) await commits.shift();
    };
    const toRemove: string[] = [];
    // Files are read, hashed, masked and chunked up to READ_AHEAD_FILES ahead of the one being
    // added to a batch, so file I/O and off-thread chunking proceed while the store writes.
    const prepared: Array<Promise<PreparedFile>> = [];
    let next = 0;
    const fill = () => {
      while (next < paths.length && prepared.length < READ_AHEAD_FILES) prepared.push(this.prepareFile(paths[next++], force));
    };
    try {
      for (let i = 0; i < paths.length; i++) {
        signal?.throwIfAborted();
        fill();
        const file = await prepared.shift()!;
        const rel = paths[i];
        switch (file.kind) {
          case 'absent':
            if (store.getFile(rel)) toRemove.push(rel);
            break;
          case 'skipped':
            this.skippedByPath.set(rel, file.reason);
            if (store.getFile(rel)) toRemove.push(rel);
            break;
          case 'unchanged':
            this.skippedByPath.delete(rel);
            // Touched but not changed (git checkout back and forth, save without edits): keep chunks, refresh stat.
            if (file.restat) pending.push({ record: file.record, chunks: file.chunkIds.map((id) => store.getChunk(id)).filter((c): c is Chunk => !!c) });
            break;
          case 'changed':
            this.skippedByPath.delete(rel);
            pending.push({ record: file.record, chunks: file.chunks });
            changed++;
            break;
        }
        if (pending.length >= COMMIT_BATCH_FILES) await commit();
        if (i % 32 === 31) {
          onProgress?.(i + 1);
          await yieldToEventLoop();
        }
      }
      await commit();
    } catch (err) {
      // Nothing runs on after the indexer throws: files still being prepared and commits settle first.
      await Promise.allSettled([...prepared, ...commits]);
      throw err;
    }
    await Promise.all(commits);
    if (toRemove.length) await store.removeFiles(toRemove);
    onProgress?.(paths.length);
    return changed;
  }

  /**
   * Reads, hashes, masks and chunks one file. What goes wrong with the file itself is a reason to skip it.
   * Documents (PDF, Word, HTML, notebooks) go to the chunker raw: their text is extracted and masked there.
   */
  private async prepareFile(rel: string, force: boolean): Promise<PreparedFile> {
    const maxBytes = maxBytesFor(rel, this.options.maxFileBytes);
    const read = () => (isBinaryDocument(rel) ? readFileBytes(this.abs(rel), maxBytes) : readTextFile(this.abs(rel), maxBytes));
    if (maxBytes === this.options.maxFileBytes) return this.prepareContent(rel, force, await read());
    const release = await this.largeDocuments.acquire();
    try {
      return await this.prepareContent(rel, force, await read());
    } finally {
      release();
    }
  }

  private async prepareContent(rel: string, force: boolean, read: Awaited<ReturnType<typeof readTextFile | typeof readFileBytes>>): Promise<PreparedFile> {
    const { store, chunker } = this.options;
    if (!read.ok) return read.absent ? { kind: 'absent' } : { kind: 'skipped', reason: read.reason };
    const { size, mtimeMs } = read;
    const raw = 'bytes' in read ? read.bytes : read.text;
    const hash = contentHash(raw);
    const record: Omit<FileRecord, 'chunkIds'> = { path: rel, hash, size, mtimeMs };
    const known = store.getFile(rel);
    if (known?.hash === hash && !force) {
      return { kind: 'unchanged', record, chunkIds: known.chunkIds, restat: known.mtimeMs !== mtimeMs || known.size !== size };
    }
    try {
      const content = typeof raw === 'string' && !documentFormatOf(rel) ? maskSecrets(raw).text : raw;
      const chunks = await chunker.chunk(rel, content, { maxTokens: this.chunkTokens });
      return { kind: 'changed', record, chunks };
    } catch (err) {
      // This file alone failed (its chunk worker died on it, or it is a document that cannot be read): the others still index.
      if (err instanceof ChunkingError) return { kind: 'skipped', reason: err.unreadable ? err.reason : `could not be chunked (${err.reason})` };
      throw err;
    }
  }

  /** A docs folder's files, keyed by absolute path; a folder that cannot be scanned is one skipped entry. */
  private async scanDocFolder(folder: string, signal?: AbortSignal): Promise<{ files: ScannedFile[]; skipped: SkippedFile[] }> {
    try {
      const scan = await scanFolder({ root: folder, maxFileBytes: this.options.maxFileBytes, signal, linksOutside: true });
      return {
        files: scan.files.map((f) => ({ ...f, path: docFolderKey(folder, f.path) })),
        skipped: scan.skipped.map((s) => ({ ...s, path: docFolderKey(folder, s.path) })),
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { files: [], skipped: [{ path: docFolderKey(folder, '').replace(/\/$/, ''), reason: `docs folder could not be read (${err instanceof Error ? err.message : String(err)})` }] };
    }
  }

  /**
   * The cache keeps vectors of chunks no longer indexed (a branch switch back costs nothing), but not
   * without bound: past twice the live chunk count it is rewritten with the live ones only.
   */
  private async compactEmbeddingCache(): Promise<void> {
    const cache = this.options.embedCache;
    const { store } = this.options;
    if (!cache || cache.size <= 2 * (await store.stats()).chunks) return;
    const live = new Set<string>();
    for (const file of store.files()) for (const id of file.chunkIds) {
      const hash = store.getChunk(id)?.hash;
      if (hash) live.add(hash);
    }
    await cache.compact(live);
  }

  private async result(started: number, embedStart: number, changed: number, removed: number, embedError?: EmbedProblem): Promise<IndexRunResult> {
    const stats = await this.options.store.stats();
    return {
      files: stats.files,
      chunks: stats.chunks,
      embedded: (this.options.embedder?.sentCount ?? 0) - embedStart,
      changed,
      removed,
      skipped: this.skipped,
      durationMs: Date.now() - started,
      mode: searchMode({ chunks: stats.chunks, vectors: stats.vectors, embeddingsWork: !!this.options.embedder && this.embeddingsEnabled && !embedError }),
      embedError,
    };
  }

  private rules(root: string): Promise<IgnoreRules> {
    let rules = this.ignoreRules.get(root);
    if (!rules) {
      rules = IgnoreRules.load(root, root === this.options.root ? this.options.excludes : []);
      rules.catch(() => this.ignoreRules.delete(root));
      this.ignoreRules.set(root, rules);
    }
    return rules;
  }

  /** Whether the scan would pass over `rel` of `root`. In a docs folder, symlinks may lead outside it (scanDocFolder). */
  private async ignores(root: string, rel: string): Promise<boolean> {
    const rules = await this.rules(root);
    return root === this.options.root ? rules.ignoresOnDisk(rel) : rules.ignores(rel);
  }

  /** The folder a key belongs to (the workspace or a docs folder) and its path inside it; undefined for an outside key of no docs folder. */
  private rootOf(key: string): { root: string; rel: string } | undefined {
    if (!isOutsideWorkspace(key)) return { root: this.options.root, rel: key };
    const doc = docFolderOf(this.options.docFolders ?? [], key);
    return doc && { root: doc.folder, rel: doc.rel };
  }

  private abs(key: string): string {
    return resolveIndexedPath(this.options.root, key);
  }
}

/** At most `limit` holders at once; the others wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    return () => {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}

/** What the embedding model sees: the enclosing context (signature, heading path) makes a split piece meaningful. */
export function embeddingText(chunk: Chunk): string {
  const header = [chunk.path, chunk.symbol].filter(Boolean).join(' ');
  return [header, chunk.context, chunk.text].filter(Boolean).join('\n');
}

export function describeEmbedFailure(err: unknown): EmbedProblem {
  if (err instanceof OllamaUnavailableError) return { kind: 'unreachable', message: err.message };
  if (err instanceof ModelMissingError) return { kind: 'model-missing', message: err.message };
  if (err instanceof OllamaAuthError) return { kind: 'unauthorized', message: err.message };
  if (err instanceof DimensionMismatchError) return { kind: 'failed', message: err.message };
  return { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
}
