// The sidebar chat view (`lore.chat`): serves the webview, speaks the protocol in
// src/shared/protocol.ts, runs answers through the ChatBackend and keeps the conversations
// (conversations.ts). The host owns the truth; the webview is a cache that `init` resyncs.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  MAX_QUESTION_CHARS,
  parseWebviewMessage,
  type AnswerError,
  type AssistantTurn,
  type HostToWebview,
  type SelectionContext,
  type UserTurn,
} from '../../shared/protocol';
import { toAnswerError, type AnswerSink, type ChatBackend } from './backend';
import { ConversationStore, historyBefore, type Conversation } from './conversations';
import { ModelPulls } from './modelPulls';
import { chatViewHtml, chatViewResourceRoots } from './viewHtml';
import { insertAtCursor, openLink, openWorkspaceFile } from './workspaceFiles';

const MODEL_KEY = 'lore.chat.model';
const MODEL_NAME = /^[\w.:/-]{1,200}$/;

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
  private readonly conversations: ConversationStore;
  private active?: ActiveAnswer;
  private readonly pulls: ModelPulls;
  private models: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly backend: ChatBackend,
    private readonly memento: vscode.Memento,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.conversations = new ConversationStore(memento, log);
    this.pulls = new ModelPulls(backend, (message) => this.post(message), () => void this.refreshModels());
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
    webview.options = { enableScripts: true, localResourceRoots: chatViewResourceRoots(this.extensionUri) };
    webview.html = chatViewHtml(webview, this.extensionUri);
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
    if (this.current.turns.length > 0) this.switchTo(this.conversations.open());
    else this.postConversation();
  }

  dispose(): void {
    this.active?.finish({ stopped: true });
    this.pulls.dispose();
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
        return void openWorkspaceFile(message.path, false, message.startLine, message.endLine);
      case 'openLink':
        return void openLink(message.href, this.log);
      case 'copy':
        return void vscode.env.clipboard.writeText(message.code);
      case 'insertAtCursor':
        return void insertAtCursor(message.code);
      case 'selectModel':
        if (MODEL_NAME.test(message.model)) void this.memento.update(MODEL_KEY, message.model).then(undefined, (e) => this.log(`chat view: ${e}`));
        return;
      case 'pullModel':
        if (MODEL_NAME.test(message.model)) this.pulls.start(message.model);
        return;
      case 'reindex':
        return this.backend.reindex();
      case 'openConversation': {
        const found = this.conversations.find(message.id);
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

  private get current(): Conversation {
    return this.conversations.current;
  }

  private switchTo(conversation: Conversation): void {
    this.conversations.open(conversation);
    this.postConversation();
    this.post({ type: 'conversations', conversations: this.conversations.summaries() });
  }

  private deleteConversation(id: string): void {
    if (!this.conversations.find(id)) return;
    // Ending the answer saves its conversation, so end it before removing the conversation.
    if (this.active?.conversationId === id) this.active.finish({ stopped: true });
    this.conversations.remove(id);
    if (this.current.id === id) this.switchTo(this.conversations.open());
    else this.post({ type: 'conversations', conversations: this.conversations.summaries() });
  }

  /** Marks a conversation changed: newest first in history, saved. */
  private touch(conversation: Conversation): void {
    this.conversations.touch(conversation);
    this.post({ type: 'conversations', conversations: this.conversations.summaries() });
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

  // ---- webview plumbing --------------------------------------------------------------------------

  private sendInit(): void {
    const streaming = this.active?.conversationId === this.current.id ? this.active.turnId : undefined;
    this.post({
      type: 'init',
      conversationId: this.current.id,
      turns: this.current.turns,
      conversations: this.conversations.summaries(),
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

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
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
