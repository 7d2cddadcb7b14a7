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

export interface AskOptions {
  root: string;
  host: string;
  model: string;
  question: string;
  history?: ChatMessage[];
  selection?: PromptInput['selection'];
  /** Extra sources placed before retrieved ones (e.g. definitions the selection uses). */
  pinnedSources?: RetrievedChunk[];
  k: number;
  retriever: Pick<Retriever, 'retrieve'>;
  /**
   * Let the chat model reorder the top candidates before the prompt is built (setting `lore.rerank`):
   * one more chat call. Not used with a selection: the selection is what such a question is about,
   * and the definitions it uses are pinned already.
   */
  rerank?: boolean;
  readCurrent: (path: string) => Promise<string | undefined>;
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
  const history = o.history ?? [];
  // A selection comes straight from the editor, not through the index: mask it the same way.
  const selection = o.selection && { ...o.selection, text: maskSecrets(o.selection.text).text };
  const [info, instructions] = await Promise.all([getChatModelInfo(o.host, o.model, o.signal), loadInstructions(o.root)]);
  const contextWindow = Math.min(info.contextLength, o.maxContextTokens ?? DEFAULT_MAX_CONTEXT_TOKENS);
  // The same num_ctx as the answer, or Ollama reloads the model between the two calls.
  const searchQuery = await standaloneQuery({ host: o.host, model: o.model, question: o.question, history, signal: o.signal, numCtx: contextWindow });
  const retrievalText = selection ? `${o.question}\n${selection.text}` : o.question;
  const rerank = o.rerank === true && !selection;
  // Reranking picks the k best of a larger pool: what the fusion ranked just below k may be what the question needs.
  // The user's own words are always searched; a rewrite of a follow-up only adds its terms to them.
  const retrieved = await o.retriever.retrieve(retrievalText, {
    k: rerank ? Math.max(o.k, DEFAULT_RERANK_CANDIDATES) : o.k,
    rewrite: searchQuery === o.question ? undefined : searchQuery,
    signal: o.signal,
    readCurrent: o.readCurrent,
  });
  const results = rerank
    ? await rerankWithChatModel({ host: o.host, model: o.model, question: searchQuery, candidates: retrieved.results, keep: o.k, signal: o.signal, numCtx: contextWindow })
    : retrieved.results;
  const pinnedKeys = new Set((o.pinnedSources ?? []).map((s) => `${s.chunk.path}:${s.chunk.startLine}`));
  const sources = [...(o.pinnedSources ?? []), ...results.filter((r) => !pinnedKeys.has(`${r.chunk.path}:${r.chunk.startLine}`))];
  const prompt = buildPrompt({ question: o.question, sources, history, instructions, contextWindow, selection });
  o.onInstructions?.(instructions.map((i) => i.path));
  o.onSources?.(prompt.sources);
  const text = await streamChat({ host: o.host, model: o.model, messages: prompt.messages, numCtx: contextWindow, signal: o.signal, onToken: o.onToken });
  return { text, sources: prompt.sources, instructionsUsed: instructions.map((i) => i.path), searchQuery };
}
