// The sidebar chat view (`lore.chat`): serves the webview, speaks the protocol in
// src/webview/protocol.ts, runs answers through the ChatBackend and keeps conversations in the
// workspace's Memento. The host owns the truth; the webview is a cache that `init` resyncs.
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnswerSink, ChatBackend, ChatError } from './chatBackend';
import { classifyLink, normalizeRelativePath } from '../webview/linkPolicy';
import {
  ANSWER_ERROR_KINDS,
  MAX_QUESTION_CHARS,
  type AnswerError,
  type AssistantTurn,
  type ChatTurn,
  type ConversationSummary,
  type HostToWebview,
  type SelectionContext,
  type UserTurn,
  type WebviewToHost,
} from '../webview/protocol';

const CONVERSATIONS_KEY = 'lore.chat.conversations';
const CURRENT_CONVERSATION_KEY = 'lore.chat.currentConversation';
const MODEL_KEY = 'lore.chat.model';
/** Conversations kept per workspace; the oldest go first. */
export const MAX_CONVERSATIONS = 50;
const TITLE_CHARS = 80;
const MODEL_NAME = /^[\w.:/-]{1,200}$/;
const PULL_PROGRESS_INTERVAL_MS = 100;

interface Conversation {
  id: string;
  title: string;
  updatedAt: number;
  turns: ChatTurn[];
}

interface ActiveAnswer {
  turnId: string;
  conversationId: string;
  controller: AbortController;
  /** Ends the turn once: Stop ends it at once, whatever the backend does next. */
  finish(outcome: { stopped: true } | { error: AnswerError } | { done: true }): void;
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'lore.chat';

