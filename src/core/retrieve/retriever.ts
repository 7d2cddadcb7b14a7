// Hybrid retrieval: embeddings find what a question means, the lexical index finds the names it
// uses; rank fusion combines both. Works lexical-only whenever vectors are missing or Ollama is down.
import type { Chunk, ChunkRef, IndexMode, RefHit, RetrievedChunk, SearchIndex } from '../types';
import { aggregateByFile, type FileHit } from './fileRanking';
import { freshVersions } from './freshness';
import { DEFAULT_RRF_K, mergeNeighbourGroups, reciprocalRankFusion, type FusedHit } from './fusion';
import { weighByFileKind } from './fileKind';
import { definitionsNamedIn, promoteDefinitions } from './definitions';
import { linesShownAbove, withEnclosingSignatures } from './enclosingSignatures';
import { embeddingsCarryMeaning } from './embeddingProbe';
import { creditCopiesToOriginals } from './copies';
import { isReport, lexicalQueryFor, lexicalQueryWithRewrite } from './queryTerms';

export interface FusionSettings {
  /** RRF's rank offset: larger flattens the difference between top and lower ranks. */
  rrfK: number;
  /** Weight of the vector ranking; the lexical one weighs 1. */
  vectorWeight: number;
}

/** A follow-up's standalone rewrite by the chat model: searched together with the question's own words, never instead of them. */
interface WithRewrite {
  rewrite?: string;
}

export interface RetrieveOptions extends WithRewrite {
  k: number;
  /** Hits taken from each ranking before fusion; default max(20, 4k) (the lexical one takes at least 200). */
  candidates?: number;
  signal?: AbortSignal;
  /** Current text of a file (unsaved buffer first, then disk); enables the freshness check. */
  readCurrent?: (path: string) => Promise<string | undefined>;
  /** Only chunks of paths this accepts are returned (give more `candidates` when it is narrow). */
  pathFilter?: (path: string) => boolean;
}

export interface RankFilesOptions extends WithRewrite {
  k: number;
  /** Chunk hits taken from each ranking before they are grouped by file; default max(100, 10k) (the lexical one takes at least 200). */
  candidates?: number;
  signal?: AbortSignal;
}

export interface RankFilesResult {
  mode: IndexMode;
  files: FileHit[];
}

export interface RetrieveResult {
  mode: 'hybrid' | 'lexical';
  results: RetrievedChunk[];
}

/**
 * Lexical hits taken, at least, before they are re-weighed and grouped. For files: a
 * file's further matching chunks are its evidence (fileRanking.ts) and a report's dozens of terms
 * spread its matches deep; at 100 many were cut off (dev set Acc@5 72.5% -> 76.9% at 200, none
 * lost from the top 5; corpora file recall@5 91.0% -> 91.3%). For excerpts: a test's or guide's hit
 * weighs half (fileKind.ts), which by rank ties it with a code hit some 60 + 2r ranks below it, so
 * the code a report is about must be in the pool to move up (at 20 it was not: dev set definition
 * in the top 10 excerpts 55 -> 63 of 87 at 200). The lexical search is cheap at any depth; the
 * vector search keeps its own pool (`candidates`): each of its hits costs an exact rescoring read
 * from the shards, and no measured gain asked for more.
 */
const MIN_LEXICAL_CANDIDATES = 200;
/** A pasted log or file is embedded by its head: the question and the top of a stack trace. */
const MAX_EMBED_QUERY_CHARS = 4000;
/** Share of its weight a vector ranking keeps when its model fails the meaning probe (embeddingProbe.ts). */
export const MEANINGLESS_VECTOR_SHARE = 0.25;

/** A fused hit whose chunk may be a reference (lexical) or already read (vector hits, definitions). */
type Ranked = FusedHit<Chunk | ChunkRef> & Pick<RetrievedChunk, 'via'>;

export class Retriever {
  constructor(
    private readonly index: SearchIndex,
    private readonly embedQuery?: (text: string, signal?: AbortSignal) => Promise<Float32Array>,
  ) {}

  /**
   * How the vector and lexical rankings are fused. Equal weights and RRF's usual k by default: the
   * test server's embeddings cannot tune them honestly; `npm run eval -- --ollama ... --rrf-k N
   * --vector-weight W` measures other settings on a real model (README, "Retrieval quality").
   */
  fusion: FusionSettings = { rrfK: DEFAULT_RRF_K, vectorWeight: 1 };

