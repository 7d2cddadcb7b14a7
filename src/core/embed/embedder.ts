// Turns chunk texts into unit-length vectors with Ollama's /api/embed: cache first, batched, a bounded
// number of requests in flight, transient failures retried with backoff, and every failure sorted into
// one the indexer can act on (wait for Ollama, pull the model, rebuild the vectors).
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbedResponse, ShowResponse } from 'ollama';
import { isCacheKey, type EmbeddingCache } from './cache';
import { callOllama, classifyFailure, isAuthStatus, ModelMissingError, normalizeHost, OllamaAuthError, OllamaUnavailableError, type CallFailure } from '../ollama';
import { DEFAULT_EMBED_MODEL } from '../defaults';
import { DimensionMismatchError } from './errors';
import { HostPool } from './hostPool';

export interface EmbedderOptions {
  host: string;
  /** Several embedding hosts serving the same model (default: just `host`); requests go to whichever is free. */
  hosts?: string[];
  model: string;
  /** Texts per /api/embed request; default 16. */
  batchSize?: number;
  /** Requests in flight at once, per host; default 1. */
  concurrency?: number;
  /** Retries of a transient failure before giving up; default 4. */
  maxRetries?: number;
  /** Deadline of one request (the first one may wait for the model to load); default 60 s. */
  requestTimeoutMs?: number;
  /** First backoff delay, doubled per retry, with jitter; default 500 ms. */
  retryBaseMs?: number;
}

export type EmbedProbe =
  /** `refused`: hosts left out because they serve another model (one message each). */
  | { ok: true; contextLength: number; dims?: number; refused?: string[] }
  | { ok: false; reason: 'unreachable' | 'model-missing' | 'not-embedding-model' | 'unauthorized' | 'error'; message: string };

export interface EmbedItem {
  /** The chunk hash: the cache key. */
  hash: string;
  text: string;
}

/** Probing only reads metadata, so a server that takes longer than this is in no state to embed. */
const PROBE_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** Used when Ollama does not report the model's context length: its historical default window. */
const FALLBACK_CONTEXT_LENGTH = 2048;

/** Ollama refused an input longer than the model's context (we send `truncate: false`). */
class ContextExceededError extends Error {}

export class Embedder {
  readonly model: string;
  /** The first host: the one messages name when the failure is not about a host in particular. */
  readonly host: string;
  readonly hosts: readonly string[];
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxRetries: number;
  private readonly requestTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly pool: HostPool;
  /** Vector size seen first in this process, the reference when the cache has none yet. */
  private seenDims: number | undefined;
  private sent = 0;
  private readonly truncated: string[] = [];

  constructor(
    options: EmbedderOptions,
    private readonly cache?: EmbeddingCache,
  ) {
    this.hosts = [...new Set((options.hosts?.length ? options.hosts : [options.host]).map((h) => normalizeHost(h)))];
    this.host = this.hosts[0];
    this.model = options.model.trim();
    if (!this.model) throw new Error('No embedding model name given.');
    if (cache && cache.model !== this.model) throw new Error(`The embedding cache holds model "${cache.model}", not "${this.model}".`);
    this.batchSize = checkedInteger('batchSize', options.batchSize ?? 16, 1);
    this.concurrency = checkedInteger('concurrency', options.concurrency ?? 1, 1);
    this.maxRetries = checkedInteger('maxRetries', options.maxRetries ?? 4, 0);
    this.requestTimeoutMs = checkedInteger('requestTimeoutMs', options.requestTimeoutMs ?? 60_000, 1);
    this.retryBaseMs = checkedInteger('retryBaseMs', options.retryBaseMs ?? 500, 0);
    this.pool = new HostPool(this.hosts, this.concurrency);
  }

  /** How many chunk texts Ollama embedded for this embedder (cache hits and queries excluded). */
  get sentCount(): number {
    return this.sent;
  }

  /** Hashes of chunks too long for the model's context that were embedded truncated, as a last resort. */
  get truncatedHashes(): readonly string[] {
    return this.truncated;
  }

