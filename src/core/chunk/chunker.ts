// Splits a file into the chunks Lore embeds and searches: declarations for code (tree-sitter),
// heading sections for Markdown and reStructuredText, line windows for everything else (inThread.ts).
// By default the work runs on worker threads (workerPool.ts), so parsing neither blocks the extension
// host's event loop nor waits for the store; in the calling thread when no worker can start.
import * as os from 'node:os';
import * as path from 'node:path';
import { UnreadableDocumentError } from '../docs/document';
import type { Chunk } from '../types';
import { defaultGrammarDir } from './grammars';
import { ChunkOptions, InThreadChunker, resolveOptions } from './inThread';
import { ChunkWorkerPool, ChunkingError } from './workerPool';

export interface ChunkerOptions {
  /** Worker threads that chunk; 0 chunks in the calling thread. Default: `defaultChunkWorkers()`. */
  workers?: number;
  /** The workers' entry point. Default: chunkWorker.js beside this code (out/ for tsc, dist/ for the bundle). */
  workerScript?: string;
}

/** One core is left to the thread that reads files and writes the store; at most 4 workers. */
export function defaultChunkWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

export class Chunker {
  private pool?: ChunkWorkerPool;
  /** Why chunking runs in the calling thread although workers were asked for. */
  private startProblem?: string;
  private inThreadChunker?: Promise<InThreadChunker>;
  private disposed = false;

  private constructor(private readonly grammarDir: string) {}

  /**
   * `grammarDir` holds tree-sitter.wasm and the grammar .wasm files. By default: `grammars/` next to
   * this code if present (the esbuild bundle copies them to dist/grammars), else the `wasm/` folder of
   * @vscode/tree-sitter-wasm. Rejects when the folder has no tree-sitter.wasm. Grammars load lazily,
   * once per language (and worker). When no worker can start, chunks in the calling thread and says
   * why in `workerProblem`.
   */
  static async create(grammarDir: string = defaultGrammarDir(), options: ChunkerOptions = {}): Promise<Chunker> {
    const workers = options.workers ?? defaultChunkWorkers();
    if (!Number.isInteger(workers) || workers < 0) {
      throw new RangeError(`Chunker: workers must be a non-negative integer, got ${workers}`);
    }
    const chunker = new Chunker(grammarDir);
    if (workers > 0) {
      const script = options.workerScript ?? path.join(__dirname, 'chunkWorker.js');
      try {
        chunker.pool = await ChunkWorkerPool.start(script, grammarDir, workers, (file, content, chunkOptions) => chunker.chunkInThread(file, content, chunkOptions));
      } catch (err) {
        chunker.startProblem = err instanceof Error ? err.message : String(err);
      }
    }
    // Without workers, a missing or broken tree-sitter runtime is reported here rather than on first use.
    if (!chunker.pool) await chunker.inThread();
    return chunker;
  }

  /** Why chunking runs in the calling thread although workers were asked for, if it does. */
  get workerProblem(): string | undefined {
    return this.startProblem;
  }

  /** Worker threads chunking now; 0 when chunking runs in the calling thread. */
  get workerCount(): number {
    return this.pool?.size ?? 0;
  }

  /**
   * Chunks one file. `text` is already decoded and secret-masked; lines split on '\n' only (a CRLF
   * file keeps its '\r's inside chunk text, line numbers stay right). Chunk rows are 1-based and
   * inclusive, and `text` is exactly those rows, except for the pieces of a single row too long for
   * the budget, which share that row's number and concatenate back to it. Never fails on the content:
   * a parser failure falls back to line windows. Throws a RangeError on invalid options, and a
   * ChunkingError when this one file could not be chunked (its worker died on it, or it is a
   * document that cannot be read: `unreadable`). Documents (PDF, Word, HTML, notebooks: see
   * docs/index.ts) come raw, as text or bytes; the workers extract and mask their text.
   */
  async chunk(path: string, content: string | Uint8Array, options?: Partial<ChunkOptions>): Promise<Chunk[]> {
    const resolved = resolveOptions(options);
    if (this.disposed) throw new Error('Lore chunker: disposed');
    if (typeof content === 'string' && !/\S/.test(content)) return [];
    try {
      return this.pool ? await this.pool.run(path, content, resolved) : await this.chunkInThread(path, content, resolved);
    } catch (err) {
      if (err instanceof ChunkingError || this.disposed) throw err;
      if (err instanceof UnreadableDocumentError) throw new ChunkingError(path, err.reason, true);
      throw new ChunkingError(path, err instanceof Error ? err.message : String(err));
    }
  }

  /** Terminates the workers; chunk requests not answered yet reject. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.pool?.dispose();
  }

  private async chunkInThread(path: string, content: string | Uint8Array, options: ChunkOptions): Promise<Chunk[]> {
    return (await this.inThread()).chunk(path, content, options);
  }

  /** Opened on first need: with workers running, the calling thread never loads tree-sitter. */
  private inThread(): Promise<InThreadChunker> {
    this.inThreadChunker ??= InThreadChunker.open(this.grammarDir).catch((err: unknown) => {
      this.inThreadChunker = undefined;
      throw err;
    });
    return this.inThreadChunker;
  }
}
