// One grounded answer: standalone query -> retrieval -> prompt within the model's window -> streamed
// chat. Shared by the chat view, "Explain with Context" and `lore ask`.
import { maskSecrets } from './files';
import { loadInstructions } from './instructions';
import { getChatModelInfo, standaloneQuery, streamChat } from './llm';
import { buildPrompt, type ChatMessage, type PromptInput } from './prompt';
import { DEFAULT_RERANK_CANDIDATES, rerankWithChatModel, type Retriever } from './retrieve';
import type { RetrievedChunk } from './types';

/** Large windows cost the user's VRAM; answers rarely need more than this many tokens of context. */
export const DEFAULT_MAX_CONTEXT_TOKENS = 8192;
/** The bounds of the window a user may allow (`lore.maxContextTokens`, `--max-context`): Ollama's own default up to 1M. */
export const MIN_CONTEXT_TOKENS = 2048;
export const MAX_CONTEXT_TOKENS = 1 << 20;
/** Sources per answer at the default window; a larger window the user allows holds proportionally more. */
const SOURCES_AT_DEFAULT_WINDOW = 8;
const MAX_SOURCES = 32;

/**
 * How many sources to retrieve for a window of this many tokens: 8 at the default 8192, as many more
 * as a larger window holds at the same share of it (a bigger budget is only worth its VRAM if it
 * carries more evidence), at most 32.
 */
export function sourcesForWindow(contextWindow: number): number {
  const scaled = Math.floor((SOURCES_AT_DEFAULT_WINDOW * contextWindow) / DEFAULT_MAX_CONTEXT_TOKENS);
  return Math.min(MAX_SOURCES, Math.max(SOURCES_AT_DEFAULT_WINDOW, scaled));
}

export interface AskOptions {
  root: string;
  host: string;
  model: string;
  question: string;
  history?: ChatMessage[];
  selection?: PromptInput['selection'];
  /** Extra sources placed before retrieved ones (e.g. definitions the selection uses). */
  pinnedSources?: RetrievedChunk[];
  /** Sources to retrieve; default: `sourcesForWindow` of the window used. */
  k?: number;
  retriever: Pick<Retriever, 'retrieve'>;
  /**
   * Let the chat model reorder the top candidates before the prompt is built (setting `lore.rerank`):
   * one more chat call. Not used with a selection: the selection is what such a question is about,
   * and the definitions it uses are pinned already.
   */
  rerank?: boolean;
  readCurrent: (path: string) => Promise<string | undefined>;
  /** The largest window the user allows (default 8192); the model's own context length caps it. */
  maxContextTokens?: number;
  signal?: AbortSignal;
  onSources?: (sources: RetrievedChunk[]) => void;
  onInstructions?: (paths: string[]) => void;
  onToken: (text: string) => void;
}

export interface AskResult {
  text: string;
  sources: RetrievedChunk[];
  instructionsUsed: string[];
  searchQuery: string;
}

export async function runAsk(o: AskOptions): Promise<AskResult> {
  const allowed = o.maxContextTokens ?? DEFAULT_MAX_CONTEXT_TOKENS;
  if (!Number.isInteger(allowed) || allowed < MIN_CONTEXT_TOKENS || allowed > MAX_CONTEXT_TOKENS) {
    throw new RangeError(`maxContextTokens must be a whole number from ${MIN_CONTEXT_TOKENS} to ${MAX_CONTEXT_TOKENS}, got ${allowed}`);
  }
  const history = o.history ?? [];
  // A selection comes straight from the editor, not through the index: mask it the same way.
  const selection = o.selection && { ...o.selection, text: maskSecrets(o.selection.text).text };
  const [info, instructions] = await Promise.all([getChatModelInfo(o.host, o.model, o.signal), loadInstructions(o.root)]);
  const contextWindow = Math.min(info.contextLength, allowed);
  const k = o.k ?? sourcesForWindow(contextWindow);
  // The same num_ctx as the answer, or Ollama reloads the model between the two calls.
  const searchQuery = await standaloneQuery({ host: o.host, model: o.model, question: o.question, history, signal: o.signal, numCtx: contextWindow });
  const retrievalText = selection ? `${o.question}\n${selection.text}` : o.question;
  const rerank = o.rerank === true && !selection;
  // Reranking picks the k best of a larger pool: what the fusion ranked just below k may be what the question needs.
  // The user's own words are always searched; a rewrite of a follow-up only adds its terms to them.
  const retrieved = await o.retriever.retrieve(retrievalText, {
    k: rerank ? Math.max(k, DEFAULT_RERANK_CANDIDATES) : k,
    rewrite: searchQuery === o.question ? undefined : searchQuery,
    signal: o.signal,
    readCurrent: o.readCurrent,
  });
  const results = rerank
    ? await rerankWithChatModel({ host: o.host, model: o.model, question: searchQuery, candidates: retrieved.results, keep: k, signal: o.signal, numCtx: contextWindow })
    : retrieved.results;
  const pinnedKeys = new Set((o.pinnedSources ?? []).map((s) => `${s.chunk.path}:${s.chunk.startLine}`));
  const sources = [...(o.pinnedSources ?? []), ...results.filter((r) => !pinnedKeys.has(`${r.chunk.path}:${r.chunk.startLine}`))];
  const prompt = buildPrompt({ question: o.question, sources, history, instructions, contextWindow, selection });
  o.onInstructions?.(instructions.map((i) => i.path));
  o.onSources?.(prompt.sources);
  const text = await streamChat({ host: o.host, model: o.model, messages: prompt.messages, numCtx: contextWindow, signal: o.signal, onToken: o.onToken });
  return { text, sources: prompt.sources, instructionsUsed: instructions.map((i) => i.path), searchQuery };
}
