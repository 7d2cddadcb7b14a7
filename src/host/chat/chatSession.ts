// The chat behind the view: each message the webview posts is checked against the protocol and
// goes to its handler, which ties together the conversations, the streaming answer, the models
// and the workspace actions. The host owns the truth; the webview is a cache that `init` resyncs.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  MAX_QUESTION_CHARS,
  parseWebviewMessage,
  type AssistantTurn,
  type HostToWebview,
  type SelectionContext,
  type UserTurn,
  type WebviewMessageOf,
  type WebviewToHost,
} from '../../shared/protocol';
import { AnswerStream } from './answerStream';
import type { ChatBackend } from './backend';
import { ConversationStore, type Conversation } from './conversations';
import { isModelName, ModelChoice } from './modelChoice';
import { ModelPulls } from './modelPulls';
import { insertAtCursor, openLink, openWorkspaceFile } from './workspaceFiles';

/** The view a session talks through. */
export interface ChatViewPort {
  /** Posts to the webview once it is ready; dropped before (`init` resyncs it). */
  post(message: HostToWebview): void;
  /** The webview (re)loaded and listens from now on. */
  ready(): void;
}

/** One handler per message type: a new type without a handler does not compile. */
type Handlers = { [K in WebviewToHost['type']]: (message: WebviewMessageOf<K>) => void };

export class ChatSession implements vscode.Disposable {
  private readonly conversations: ConversationStore;
  private readonly answers: AnswerStream;
  private readonly models: ModelChoice;
  private readonly pulls: ModelPulls;
  private readonly indexListener: vscode.Disposable;
  private readonly handlers: Handlers = {
    ready: () => {
      this.view.ready();
      this.sendInit();
      void this.models.refresh();
    },
    ask: (m) => this.ask(m.text, m.model),
    stop: (m) => this.answers.stopTurn(m.turnId),
    newChat: () => this.newChat(),
    retry: (m) => this.retry(m.turnId),
    openSource: (m) =>
      void this.backend.openDocumentSource(m).then(
        (opened) => (opened ? undefined : openWorkspaceFile(m.path, false, m.startLine, m.endLine)),
        (err: unknown) => this.log(`chat view: could not open ${m.path}: ${err instanceof Error ? err.message : String(err)}`),
      ),
    openLink: (m) => void openLink(m.href, this.log),
    copy: (m) => void vscode.env.clipboard.writeText(m.code),
    insertAtCursor: (m) => void insertAtCursor(m.code),
    selectModel: (m) => this.models.select(m.model),
    pullModel: (m) => {
      if (isModelName(m.model)) this.pulls.start(m.model);
    },
    reindex: () => this.backend.reindex(),
    openConversation: (m) => this.openConversation(m.id),
    deleteConversation: (m) => this.deleteConversation(m.id),
  };

  constructor(
    private readonly backend: ChatBackend,
    memento: vscode.Memento,
    private readonly view: ChatViewPort,
    private readonly log: (message: string) => void,
  ) {
    this.conversations = new ConversationStore(memento, log);
    this.answers = new AnswerStream(backend, (conversation, message) => this.postFor(conversation, message), (conversation) => this.touch(conversation));
    this.models = new ModelChoice(backend, memento, (message) => view.post(message), log);
    this.pulls = new ModelPulls(backend, (message) => view.post(message), () => void this.models.refresh());
    this.indexListener = backend.onDidChangeIndexState((state) => view.post({ type: 'indexState', ...state }));
  }