  /** The embedding model's verdict in the meaning probe, asked once (again after a failed attempt). */
  private meaning?: Promise<boolean>;

  async retrieve(question: string, options: RetrieveOptions): Promise<RetrieveResult> {
    const { k, signal, readCurrent } = options;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    const candidates = options.candidates ?? Math.max(20, 4 * k);
    const { mode, fused } = await this.search(question, options.rewrite, candidates, signal);
    const { pathFilter } = options;
    const kept = pathFilter ? fused.filter((r) => pathFilter(r.chunk.path)) : fused;
    const head = creditCopiesToOriginals(this.read(headOf(kept, candidates)), this.index);
    const groups = mergeNeighbourGroups(head, this.index);
    const top = readCurrent ? await this.freshTop(groups, k, readCurrent, signal) : groups.slice(0, k).map((g) => g.merged);
    return { mode, results: await this.withSignatures(top, readCurrent, signal) };
  }

  /**
   * The files that best answer the question, best first (a bug report -> the files to change).
   * Files are ranked on the (fused) ranking of their chunks, lexical-only and hybrid alike.
   */
  async rankFiles(question: string, options: RankFilesOptions): Promise<RankFilesResult> {
    const { k, signal } = options;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    const { mode, fused } = await this.search(question, options.rewrite, options.candidates ?? Math.max(100, 10 * k), signal);
    return { mode, files: aggregateByFile(creditCopiesToOriginals(this.read(fused), this.index)).slice(0, k) };
  }

  /** The fused ranking, best first; lexical hits' chunks are not read yet (`read`). */
  private async search(question: string, rewrite: string | undefined, candidates: number, signal: AbortSignal | undefined): Promise<{ mode: IndexMode; fused: Ranked[] }> {
    if (!Number.isInteger(candidates) || candidates < 1) throw new RangeError(`candidates must be a positive integer, got ${candidates}`);
    signal?.throwIfAborted();
    const own = typeof question === 'string' ? question.trim() : '';
    const alsoSearched = typeof rewrite === 'string' && rewrite.trim() !== own ? rewrite.trim() : '';
    const lexicalQuery = alsoSearched ? lexicalQueryWithRewrite(own, alsoSearched) : lexicalQueryFor(own);
    // One embedding for both: the rewrite says what "it" is, the question what the user asked.
    const text = alsoSearched ? `${own}\n${alsoSearched}` : own;
    const canEmbed = this.embedQuery !== undefined && this.index.vectorCount() > 0;
    if (!lexicalQuery) return { mode: canEmbed ? 'hybrid' : 'lexical', fused: [] };

    const vectorHits = canEmbed ? await this.vectorHits(text, candidates, signal) : undefined;
    signal?.throwIfAborted();
    const lexicalHits = this.index.lexicalRanking(lexicalQuery, Math.max(MIN_LEXICAL_CANDIDATES, candidates));
    // Chunks that define what the question names rank with the best matches, found by either search or not.
    const definitions = definitionsNamedIn(own, this.index);
    const promote = (hits: Ranked[]) => promoteDefinitions<Ranked>(hits, definitions, (chunk, score) => ({ chunk, score, via: ['lexical'] }));
    const { rrfK, vectorWeight } = this.fusion;
    // Lexical-only, a report's hits score by rank as in the fused ranking: a file then gains from its
    // further matching chunks by their rank, not by raw BM25 scores whose spread one long chunk
    // dominates (dev set: Acc@5 66.2 -> 69.0%). A short question keeps BM25 scores, which tell its few
    // terms' best match better (corpora: file recall@5 87.9% by rank, 91.0% by score).
    if (!vectorHits) {
      const lexical = lexicalHits.map((hit): Ranked => ({ ...hit, via: ['lexical'] }));
      const ranked = isReport(own) ? reciprocalRankFusion<Chunk | ChunkRef>([{ source: 'lexical', hits: lexicalHits }], rrfK) : lexical;
      return { mode: 'lexical', fused: weighByFileKind(promote(ranked), own) };
    }
    const fused = reciprocalRankFusion<Chunk | ChunkRef>(
      [
        { source: 'vector', hits: vectorHits, weight: vectorWeight * (await this.vectorShare()) },
        { source: 'lexical', hits: lexicalHits },
      ],
      rrfK,
    );
    return { mode: 'hybrid', fused: weighByFileKind(promote(fused), own) };
  }