  private view?: vscode.WebviewView;
  /** The webview posted `ready` since it last (re)loaded; nothing is sent before. */
  private ready = false;
  private viewDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private conversations: Conversation[];
  private current: Conversation;
  private active?: ActiveAnswer;
  private readonly pulls = new Map<string, AbortController>();
  private models: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly backend: ChatBackend,
    private readonly memento: vscode.Memento,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.conversations = loadConversations(memento.get<unknown>(CONVERSATIONS_KEY));
    const currentId = memento.get<string>(CURRENT_CONVERSATION_KEY);
    this.current = this.conversations.find((c) => c.id === currentId) ?? newConversation();
    this.disposables.push(backend.onDidChangeIndexState((state) => this.post({ type: 'indexState', ...state })));
  }

  /** Registers the provider for `lore.chat`; disposing the result unregisters it and disposes the provider. */
  register(): vscode.Disposable {
    // Hidden views are torn down (no retained context); `ready` + `init` rebuild them when shown.
    const registration = vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, this, { webviewOptions: { retainContextWhenHidden: false } });
    return vscode.Disposable.from(registration, this);
  }

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this.disposeView();
    this.view = webviewView;
    this.ready = false;
    const webview = webviewView.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    webview.html = this.html(webview);
    this.viewDisposables.push(
      webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      // Hidden views lose their content (retainContextWhenHidden is off); shown again they reload
      // and post `ready`, and `init` brings them up to date.
      webviewView.onDidChangeVisibility(() => {
        if (!webviewView.visible) this.ready = false;
      }),
      webviewView.onDidDispose(() => {
        if (this.view !== webviewView) return;
        this.view = undefined;
        this.ready = false;
        this.disposeView();
      }),
    );
  }

  /** "Explain with Context": reveals the view and asks about the selection. */
  async explainSelection(selection: SelectionContext, question?: string): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
    this.view?.show(true);
    this.active?.finish({ stopped: true });
    const lines = selection.startLine === selection.endLine ? `${selection.startLine}` : `${selection.startLine}-${selection.endLine}`;
    const turn: UserTurn = { role: 'user', id: randomUUID(), text: question?.trim() || `Explain ${selection.path}:${lines}`, selection };
    this.startAnswer(turn, this.selectedModel(), true);
  }

  newChat(): void {
    this.active?.finish({ stopped: true });
    if (this.current.turns.length > 0) this.switchTo(newConversation());
    else this.postConversation();
  }

  dispose(): void {
    this.active?.finish({ stopped: true });
    for (const controller of this.pulls.values()) controller.abort();
    this.pulls.clear();
    this.disposeView();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  // ---- messages from the webview ---------------------------------------------------------------------

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log(`chat view: ignored malformed message ${safeJson(raw)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        void this.refreshModels();
        return;
      case 'ask':
        return this.ask(message.text, message.model);
      case 'stop':
        if (this.active?.turnId === message.turnId) this.active.finish({ stopped: true });
        return;
      case 'newChat':
        return this.newChat();
      case 'retry':
        return this.retry(message.turnId);
      case 'openSource':
        return void this.openWorkspaceFile(message.path, false, message.startLine, message.endLine);
      case 'openLink':
        return void this.openLink(message.href);
      case 'copy':
        return void vscode.env.clipboard.writeText(message.code);
      case 'insertAtCursor':
        return void this.insertAtCursor(message.code);
      case 'selectModel':
        if (MODEL_NAME.test(message.model)) void this.memento.update(MODEL_KEY, message.model).then(undefined, (e) => this.log(`chat view: ${e}`));
        return;
      case 'pullModel':
        return this.pullModel(message.model);
      case 'reindex':
        return this.backend.reindex();
      case 'openConversation': {
        const found = this.conversations.find((c) => c.id === message.id);
        if (found && found !== this.current) {
          this.active?.finish({ stopped: true });
          this.switchTo(found);
        }
        return;
      }
      case 'deleteConversation':
        return this.deleteConversation(message.id);
    }
  }

  private ask(text: string, model: string): void {
    const question = text.trim();
    if (!question || question.length > MAX_QUESTION_CHARS || this.active) {
      // The webview showed the question already; put it back in step with what really happened.
      this.postConversation();
      return;
    }
    this.startAnswer({ role: 'user', id: randomUUID(), text: question }, MODEL_NAME.test(model) ? model : this.selectedModel(), false);
  }

  private retry(turnId: string): void {
    const turns = this.current.turns;
    const last = turns[turns.length - 1];
    const question = turns[turns.length - 2];
    if (this.active || last?.id !== turnId || last.role !== 'assistant' || question?.role !== 'user') return;
    const answer: AssistantTurn = { role: 'assistant', id: last.id, model: this.selectedModel(), text: '', sources: [] };
    turns[turns.length - 1] = answer;
    this.post({ type: 'answerStart', turnId: answer.id, model: answer.model });
    this.runAnswer(this.current, question, answer);
  }

  // ---- answers -------------------------------------------------------------------------------------

  private startAnswer(question: UserTurn, model: string, announce: boolean): void {
    const conversation = this.current;
    if (conversation.turns.length === 0) conversation.title = titleOf(question);
    const answer: AssistantTurn = { role: 'assistant', id: randomUUID(), model, text: '', sources: [] };
    conversation.turns.push(question, answer);
    if (announce) this.post({ type: 'explain', turn: question });
    this.post({ type: 'answerStart', turnId: answer.id, model });
    this.touch(conversation);
    this.runAnswer(conversation, question, answer);
  }

  private runAnswer(conversation: Conversation, question: UserTurn, answer: AssistantTurn): void {
    const controller = new AbortController();
    const isLive = () => this.active?.turnId === answer.id;
    const active: ActiveAnswer = {
      turnId: answer.id,
      conversationId: conversation.id,
      controller,
      finish: (outcome) => {
        if (!isLive()) return;
        this.active = undefined;
        controller.abort();
        if ('error' in outcome) {
          answer.error = outcome.error;
          this.postFor(conversation, { type: 'answerError', turnId: answer.id, ...outcome.error });
        } else {
          if ('stopped' in outcome) answer.stopped = true;
          this.postFor(conversation, { type: 'answerEnd', turnId: answer.id, ...('stopped' in outcome ? { stopped: true } : {}) });
        }
        this.touch(conversation);
      },
    };
    this.active = active;
    const sink: AnswerSink = {
      sources: (sources) => {
        if (!isLive()) return;
        answer.sources = sources.map((s) => ({ ...s }));
        this.postFor(conversation, { type: 'sources', turnId: answer.id, sources: answer.sources });
      },
      token: (text) => {
        if (!isLive() || !text) return;
        answer.text += text;
        this.postFor(conversation, { type: 'token', turnId: answer.id, text });
      },
      instructionsUsed: (paths) => {
        if (!isLive()) return;
        answer.instructions = [...paths];
        this.postFor(conversation, { type: 'instructionsUsed', turnId: answer.id, paths: answer.instructions });
      },
    };
    const request = {
      question: question.text,
      history: historyBefore(conversation.turns, question),
      model: answer.model,
      ...(question.selection ? { selection: question.selection } : {}),
    };
    let asked: Promise<void>;
    try {
      asked = this.backend.ask(request, sink, controller.signal);
    } catch (error) {
      asked = Promise.reject(error);
    }
    asked.then(
      () => active.finish(controller.signal.aborted ? { stopped: true } : { done: true }),
      (error: unknown) => active.finish(controller.signal.aborted ? { stopped: true } : { error: toAnswerError(error, answer.model) }),
    );
  }

  // ---- conversations -----------------------------------------------------------------------------

  private switchTo(conversation: Conversation): void {
    this.current = conversation;
    this.saveCurrent();
    this.postConversation();
    this.post({ type: 'conversations', conversations: this.summaries() });
  }

  private deleteConversation(id: string): void {
    if (!this.conversations.some((c) => c.id === id)) return;
    // Ending the answer saves its conversation, so end it before removing the conversation.
    if (this.active?.conversationId === id) this.active.finish({ stopped: true });
    this.conversations = this.conversations.filter((c) => c.id !== id);
    this.save();
    if (this.current.id === id) this.switchTo(newConversation());
    else this.post({ type: 'conversations', conversations: this.summaries() });
  }

  /** Marks a conversation changed: newest first in history, saved. */
  private touch(conversation: Conversation): void {
    conversation.updatedAt = Date.now();
    this.conversations = [conversation, ...this.conversations.filter((c) => c !== conversation)];
    this.save();
    this.post({ type: 'conversations', conversations: this.summaries() });
  }

  private save(): void {
    this.conversations = this.conversations.filter((c) => c.turns.length > 0).slice(0, MAX_CONVERSATIONS);
    void this.memento.update(CONVERSATIONS_KEY, this.conversations).then(undefined, (e) => this.log(`chat view: could not save history: ${e}`));
    this.saveCurrent();
  }

  /** The conversation to reopen next session. */
  private saveCurrent(): void {
    void this.memento.update(CURRENT_CONVERSATION_KEY, this.current.id).then(undefined, (e) => this.log(`chat view: ${e}`));
  }

  private summaries(): ConversationSummary[] {
    return this.conversations.map((c) => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, turnCount: c.turns.length }));
  }

  private selectedModel(): string {
    const picked = this.memento.get<string>(MODEL_KEY);
    return picked && MODEL_NAME.test(picked) ? picked : this.backend.defaultModel();
  }

  // ---- models ------------------------------------------------------------------------------------

  private async refreshModels(): Promise<void> {
    try {
      this.models = [...(await this.backend.listModels())].sort();
    } catch (error) {
      this.log(`chat view: could not list models: ${errorMessage(error)}`);
      return;
    }
    this.post({ type: 'models', models: this.models, selectedModel: this.selectedModel() });
  }

  private pullModel(model: string): void {
    if (!MODEL_NAME.test(model) || this.pulls.has(model)) return;
    const controller = new AbortController();
    this.pulls.set(model, controller);
    let lastStatus = '';
    let lastPostAt = 0;
    this.post({ type: 'pullProgress', model, status: 'starting' });
    const onProgress = (p: { status: string; completed?: number; total?: number }) => {
      // Ollama reports every few kilobytes; the view needs a few updates a second.
      const now = Date.now();
      if (p.status === lastStatus && now - lastPostAt < PULL_PROGRESS_INTERVAL_MS) return;
      lastStatus = p.status;
      lastPostAt = now;
      this.post({ type: 'pullProgress', model, status: p.status, completed: p.completed, total: p.total });
    };
    this.backend.pullModel(model, onProgress, controller.signal).then(
      () => {
        this.post({ type: 'pullProgress', model, status: 'success', done: true });
        void this.refreshModels();
      },
      (error: unknown) => this.post({ type: 'pullProgress', model, status: 'error', done: true, error: errorMessage(error) }),
    ).finally(() => this.pulls.delete(model));
  }

  // ---- files, links, editor ----------------------------------------------------------------------

  private async openLink(href: string): Promise<void> {
    // The webview renders untrusted model output: decide again here.
    const target = classifyLink(href);
    if (target.kind === 'blocked') {
      this.log(`chat view: did not open link (${target.reason}): ${href}`);
      return;
    }
    if (target.kind === 'file') {
      await this.openWorkspaceFile(target.path, target.absolute, target.startLine, target.endLine);
      return;
    }
    const uri = vscode.Uri.parse(target.url, true);
    // Only http(s), and through openExternal so VS Code's trusted-domain prompt applies.
    if (uri.scheme !== 'http' && uri.scheme !== 'https') return;
    await vscode.env.openExternal(uri);
  }

  private async openWorkspaceFile(filePath: string, absolute: boolean, startLine?: number, endLine?: number): Promise<void> {
    const uri = await resolveWorkspaceFile(filePath, absolute);
    if (!uri) {
      void vscode.window.showWarningMessage(`Lore: ${filePath} is not a file in this workspace.`);
      return;
    }
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      let selection: vscode.Range | undefined;
      if (startLine !== undefined) {
        const last = document.lineCount - 1;
        const start = Math.min(Math.max(startLine - 1, 0), last);
        const end = Math.min(Math.max((endLine ?? startLine) - 1, start), last);
        selection = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
      }
      await vscode.window.showTextDocument(document, { preview: true, ...(selection ? { selection } : {}) });
    } catch (error) {
      void vscode.window.showWarningMessage(`Lore: could not open ${filePath}: ${errorMessage(error)}`);
    }
  }

  private async insertAtCursor(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) {
      void vscode.window.showInformationMessage('Lore: open an editor to insert the code.');
      return;
    }
    await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, code);
    });
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  }

  // ---- webview plumbing --------------------------------------------------------------------------

  private sendInit(): void {
    const streaming = this.active?.conversationId === this.current.id ? this.active.turnId : undefined;
    this.post({
      type: 'init',
      conversationId: this.current.id,
      turns: this.current.turns,
      conversations: this.summaries(),
      models: this.models,
      selectedModel: this.selectedModel(),
      indexState: this.backend.indexState(),
      host: this.backend.host(),
      ...(streaming ? { streamingTurnId: streaming } : {}),
    });
  }

  private postConversation(): void {
    const streaming = this.active?.conversationId === this.current.id ? this.active.turnId : undefined;
    this.post({ type: 'conversation', conversationId: this.current.id, turns: this.current.turns, ...(streaming ? { streamingTurnId: streaming } : {}) });
  }

  /** Posts about a conversation only while the view shows it. */
  private postFor(conversation: Conversation, message: HostToWebview): void {
    if (conversation === this.current) this.post(message);
  }

  private post(message: HostToWebview): void {
    if (!this.ready || !this.view) return;
    this.view.webview.postMessage(message).then(undefined, (e) => this.log(`chat view: post failed: ${e}`));
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...segments)).toString();
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${asset('dist', 'codicons', 'codicon.css')}">
<link rel="stylesheet" nonce="${nonce}" href="${asset('media', 'chat.css')}">
<title>Lore Chat</title>
</head>
<body>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }
}

function newConversation(): Conversation {
  return { id: randomUUID(), title: '', updatedAt: Date.now(), turns: [] };
}

function titleOf(question: UserTurn): string {
  const line = question.text.replace(/\s+/g, ' ').trim();
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

/**
 * The turns before `question`, as chat messages. A question whose answer has no text is dropped
 * with it: it carries nothing the model could build on.
 */
export function historyBefore(turns: readonly ChatTurn[], question: UserTurn): Array<{ role: 'user' | 'assistant'; content: string }> {
  const end = turns.indexOf(question);
  const history: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (let i = 0; i < (end < 0 ? turns.length : end); i++) {
    const turn = turns[i];
    if (turn.role === 'user') {
      const answer = turns[i + 1];
      if (answer?.role === 'assistant' && !answer.text) {
        i++;
        continue;
      }
      const code = turn.selection ? `\n\n\`\`\`${turn.selection.language ?? ''}\n${turn.selection.text}\n\`\`\`` : '';
      history.push({ role: 'user', content: turn.text + code });
    } else if (turn.text) {
      history.push({ role: 'assistant', content: turn.text });
    }
  }
  return history;
}