  /** A message from the webview; malformed ones are logged and dropped. */
  receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log(`chat view: ignored malformed message ${safeJson(raw)}`);
      return;
    }
    // TypeScript cannot pair a union member with its handler; the Handlers type guarantees the pairing.
    (this.handlers[message.type] as (m: WebviewToHost) => void)(message);
  }

  /** "Explain with Context": asks about the selection in the current conversation. */
  explain(selection: SelectionContext, question?: string): void {
    this.answers.stop();
    const lines = selection.startLine === selection.endLine ? `${selection.startLine}` : `${selection.startLine}-${selection.endLine}`;
    const turn: UserTurn = { role: 'user', id: randomUUID(), text: question?.trim() || `Explain ${selection.path}:${lines}`, selection };
    this.startAnswer(turn, this.models.selected(), true);
  }

  newChat(): void {
    this.answers.stop();
    if (this.conversations.current.turns.length > 0) this.switchTo(this.conversations.open());
    else this.postConversation();
  }

  dispose(): void {
    this.answers.stop();
    this.pulls.dispose();
    this.indexListener.dispose();
  }

  private ask(text: string, model: string): void {
    const question = text.trim();
    if (!question || question.length > MAX_QUESTION_CHARS || this.answers.busy) {
      // The webview showed the question already; put it back in step with what really happened.
      this.postConversation();
      return;
    }
    this.startAnswer({ role: 'user', id: randomUUID(), text: question }, this.models.orSelected(model), false);
  }

  private retry(turnId: string): void {
    const conversation = this.conversations.current;
    const turns = conversation.turns;
    const last = turns[turns.length - 1];
    const question = turns[turns.length - 2];
    if (this.answers.busy || last?.id !== turnId || last.role !== 'assistant' || question?.role !== 'user') return;
    const answer: AssistantTurn = { role: 'assistant', id: last.id, model: this.models.selected(), text: '', sources: [] };
    turns[turns.length - 1] = answer;
    this.view.post({ type: 'answerStart', turnId: answer.id, model: answer.model });
    this.answers.run(conversation, question, answer);
  }

  private startAnswer(question: UserTurn, model: string, announce: boolean): void {
    const conversation = this.conversations.current;
    const answer: AssistantTurn = { role: 'assistant', id: randomUUID(), model, text: '', sources: [] };
    conversation.turns.push(question, answer);
    if (announce) this.view.post({ type: 'explain', turn: question });
    this.view.post({ type: 'answerStart', turnId: answer.id, model });
    this.touch(conversation);
    this.answers.run(conversation, question, answer);
  }

  private openConversation(id: string): void {
    const found = this.conversations.find(id);
    if (!found || found === this.conversations.current) return;
    this.answers.stop();
    this.switchTo(found);
  }

  private deleteConversation(id: string): void {
    if (!this.conversations.find(id)) return;
    // Ending the answer saves its conversation, so end it before removing the conversation.
    this.answers.stopIn(id);
    this.conversations.remove(id);
    if (this.conversations.current.id === id) this.switchTo(this.conversations.open());
    else this.postSummaries();
  }

  private switchTo(conversation: Conversation): void {
    this.conversations.open(conversation);
    this.postConversation();
    this.postSummaries();
  }

  /** Marks a conversation changed: newest first in history, saved. */
  private touch(conversation: Conversation): void {
    this.conversations.touch(conversation);
    this.postSummaries();
  }

  private sendInit(): void {
    const current = this.conversations.current;
    const streaming = this.answers.streamingIn(current);
    this.view.post({
      type: 'init',
      conversationId: current.id,
      turns: current.turns,
      conversations: this.conversations.summaries(),
      models: this.models.list,
      selectedModel: this.models.selected(),
      indexState: this.backend.indexState(),
      host: this.backend.host(),
      ...(streaming ? { streamingTurnId: streaming } : {}),
    });
  }

  private postConversation(): void {
    const current = this.conversations.current;
    const streaming = this.answers.streamingIn(current);
    this.view.post({ type: 'conversation', conversationId: current.id, turns: current.turns, ...(streaming ? { streamingTurnId: streaming } : {}) });
  }

  private postSummaries(): void {
    this.view.post({ type: 'conversations', conversations: this.conversations.summaries() });
  }

  /** Posts about a conversation only while the view shows it. */
  private postFor(conversation: Conversation, message: HostToWebview): void {
    if (conversation === this.conversations.current) this.view.post(message);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value).slice(0, 200);
  } catch {
    return String(value);
  }
}
