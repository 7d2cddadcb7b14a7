// The search Lore offers other agents: the MCP server's `search` tool and the VS Code language model
// tool. One input contract, one result shape and one text form, so both answer alike and the chat's
// safeguards (freshness check, masked secrets) hold for them too.
import ignore from 'ignore';
import type { IndexMode, RetrievedChunk } from '../types';
import type { Retriever } from './retriever';

/** What an agent reads to decide when to call the tool (also package.json's `modelDescription`; a test keeps them equal). */
export const SEARCH_TOOL_DESCRIPTION =
  "Search the workspace's code and docs with Lore's local index (hybrid: embeddings plus BM25 over identifiers, kept fresh as files change; secrets masked). " +
  'Returns numbered excerpts with their file path and line range; a line "⋮ lines a-b left out" in an excerpt stands for file lines not shown (read the file for them). ' +
  'Prefer it over grep when you do not know the exact name or file: questions in plain words ("where are retries handled?", "how is the config parsed?"), ' +
  'a bug report or error message to find the code involved, or a concept spread over several files. ' +
  'Use grep instead for every occurrence of an exact string. Optional: k (number of excerpts), path (a glob in .gitignore syntax, e.g. "src/**" or "*.py").';

export const DEFAULT_SEARCH_K = 8;
export const MAX_SEARCH_K = 50;

/** The parameters' descriptions (also in package.json's `inputSchema`). */
export const SEARCH_PARAMETERS = {
  query: 'What to find, in plain words or with identifiers: "where are failed requests retried?"',
  k: `How many excerpts to return (default ${DEFAULT_SEARCH_K}, at most ${MAX_SEARCH_K})`,
  path: 'Only files matching this glob (.gitignore syntax): "src/**", "*.py", "docs/"',
} as const;
export const MAX_QUERY_CHARS = 20_000;
/** Candidates taken from each ranking when a path filter may drop most of them. */
const FILTERED_CANDIDATES = 500;

export interface AgentSearchInput {
  query: string;
  k?: number;
  path?: string;
}

export interface AgentSearchResult {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  text: string;
  symbol?: string;
  language: string;
}

export interface AgentSearchOutput {
  mode: IndexMode;
  results: AgentSearchResult[];
}

/** Input an agent must correct; the message says how. */
export class SearchInputError extends Error {}

/** Checks what an agent sent (shape and sense); throws SearchInputError with a message meant for the agent. */
export function checkSearchInput(input: unknown): Required<Pick<AgentSearchInput, 'query' | 'k'>> & { path?: string } {
  const { query, k, path } = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof query !== 'string') throw new SearchInputError('query is missing: give the question or the words to look for.');
  if (!query.trim()) throw new SearchInputError("query is empty: give the question or the words to look for, e.g. 'where are retries handled?'.");
  if (query.length > MAX_QUERY_CHARS) throw new SearchInputError(`query is ${query.length} characters long; keep it under ${MAX_QUERY_CHARS}.`);
  if (k !== undefined && (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K)) {
    throw new SearchInputError(`k must be a whole number from 1 to ${MAX_SEARCH_K}, got ${JSON.stringify(k)}.`);
  }
  if (path !== undefined && (typeof path !== 'string' || !path.trim())) throw new SearchInputError('path must be a non-empty glob such as "src/**" or "*.py", or left out.');
  return { query, k: k ?? DEFAULT_SEARCH_K, ...(path !== undefined ? { path: path.trim() } : {}) };
}

/** A path glob in .gitignore syntax ("src/", "*.ts", "lib/**\/*.py"), matched against POSIX paths relative to the folder. */
export function pathMatcher(glob: string): (path: string) => boolean {
  const matcher = ignore().add(glob.replace(/^\.\//, ''));
  return (path) => matcher.ignores(path);
}

/** Runs one agent search: checked input, optional path filter, fresh and masked excerpts. */
export async function searchForAgent(
  retriever: Pick<Retriever, 'retrieve'>,
  input: unknown,
  options: { readCurrent: (path: string) => Promise<string | undefined>; signal?: AbortSignal },
): Promise<AgentSearchOutput> {
  const { query, k, path } = checkSearchInput(input);
  const { mode, results } = await retriever.retrieve(query, {
    k,
    readCurrent: options.readCurrent,
    signal: options.signal,
    ...(path ? { pathFilter: pathMatcher(path), candidates: Math.max(FILTERED_CANDIDATES, 40 * k) } : {}),
  });
  return { mode, results: results.map(toAgentResult) };
}

function toAgentResult({ chunk, score }: RetrievedChunk): AgentSearchResult {
  return {
    path: chunk.path,
    startLine: chunk.startLine,
    endLine: chunk.endLine,
    score,
    text: chunk.text,
    ...(chunk.symbol ? { symbol: chunk.symbol } : {}),
    language: chunk.language,
  };
}

/** The excerpts as the model reads them: numbered, each headed by path and line range, in a fence its text cannot close. */
export function formatExcerpts(query: string, output: AgentSearchOutput): string {
  const quoted = JSON.stringify(query.length > 120 ? `${query.slice(0, 117)}...` : query);
  if (!output.results.length) return `Lore found nothing in the index for ${quoted} (${output.mode} search). Try other words, a wider path filter, or grep for an exact string.`;
  const parts = [`Lore found ${output.results.length} excerpt(s) for ${quoted} (${output.mode} search; line numbers are those of the files as they are now):`];
  output.results.forEach((r, i) => {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(r.text) + 1));
    parts.push(`[${i + 1}] ${r.path}:${r.startLine}-${r.endLine}${r.symbol ? ` (${r.symbol})` : ''}\n${fence}${r.language}\n${r.text}\n${fence}`);
  });
  return parts.join('\n\n');
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}
