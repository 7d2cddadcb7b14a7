// One workspace folder's live index: the core WorkspaceIndex behind a queue that file events feed.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { docFileCounts, docFolderKey } from '../core/files';
import type { EmbedProblem, IndexProgress, IndexRunResult } from '../core/indexer';
import { IndexQueue } from '../core/indexQueue';
import { openWorkspaceIndex, type WorkspaceIndex } from '../core/workspaceIndex';
import type { LoreSettings } from './settings';

export interface FolderIndexState {
  busy: boolean;
  /** Another window or `lore index` holds the write lock: this window searches a snapshot and indexes nothing. */
  readOnly?: boolean;
  progress?: IndexProgress;
  lastRun?: IndexRunResult;
  lastError?: string;
  /** Set while embeddings cannot be made (Ollama down, model missing). */
  embedProblem?: EmbedProblem;
}

export class FolderIndex implements vscode.Disposable {
  readonly state: FolderIndexState = { busy: false };
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly queue: IndexQueue;
  /** Docs folders outside the workspace in this index (`lore.docFolders`). */
  docFolders: readonly string[] = [];
  private readonly watchers: vscode.Disposable[] = [];

  private constructor(
    readonly folder: vscode.WorkspaceFolder,
    readonly index: WorkspaceIndex,
    private readonly log: vscode.LogOutputChannel,
    private readonly onEmbedProblem: (folder: FolderIndex, problem: EmbedProblem | undefined) => void,
  ) {
    this.queue = new IndexQueue(
      {
        syncPaths: (paths, signal) => this.track(index.indexer.syncPaths(paths, signal)),
        syncAll: (signal, force) => this.track(index.indexer.syncAll({ signal, force, onProgress: (p) => this.setProgress(p) })),
      },
      {
        onError: (err) => {
          this.state.lastError = err instanceof Error ? err.message : String(err);
          this.log.error(`[${folder.name}] indexing failed, will retry: ${this.state.lastError}`);
          this.changeEmitter.fire();
        },
        onBusyChange: (busy) => {
          this.state.busy = busy;
          if (!busy) this.state.progress = undefined;
          this.changeEmitter.fire();
        },
      },
    );
  }

  static async open(
    folder: vscode.WorkspaceFolder,
    storeDir: string,
    settings: LoreSettings,
    log: vscode.LogOutputChannel,
    onEmbedProblem: (folder: FolderIndex, problem: EmbedProblem | undefined) => void,
    access: 'write' | 'read' = 'write',
  ): Promise<FolderIndex> {
    const index = await openWorkspaceIndex({
      access,
      lockWaitMs: 0,
      root: folder.uri.fsPath,
      storeDir,
      host: settings.host,
      embedHosts: settings.embedHosts.length ? settings.embedHosts : undefined,
      embedModel: settings.embedModel,
      maxFileBytes: settings.maxFileBytes,
      excludes: settings.excludes,
      // A docs folder inside this workspace folder is indexed with it anyway.
      docFolders: settings.docFolders.filter((dir) => path.relative(folder.uri.fsPath, dir).startsWith('..')),
      embedBatchSize: settings.embedBatchSize,
      embedConcurrency: settings.embedConcurrency,
      log: (line) => log.info(`[${folder.name}] ${line}`),
    });
    const fi = new FolderIndex(folder, index, log, onEmbedProblem);
    fi.state.readOnly = access === 'read';
    fi.docFolders = index.indexer.docFolders;
    fi.watchDocFolders();
    return fi;
  }

  get paused(): boolean {
    return this.queue.paused;
  }

  enqueue(relPaths: string[]): void {
    if (relPaths.length && !this.state.readOnly) this.queue.enqueue(relPaths);
  }

  syncAll(force = false): void {
    if (!this.state.readOnly) this.queue.enqueueFull(force);
  }

  cancelFull(): void {
    this.queue.cancelFull();
  }

  pause(): void {
    this.queue.pause();
  }

  resume(): void {
    this.queue.resume();
  }

  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Embeddings are possible again (or not): switch modes and catch up. */
  setEmbeddingsAvailable(available: boolean): void {
    this.index.setEmbeddingsEnabled(available);
    if (available) {
      this.state.embedProblem = undefined;
      this.syncAll();
    }
    this.changeEmitter.fire();
  }

  async clear(): Promise<void> {
    this.queue.pause();
    await this.queue.whenIdle();
    await this.index.store.clear();
    this.state.lastRun = undefined;
    this.state.lastError = undefined;
    this.queue.resume();
    this.changeEmitter.fire();
  }

  /** Indexed files of each docs folder in this index. */
  docFolderFiles(): Map<string, number> {
    return docFileCounts(this.docFolders, Array.from(this.index.store.files(), (file) => file.path));
  }

  /** Docs folders outside the workspace kept fresh like its files: their changes go to the queue as absolute keys. */
  private watchDocFolders(): void {
    for (const dir of this.docFolders) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**/*'));
      const enqueue = (uri: vscode.Uri) => {
        const rel = path.relative(dir, uri.fsPath).split(path.sep).join('/');
        if (rel && !rel.startsWith('..')) this.enqueue([docFolderKey(dir, rel)]);
      };
      this.watchers.push(watcher, watcher.onDidCreate(enqueue), watcher.onDidChange(enqueue), watcher.onDidDelete(enqueue));
    }
  }

  async dispose(): Promise<void> {
    for (const watcher of this.watchers.splice(0)) watcher.dispose();
    this.queue.dispose();
    this.changeEmitter.dispose();
    await this.index.close().catch((err) => this.log.error(`[${this.folder.name}] closing the index failed: ${err}`));
  }

  private async track(run: Promise<IndexRunResult>): Promise<IndexRunResult> {
    const result = await run;
    this.state.lastRun = result;
    this.state.lastError = undefined;
    this.state.embedProblem = result.embedError;
    if (result.changed || result.removed) {
      this.log.info(`[${this.folder.name}] ${result.changed} file(s) indexed, ${result.removed} removed in ${result.durationMs} ms (${result.mode})`);
    }
    this.onEmbedProblem(this, result.embedError);
    this.changeEmitter.fire();
    return result;
  }

  private setProgress(progress: IndexProgress): void {
    this.state.progress = progress;
    this.changeEmitter.fire();
  }
}