  /**
   * Whether embeddings can be made now, and the model's context length and vector size when they can.
   * With several hosts, each is asked: one serving another model (or another size of vectors) than the
   * first that answers is refused for good; one that does not answer is set aside and tried later.
   */
  async probe(signal?: AbortSignal): Promise<EmbedProbe> {
    const answers = await Promise.all(this.pool.serving.map(async (host) => ({ host, answer: await this.probeHost(host, signal) })));
    const reference = answers.find((a) => a.answer.probe.ok);
    if (!reference) return answers[0].answer.probe;
    const refused: string[] = [];
    for (const { host, answer } of answers) {
      if (host === reference.host) continue;
      const difference = answer.probe.ok ? modelDifference(reference.answer.info!, answer.info!) : undefined;
      if (difference) {
        const reason = `Embedding host ${host} is not used: its "${this.model}" ${difference} as at ${reference.host}.`;
        this.pool.refuse(host, reason);
        refused.push(reason);
      } else if (!answer.probe.ok && (answer.probe.reason === 'model-missing' || answer.probe.reason === 'not-embedding-model')) {
        const reason = `Embedding host ${host} is not used: ${answer.probe.message}`;
        this.pool.refuse(host, reason);
        refused.push(reason);
      } else if (!answer.probe.ok) {
        this.pool.setAside(host);
      }
    }
    const ok = reference.answer.probe as Extract<EmbedProbe, { ok: true }>;
    return refused.length ? { ...ok, refused } : ok;
  }

  private async probeHost(host: string, signal?: AbortSignal): Promise<{ probe: EmbedProbe; info?: ShowResponse }> {
    const timeoutMs = Math.min(this.requestTimeoutMs, PROBE_TIMEOUT_MS);
    try {
      await callOllama(host, timeoutMs, signal, (client) => client.version());
    } catch (err) {
      if (signal?.aborted) throw err;
      const failure = classifyFailure(err);
      if (failure.kind === 'network' || failure.kind === 'timeout') return { probe: { ok: false, reason: 'unreachable', message: unreachableMessage(host, failure) } };
      if (failure.kind === 'http' && isAuthStatus(failure.status)) return { probe: { ok: false, reason: 'unauthorized', message: new OllamaAuthError(host, failure.status).message } };
      return { probe: { ok: false, reason: 'error', message: `The server at ${host} does not answer like Ollama (${failureText(failure)}).` } };
    }
    let info: ShowResponse;
    try {
      info = await callOllama(host, timeoutMs, signal, (client) => client.show({ model: this.model }));
    } catch (err) {
      if (signal?.aborted) throw err;
      const failure = classifyFailure(err);
      if (failure.kind === 'http' && failure.status === 404) return { probe: { ok: false, reason: 'model-missing', message: new ModelMissingError(this.model, host).message } };
      if (failure.kind === 'http' && isAuthStatus(failure.status)) return { probe: { ok: false, reason: 'unauthorized', message: new OllamaAuthError(host, failure.status).message } };
      if (failure.kind === 'network' || failure.kind === 'timeout') return { probe: { ok: false, reason: 'unreachable', message: unreachableMessage(host, failure) } };
      return { probe: { ok: false, reason: 'error', message: `Ollama could not describe model "${this.model}": ${failureText(failure)}.` } };
    }
    if (!canEmbed(info)) {
      return {
        probe: {
          ok: false,
          reason: 'not-embedding-model',
          message: `Model "${this.model}" cannot make embeddings (it offers: ${info.capabilities.join(', ') || 'nothing'}). Choose an embedding model such as ${DEFAULT_EMBED_MODEL}.`,
        },
      };
    }
    return { probe: { ok: true, ...modelShape(info) }, info };
  }

