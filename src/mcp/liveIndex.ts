// The folder's index as the MCP server keeps it: fresh while the server runs, and never in another
// Lore process's way. When the store's write lock is free the server is the writer: it watches the
// folder and indexes changed files (a search waits briefly for that work). When another process (the
// extension, another agent's server, `lore index`) writes the store, the server searches a read-only
// snapshot, takes a new one when the store changes, and tries to take over the writing now and then.
import { watch, type FSWatcher } from 'chokidar';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EMBED_MODEL } from '../core/defaults';
import { docFolderKey, IgnoreRules, resolveIndexedPath } from '../core/files';
import { IndexQueue } from '../core/indexQueue';
import { checkSearchInput, documentAwareReader, searchForAgent, type AgentSearchOutput } from '../core/retrieve';
import { searchMode } from '../core/searchMode';
import { StoreLockedError } from '../core/store/lock';
import { readStoreMeta } from '../core/store/storeMeta';
import { DEFAULT_MAX_FILE_BYTES, openWorkspaceIndex, type WorkspaceIndex } from '../core/workspaceIndex';

export interface LiveIndexOptions {
  root: string;
  storeDir: string;
  host: string;
  /** Never write, even when no one else does (the extension that started this server keeps the index). */
  readOnly?: boolean;
  /** Docs folders outside `root` (absolute, `--docs`) in the index, watched like the folder. */
  docFolders?: string[];
  log: (line: string) => void;
  /** How long a search waits for pending indexing or a new snapshot before answering from what is there. */
  freshWaitMs?: number;
  /** While read-only: how often to try to become the writer, and to look for Ollama again. */
  retryMs?: number;
}

export interface LiveStatus {
  folder: string;
  store: string;
  access: 'write' | 'read-only';
  indexing: boolean;
  files: number;
  chunks: number;
  vectors: number;
  mode: 'hybrid' | 'lexical';
  embedModel?: string;
  /** ISO time the store on disk last changed. */
  lastIndexed?: string;
}

const FRESH_WAIT_MS = 3_000;
const RETRY_MS = 30_000;
/** A writer's commit touches several files: one snapshot after they settle. */
const SNAPSHOT_DEBOUNCE_MS = 250;

export class LiveIndex {
  private index!: WorkspaceIndex;
  private access: 'write' | 'read' = 'read';
  private queue?: IndexQueue;
  private watchers: FSWatcher[] = [];
  private reloading?: Promise<void>;
  private reloadQueued = false;
  private retryTimer?: NodeJS.Timeout;
  private embedModel = DEFAULT_EMBED_MODEL;
  /** Undefined until the first probe. */
  private embeddingsWork?: boolean;
  private closed = false;

  private constructor(private readonly options: LiveIndexOptions) {}

  static async open(options: LiveIndexOptions): Promise<LiveIndex> {
    const live = new LiveIndex(options);
    // Queries are embedded with the model the store's vectors were made with.
    live.embedModel = (await readStoreMeta(options.storeDir).catch(() => undefined))?.embedModel ?? DEFAULT_EMBED_MODEL;
    if (options.readOnly || !(await live.becomeWriter())) await live.becomeReader();
    live.retryTimer = setInterval(() => void live.retry(), options.retryMs ?? RETRY_MS);
    return live;
  }

  /** Answers one search, after the index has caught up with recent changes (up to `freshWaitMs`). */
  async search(input: unknown, signal?: AbortSignal): Promise<AgentSearchOutput & { indexing: boolean }> {
    checkSearchInput(input);
    await this.settle();
    const output = await searchForAgent(this.index.retriever, input, { readCurrent: documentAwareReader(this.options.root, this.index.store, (rel) => this.readCurrent(rel)), signal });
    return { ...output, indexing: !!this.queue?.busy };
  }