export function toAnswerError(error: unknown, model: string): AnswerError {
  const kind = (error as Partial<ChatError> | undefined)?.kind;
  const errorModel = (error as Partial<ChatError> | undefined)?.model;
  return {
    kind: (ANSWER_ERROR_KINDS as readonly unknown[]).includes(kind) ? (kind as AnswerError['kind']) : 'failed',
    message: errorMessage(error) || 'The answer failed for an unknown reason.',
    model: typeof errorModel === 'string' ? errorModel : model,
  };
}

/**
 * The workspace file a link or source names, or undefined. Relative paths are joined onto each
 * workspace folder (in multi-root workspaces they may also start with the folder's name) after
 * `..` escapes are rejected; absolute paths must lie inside a workspace folder.
 */
export async function resolveWorkspaceFile(filePath: string, absolute: boolean): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const candidates: vscode.Uri[] = [];
  if (absolute) {
    for (const folder of folders) {
      if (folder.uri.scheme !== 'file') continue;
      const relative = path.relative(folder.uri.fsPath, path.resolve(filePath));
      if (relative && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)) {
        candidates.push(vscode.Uri.file(path.resolve(filePath)));
      }
    }
  } else {
    const relative = normalizeRelativePath(filePath);
    if (relative === undefined) return undefined;
    for (const folder of folders) candidates.push(vscode.Uri.joinPath(folder.uri, relative));
    const [first, ...rest] = relative.split('/');
    const named = folders.find((f) => f.name === first);
    if (named && rest.length) candidates.push(vscode.Uri.joinPath(named.uri, ...rest));
  }
  for (const candidate of candidates) {
    try {
      if ((await vscode.workspace.fs.stat(candidate)).type & vscode.FileType.File) return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}

function loadConversations(saved: unknown): Conversation[] {
  if (!Array.isArray(saved)) return [];
  return saved
    .filter((c): c is Conversation =>
      typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.title === 'string' && typeof c.updatedAt === 'number' && Array.isArray(c.turns))
    .slice(0, MAX_CONVERSATIONS);
}

/** The message if it has the shape the protocol says; the webview renders untrusted text. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  const str = (k: string) => typeof m[k] === 'string';
  const line = (k: string) => Number.isInteger(m[k]) && (m[k] as number) >= 1;
  switch (m.type) {
    case 'ready':
    case 'newChat':
    case 'reindex':
      return { type: m.type };
    case 'ask':
      return str('text') && str('model') ? { type: 'ask', text: m.text as string, model: m.model as string } : undefined;
    case 'stop':
    case 'retry':
      return str('turnId') ? { type: m.type, turnId: m.turnId as string } : undefined;
    case 'openSource':
      return str('path') && line('startLine') && line('endLine')
        ? { type: 'openSource', path: m.path as string, startLine: m.startLine as number, endLine: m.endLine as number }
        : undefined;
    case 'openLink':
      return str('href') ? { type: 'openLink', href: m.href as string } : undefined;
    case 'copy':
    case 'insertAtCursor':
      return str('code') ? { type: m.type, code: m.code as string } : undefined;
    case 'selectModel':
    case 'pullModel':
      return str('model') ? { type: m.type, model: m.model as string } : undefined;
    case 'openConversation':
    case 'deleteConversation':
      return str('id') ? { type: m.type, id: m.id as string } : undefined;
    default:
      return undefined;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value).slice(0, 200);
  } catch {
    return String(value);
  }
}