  /** Vectors for `items`, in their order: cached ones from the cache, the rest from Ollama (then cached). */
  async embed(items: EmbedItem[], signal?: AbortSignal): Promise<Float32Array[]> {
    signal?.throwIfAborted();
    for (const item of items) {
      if (typeof item.text !== 'string') throw new Error(`Chunk ${item.hash} has no text to embed.`);
      if (this.cache && !isCacheKey(item.hash)) throw new Error(`Invalid chunk hash "${item.hash}": expected 32 lowercase hex characters.`);
    }
    const results = new Array<Float32Array>(items.length);
    // Equal hashes mean equal texts: each is sent once.
    const positions = new Map<string, number[]>();
    const toSend: EmbedItem[] = [];
    items.forEach((item, i) => {
      const cached = this.cache?.get(item.hash);
      if (cached) {
        results[i] = cached;
        return;
      }
      const at = positions.get(item.hash);
      if (at) at.push(i);
      else {
        positions.set(item.hash, [i]);
        toSend.push(item);
      }
    });

    const batches: EmbedItem[][] = [];
    for (let i = 0; i < toSend.length; i += this.batchSize) batches.push(toSend.slice(i, i + this.batchSize));
    let next = 0;
    let failure: unknown;
    // After a failure no new batch starts, but those in flight finish and are cached: nothing paid for is lost.
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < batches.length) {
        const batch = batches[next++];
        try {
          const vectors = await this.embedBatch(batch, signal);
          batch.forEach((item, j) => {
            this.cache?.set(item.hash, vectors[j]);
            for (const i of positions.get(item.hash) ?? []) results[i] = vectors[j];
          });
        } catch (err) {
          failure ??= err;
        }
      }
    };
    // Enough workers to fill every host's slots; the pool decides which host each batch goes to.
    await Promise.all(Array.from({ length: Math.min(this.concurrency * this.pool.serving.length, batches.length) }, worker));
    if (failure !== undefined) throw failure;
    return results;
  }

  /** The vector of a search query (not cached: queries rarely repeat). Goes ahead of queued indexing batches. */
  async embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array> {
    try {
      return (await this.request([text], false, true, signal))[0];
    } catch (err) {
      if (!(err instanceof ContextExceededError)) throw err;
      // A query longer than the model's window: its head still finds the right code.
      return (await this.request([text], true, true, signal))[0];
    }
  }

  private async embedBatch(batch: EmbedItem[], signal?: AbortSignal): Promise<Float32Array[]> {
    try {
      return await this.request(batch.map((item) => item.text), false, false, signal);
    } catch (err) {
      if (!(err instanceof ContextExceededError)) throw err;
    }
    // Some input is longer than the model's context: find which, one at a time, and embed only that
    // one truncated (the indexer sizes chunks to the context, so this is a last resort).
    const vectors: Float32Array[] = [];
    for (const item of batch) {
      try {
        vectors.push(...(await this.request([item.text], false, false, signal)));
      } catch (err) {
        if (!(err instanceof ContextExceededError)) throw err;
        vectors.push(...(await this.request([item.text], true, false, signal)));
        this.truncated.push(item.hash);
      }
    }
    return vectors;
  }

  /**
   * One /api/embed call, retried on transient failures: at once on another host when one is ready,
   * otherwise after a backoff. A query goes ahead of queued chunk batches.
   */
  private async request(texts: string[], truncate: boolean, forQuery: boolean, signal?: AbortSignal): Promise<Float32Array[]> {
    let hostsTriedThisAttempt = 0;
    for (let attempt = 0; ; ) {
      const lease = await this.pool.acquire(forQuery, signal);
      let failure: CallFailure;
      try {
        const response = await callOllama(lease.host, this.requestTimeoutMs, signal, (client) => client.embed({ model: this.model, input: texts, truncate }));
        const vectors = this.checkedVectors(response, texts.length);
        this.pool.succeeded(lease.host);
        if (!forQuery) this.sent += texts.length;
        return vectors;
      } catch (err) {
        if (signal?.aborted) throw err;
        failure = this.permanentOrTransient(err, lease.host);
      } finally {
        lease.release();
      }
      const failedHost = lease.host;
      this.pool.setAside(failedHost);
      // Another host takes the work now; a retry round ends once every host has failed it.
      if (++hostsTriedThisAttempt < this.pool.serving.length && this.pool.hasOtherReady(failedHost)) continue;
      hostsTriedThisAttempt = 0;
      if (attempt >= this.maxRetries) {
        throw new OllamaUnavailableError(`${unreachableMessage(failedHost, failure)} (${attempt + 1} attempt${attempt ? 's' : ''}${this.hosts.length > 1 ? ` on ${this.hosts.length} hosts` : ''})`);
      }
      await sleep(this.backoffMs(attempt++), undefined, { signal }).catch((err: unknown) => {
        throw signal?.aborted ? signal.reason : err;
      });
    }
  }

  /** Throws the failures that retrying cannot fix; returns the transient ones. */
  private permanentOrTransient(err: unknown, host: string): CallFailure {
    const failure = classifyFailure(err);
    if (failure.kind === 'network' || failure.kind === 'timeout') return failure;
    if (failure.kind === 'other') throw err;
    if (/context length|context window|exceeds the context/i.test(failure.message)) throw new ContextExceededError(failure.message);
    if (failure.status === 404) throw new ModelMissingError(this.model, host);
    if (isAuthStatus(failure.status)) throw new OllamaAuthError(host, failure.status);
    if (failure.status >= 500 || failure.status === 429 || failure.status === 408) return failure;
    if (/does not support embed/i.test(failure.message)) {
      throw new Error(`Model "${this.model}" cannot make embeddings (${failure.message}). Choose an embedding model such as ${DEFAULT_EMBED_MODEL}.`);
    }
    throw new Error(`Ollama at ${host} rejected the embedding request (HTTP ${failure.status}): ${failure.message}`);
  }

  private checkedVectors(response: EmbedResponse, expectedCount: number): Float32Array[] {
    const embeddings: unknown = response?.embeddings;
    if (!Array.isArray(embeddings) || embeddings.length !== expectedCount) {
      throw new Error(`Ollama returned ${Array.isArray(embeddings) ? embeddings.length : 'no'} embeddings for ${expectedCount} inputs.`);
    }
    return embeddings.map((values: unknown) => {
      if (!Array.isArray(values) || !values.length || values.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw new Error(`Ollama returned a malformed embedding for model "${this.model}".`);
      }
      const expected = this.cache?.dims ?? this.seenDims;
      if (expected !== undefined && values.length !== expected) throw new DimensionMismatchError(expected, values.length, this.model);
      this.seenDims ??= values.length;
      return unitVector(values as number[]);
    });
  }

  private backoffMs(attempt: number): number {
    const exponential = Math.min(MAX_BACKOFF_MS, this.retryBaseMs * 2 ** attempt);
    // Jitter spreads the retries of several windows or tools hitting one Ollama that just came back.
    return exponential * (0.5 + Math.random() / 2);
  }
}

