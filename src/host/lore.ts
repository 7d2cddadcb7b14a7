// The extension's live parts: one FolderIndex per workspace folder, the watchers that feed them,
// the Ollama health monitor, the status bar and the command handlers.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, registerCommands } from '../commands';
import type { EmbedProbe } from '../core/embed';
import { pullModel, setOllamaApiKey } from '../core/ollama';
import { StoreLockedError } from '../core/store/lock';
import type { EmbedProblem } from '../core/indexer';
import { searchMode } from '../core/searchMode';
import { storeDirName } from '../core/storeLocation';
import type { RetrievedChunk } from '../core/types';
import type { SourceRef } from '../shared/protocol';
import { registerMcpServers } from './agents/mcpServers';
import { registerSearchTool } from './agents/searchTool';
import { ChatViewProvider } from './chat/chatView';
import { FolderIndex } from './folderIndex';
import { LoreChat } from './chat/loreChat';
import { currentTextReader } from './currentText';
import { EXTRACTED_TEXT_SCHEME, ExtractedTextProvider } from './chat/documentSources';
import { readSettings, REOPEN_SETTINGS, type LoreSettings } from './settings';
import { seedFromSharedIndex } from './sharedIndex';
import { StatusBar } from './statusBar';

/** Where the API key for Ollama servers behind a proxy is kept (VS Code's SecretStorage, never settings). */
const API_KEY_SECRET = 'lore.ollamaApiKey';
/** While Ollama is unreachable, how often to look again. */
const REPROBE_MS = 30_000;
/** While another window writes a folder's index, how often to try to take over (and refresh the snapshot). */
const RETRY_WRITE_LOCK_MS = 30_000;

/** One workspace folder's index, as `LoreApi.status` reports it. */
export interface FolderStatus {
  folder: string;
  files: number;
  chunks: number;
  vectors: number;
  mode: string;
  /** Docs folders outside the workspace in this index (`lore.docFolders`), with their indexed files. */
  docFolders: Array<{ folder: string; files: number }>;
}

/** What the extension exports: used by its integration tests and by other extensions. */
export interface LoreApi {
  /** Resolves when every folder's queue is drained. */
  whenIdle(): Promise<void>;
  query(question: string, k?: number): Promise<Array<RetrievedChunk & { folder: string }>>;
  status(): Promise<FolderStatus[]>;
  /** One question as the chat view asks it (every folder searched, or \`lore.searchFolder\`): the answer and its numbered sources. */
  ask(question: string): Promise<{ text: string; sources: SourceRef[] }>;
  /** Whether the chat view is showing, as the extension host last heard from the workbench. */
  chatViewVisible(): boolean;
}