  /** The hits with their chunks read; one whose file changed since the search is left out. */
  private read(hits: Ranked[]): RetrievedChunk[] {
    return hits.flatMap((hit) => {
      const chunk = 'text' in hit.chunk ? hit.chunk : this.index.getChunk(hit.chunk.id);
      return chunk ? [{ ...hit, chunk }] : [];
    });
  }

  /** 1 for a model that matches meaning, MEANINGLESS_VECTOR_SHARE for one that does not; 1 while it cannot be asked. */
  private async vectorShare(): Promise<number> {
    // Not the query's signal: a cancelled question must not leave a verdict behind.
    this.meaning ??= embeddingsCarryMeaning(this.embedQuery!).catch((err: unknown) => {
      this.meaning = undefined;
      throw err;
    });
    try {
      return (await this.meaning) ? 1 : MEANINGLESS_VECTOR_SHARE;
    } catch {
      return 1;
    }
  }

  /** Undefined when the query cannot be embedded now (Ollama down, model missing): search goes on lexically. */
  private async vectorHits(text: string, candidates: number, signal: AbortSignal | undefined): Promise<RefHit[] | undefined> {
    try {
      const vector = await this.embedQuery!(text.slice(0, MAX_EMBED_QUERY_CHARS), signal);
      return this.index.vectorRanking(vector, candidates);
    } catch {
      // Cancellation is the caller's decision, not a reason to fall back.
      signal?.throwIfAborted();
      return undefined;
    }
  }

  /**
   * Pieces of long declarations with their enclosing signatures shown above them; with `readCurrent`,
   * only where every line shown above the piece still reads so in the file.
   */
  private async withSignatures(results: RetrievedChunk[], readCurrent: RetrieveOptions['readCurrent'], signal: AbortSignal | undefined): Promise<RetrievedChunk[]> {
    const out: RetrievedChunk[] = [];
    for (const result of results) {
      const extended = withEnclosingSignatures(result, this.index);
      if (extended === result || !readCurrent) {
        out.push(extended);
        continue;
      }
      const above = linesShownAbove(extended, result.chunk.startLine);
      const current = await freshVersions(above, readCurrent);
      signal?.throwIfAborted();
      out.push(current.every((c, i) => c?.chunk.startLine === above[i].chunk.startLine) ? extended : result);
    }
    return out;
  }

  /**
   * Checks freshness in batches of k, best first, until k fresh results are found or candidates run
   * out. A merged result that is stale as a whole (one of its parts was edited) gives way to its
   * parts that are still fresh, in its place.
   */
  private async freshTop(
    groups: Array<{ merged: RetrievedChunk; members: RetrievedChunk[] }>,
    k: number,
    readCurrent: (path: string) => Promise<string | undefined>,
    signal: AbortSignal | undefined,
  ): Promise<RetrievedChunk[]> {
    const fresh: RetrievedChunk[] = [];
    for (let at = 0; at < groups.length && fresh.length < k; at += k) {
      const batch = groups.slice(at, at + k);
      const merged = await freshVersions(batch.map((g) => g.merged), readCurrent);
      const retry = batch.filter((g, i) => merged[i] === undefined && g.members.length > 1).flatMap((g) => g.members);
      const retried = retry.length > 0 ? await freshVersions(retry, readCurrent) : [];
      const memberVersions = new Map(retry.map((member, i) => [member, retried[i]]));
      signal?.throwIfAborted();
      batch.forEach((group, i) => {
        const version = merged[i];
        if (version) fresh.push(version);
        else for (const member of group.members) {
          const memberVersion = memberVersions.get(member);
          if (memberVersion) fresh.push(memberVersion);
        }
      });
    }
    return fresh.slice(0, k);
  }
}

/**
 * What of a ranking is read for excerpts: its first `candidates` hits, and the deeper hits in their
 * files, which merge with them into fuller excerpts at no further file read. The deep lexical pool
 * is there to rank (weighing by file kind moves code up from deep ranks); reading each hit's file
 * costs ~0.15 ms, and reading all 200 made a query 4.8x the brute-force scan at 20k chunks. Reading
 * only the first `candidates` cost the corpora's chunk recall@5 3 points (lint rules, 76.7% ->
 * 73.8%), as excerpts lost the neighbours they merged with; with their files' deeper hits, 77.0%.
 */
function headOf(ranked: Ranked[], candidates: number): Ranked[] {
  const paths = new Set(ranked.slice(0, candidates).map((hit) => hit.chunk.path));
  return ranked.filter((hit, i) => i < candidates || paths.has(hit.chunk.path));
}