/** Context length and vector size from /api/show's model_info (`<architecture>.context_length`, ...). */
function modelShape(info: ShowResponse): { contextLength: number; dims?: number } {
  const modelInfo = (info.model_info ?? {}) as unknown as Record<string, unknown>;
  const arch = modelInfo['general.architecture'];
  const field = (name: string): number | undefined => {
    const key = typeof arch === 'string' && `${arch}.${name}` in modelInfo ? `${arch}.${name}` : Object.keys(modelInfo).find((k) => k.endsWith(`.${name}`));
    const value = key === undefined ? undefined : modelInfo[key];
    return typeof value === 'number' && value > 0 ? value : undefined;
  };
  let contextLength = field('context_length') ?? FALLBACK_CONTEXT_LENGTH;
  // A Modelfile's num_ctx below the trained length is the window the model actually runs with.
  const numCtx = /^num_ctx\s+(\d+)/m.exec(typeof info.parameters === 'string' ? info.parameters : '');
  if (numCtx && Number(numCtx[1]) > 0) contextLength = Math.min(contextLength, Number(numCtx[1]));
  const dims = field('embedding_length');
  return dims === undefined ? { contextLength } : { contextLength, dims };
}

/**
 * Ollama versions without capabilities in /api/show embed with any model, so absence is no verdict; some
 * versions list an embedding model as "completion", so a pooling layer (Ollama's own test) also counts.
 */
function canEmbed(info: ShowResponse): boolean {
  if (!Array.isArray(info.capabilities) || info.capabilities.includes('embedding')) return true;
  const modelInfo = (info.model_info ?? {}) as unknown as Record<string, unknown>;
  return Object.keys(modelInfo).some((key) => key.endsWith('.pooling_type'));
}

/** Scaled to length 1, so cosine similarity is a dot product. A zero vector stays zero. */
function unitVector(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

function unreachableMessage(host: string, failure: CallFailure): string {
  switch (failure.kind) {
    case 'network':
      return `Cannot reach Ollama at ${host} (${failure.message}). Is it running? Start it with \`ollama serve\`.`;
    case 'timeout':
      return `Ollama at ${host} gave ${failure.message}.`;
    default:
      return `Ollama at ${host} keeps failing: ${failureText(failure)}.`;
  }
}

/** How another host's copy of the model differs from the reference one, if it does (size of vectors, architecture, parameters). */
function modelDifference(reference: ShowResponse, other: ShowResponse): string | undefined {
  const a = modelFacts(reference);
  const b = modelFacts(other);
  if (a.dims !== undefined && b.dims !== undefined && a.dims !== b.dims) return `makes ${b.dims}-dimension vectors, not ${a.dims}`;
  if (a.architecture && b.architecture && a.architecture !== b.architecture) return `is a ${b.architecture} model, not ${a.architecture}`;
  if (a.parameters && b.parameters && a.parameters !== b.parameters) return `has ${b.parameters} parameters, not ${a.parameters}`;
  return undefined;
}

function modelFacts(info: ShowResponse): { dims?: number; architecture?: string; parameters?: number } {
  const modelInfo = (info.model_info ?? {}) as unknown as Record<string, unknown>;
  const architecture = typeof modelInfo['general.architecture'] === 'string' ? (modelInfo['general.architecture'] as string) : undefined;
  const parameters = typeof modelInfo['general.parameter_count'] === 'number' ? (modelInfo['general.parameter_count'] as number) : undefined;
  return { dims: modelShape(info).dims, architecture, parameters };
}

function failureText(failure: CallFailure): string {
  return failure.kind === 'http' ? `HTTP ${failure.status}: ${failure.message}` : failure.message;
}

function checkedInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`Embedder option ${name} must be an integer >= ${min}, got ${value}.`);
  return value;
}
