// `npm run eval -- [options]`. Without options the run is the committed record (eval/results.json):
// lexical rows, and hybrid rows on the test server's embeddings that only prove the plumbing. Real
// quality figures for embeddings and the chat-model rerank need a real Ollama: `--ollama`.
import { parseArgs } from 'node:util';
import { normalizeHost } from '../src/core/ollama';
import { DEFAULT_RRF_K, type FusionSettings } from '../src/core/retrieve';

export const EVAL_USAGE = `Usage: npm run eval -- [options]
  --lexical-only              skip the hybrid rows
  --ollama URL                hybrid rows on a real Ollama's embeddings (not the test server's)
  --embed-model NAME          embedding model for --ollama (default nomic-embed-text)
  --rerank                    with --ollama: add rows reranked by --chat-model (one chat call per question and row)
  --chat-model NAME           chat model for --rerank (default llama3.2)
  --rerank-timeout-ms N       per rerank call (default 8000, as in Lore); past it the retrieval order counts
  --rerank-plumbing           without --ollama: rerank rows against the test server (proves the plumbing only)
  --sample N                  N evenly spaced questions per corpus (a real chat model is slow over ~900 questions)
  --rrf-k N                   hybrid fusion: RRF's rank offset (default 60)
  --vector-weight W           hybrid fusion: weight of the vector ranking against the lexical one's 1 (default 1)
  --devset-only               only the bug-report dev set (eval/devset.json), not the corpora
Runs with options other than --lexical-only write eval/results.local.json, not the committed eval/results.json.`;

export class EvalUsageError extends Error {
  override name = 'EvalUsageError';
}

export interface EvalOptions {
  lexicalOnly: boolean;
  /** A real Ollama for the hybrid (and rerank) rows; undefined: the test server. */
  ollama?: { host: string; embedModel: string };
  /** Rerank rows: with a real chat model, or against the test server ('plumbing'). */
  rerank?: { kind: 'ollama'; chatModel: string; timeoutMs?: number } | { kind: 'plumbing'; timeoutMs?: number };
  sample?: number;
  /** Hybrid fusion other than Lore's default, to tune it on a real embedding model. */
  fusion?: FusionSettings;
  /** Only the bug-report dev set, not the corpora. */
  devSetOnly: boolean;
  /** File name under eval/ the report goes to. */
  resultsFile: 'results.json' | 'results.local.json';
}

export function parseEvalOptions(argv: string[]): EvalOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'lexical-only': { type: 'boolean' },
        ollama: { type: 'string' },
        'embed-model': { type: 'string' },
        rerank: { type: 'boolean' },
        'chat-model': { type: 'string' },
        'rerank-timeout-ms': { type: 'string' },
        'rerank-plumbing': { type: 'boolean' },
        sample: { type: 'string' },
        'rrf-k': { type: 'string' },
        'vector-weight': { type: 'string' },
        'devset-only': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new EvalUsageError((err as Error).message);
  }
  const needsOllama = (name: string) => {
    if (values.ollama === undefined) throw new EvalUsageError(`${name} needs --ollama URL`);
  };
  if (values['embed-model'] !== undefined) needsOllama('--embed-model');
  if (values.rerank) needsOllama('--rerank');
  if (values['chat-model'] !== undefined && !values.rerank) throw new EvalUsageError('--chat-model is for --rerank');
  if (values['rerank-plumbing'] && values.ollama !== undefined) throw new EvalUsageError('--rerank-plumbing is for runs on the test server; with --ollama use --rerank');
  if (values['rerank-timeout-ms'] !== undefined && !values.rerank && !values['rerank-plumbing']) throw new EvalUsageError('--rerank-timeout-ms is for --rerank or --rerank-plumbing');

  let ollama: EvalOptions['ollama'];
  if (values.ollama !== undefined) {
    let host: string;
    try {
      host = normalizeHost(values.ollama);
    } catch (err) {
      throw new EvalUsageError((err as Error).message);
    }
    ollama = { host, embedModel: nonEmpty(values['embed-model'], '--embed-model') ?? 'nomic-embed-text' };
  }
  const timeoutMs = values['rerank-timeout-ms'] === undefined ? undefined : positiveInteger(values['rerank-timeout-ms'], '--rerank-timeout-ms');
  const rerank: EvalOptions['rerank'] = values.rerank
    ? { kind: 'ollama', chatModel: nonEmpty(values['chat-model'], '--chat-model') ?? 'llama3.2', timeoutMs }
    : values['rerank-plumbing']
      ? { kind: 'plumbing', timeoutMs }
      : undefined;
  const sample = values.sample === undefined ? undefined : positiveInteger(values.sample, '--sample');
  if ((values['rrf-k'] !== undefined || values['vector-weight'] !== undefined) && values['lexical-only']) throw new EvalUsageError('--rrf-k and --vector-weight tune the hybrid rows, which --lexical-only skips');
  const fusion: FusionSettings | undefined =
    values['rrf-k'] === undefined && values['vector-weight'] === undefined
      ? undefined
      : {
          rrfK: values['rrf-k'] === undefined ? DEFAULT_RRF_K : nonNegativeNumber(values['rrf-k'], '--rrf-k'),
          vectorWeight: values['vector-weight'] === undefined ? 1 : nonNegativeNumber(values['vector-weight'], '--vector-weight'),
        };
  const devSetOnly = values['devset-only'] === true;
  const recordRun = !ollama && !rerank && sample === undefined && !fusion && !devSetOnly;
  return { lexicalOnly: values['lexical-only'] === true, ollama, rerank, sample, fusion, devSetOnly, resultsFile: recordRun ? 'results.json' : 'results.local.json' };
}

/** `count` questions spread evenly over `items` (all of them when there are fewer), in their order. */
export function evenSample<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

function positiveInteger(text: string, name: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new EvalUsageError(`${name} takes a whole number >= 1, got '${text}'`);
  return Number(text);
}

function nonNegativeNumber(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new EvalUsageError(`${name} takes a number >= 0, got '${text}'`);
  return value;
}

function nonEmpty(text: string | undefined, name: string): string | undefined {
  if (text !== undefined && !text.trim()) throw new EvalUsageError(`${name} needs a model name`);
  return text?.trim();
}
