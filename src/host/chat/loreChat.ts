// The chat view's backend: retrieval over the live folder indexes, the ask flow, and Ollama's
// errors translated into states the view can offer a remedy for.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runAsk } from '../../core/ask';
import { listModels, ModelMissingError, OllamaUnavailableError, pullModel } from '../../core/ollama';
import { ChatTimeoutError } from '../../core/llm';
import { ContextTooSmallError } from '../../core/prompt';
import { retrieverAcrossFolders } from '../../core/retrieve';
import { folderSearch } from '../folderSearch';
import type { Chunk, RetrievedChunk } from '../../core/types';
import type { AnswerErrorKind, AnswerSink, ChatBackend, ChatError, ChatRequest, IndexStateMessage, PullProgress } from './backend';
import type { FolderIndex } from '../folderIndex';
import { locationOf } from '../../core/location';
import { currentTextReader } from '../currentText';
import { openDocumentSource, type DocumentSource } from './documentSources';
import { readSettings } from '../settings';

/** Definitions pinned for "Explain with Context": enough for the calls in a typical selection. */
const MAX_DEFINITIONS = 8;
const MAX_IDENTIFIERS_LOOKED_UP = 24;

export class LoreChat implements ChatBackend {
  constructor(
    private readonly folders: () => FolderIndex[],
    private readonly isPaused: () => boolean,
    /** True while a folder's index is still being opened (right after startup or a settings change). */
    private readonly isOpening: () => boolean,
    private readonly onStateChange: (listener: () => void) => vscode.Disposable,
  ) {}

  async ask(req: ChatRequest, sink: AnswerSink, signal: AbortSignal): Promise<void> {
    const settings = readSettings();
    // A selection is about its own folder; other questions search every folder (or the one chosen).
    const searched = req.selection ? [this.folderFor(req.selection.path)].filter((f): f is FolderIndex => !!f) : this.searchedFolders(settings.searchFolder);
    const fi = searched[0];
    if (!fi) throw chatError('failed', 'Open a folder first: Lore answers from the files of the open workspace.');
    const readCurrent = currentTextReader(fi);
    // In a multi-root workspace every source is labelled with its folder, even when one folder is searched.
    const retriever = req.selection || this.folders().length === 1 ? fi.index.retriever : retrieverAcrossFolders(searched.map(folderSearch));
    try {
      const pinnedSources = req.selection ? await definitionsUsedBy(fi, req.selection, signal) : [];
      await runAsk({
        root: fi.folder.uri.fsPath,
        host: settings.host,
        model: req.model,
        question: req.question,
        history: req.history,
        selection: req.selection && { ...req.selection, language: req.selection.language ?? 'plaintext' },
        pinnedSources,
        maxContextTokens: settings.maxContextTokens,
        retriever,
        rerank: settings.rerank,
        readCurrent,
        signal,
        onInstructions: (paths) => sink.instructionsUsed(paths),
        onSources: (sources) =>
          sink.sources(sources.map((s, i) => {
            const { page, cell, outside } = locationOf(s.chunk);
            return { n: i + 1, path: s.chunk.path, startLine: s.chunk.startLine, endLine: s.chunk.endLine, symbol: s.chunk.symbol, page, cell, outside };
          })),
        onToken: (t) => sink.token(t),
      });
    } catch (err) {
      if (signal.aborted) return;
      throw toChatError(err, req.model);
    }
  }

  async listModels(): Promise<string[]> {
    const models = await listModels(readSettings().host);
    // Embedding-only models cannot chat; their names say so by convention.
    return models.filter((name) => !/embed|bge|minilm|e5-/i.test(name)).sort();
  }

  pullModel(model: string, onProgress: (p: PullProgress) => void, signal: AbortSignal): Promise<void> {
    return pullModel(readSettings().host, model, onProgress, signal);
  }

  defaultModel(): string {
    return readSettings().chatModel;
  }

  host(): string {
    return readSettings().host;
  }

  indexState(): IndexStateMessage {
    const folders = this.folders();
    const totals = { files: 0, chunks: 0, vectors: 0 };
    for (const f of folders) {
      const run = f.state.lastRun;
      totals.files += run?.files ?? 0;
      totals.chunks += run?.chunks ?? 0;
      totals.vectors += run && run.mode === 'hybrid' ? run.chunks : 0;
    }
    const mode = folders.length && folders.every((f) => f.state.lastRun?.mode === 'hybrid' && !f.state.embedProblem) ? 'hybrid' : 'lexical';
    const busy = folders.find((f) => f.state.busy);
    const problem = folders.find((f) => f.state.embedProblem)?.state.embedProblem;
    const error = folders.find((f) => f.state.lastError)?.state.lastError;
    if (this.isPaused()) return { state: 'paused', ...totals, mode };
    if (busy) return { state: 'indexing', ...totals, mode, done: busy.state.progress?.done, total: busy.state.progress?.total };
    if (error) return { state: 'error', ...totals, mode, message: error };
    // Opening, or opened and its first sync not finished: the index is on its way, not missing.
    if (this.isOpening() || folders.some((f) => !f.state.lastRun && !f.state.readOnly)) return { state: 'indexing', ...totals, mode };
    if (!folders.length) return { state: 'no-index', ...totals, mode };
    return { state: 'idle', ...totals, mode, message: problem?.message };
  }

