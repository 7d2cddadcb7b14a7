// The one message protocol between the extension host (src/host/chat/) and the chat
// webview (src/webview/main.ts). Both sides import it, so it holds only types, plain constants and
// pure checks: no DOM, no `vscode`, no Node.

export type IndexStateName = 'idle' | 'indexing' | 'paused' | 'no-index' | 'error';

export interface IndexStateMessage {
  state: IndexStateName;
  files: number;
  chunks: number;
  vectors: number;
  /** Files processed so far in the running pass (with `total`, while indexing). */
  done?: number;
  total?: number;
  /** 'lexical' while embeddings are unavailable (Ollama down, model missing). */
  mode: 'hybrid' | 'lexical';
  /** Why the index is in `error`, or extra detail for the other states. */
  message?: string;
}

/** One numbered source the answer may cite as `[n]`. */
export interface SourceRef {
  /** 1-based, as cited in the answer. */
  n: number;
  /** POSIX path relative to a workspace folder (multi-root: may start with the folder's name). */
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  symbol?: string;
  /** PDF: the 1-based page. */
  page?: number;
  /** Notebook: the 0-based cell index. */
  cell?: number;
  /** A file of a docs folder outside the repository (`path` is then absolute). */
  outside?: boolean;
}

/** The editor selection an "Explain with Context" turn is about. */
export interface SelectionContext {
  /** POSIX path relative to a workspace folder. */
  path: string;
  startLine: number;
  endLine: number;
  /** VS Code language id, used to highlight the quoted code. */
  language?: string;
  text: string;
}

export const ANSWER_ERROR_KINDS = ['ollama-down', 'model-missing', 'context-too-small', 'timeout', 'failed'] as const;
export type AnswerErrorKind = (typeof ANSWER_ERROR_KINDS)[number];

export interface AnswerError {
  kind: AnswerErrorKind;
  message: string;
  /** The model concerned (for `model-missing`: the one to pull). */
  model?: string;
}

export interface UserTurn {
  role: 'user';
  id: string;
  text: string;
  selection?: SelectionContext;
}

export interface AssistantTurn {
  role: 'assistant';
  id: string;
  model: string;
  /** Markdown as streamed so far; kept when the answer stops or fails. */
  text: string;
  sources: SourceRef[];
  /** Instruction files (e.g. `.lore/instructions.md`) the answer was written under. */
  instructions?: string[];
  error?: AnswerError;
  stopped?: boolean;
}

export type ChatTurn = UserTurn | AssistantTurn;

export interface ConversationSummary {
  id: string;
  /** The first question, shortened. */
  title: string;
  /** Epoch milliseconds of the last change. */
  updatedAt: number;
  turnCount: number;
}

// ---- host -> webview ------------------------------------------------------------------------------

export interface InitMessage {
  type: 'init';
  conversationId: string;
  turns: ChatTurn[];
  conversations: ConversationSummary[];
  models: string[];
  selectedModel: string;
  indexState: IndexStateMessage;
  /** The Ollama URL answers come from, shown so users know where their code goes. */
  host: string;
  /** Set when an answer is still streaming (the view was hidden and shown again mid-answer). */
  streamingTurnId?: string;
}

export type HostToWebview =
  | InitMessage
  | ({ type: 'indexState' } & IndexStateMessage)
  | { type: 'answerStart'; turnId: string; model: string }
  | { type: 'sources'; turnId: string; sources: SourceRef[] }
  | { type: 'token'; turnId: string; text: string }
  | { type: 'answerEnd'; turnId: string; stopped?: boolean }
  | ({ type: 'answerError'; turnId: string } & AnswerError)
  | { type: 'pullProgress'; model: string; status: string; completed?: number; total?: number; done?: boolean; error?: string }
  | { type: 'instructionsUsed'; turnId: string; paths: string[] }
  | { type: 'explain'; turn: UserTurn }
  | { type: 'conversations'; conversations: ConversationSummary[] }
  /** Another conversation became current (New Chat, history, a rejected ask): replaces every turn. */
  | { type: 'conversation'; conversationId: string; turns: ChatTurn[]; streamingTurnId?: string }
  | { type: 'models'; models: string[]; selectedModel: string };

// ---- webview -> host ------------------------------------------------------------------------------

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'ask'; text: string; model: string }
  | { type: 'stop'; turnId: string }
  | { type: 'newChat' }
  | { type: 'openSource'; path: string; startLine: number; endLine: number; cell?: number }
  | { type: 'openLink'; href: string }
  | { type: 'copy'; code: string }
  | { type: 'insertAtCursor'; code: string }
  | { type: 'selectModel'; model: string }
  | { type: 'pullModel'; model: string }
  | { type: 'retry'; turnId: string }
  | { type: 'reindex' }
  | { type: 'openConversation'; id: string }
  | { type: 'deleteConversation'; id: string };

/** Longest question the view sends; the host rejects longer ones rather than cut them silently. */
export const MAX_QUESTION_CHARS = 20_000;

/** The webview message of type `K`. */
export type WebviewMessageOf<K extends WebviewToHost['type']> = Extract<WebviewToHost, { type: K }>;

/**
 * One guard per message type the webview may send. The mapped type makes it exhaustive: a new
 * message type without a guard here does not compile, so it cannot be dropped silently.
 */
const webviewMessageGuards: { [K in WebviewToHost['type']]: (m: Record<string, unknown>) => WebviewMessageOf<K> | undefined } = {
  ready: () => ({ type: 'ready' }),
  newChat: () => ({ type: 'newChat' }),
  reindex: () => ({ type: 'reindex' }),
  ask: (m) => (isString(m.text) && isString(m.model) ? { type: 'ask', text: m.text, model: m.model } : undefined),
  stop: (m) => (isString(m.turnId) ? { type: 'stop', turnId: m.turnId } : undefined),
  retry: (m) => (isString(m.turnId) ? { type: 'retry', turnId: m.turnId } : undefined),
  openSource: (m) =>
    isString(m.path) && isLine(m.startLine) && isLine(m.endLine) && (m.cell === undefined || (Number.isInteger(m.cell) && (m.cell as number) >= 0))
      ? { type: 'openSource', path: m.path, startLine: m.startLine, endLine: m.endLine, ...(m.cell === undefined ? {} : { cell: m.cell as number }) }
      : undefined,
  openLink: (m) => (isString(m.href) ? { type: 'openLink', href: m.href } : undefined),
  copy: (m) => (isString(m.code) ? { type: 'copy', code: m.code } : undefined),
  insertAtCursor: (m) => (isString(m.code) ? { type: 'insertAtCursor', code: m.code } : undefined),
  selectModel: (m) => (isString(m.model) ? { type: 'selectModel', model: m.model } : undefined),
  pullModel: (m) => (isString(m.model) ? { type: 'pullModel', model: m.model } : undefined),
  openConversation: (m) => (isString(m.id) ? { type: 'openConversation', id: m.id } : undefined),
  deleteConversation: (m) => (isString(m.id) ? { type: 'deleteConversation', id: m.id } : undefined),
};

/** The message if it has the shape the protocol says (the webview renders untrusted text); else undefined. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m.type !== 'string' || !Object.prototype.hasOwnProperty.call(webviewMessageGuards, m.type)) return undefined;
  return webviewMessageGuards[m.type as WebviewToHost['type']](m);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isLine(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1;
}
