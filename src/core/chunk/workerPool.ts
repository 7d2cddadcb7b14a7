// A few worker threads that chunk files (chunkWorker.ts), so tree-sitter runs beside the thread that
// indexes instead of blocking it. Each worker holds a few requests and answers them strictly in
// order, so it keeps working while the calling thread is busy, and a worker that dies is known to
// have died on its oldest unanswered file: that file fails with a ChunkingError, the others go to a
// fresh worker. Idle workers are unref'd, so they never keep a process alive; `dispose` ends them.
import { Worker } from 'node:worker_threads';
import type { Chunk } from '../types';
import type { ChunkOptions } from './inThread';
import { rememberLexicalTerms } from '../lexical/terms';

/** `workerData` of a chunk worker. */
export interface WorkerStart {
  grammarDir: string;
}

/** A worker's first message: whether tree-sitter started. */
export type StartReply = { ready: true } | { failed: string };

export interface ChunkRequest {
  path: string;
  /** Masked text, or a document's raw text or bytes (see `InThreadChunker.chunk`). */
  content: string | Uint8Array;
  options: ChunkOptions;
}

/**
 * Replies come in the order of the requests. `unreadable`: a document that cannot be read as its
 * format. `terms`: each chunk's lexical terms, packed (packLexicalTerms). `more`: a part of a big file's chunks; the rest follows in the next replies.
 */
export type ChunkReply = { chunks: Chunk[]; terms: string[]; more?: true } | { error: string; unreadable?: true };

/**
 * Chunks per reply message. Decoding a message is one task on the calling thread: a 2,400-page PDF's
 * 5,800 chunks and their terms at once held it for ~200 ms, 500 take a few milliseconds.
 */
export const CHUNKS_PER_REPLY = 500;

/**
 * One file could not be chunked (its worker died on it, chunking threw, or it is a document that
 * cannot be read: `unreadable`, with the reason a user reads); other files are unaffected.
 */
export class ChunkingError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly unreadable = false,
  ) {
    super(`Lore chunker: ${path} could not be chunked: ${reason}`);
    this.name = 'ChunkingError';
  }
}

/** Chunks in the calling thread: where requests go once no worker is left. */
export type FallbackChunk = (path: string, content: string | Uint8Array, options: ChunkOptions) => Promise<Chunk[]>;

interface Task {
  request: ChunkRequest;
  /** Chunks of the parts received so far (see ChunkReply's `more`). */
  received?: Chunk[];
  resolve(chunks: Chunk[]): void;
  reject(err: Error): void;
}

/**
 * Requests a worker holds at once. Chunking a file takes a few milliseconds; the calling thread may
 * be busy for tens (a store commit), and the worker should not run dry meanwhile.
 */
const REQUESTS_PER_WORKER = 8;

/**
 * A pathological document (a PDF that inflates without end) ends its worker, and so fails alone as a
 * ChunkingError, instead of growing the process. A 1,000-page PDF extracts within 64 MB.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 1024 };

interface PoolWorker {
  thread: Worker;
  /** Sent and not answered yet, oldest first: the worker is chunking the first. */
  tasks: Task[];
  /** What the thread reported before it stopped (an uncaught error), for the error of its task. */
  lastError?: string;
  /** Takes no more requests, and is replaced once it has answered those it holds (see BIG_FILE_SIZE). */
  retiring?: boolean;
}

/**
 * A worker that has read a file this big (bytes, or characters of text) is replaced by a fresh one:
 * extracting a 2,400-page PDF grows a worker's heap by ~200 MB that V8 keeps for the thread's life;
 * ending the thread returns it. Starting a worker costs less than reading such a file.
 */
const BIG_FILE_SIZE = 1024 * 1024;

export class ChunkWorkerPool {
  private readonly workers = new Set<PoolWorker>();
  /** Threads started but not ready yet: requests wait for them rather than fall back. */
  private readonly starting = new Set<Worker>();
  private readonly queue: Task[] = [];
  private disposed = false;

  private constructor(
    private readonly script: string,
    private readonly grammarDir: string,
    private readonly fallback: FallbackChunk,
  ) {}

