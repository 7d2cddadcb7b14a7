// Response generation with the local chat model: its real context size, a streamed answer the user
// can stop at once, and the follow-up rewriting that makes "and where is it called?" searchable.
import { callOllama, classifyFailure, createOllamaClient, formatSeconds, isAuthStatus, ModelMissingError, normalizeHost, OllamaAuthError, OllamaUnavailableError, type CallFailure } from '../ollama';
import type { ChatMessage } from '../prompt';
import { extractQueryTerms, standsAlone } from '../retrieve';

export interface ChatModelInfo {
  contextLength: number;
}

/** What Ollama assumes for models that do not report a context length. */
export const FALLBACK_CONTEXT_LENGTH = 4096;
/** A cold model load (reading gigabytes from disk) and a long prompt come before the first token. */
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 120_000;
/** Once tokens flow, a pause this long means the server is stuck. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Rewriting is an optional nicety: after this long the raw question is searched instead. */
export const DEFAULT_STANDALONE_TIMEOUT_MS = 4_000;
const SHOW_TIMEOUT_MS = 30_000;
/** History that goes into the rewrite: the last exchanges carry the referent of "it". */
const REWRITE_HISTORY_MESSAGES = 6;
const REWRITE_MESSAGE_CHARS = 800;
const REWRITE_QUESTION_CHARS = 2000;
/** A "query" longer than this is the model answering instead of rewriting. */
const MAX_REWRITE_CHARS = 300;

/** The chat model is not installed; an `instanceof ModelMissingError` as well, with a chat-specific remedy. */
export class ChatModelMissingError extends ModelMissingError {
  override name = 'ChatModelMissingError';
  constructor(model: string, host: string) {
    super(model, host);
    this.message = `Chat model "${model}" is not installed in Ollama at ${host}. Pull it with \`ollama pull ${model}\`, or pick an installed model in the "lore.chatModel" setting.`;
  }
}

/** The model did not start answering, or stopped mid-answer, within the time allowed. */
export class ChatTimeoutError extends Error {
  override name = 'ChatTimeoutError';
}

/** Ollama refused the request or reported an error while answering. */
export class ChatFailedError extends Error {
  override name = 'ChatFailedError';
}

export async function getChatModelInfo(host: string, model: string, signal?: AbortSignal): Promise<ChatModelInfo> {
  const base = normalizeHost(host);
  requireModelName(model);
  let info: { model_info?: unknown };
  try {
    info = await callOllama(base, SHOW_TIMEOUT_MS, signal, (client) => client.show({ model }));
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw chatError(err, base, model, `Ollama could not describe model "${model}"`);
  }
  return { contextLength: contextLengthOf(info.model_info) };
}

/** `<architecture>.context_length` from /api/show's model_info; any `*.context_length` when the architecture is not named. */
function contextLengthOf(modelInfo: unknown): number {
  if (!modelInfo || typeof modelInfo !== 'object') return FALLBACK_CONTEXT_LENGTH;
  const fields = modelInfo as Record<string, unknown>;
  const arch = fields['general.architecture'];
  const candidates = typeof arch === 'string' ? [fields[`${arch}.context_length`]] : [];
  candidates.push(...Object.keys(fields).filter((key) => key.endsWith('.context_length')).map((key) => fields[key]));
  const length = candidates.find((value): value is number => Number.isInteger(value) && (value as number) > 0);
  return length ?? FALLBACK_CONTEXT_LENGTH;
}

export async function streamChat(opts: {
  host: string;
  model: string;
  messages: ChatMessage[];
  numCtx: number;
  signal?: AbortSignal;
  onToken: (t: string) => void;
  firstTokenTimeoutMs?: number;
  idleTimeoutMs?: number;
}): Promise<string> {
  const { model, messages, numCtx, signal, onToken } = opts;
  const host = normalizeHost(opts.host);
  requireModelName(model);
  if (!Array.isArray(messages) || messages.length === 0) throw new RangeError('streamChat needs at least one message.');
  if (!Number.isInteger(numCtx) || numCtx < 1) throw new RangeError(`numCtx must be a positive integer, got ${numCtx}`);
  const firstTokenTimeoutMs = positiveMs(opts.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS, 'firstTokenTimeoutMs');
  const idleTimeoutMs = positiveMs(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs');
  signal?.throwIfAborted();

  // One controller ends the HTTP request for every reason: the caller's signal, a timeout, or leaving early.
  const stop = new AbortController();
  const bound = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const client = createOllamaClient(host, bound);
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => stop.abort(new ChatTimeoutError(`Ollama at ${host} ${what} within ${formatSeconds(ms)}.`)), ms);
  };
  arm(firstTokenTimeoutMs, `did not start answering with "${model}"`);

  let text = '';
  let callbackError: { error: unknown } | undefined;
  try {
    // Ollama's default context (2048-4096 tokens) would silently cut the front of a longer prompt.
    const stream = await client.chat({ model, messages, stream: true, options: { num_ctx: numCtx } });
    for await (const part of stream) {
      // Parts already received in one network read would still be yielded after an abort.
      bound.throwIfAborted();
      // Any part (reasoning models stream "thinking" first) shows the server is alive.
      arm(idleTimeoutMs, 'stopped answering: nothing came');
      const token = part.message?.content;
      if (!token) continue;
      text += token;
      try {
        onToken(token);
      } catch (error) {
        callbackError = { error };
        throw error;
      }
    }
    return text;
  } catch (err) {
    if (callbackError) throw callbackError.error;
    if (signal?.aborted) throw signal.reason;
    if (stop.signal.reason instanceof ChatTimeoutError) throw stop.signal.reason;
    throw chatError(err, host, model, 'Ollama failed while answering');
  } finally {
    clearTimeout(timer);
    // Closes the connection when the loop was left early; a no-op after a complete answer.
    stop.abort();
  }
}