  onDidChangeIndexState(listener: (state: IndexStateMessage) => void): vscode.Disposable {
    return this.onStateChange(() => listener(this.indexState()));
  }

  openDocumentSource(source: DocumentSource): Promise<boolean> {
    return openDocumentSource(source, this.folders());
  }

  reindex(): void {
    void vscode.commands.executeCommand('lore.reindex');
  }

  /** Every folder, or the one `lore.searchFolder` names (every folder when it names none of them). */
  private searchedFolders(name: string): FolderIndex[] {
    const folders = this.folders();
    const chosen = name ? folders.filter((f) => f.folder.name === name) : [];
    return chosen.length ? chosen : folders;
  }

  /** The folder a selection belongs to, else the active editor's, else the first. */
  private folderFor(relPath?: string): FolderIndex | undefined {
    const folders = this.folders();
    const active = vscode.window.activeTextEditor?.document.uri;
    const activeFolder = active && vscode.workspace.getWorkspaceFolder(active);
    if (relPath && activeFolder) {
      const match = folders.find((f) => f.folder.uri.toString() === activeFolder.uri.toString());
      if (match) return match;
    }
    return folders.find((f) => activeFolder && f.folder.uri.toString() === activeFolder.uri.toString()) ?? folders[0];
  }
}

/**
 * The definitions of the symbols a selection uses, found by the language servers already running
 * (`vscode.executeDefinitionProvider`), each widened to the indexed chunk that holds it.
 */
async function definitionsUsedBy(fi: FolderIndex, selection: NonNullable<ChatRequest['selection']>, signal: AbortSignal): Promise<RetrievedChunk[]> {
  const uri = vscode.Uri.joinPath(fi.folder.uri, ...selection.path.split('/'));
  const doc = await vscode.workspace.openTextDocument(uri).then(undefined, () => undefined);
  if (!doc) return [];
  const seen = new Set<string>();
  const positions: vscode.Position[] = [];
  for (let line = selection.startLine - 1; line < Math.min(selection.endLine, doc.lineCount); line++) {
    for (const m of doc.lineAt(line).text.matchAll(/[A-Za-z_$][\w$]*/g)) {
      if (seen.has(m[0]) || KEYWORDS.has(m[0])) continue;
      seen.add(m[0]);
      positions.push(new vscode.Position(line, m.index!));
    }
  }
  const found: RetrievedChunk[] = [];
  const taken = new Set<string>();
  for (const pos of positions.slice(0, MAX_IDENTIFIERS_LOOKED_UP)) {
    if (signal.aborted || found.length >= MAX_DEFINITIONS) break;
    const locations = await vscode.commands
      .executeCommand<Array<vscode.Location | vscode.LocationLink>>('vscode.executeDefinitionProvider', uri, pos)
      .then(undefined, () => []);
    for (const loc of locations ?? []) {
      const target = 'targetUri' in loc ? loc.targetUri : loc.uri;
      const range = 'targetUri' in loc ? (loc.targetSelectionRange ?? loc.targetRange) : loc.range;
      const folder = vscode.workspace.getWorkspaceFolder(target);
      if (!folder || folder.uri.toString() !== fi.folder.uri.toString()) continue;
      const rel = path.relative(folder.uri.fsPath, target.fsPath).split(path.sep).join('/');
      const line = range.start.line + 1;
      // The selection itself is already in the prompt.
      if (rel === selection.path && line >= selection.startLine && line <= selection.endLine) continue;
      const chunk = fi.index.store.chunksOf(rel).find((c: Chunk) => c.startLine <= line && line <= c.endLine);
      if (!chunk || taken.has(chunk.id)) continue;
      taken.add(chunk.id);
      found.push({ chunk, score: 1, via: ['definition'] });
    }
  }
  return found;
}

const KEYWORDS = new Set(
  'if else for while do return const let var function class new this super import export from default async await try catch finally throw switch case break continue typeof instanceof in of true false null undefined void def self None True False elif pass lambda with as yield fn pub impl struct enum mut use match go func package type interface string number boolean int float'.split(' '),
);

function chatError(kind: AnswerErrorKind, message: string, model?: string): ChatError {
  return Object.assign(new Error(message), { kind, model });
}

function toChatError(err: unknown, model: string): ChatError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ModelMissingError) return chatError('model-missing', message, err.model ?? model);
  if (err instanceof OllamaUnavailableError) return chatError('ollama-down', message);
  if (err instanceof ContextTooSmallError) return chatError('context-too-small', message);
  if (err instanceof ChatTimeoutError) return chatError('timeout', message);
  return chatError('failed', message);
}