  /**
   * Starts `size` workers running `script`. Resolves once every one has started or failed; rejects,
   * with the first failure, only when none started.
   */
  static async start(script: string, grammarDir: string, size: number, fallback: FallbackChunk): Promise<ChunkWorkerPool> {
    const pool = new ChunkWorkerPool(script, grammarDir, fallback);
    const started = await Promise.allSettled(Array.from({ length: size }, () => pool.spawn()));
    if (pool.workers.size === 0) {
      throw (started.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason;
    }
    return pool;
  }

  /** Workers running or starting; 0 once none could restart (requests then run in the calling thread). */
  get size(): number {
    return this.workers.size + this.starting.size;
  }

  run(path: string, content: string | Uint8Array, options: ChunkOptions): Promise<Chunk[]> {
    if (this.disposed) return Promise.reject(disposedError());
    if (this.workers.size === 0 && this.starting.size === 0) return this.fallback(path, content, options);
    return new Promise<Chunk[]>((resolve, reject) => {
      this.queue.push({ request: { path, content, options }, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker; requests not answered yet reject. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const task of this.queue.splice(0)) task.reject(disposedError());
    const workers = [...this.workers];
    this.workers.clear();
    for (const worker of workers) for (const task of worker.tasks.splice(0)) task.reject(disposedError());
    const threads = [...workers.map((worker) => worker.thread), ...this.starting];
    this.starting.clear();
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  /** Hands waiting requests to the least busy workers. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let idlest: PoolWorker | undefined;
      for (const worker of this.workers) if (!worker.retiring && (!idlest || worker.tasks.length < idlest.tasks.length)) idlest = worker;
      if (!idlest || idlest.tasks.length >= REQUESTS_PER_WORKER) break;
      const task = this.queue.shift()!;
      if (idlest.tasks.push(task) === 1) idlest.thread.ref(); // files are being chunked: the process waits for them
      idlest.thread.postMessage(task.request);
    }
    if (this.workers.size === 0 && this.starting.size === 0) {
      for (const { request, resolve, reject } of this.queue.splice(0)) this.fallback(request.path, request.content, request.options).then(resolve, reject);
    }
  }

  /** Resolves once the worker has started tree-sitter and joined the pool; rejects when it cannot. */
  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let thread: Worker;
      try {
        thread = new Worker(this.script, { workerData: { grammarDir: this.grammarDir } satisfies WorkerStart, resourceLimits: WORKER_LIMITS });
      } catch (err) {
        reject(new Error(`cannot start a chunk worker from ${this.script}: ${message(err)}`));
        return;
      }
      const worker: PoolWorker = { thread, tasks: [] };
      this.starting.add(thread);
      let started = false;
      thread.on('message', (reply: StartReply | ChunkReply) => {
        if (!started) {
          started = true;
          this.starting.delete(thread);
          if ('failed' in reply) {
            reject(new Error(`chunk worker could not start: ${reply.failed}`));
            return;
          }
          if (this.disposed) {
            reject(disposedError()); // dispose terminates it
            return;
          }
          thread.unref();
          this.workers.add(worker);
          resolve();
          this.dispatch();
          return;
        }
        this.finish(worker, reply as ChunkReply);
      });
      thread.on('error', (err) => {
        worker.lastError = message(err);
      });
      thread.on('exit', (code) => {
        if (!started) {
          started = true;
          this.starting.delete(thread);
          reject(new Error(`chunk worker from ${this.script} stopped while starting (${worker.lastError ?? `exit code ${code}`})`));
          return;
        }
        this.lost(worker, code);
      });
    });
  }

  private finish(worker: PoolWorker, reply: ChunkReply): void {
    if ('more' in reply) {
      const task = worker.tasks[0];
      reply.chunks.forEach((chunk, i) => rememberLexicalTerms(chunk, reply.terms[i]));
      if (task) (task.received ??= []).push(...reply.chunks);
      return;
    }
    const task = worker.tasks.shift();
    if (worker.tasks.length === 0) worker.thread.unref();
    if (task) {
      if ('error' in reply) task.reject(new ChunkingError(task.request.path, reply.error, reply.unreadable));
      else {
        reply.chunks.forEach((chunk, i) => rememberLexicalTerms(chunk, reply.terms[i]));
        task.resolve(task.received ? [...task.received, ...reply.chunks] : reply.chunks);
      }
      const { content } = task.request;
      if ((typeof content === 'string' ? content.length : content.byteLength) >= BIG_FILE_SIZE) worker.retiring = true;
    }
    if (worker.retiring && worker.tasks.length === 0) this.replace(worker);
    this.dispatch();
  }

  /** Ends an idle worker and starts a fresh one in its place. */
  private replace(worker: PoolWorker): void {
    if (!this.workers.delete(worker)) return;
    void worker.thread.terminate();
    this.spawn().catch(() => this.dispatch());
  }

  /**
   * A worker stopped: the file it was chunking fails, the files it held go back to the front of the
   * queue, and a fresh worker takes its place (or, if none can start, the fallback).
   */
  private lost(worker: PoolWorker, code: number): void {
    if (!this.workers.delete(worker)) return; // disposed: its tasks were already rejected
    const [current, ...held] = worker.tasks;
    this.queue.unshift(...held);
    const reason = worker.lastError ?? `exit code ${code}`;
    current?.reject(new ChunkingError(current.request.path, `the chunk worker stopped while chunking it (${reason})`));
    this.spawn().catch(() => this.dispatch());
    this.dispatch(); // to the other workers, if any
  }
}

function disposedError(): Error {
  return new Error('Lore chunker: disposed');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
