// What the chat view needs from the rest of Lore. The chat (chatSession.ts) only talks to this
// interface; retrieval, prompting and Ollama live behind it.
import type * as vscode from 'vscode';
import { ANSWER_ERROR_KINDS, type AnswerError, type AnswerErrorKind, type IndexStateMessage, type SelectionContext, type SourceRef } from '../../shared/protocol';

export type { AnswerErrorKind, IndexStateMessage, SelectionContext, SourceRef };

export interface ChatRequest {
  question: string;
  /** Earlier turns of the conversation, oldest first; failed answers with no text are left out. */
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
  model: string;
  /** Set for "Explain with Context": the code the question is about. */
  selection?: SelectionContext;
}

export interface AnswerSink {
  sources(sources: SourceRef[]): void;
  token(text: string): void;
  instructionsUsed(paths: string[]): void;
}

/** What `ask` and `pullModel` reject with; any other error is shown as `failed`. */
export interface ChatError extends Error {
  kind: AnswerErrorKind;
  /** The model concerned (`model-missing`: the one to pull). */
  model?: string;
}

export interface PullProgress {
  status: string;
  completed?: number;
  total?: number;
}

export interface ChatBackend {
  /**
   * Streams one answer: calls `sink.sources` (possibly with []), then `sink.token` per piece, then
   * resolves. Rejects with a `ChatError`. Aborts at once when `signal` fires (rejecting or resolving).
   */
  ask(req: ChatRequest, sink: AnswerSink, signal: AbortSignal): Promise<void>;
  /** Installed chat models; rejects when Ollama cannot be reached. */
  listModels(): Promise<string[]>;
  pullModel(model: string, onProgress: (p: PullProgress) => void, signal: AbortSignal): Promise<void>;
  /** The model answers use unless the user picks another in the view (`lore.chatModel`). */
  defaultModel(): string;
  /** The Ollama URL in use (`lore.ollamaHost`), shown in the view. */
  host(): string;
  indexState(): IndexStateMessage;
  onDidChangeIndexState(listener: (state: IndexStateMessage) => void): vscode.Disposable;
  /** Starts a full reindex of the workspace (the `lore.reindex` command). */
  reindex(): void;
  /** Opens a document source (notebook at its cell, PDF/Word/HTML as extracted text); false when `path` is not an indexed document. */
  openDocumentSource(source: { path: string; startLine: number; endLine: number; cell?: number }): Promise<boolean>;
}

/** The protocol's form of what `ask` rejected with: its kind when it is one the view knows, else `failed`. */
export function toAnswerError(error: unknown, model: string): AnswerError {
  const kind = (error as Partial<ChatError> | undefined)?.kind;
  const errorModel = (error as Partial<ChatError> | undefined)?.model;
  return {
    kind: (ANSWER_ERROR_KINDS as readonly unknown[]).includes(kind) ? (kind as AnswerError['kind']) : 'failed',
    message: (error instanceof Error ? error.message : String(error)) || 'The answer failed for an unknown reason.',
    model: typeof errorModel === 'string' ? errorModel : model,
  };
}