const REWRITE_INSTRUCTIONS = `You rewrite the user's last question into a standalone search query for searching a code base.
Resolve what "it", "that", "this function" and similar refer to, using the conversation.
Keep every identifier, file name and error message exactly as written.
Reply with the query only: one line, no explanation, no quotes.`;

export async function standaloneQuery(opts: {
  host: string;
  model: string;
  question: string;
  history: ChatMessage[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Use the same value as the answer's streamChat: a different num_ctx makes Ollama reload the model. */
  numCtx?: number;
}): Promise<string> {
  const { question, history, signal } = opts;
  // A question that names what it is about is searched as asked: no model call, nothing to go wrong.
  if (!Array.isArray(history) || history.length === 0 || !question.trim() || standsAlone(question)) return question;
  signal?.throwIfAborted();
  const timeoutMs = positiveMs(opts.timeoutMs ?? DEFAULT_STANDALONE_TIMEOUT_MS, 'timeoutMs');
  const transcript = history
    .filter((m) => m.role !== 'system')
    .slice(-REWRITE_HISTORY_MESSAGES)
    .map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${clip(m.content, REWRITE_MESSAGE_CHARS)}`)
    .join('\n\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: REWRITE_INSTRUCTIONS },
    { role: 'user', content: `Conversation:\n${transcript}\n\nLast question: ${clip(question, REWRITE_QUESTION_CHARS)}\n\nStandalone search query:` },
  ];
  let reply: string;
  try {
    const host = normalizeHost(opts.host);
    requireModelName(opts.model);
    const options = { temperature: 0, num_predict: 64, ...(opts.numCtx ? { num_ctx: opts.numCtx } : {}) };
    const response = await callOllama(host, timeoutMs, signal, (client) => client.chat({ model: opts.model, messages, stream: false, options }));
    reply = response.message?.content ?? '';
  } catch {
    // The user's cancel stops the whole question; any other failure just means searching the raw question.
    if (signal?.aborted) throw signal.reason;
    return question;
  }
  const query = cleanRewrite(reply);
  if (!query || query.length > MAX_REWRITE_CHARS) return question;
  // The model may drop the exact names the user typed; they are the best search terms there are.
  const terms = extractQueryTerms(question);
  const missing = [...terms.paths, ...terms.identifiers].filter((term) => !query.includes(term));
  return [query, ...missing].join(' ');
}

/** The first line of real content, without reasoning blocks, labels, quotes and backticks around it. */
function cleanRewrite(reply: string): string {
  const withoutThinking = reply.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, '');
  const line = withoutThinking.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line
    .replace(/^(?:standalone\s+)?(?:search\s+)?query\s*:\s*/i, '')
    .replace(/^["'`\u201c]+|["'`\u201d]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function chatError(err: unknown, host: string, model: string, context: string): Error {
  const failure: CallFailure = classifyFailure(err);
  switch (failure.kind) {
    case 'http':
      if (failure.status === 404) return new ChatModelMissingError(model, host);
      if (isAuthStatus(failure.status)) return new OllamaAuthError(host, failure.status);
      return new ChatFailedError(`${context}: ${failure.message} (HTTP ${failure.status}).`);
    case 'network':
      return new OllamaUnavailableError(`Cannot reach Ollama at ${host} (${failure.message}). Is it running? Start it with \`ollama serve\`.`);
    case 'timeout':
      return new ChatTimeoutError(`Ollama at ${host} gave ${failure.message}.`);
    default:
      return new ChatFailedError(`${context}: ${failure.message}`);
  }
}

function requireModelName(model: string): void {
  if (typeof model !== 'string' || !model.trim()) throw new RangeError('No chat model is configured (the "lore.chatModel" setting is empty).');
}

function positiveMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
