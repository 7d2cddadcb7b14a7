// The eval's rerank rows: Lore's own rerankWithChatModel over the top 20 retrieved excerpts, with the
// same num_ctx and timeout the extension uses, counting how often it fell back to the retrieval order
// (a model too slow for the timeout would otherwise look like "no change").
import { DEFAULT_MAX_CONTEXT_TOKENS } from '../src/core/ask';
import { getChatModelInfo } from '../src/core/llm';
import { DEFAULT_RERANK_CANDIDATES, rerankWithChatModel, type Retriever } from '../src/core/retrieve';
import type { RetrievedChunk } from '../src/core/types';
import { identifierWords } from '../test/support/fakeOllama';
import { promptSources } from '../test/support/fakeOllamaClient';

export interface RerankStats {
  calls: number;
  /** Why the retrieval order was kept, and how often. */
  fallbacks: Map<string, number>;
  /** Per call, in ms. */
  latencies: number[];
}

export class EvalReranker {
  readonly stats: RerankStats = { calls: 0, fallbacks: new Map(), latencies: [] };

  private constructor(
    private readonly host: string,
    private readonly model: string,
    private readonly numCtx: number,
    private readonly timeoutMs: number | undefined,
    /** Shown in the system column: the chat model, or "plumbing". */
    readonly label: string,
    readonly note: string | undefined,
  ) {}

  /** Fails at once when the chat model is not installed: every call would fall back and the rows would say nothing. */
  static async open(o: { host: string; model: string; timeoutMs?: number; label: string; note?: string }): Promise<EvalReranker> {
    const info = await getChatModelInfo(o.host, o.model);
    return new EvalReranker(o.host, o.model, Math.min(info.contextLength, DEFAULT_MAX_CONTEXT_TOKENS), o.timeoutMs, o.label, o.note);
  }

  /** Rank (1-based) of the first excerpt `isGold` accepts in the reranked top `keep`, per question. */
  async firstGoldRanks<Q extends { question: string }>(
    retriever: Retriever,
    queries: readonly Q[],
    keep: number,
    isGold: (result: RetrievedChunk, query: Q) => boolean,
    progress: (done: number) => void,
  ): Promise<Array<number | undefined>> {
    const ranks: Array<number | undefined> = [];
    for (const query of queries) {
      const { results } = await retriever.retrieve(query.question, { k: DEFAULT_RERANK_CANDIDATES });
      const ranked = await this.rerank(query.question, results, keep);
      const at = ranked.findIndex((r) => isGold(r, query));
      ranks.push(at >= 0 ? at + 1 : undefined);
      if (ranks.length % 100 === 0) progress(ranks.length);
    }
    return ranks;
  }

  private async rerank(question: string, candidates: RetrievedChunk[], keep: number): Promise<RetrievedChunk[]> {
    const started = performance.now();
    const ranked = await rerankWithChatModel({
      host: this.host,
      model: this.model,
      question,
      candidates,
      keep,
      numCtx: this.numCtx,
      timeoutMs: this.timeoutMs,
      onFallback: (reason) => this.stats.fallbacks.set(reason, (this.stats.fallbacks.get(reason) ?? 0) + 1),
    });
    this.stats.calls++;
    this.stats.latencies.push(performance.now() - started);
    return ranked;
  }
}

/**
 * The test server's stand-in for a reranking model: the candidates that share words with the
 * question, most shared words first. It exercises the prompt, the parsing and the reordering; its
 * figures say nothing about a real model.
 */
export function wordOverlapReply(messages: Array<{ role: string; content: string }>): string {
  const prompt = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const question = /^Question: ([\s\S]*?)\n\nCandidates/.exec(prompt)?.[1] ?? '';
  const words = new Set(identifierWords(question));
  const shared = promptSources(prompt).map((source) => ({ n: source.n, score: new Set(identifierWords(source.text).filter((w) => words.has(w))).size }));
  return JSON.stringify(shared.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.n - b.n).map((s) => s.n));
}