  async status(): Promise<LiveStatus> {
    const stats = await this.index.store.stats();
    const changed = await lastChange(this.options.storeDir);
    return {
      folder: this.options.root,
      store: this.options.storeDir,
      access: this.access === 'write' ? 'write' : 'read-only',
      indexing: !!this.queue && (this.queue.busy || this.queue.pendingCount > 0),
      files: stats.files,
      chunks: stats.chunks,
      vectors: stats.vectors,
      mode: searchMode({ chunks: stats.chunks, vectors: stats.vectors, embeddingsWork: !!this.embeddingsWork }),
      ...(stats.embedModel ? { embedModel: stats.embedModel } : {}),
      ...(changed ? { lastIndexed: changed.toISOString() } : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.retryTimer);
    this.queue?.dispose();
    await this.stopWatching();
    await this.reloading;
    await this.index.close();
  }

  /** Opens the store for writing and starts watching the folder; false when another process writes it. */
  private async becomeWriter(): Promise<boolean> {
    let index: WorkspaceIndex;
    try {
      index = await this.openIndex('write');
    } catch (err) {
      if (err instanceof StoreLockedError) {
        this.options.log(`${err.message}; searching it read-only meanwhile`);
        return false;
      }
      throw err;
    }
    await this.useEmbeddings(index);
    await this.stopWatching();
    await this.reloading;
    const reader = this.index;
    this.index = index;
    this.access = 'write';
    await reader?.close();
    const rules = await IgnoreRules.load(this.options.root);
    this.queue = new IndexQueue(
      {
        syncPaths: (paths, signal) => index.indexer.syncPaths(paths, signal),
        syncAll: (signal, force) => index.indexer.syncAll({ signal, force }),
      },
      { debounceMs: 100, onError: (err) => this.options.log(`indexing failed, will retry: ${err instanceof Error ? err.message : err}`) },
    );
    this.queue.enqueueFull();
    this.watchers.push(this.watchTree(this.options.root, (rel, isDir) => rules.ignores(isDir ? `${rel}/` : rel), (rel) => this.queue?.enqueue([rel])));
    for (const dir of this.options.docFolders ?? []) this.watchers.push(this.watchTree(dir, () => false, (rel) => this.queue?.enqueue([docFolderKey(dir, rel)])));
    return true;
  }

  /** Searches a snapshot of the store another process writes, and takes a new one whenever it changes. */
  private async becomeReader(): Promise<void> {
    this.index = await this.openIndex('read');
    this.access = 'read';
    await this.useEmbeddings(this.index);
    this.watchers.push(this.watchTree(this.options.storeDir, (rel) => !/^(store\.json|lexical\.bin|shards)(\/|$)/.test(rel), () => this.scheduleReload()));
  }

  private openIndex(access: 'write' | 'read'): Promise<WorkspaceIndex> {
    const { root, storeDir, host, docFolders, log } = this.options;
    return openWorkspaceIndex({ root, storeDir, host, docFolders, embedModel: this.embedModel, maxFileBytes: DEFAULT_MAX_FILE_BYTES, access, lockWaitMs: 0, log });
  }

  /** Embeddings only while Ollama answers with the model; otherwise lexical, looked at again on retry. */
  private async useEmbeddings(index: WorkspaceIndex): Promise<void> {
    const probe = await index.probeEmbeddings().catch((err: Error) => ({ ok: false as const, message: err.message }));
    const works = !!probe?.ok;
    if (!works && this.embeddingsWork !== works) this.options.log(`${probe && !probe.ok ? probe.message : 'no embedding model'}; searching lexical-only`);
    if (works && this.embeddingsWork !== works) this.options.log(`embeddings from ${this.embedModel} at ${this.options.host}`);
    this.embeddingsWork = works;
    index.setEmbeddingsEnabled(works);
  }

  private watchTree(dir: string, ignores: (rel: string, isDir: boolean) => boolean, onChange: (rel: string) => void): FSWatcher {
    const relative = (abs: string) => path.relative(dir, abs).split(path.sep).join('/');
    const storeInside = path.relative(this.options.root, this.options.storeDir);
    const watcher = watch(dir, {
      ignoreInitial: true,
      ignored: (abs, stats) => {
        const rel = relative(abs);
        if (!rel || rel.startsWith('..')) return false;
        // A store kept inside the folder changes with every commit: its own writes are no edits.
        if (dir === this.options.root && storeInside && !storeInside.startsWith('..') && (rel === storeInside || rel.startsWith(`${storeInside}/`))) return true;
        return ignores(rel, !!stats?.isDirectory());
      },
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, (abs: string) => onChange(relative(abs)));
    watcher.on('error', (err) => this.options.log(`watching ${dir} failed: ${err instanceof Error ? err.message : err}`));
    return watcher;
  }

  private async stopWatching(): Promise<void> {
    await Promise.all(this.watchers.splice(0).map((watcher) => watcher.close()));
  }

  /** One snapshot covers every change seen before it starts; changes during it queue the next. */
  private scheduleReload(): void {
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    this.reloading = (this.reloading ?? Promise.resolve())
      .then(() => new Promise((resolve) => setTimeout(resolve, SNAPSHOT_DEBOUNCE_MS)))
      .then(() => {
        this.reloadQueued = false;
        return this.reloadSnapshot();
      });
  }

  private async reloadSnapshot(): Promise<void> {
    if (this.closed || this.access !== 'read') return;
    try {
      const fresh = await this.openIndex('read');
      if (this.closed || this.access !== 'read') return await fresh.close();
      fresh.setEmbeddingsEnabled(!!this.embeddingsWork);
      const old = this.index;
      this.index = fresh;
      await old.close();
    } catch (err) {
      this.options.log(`could not take a new snapshot of the index (${err instanceof Error ? err.message : err}); searching the previous one`);
    }
  }

  /** Waits, up to `freshWaitMs`, for changes seen so far to be indexed (writer) or snapshotted (reader). */
  private async settle(): Promise<void> {
    const pending = this.access === 'write' ? this.queue?.whenIdle() : this.reloading;
    if (!pending) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.freshWaitMs ?? FRESH_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** While read-only: try to become the writer. While Ollama is away: look for it again, then embed what waited. */
  private async retry(): Promise<void> {
    if (this.closed) return;
    if (this.access === 'read' && !this.options.readOnly) {
      await this.becomeWriter().catch((err) => this.options.log(`could not take over the index: ${err instanceof Error ? err.message : err}`));
    }
    if (!this.embeddingsWork && !this.closed) {
      await this.useEmbeddings(this.index);
      if (this.embeddingsWork) this.queue?.enqueueFull();
    }
  }

  private readCurrent(key: string): Promise<string | undefined> {
    return fs.readFile(resolveIndexedPath(this.options.root, key), 'utf8').catch(() => undefined);
  }
}

/** When the store's files last changed: its metadata, lexical snapshot and each shard's index. */
async function lastChange(storeDir: string): Promise<Date | undefined> {
  const files = ['store.json', 'lexical.bin'];
  const shards = await fs.readdir(path.join(storeDir, 'shards')).catch(() => [] as string[]);
  files.push(...shards.map((s) => path.join('shards', s, 'index.pb')));
  const times = await Promise.all(files.map((f) => fs.stat(path.join(storeDir, f)).then((s) => s.mtimeMs, () => 0)));
  const newest = Math.max(0, ...times);
  return newest ? new Date(newest) : undefined;
}