export class Lore implements vscode.Disposable, LoreApi {
  private readonly folders = new Map<string, FolderIndex>();
  private readonly opening = new Map<string, Promise<FolderIndex | undefined>>();
  /** The settings change being applied (see reopenAll). */
  private reopening: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusBar: StatusBar;
  private readonly notified = new Set<string>();
  private reprobeTimer: NodeJS.Timeout | undefined;
  private paused = false;
  /** Settles once the folders open at startup have started opening (after the API key is read). */
  private readonly started: Promise<void>;
  private markStarted: () => void = () => undefined;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  private readonly chatView: ChatViewProvider;
  private readonly chat: LoreChat;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
    this.statusBar = new StatusBar(() => this.folderList(), () => this.paused);
    const chat = (this.chat = new LoreChat(() => this.folderList(), () => this.paused, () => this.opening.size > 0, (listener) => this.stateEmitter.event(listener)));
    this.chatView = new ChatViewProvider(context.extensionUri, chat, context.workspaceState, (m) => log.info(m));
    this.disposables.push(
      this.statusBar,
      this.stateEmitter,
      this.chatView.register(),
      vscode.workspace.registerTextDocumentContentProvider(EXTRACTED_TEXT_SCHEME, new ExtractedTextProvider(() => this.folderList())),
      ...registerCommands({
        reindex: () => this.reindex(),
        clearIndex: () => this.clearIndex(),
        pauseIndexing: () => this.setPaused(true),
        resumeIndexing: () => this.setPaused(false),
        showStatus: () => this.showStatus(),
        pullEmbedModel: () => this.pullEmbedModel(),
        explainWithContext: () => this.explainSelection(),
        newChat: () => this.chatView.newChat(),
        // An argument sets the key without the input box (scripts, tests); '' removes it.
        setOllamaApiKey: (key?: unknown) => this.setApiKey(typeof key === 'string' ? key : undefined),
      }),
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        e.removed.forEach((f) => void this.closeFolder(f));
        e.added.forEach((f) => void this.openFolder(f));
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (REOPEN_SETTINGS.some((s) => e.affectsConfiguration(s))) void this.reopenAll();
        else if (e.affectsConfiguration('lore.indexing.enabled')) void this.reopenAll();
      }),
      ...this.watchFiles(),
      registerSearchTool({ folders: () => this.folderList(), whenOpen: async () => void (await Promise.all([...this.opening.values()])) }),
      registerMcpServers(context.extensionPath, String(context.extension.packageJSON.version), (folder) => this.storeDirFor(folder)),
    );
    void vscode.commands.executeCommand('setContext', 'lore.paused', false);
  }

  /** Opens every folder's index after activation has returned, so startup stays fast. */
  start(): void {
    void this.loadApiKey()
      .then(() => {
        for (const folder of vscode.workspace.workspaceFolders ?? []) void this.openFolder(folder);
      })
      .finally(() => this.markStarted());
  }

  private async loadApiKey(): Promise<void> {
    try {
      setOllamaApiKey(await this.context.secrets.get(API_KEY_SECRET));
    } catch (err) {
      this.log.warn(`could not read the Ollama API key from the secret storage: ${err instanceof Error ? err.message : err}`);
    }
  }

  /** "Lore: Set Ollama API Key": kept in SecretStorage only; the folders waiting on a key try again at once. */
  private async setApiKey(given?: string): Promise<void> {
    const key =
      given ??
      (await vscode.window.showInputBox({
        title: 'Ollama API Key',
        prompt: 'The bearer token your Ollama server (or the proxy in front of it) expects. Leave empty to remove the key.',
        password: true,
        ignoreFocusOut: true,
      }));
    if (key === undefined) return;
    if (key.trim()) await this.context.secrets.store(API_KEY_SECRET, key.trim());
    else await this.context.secrets.delete(API_KEY_SECRET);
    setOllamaApiKey(key);
    this.log.info(key.trim() ? 'Ollama API key set (kept in the secret storage).' : 'Ollama API key removed.');
    for (const k of [...this.notified]) if (k.startsWith('auth:')) this.notified.delete(k);
    // A probe that succeeds resumes embeddings (and their catch-up) by itself.
    for (const fi of this.folderList().filter((f) => f.state.embedProblem)) await this.probe(fi, readSettings(fi.folder));
  }

  async whenIdle(): Promise<void> {
    await this.started;
    await Promise.all([...this.opening.values()]);
    // A drained queue can receive follow-up work (embedding catch-up), so wait until all are quiet at once.
    for (let round = 0; round < 3; round++) await Promise.all(this.folderList().map((f) => f.whenIdle()));
  }

  async query(question: string, k = 8): Promise<Array<RetrievedChunk & { folder: string }>> {
    const results: Array<RetrievedChunk & { folder: string }> = [];
    for (const f of this.folderList()) {
      const { results: hits } = await f.index.retriever.retrieve(question, { k, readCurrent: currentTextReader(f) });
      results.push(...hits.map((h) => ({ ...h, folder: f.folder.name })));
    }
    return results.sort((a, b) => b.score - a.score).slice(0, k);
  }

  async ask(question: string): Promise<{ text: string; sources: SourceRef[] }> {
    const sources: SourceRef[] = [];
    let text = '';
    const sink = { sources: (s: SourceRef[]) => sources.push(...s), token: (t: string) => (text += t), instructionsUsed: () => undefined };
    await this.chat.ask({ question, history: [], model: readSettings().chatModel }, sink, new AbortController().signal);
    return { text, sources };
  }

  chatViewVisible(): boolean {
    return this.chatView.visible;
  }

  async status(): Promise<FolderStatus[]> {
    return Promise.all(
      this.folderList().map(async (f) => {
        const s = await f.index.store.stats();
        const docFolders = Array.from(f.docFolderFiles(), ([folder, files]) => ({ folder, files }));
        return { folder: f.folder.name, files: s.files, chunks: s.chunks, vectors: s.vectors, mode: modeOf(f, s.vectors, s.chunks), docFolders };
      }),
    );
  }

  /** Open folders in the workspace's order (they finish opening in any order). */
  folderList(): FolderIndex[] {
    return [...this.folders.values()].sort((a, b) => a.folder.index - b.folder.index);
  }

  private async openFolder(folder: vscode.WorkspaceFolder): Promise<FolderIndex | undefined> {
    const key = folder.uri.toString();
    const settings = readSettings(folder);
    if (!settings.indexingEnabled || folder.uri.scheme !== 'file') return undefined;
    const opening = (async () => {
      try {
        const fi = await this.openFolderIndex(folder, settings);
        this.folders.set(key, fi);
        this.disposables.push(fi.onDidChange(() => this.stateChanged()));
        this.log.info(`[${folder.name}] index at ${fi.index.store.dir}; Ollama at ${settings.host} (from ${settings.hostSource})`);
        if (this.paused) fi.pause();
        if (fi.state.readOnly) {
          this.stateChanged();
          return fi;
        }
        const seeded = await seedFromSharedIndex(fi, settings, this.context, this.log);
        if (seeded.problem) void this.notifyOnce(`shared:${settings.sharedIndex}`, seeded.problem);
        await this.probe(fi, settings);
        fi.syncAll();
        this.stateChanged();
        return fi;
      } catch (err) {
        this.log.error(`[${folder.name}] cannot open the index: ${err instanceof Error ? err.stack : err}`);
        this.notifyOnce(`open:${key}`, `Lore could not open the index of ${folder.name}. See the Lore output for details.`);
        return undefined;
      } finally {
        this.opening.delete(key);
        this.stateChanged();
      }
    })();
    this.opening.set(key, opening);
    return opening;
  }

  /**
   * Opens a folder's index for writing; when another window (or `lore index`) is writing it, opens a
   * read-only snapshot instead, says so in the log and status, and tries to take over later.
   */
  private async openFolderIndex(folder: vscode.WorkspaceFolder, settings: LoreSettings): Promise<FolderIndex> {
    const open = (access: 'write' | 'read') =>
      FolderIndex.open(folder, this.storeDirFor(folder), settings, this.log, (f, p) => this.onEmbedProblem(f, p), access);
    try {
      return await open('write');
    } catch (err) {
      if (!(err instanceof StoreLockedError)) throw err;
      this.log.info(`[${folder.name}] ${err.message} This window searches the index read-only and will take over when it is free.`);
      const fi = await open('read');
      const retry = setTimeout(() => {
        if (this.folders.get(folder.uri.toString()) === fi) void this.closeFolder(folder).then(() => this.openFolder(folder));
      }, RETRY_WRITE_LOCK_MS);
      this.disposables.push({ dispose: () => clearTimeout(retry) });
      return fi;
    }
  }

  private async closeFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.toString();
    await this.opening.get(key);
    const fi = this.folders.get(key);
    this.folders.delete(key);
    await fi?.dispose();
    this.stateChanged();
  }

  /**
   * Reopens every folder with the current settings. One reopening at a time, each after the folders
   * still opening have opened: a setting changed while a folder opens (or twice in a row) must neither
   * be lost nor open the same store twice (the second open would find it locked, and go read-only).
   */
  private reopenAll(): Promise<void> {
    this.reopening = this.reopening.then(async () => {
      await Promise.all([...this.opening.values()]);
      await Promise.all(this.folderList().map((f) => this.closeFolder(f.folder)));
      await Promise.all((vscode.workspace.workspaceFolders ?? []).map((f) => this.openFolder(f)));
    });
    return this.reopening;
  }

  /** The index lives in the extension's workspace storage, never in the user's repository. */
  private storeDirFor(folder: vscode.WorkspaceFolder): string {
    const base = (this.context.storageUri ?? this.context.globalStorageUri).fsPath;
    return path.join(base, 'index', storeDirName(folder.name, folder.uri.toString()));
  }

  private watchFiles(): vscode.Disposable[] {
    const enqueue = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const fi = folder && this.folders.get(folder.uri.toString());
      if (!fi || uri.scheme !== 'file') return;
      const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
      if (rel && !rel.startsWith('..')) fi.enqueue([rel]);
    };
    // The watcher sees changes made outside the editor too (git checkout, pull, build tools).
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    return [
      watcher,
      watcher.onDidCreate(enqueue),
      watcher.onDidChange(enqueue),
      watcher.onDidDelete(enqueue),
      vscode.workspace.onDidSaveTextDocument((doc) => enqueue(doc.uri)),
      vscode.workspace.onDidRenameFiles((e) => e.files.forEach(({ oldUri, newUri }) => (enqueue(oldUri), enqueue(newUri)))),
      vscode.workspace.onDidCreateFiles((e) => e.files.forEach(enqueue)),
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach(enqueue)),
    ];
  }

  /** Checks that embeddings can be made; if not, indexing goes on lexically and the user is told once. */
  private async probe(fi: FolderIndex, settings: LoreSettings): Promise<EmbedProbe | undefined> {
    const probe = await fi.index.probeEmbeddings().catch((err): EmbedProbe => ({ ok: false, reason: 'error', message: String(err) }));
    if (!probe) return undefined;
    if (probe.ok) {
      for (const refusal of probe.refused ?? []) this.log.warn(`[${fi.folder.name}] ${refusal}`);
      fi.setEmbeddingsAvailable(true);
    } else {
      fi.index.setEmbeddingsEnabled(false);
      const kind = probe.reason === 'model-missing' || probe.reason === 'unreachable' || probe.reason === 'unauthorized' ? probe.reason : 'failed';
      this.onEmbedProblem(fi, { kind, message: probe.message }, settings);
    }
    return probe;
  }

  private onEmbedProblem(fi: FolderIndex, problem: EmbedProblem | undefined, settings = readSettings(fi.folder)): void {
    fi.state.embedProblem = problem;
    this.stateChanged();
    if (!problem) return;
    fi.index.setEmbeddingsEnabled(false);
    this.log.warn(`[${fi.folder.name}] embeddings paused: ${problem.message}`);
    if (problem.kind === 'unauthorized') {
      void this.notifyOnce(`auth:${settings.host}`, `Lore: ${problem.message} Search works lexically meanwhile.`, {
        title: 'Set Ollama API Key',
        run: () => this.setApiKey(),
      });
    } else if (problem.kind === 'model-missing') {
      void this.notifyOnce(
        `model:${settings.embedModel}`,
        `Lore: the embedding model "${settings.embedModel}" is not in Ollama at ${settings.host}. Search works lexically until it is pulled.`,
        { title: `Pull ${settings.embedModel}`, run: () => this.pullEmbedModel() },
      );
    } else {
      void this.notifyOnce(
        `down:${settings.host}`,
        `Lore cannot reach Ollama at ${settings.host}. Search works lexically meanwhile; embeddings catch up when it is back.`,
        { title: 'How to Start Ollama', run: () => vscode.env.openExternal(vscode.Uri.parse('https://ollama.com/download')) },
      );
    }
    this.scheduleReprobe();
  }

  private scheduleReprobe(): void {
    if (this.reprobeTimer) return;
    this.reprobeTimer = setTimeout(async () => {
      this.reprobeTimer = undefined;
      const waiting = this.folderList().filter((f) => f.state.embedProblem);
      for (const fi of waiting) await this.probe(fi, readSettings(fi.folder));
    }, REPROBE_MS);
  }

  /** A notification only when the user must act, and never twice for the same cause. */
  private async notifyOnce(key: string, message: string, action?: { title: string; run: () => unknown }): Promise<void> {
    if (this.notified.has(key)) return;
    this.notified.add(key);
    const choice = await vscode.window.showWarningMessage(message, ...(action ? [action.title] : []), 'Show Output');
    if (action && choice === action.title) await action.run();
    else if (choice === 'Show Output') this.log.show(true);
  }

  private stateChanged(): void {
    this.statusBar.update();
    this.stateEmitter.fire();
  }

  /** "Explain with Context" on the active editor's selection. */
  private async explainSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Lore: select some code to explain first.');
      return;
    }
    const { start, end } = editor.selection;
    // A selection ending at column 0 does not include that line.
    const endLine = end.character === 0 && end.line > start.line ? end.line : end.line + 1;
    const rel = folder ? path.relative(folder.uri.fsPath, editor.document.uri.fsPath).split(path.sep).join('/') : path.basename(editor.document.uri.fsPath);
    await this.chatView.explainSelection({
      path: rel,
      startLine: start.line + 1,
      endLine,
      language: editor.document.languageId,
      text: editor.document.getText(new vscode.Range(start.line, 0, endLine, 0)).replace(/\n$/, ''),
    });
  }

  private reindex(): void {
    if (!this.folders.size) {
      void vscode.window.showInformationMessage('Lore: open a folder to index it.');
      return;
    }
    for (const fi of this.folderList()) fi.syncAll(true);
  }

  private async clearIndex(): Promise<void> {
    const choice = await vscode.window.showWarningMessage('Clear Lore\'s index of this workspace? It is rebuilt from your files.', { modal: true }, 'Clear and Rebuild');
    if (choice !== 'Clear and Rebuild') return;
    for (const fi of this.folderList()) {
      await fi.clear();
      fi.syncAll();
    }
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    void vscode.commands.executeCommand('setContext', 'lore.paused', paused);
    for (const fi of this.folderList()) {
      if (paused) fi.pause();
      else fi.resume();
    }
    this.stateChanged();
  }

  private async showStatus(): Promise<void> {
    const lines: string[] = [];
    const summaries: string[] = [];
    for (const fi of this.folderList()) {
      const s = await fi.index.store.stats();
      const settings = readSettings(fi.folder);
      const mode = modeOf(fi, s.vectors, s.chunks);
      summaries.push(`${fi.folder.name}: ${s.files} files, ${s.chunks} chunks, ${s.vectors} vectors (${mode})`);
      lines.push(
        `── ${fi.folder.name} (${fi.folder.uri.fsPath})`,
        `   files ${s.files} · chunks ${s.chunks} · vectors ${s.vectors} · mode ${mode}${fi.paused ? ' · paused' : ''}`,
        `   embedding model ${s.embedModel ?? settings.embedModel}${s.dims ? ` (${s.dims} dims)` : ''} · chat model ${settings.chatModel}`,
        `   Ollama ${settings.host} (from ${settings.hostSource})`,
        `   store ${fi.index.store.dir} · ${(s.diskBytes / 1024 / 1024).toFixed(2)} MiB on disk`,
        `   docs folders (lore.docFolders): ${docFoldersLine(fi)}`,
        `   last run: ${fi.state.lastRun ? `${fi.state.lastRun.changed} changed, ${fi.state.lastRun.removed} removed in ${fi.state.lastRun.durationMs} ms` : 'none yet'}`,
        `   last error: ${fi.state.lastError ?? fi.state.embedProblem?.message ?? 'none'}`,
      );
      const skipped = fi.index.indexer.skipped;
      lines.push(`   skipped ${skipped.length} file(s)${skipped.length ? ':' : ''}`, ...skipped.slice(0, 500).map((x) => `     ${x.path}: ${x.reason}`));
    }
    if (!lines.length) lines.push('No folder is indexed. Open a folder, and check that "lore.indexing.enabled" is on.');
    this.log.info(['Index status', ...lines].join('\n'));
    const choice = await vscode.window.showInformationMessage(summaries.join(' · ') || 'Lore: no folder is indexed.', 'Show Details');
    if (choice === 'Show Details') this.log.show(true);
  }

  private async pullEmbedModel(): Promise<void> {
    const settings = readSettings();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pulling ${settings.embedModel}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let last = 0;
        try {
          await pullModel(settings.host, settings.embedModel, (p) => {
            const pct = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 100) : undefined;
            progress.report({ message: `${p.status}${pct !== undefined ? ` ${pct}%` : ''}`, increment: pct !== undefined ? Math.max(0, pct - last) : undefined });
            if (pct !== undefined) last = pct;
          }, controller.signal);
        } catch (err) {
          if (!controller.signal.aborted) void vscode.window.showErrorMessage(`Lore: pulling ${settings.embedModel} failed: ${err instanceof Error ? err.message : err}`);
          return;
        }
        this.notified.delete(`model:${settings.embedModel}`);
        for (const fi of this.folderList()) await this.probe(fi, settings);
      },
    );
  }

  async dispose(): Promise<void> {
    clearTimeout(this.reprobeTimer);
    this.disposables.forEach((d) => d.dispose());
    await Promise.all(this.folderList().map((f) => f.dispose()));
    this.folders.clear();
  }
}

function modeOf(fi: FolderIndex, vectors: number, chunks: number): 'hybrid' | 'lexical' {
  return searchMode({ chunks, vectors, embeddingsWork: !fi.state.embedProblem });
}

export { COMMANDS };

/** Each docs folder outside the workspace in this folder's index, with its indexed files. */
function docFoldersLine(fi: FolderIndex): string {
  const counts = [...fi.docFolderFiles()];
  return counts.length ? counts.map(([folder, files]) => `${folder} (${files} file${files === 1 ? '' : 's'})`).join(', ') : 'none';
}
