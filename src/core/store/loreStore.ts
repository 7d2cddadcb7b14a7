// Lore's index on disk and in memory.
//
// On disk (`dir`):
//   store.json     format version, embedding model and dimension (storeMeta.ts, written atomically)
//   lexical.bin    a snapshot of the lexical index (lexicalState.ts), so opening does not
//                  re-tokenize every chunk
//   shards/00..ff  a file lives in the shard picked by a hash of its path; each shard is a Vectra
//                  LocalIndex (file records and vectors) plus a chunk pack (chunk text) and a log
//                  of the saves since, see shardFiles.ts, shardFormat.ts and shardDelta.ts. After
//                  a crash each file is wholly old or wholly new, and no separate manifest can
//                  disagree with the shards. Saving a file appends to its shard's log (now and
//                  then rewriting that shard), and touches no other shard.
//
// Ordering between store.json and the shards keeps vectors and their model consistent across a
// crash: the model is recorded before its first vectors are written, and a model switch drops the
// old vectors from every shard before recording the new model.
//
// In memory: file records, chunk ownership, every vector quantized in one packed matrix
// (vectorMatrix.ts) and the lexical index (core/lexical). A vector search reads back from the
// shards only the full-precision vectors of its best candidates, to rank them exactly.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { listFolder, removeTempFiles, sizeOnDisk, tempPathFor } from '../fsAtomic';
import { TimeSlice, yieldToEventLoop } from '../timeSlice';
import type { Chunk, LexicalQueryOptions, RefHit, SearchHit, SearchIndex } from '../types';
import { ChunkOwners } from './chunkOwners';
import { LEXICAL_FILE, LexicalState } from './lexicalState';
import { prepareFiles, prepareVectors, toUnitVector, type FileUpdate, type PreparedFile } from './prepare';
import { SHARD_COUNT, shardName, shardOf, ShardFiles, SHARDS_DIR, type ShardChange, type VectorOffsets } from './shardFiles';
import { DecodedFiles } from './decodedFiles';
import { decodePayload, fileItem, fileItemId, freezeRecord, vectorItem, type FileEntry, type FileRecord } from './shardFormat';
import { FORMAT_VERSION, META_FILE, metaPath, readStoreMeta, writeStoreMeta, type StoreMeta } from './storeMeta';
import { VectorMatrix } from './vectorMatrix';
import { compareCodeUnits } from '../compare';

export type { FileRecord } from './shardFormat';
export type { FileUpdate } from './prepare';

export interface StoreStats {
  files: number;
  chunks: number;
  vectors: number;
  embedModel?: string;
  dims?: number;
  diskBytes: number;
  formatVersion: number;
}

export interface OpenOptions {
  /** Whether the store saves its lexical index to lexical.bin (default true; readers beside a writer do not). */
  savesLexicalSnapshots?: boolean;
}

export class LoreStore implements SearchIndex {
  private meta: StoreMeta = { formatVersion: FORMAT_VERSION };
  private readonly shardFiles: ShardFiles;
  /** Per shard: path -> file. */
  private readonly shards = Array.from({ length: SHARD_COUNT }, () => new Map<string, FileEntry>());
  /** Chunk id -> the file that holds it. */
  private readonly owners = new ChunkOwners();
  private matrix?: VectorMatrix;
  private readonly lexical: LexicalState;
  private readonly decoded: DecodedFiles;
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private recoveredReason?: string;

  private constructor(
    readonly dir: string,
    savesLexicalSnapshots: boolean,
  ) {
    this.shardFiles = new ShardFiles(path.join(dir, SHARDS_DIR));
    this.decoded = new DecodedFiles((entry) => this.shardFiles.payloadOf(entry));
    this.lexical = LexicalState.in(dir, savesLexicalSnapshots, {
      entryOf: (filePath) => this.entryOf(filePath),
      ownerOf: (id) => this.owners.get(id),
      payloadOf: (entry) => this.shardFiles.payloadOf(entry),
      files: () => this.files(),
    });
  }

  /**
   * Creates the store in `dir` if missing. A store that is corrupt, half-written or of another
   * format version is detected: it is wiped and reopened empty, and `recovered` says why (the
   * index can always be rebuilt from the sources).
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<LoreStore> {
    const store = new LoreStore(path.resolve(dir), options.savesLexicalSnapshots ?? true);
    await fs.mkdir(store.dir, { recursive: true });
    try {
      await store.load();
    } catch (err) {
      await store.wipe();
      store.recoveredReason = err instanceof Error ? err.message : String(err);
    }
    return store;
  }

  /**
   * Resolves once every loaded file is in the lexical index, which is filled in the background
   * after `open` (a lexical search before then completes it at once).
   */
  whenLexicalReady(): Promise<void> {
    return this.lexical.whenReady();
  }

  /** Why the store found on disk was unusable and was wiped, if it was. */
  get recovered(): string | undefined {
    return this.recoveredReason;
  }

  getFile(filePath: string): FileRecord | undefined {
    return this.entryOf(filePath)?.record;
  }

  *files(): IterableIterator<FileRecord> {
    for (const shard of this.shards) for (const entry of shard.values()) yield entry.record;
  }

  getChunk(id: string): Chunk | undefined {
    const owner = this.owners.get(id);
    return owner && this.decoded.chunksOf(owner).find((chunk) => chunk.id === id);
  }

  /** The chunks of one file, in line order. */
  chunksOf(filePath: string): Chunk[] {
    const entry = this.entryOf(filePath);
    return entry ? [...this.decoded.chunksOf(entry)] : [];
  }

  /**
   * Replaces everything stored for `record.path` with `chunks`. `vectors` (optional per chunk id;
   * ids of other chunks are ignored) come from the embedding `model`, by default the stored one.
   * A chunk that keeps its id keeps its vector unless a new one is given. Atomic per file; only
   * the shard holding the path is rewritten.
   */
  putFile(record: Omit<FileRecord, 'chunkIds'>, chunks: Chunk[], vectors?: Map<string, Float32Array>, model?: string): Promise<void> {
    return this.putFiles([{ record, chunks, vectors }], model);
  }

  /** Several files in one commit: same semantics as `putFile`, one write per touched shard. */
  putFiles(updates: FileUpdate[], model?: string): Promise<void> {
    return this.exclusive(async () => {
      const prepared = await prepareFiles(updates, (id) => this.owners.get(id)?.record.path);
      const vectors = prepareVectors(
        prepared.flatMap(({ chunks }, i) => chunks.flatMap((chunk) => vectorEntry(chunk.id, updates[i].vectors))),
        model,
        this.meta,
      );
      if (vectors.meta) await this.writeMeta(vectors.meta);
      for (const [shard, files] of groupBy(prepared, (file) => file.entry.shard)) {
        const change: ShardChange = { removeIds: [], insert: [], files: new Map(this.shards[shard]) };
        for (const { entry, chunks } of files) {
          const keep = new Set(chunks.filter((chunk) => !vectors.unit.has(chunk.id)).map((chunk) => chunk.id));
          change.removeIds.push(fileItemId(entry.record.path));
          for (const id of this.entryOf(entry.record.path)?.record.chunkIds ?? []) if (!keep.has(id)) change.removeIds.push(id);
          change.insert.push(fileItem(entry.record));
          for (const chunk of chunks) {
            const vector = vectors.unit.get(chunk.id);
            if (vector) change.insert.push(vectorItem(chunk.id, vector));
          }
          change.files.set(entry.record.path, entry);
        }
        const offsets = await this.shardFiles.commit(shard, change);
        // Every vector of the shard points into the new index.pb before the event loop turns (the lexical adds yield).
        for (const file of files) this.applyFile(file, vectors.unit, offsets);
        this.relocateVectors(offsets);
        for (const { chunks } of files) await this.lexical.add(chunks);
        await yieldToEventLoop();
      }
      await this.lexical.maintain();
    });
  }

  removeFiles(paths: string[]): Promise<void> {
    return this.exclusive(async () => {
      const known = [...new Set(paths)].flatMap((filePath) => this.entryOf(filePath) ?? []);
      for (const [shard, entries] of groupBy(known, (entry) => entry.shard)) {
        const files = new Map(this.shards[shard]);
        for (const entry of entries) files.delete(entry.record.path);
        const removeIds = entries.flatMap((entry) => [fileItemId(entry.record.path), ...entry.record.chunkIds]);
        const offsets = await this.shardFiles.commit(shard, { removeIds, insert: [], files });
        for (const entry of entries) this.forgetFile(entry);
        this.relocateVectors(offsets);
        await yieldToEventLoop();
      }
      await this.lexical.maintain();
    });
  }

  /** Attaches vectors to existing chunks (embedding catch-up). Unknown ids are ignored. */
  setVectors(vectors: Map<string, Float32Array>, model: string): Promise<void> {
    return this.exclusive(async () => {
      const known = [...vectors].filter(([id]) => this.owners.has(id));
      const { unit, meta } = prepareVectors(known, model, this.meta);
      if (unit.size === 0) return;
      if (meta) await this.writeMeta(meta);
      for (const [shard, ids] of groupBy([...unit.keys()], (id) => this.owners.get(id)!.shard)) {
        const insert = ids.map((id) => vectorItem(id, unit.get(id)!));
        const written = await this.shardFiles.commit(shard, { removeIds: ids, insert, files: this.shards[shard] });
        for (const id of ids) this.vectorMatrix().set(id, unit.get(id)!, written.file, written.offsets.get(id)!);
        this.relocateVectors(written);
        await yieldToEventLoop();
      }
    });
  }

  /**
   * Chunks that have no vector yet (for catch-up), grouped by shard and in path order within one,
   * so that committing their vectors in batches rewrites each shard a few times, not every shard
   * per batch. Decodes between event-loop turns: at 100k chunks this is seconds of work.
   */
  async chunksWithoutVectors(): Promise<Chunk[]> {
    const missing: Chunk[] = [];
    const slice = new TimeSlice();
    for (const shard of this.shards) {
      for (const entry of [...shard.values()].sort((a, b) => compareCodeUnits(a.record.path, b.record.path))) {
        if (entry.record.chunkIds.every((id) => this.matrix?.has(id))) continue;
        // Not through the cache: a full catch-up would only evict what searches use.
        for (const chunk of decodePayload(entry.record.path, this.shardFiles.payloadOf(entry))) if (!this.matrix?.has(chunk.id)) missing.push(chunk);
        await slice.pause();
      }
    }
    return missing;
  }

  /**
   * `paths` reordered so that committing them in batches of consecutive paths touches as few shards
   * as possible (grouped by shard, sorted within one): a bulk index then rewrites each shard a few
   * times instead of most shards per batch.
   */
  inWriteOrder(paths: Iterable<string>): string[] {
    const keyed = [...paths].map((filePath) => ({ filePath, shard: shardOf(filePath) }));
    keyed.sort((a, b) => a.shard - b.shard || compareCodeUnits(a.filePath, b.filePath));
    return keyed.map(({ filePath }) => filePath);
  }

  /**
   * The embedding model whose vectors are stored is undefined until the first vector. If it is
   * set and `model` differs, every vector is dropped (chunks and lexical index kept) so they are
   * rebuilt with the new model, and the store expects `model` from then on; returns true then.
   */
  useEmbedModel(model: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (this.meta.embedModel === undefined || this.meta.embedModel === model) return false;
      const withVectors = [...this.owners].filter(([id]) => this.matrix?.has(id));
      for (const [shard, owned] of groupBy(withVectors, ([, entry]) => entry.shard)) {
        const ids = owned.map(([id]) => id);
        const offsets = await this.shardFiles.commit(shard, { removeIds: ids, insert: [], files: this.shards[shard] });
        for (const id of ids) this.matrix!.delete(id);
        this.relocateVectors(offsets);
        await yieldToEventLoop();
      }
      await this.writeMeta({ formatVersion: FORMAT_VERSION, embedModel: model });
      this.matrix = undefined;
      return true;
    });
  }

  /** Best first, with BM25 scores; chunks are not read (a file's decode together, ~0.15 ms), only named. */
  lexicalRanking(query: string, k: number, options?: LexicalQueryOptions): RefHit[] {
    return this.refs(this.lexical.search(query, k, options));
  }

  /** Cosine similarity, best first; [] when no vectors exist. */
  vectorRanking(vector: Float32Array, k: number): RefHit[] {
    const matrix = this.matrix;
    if (!matrix || matrix.size === 0 || !(k >= 1)) return [];
    if (vector.length !== matrix.dims) {
      throw new Error(`Query vector has ${vector.length} dimensions; the stored "${this.meta.embedModel}" vectors have ${matrix.dims}`);
    }
    return this.refs(matrix.search(toUnitVector(vector, 'the query'), k));
  }

  /** `lexicalRanking` with the chunks read. */
  lexicalSearch(query: string, k: number): SearchHit[] {
    return this.withChunks(this.lexicalRanking(query, k));
  }

  /** `vectorRanking` with the chunks read. */
  vectorSearch(vector: Float32Array, k: number): SearchHit[] {
    return this.withChunks(this.vectorRanking(vector, k));
  }

  private refs(matches: Array<{ id: string; score: number }>): RefHit[] {
    return matches.flatMap(({ id, score }) => {
      const owner = this.owners.get(id);
      return owner ? [{ chunk: { id, path: owner.record.path }, score }] : [];
    });
  }

  private withChunks(hits: RefHit[]): SearchHit[] {
    return hits.flatMap(({ chunk: { id }, score }) => {
      const chunk = this.getChunk(id);
      return chunk ? [{ chunk, score }] : [];
    });
  }

  /** The unit vector of a chunk, if it has one. */
  vectorOf(chunkId: string): Float32Array | undefined {
    return this.matrix?.get(chunkId);
  }

  vectorCount(): number {
    return this.matrix?.size ?? 0;
  }

  async stats(): Promise<StoreStats> {
    return {
      files: this.shards.reduce((sum, shard) => sum + shard.size, 0),
      chunks: this.owners.size,
      vectors: this.vectorCount(),
      ...(this.meta.embedModel !== undefined && { embedModel: this.meta.embedModel }),
      ...(this.meta.dims !== undefined && { dims: this.meta.dims }),
      diskBytes: (await sizeOnDisk(metaPath(this.dir))) + (await sizeOnDisk(this.shardFiles.folder)) + (await sizeOnDisk(this.lexical.filePath)),
      formatVersion: FORMAT_VERSION,
    };
  }

  /** Removes everything (files, chunks, vectors, lexical) and leaves an empty, usable store. */
  clear(): Promise<void> {
    return this.exclusive(() => this.wipe());
  }

  /**
   * Waits for pending writes, saves the lexical index if it changed (so the next open need not
   * rebuild it), then releases the memory. Later writes are refused.
   */
  close(): Promise<void> {
    return this.exclusive(async () => {
      this.closed = true;
      await this.lexical.close();
      this.resetMemory();
    });
  }

  // ---- loading ----

  private async load(): Promise<void> {
    // Other components may keep files in `dir`: only our own leftovers go.
    await removeTempFiles(this.dir, (name) => [META_FILE, SHARDS_DIR, LEXICAL_FILE].some((ours) => name.startsWith(ours)));
    const meta = await readStoreMeta(this.dir);
    if (!meta) {
      if ((await listFolder(this.shardFiles.folder)).length > 0) throw new Error(`${META_FILE} is missing but shards exist`);
      await this.writeMeta({ formatVersion: FORMAT_VERSION });
      return;
    }
    this.meta = meta;
    // Read and inflated off the main thread while the shards load.
    const lexicalSnapshot = this.lexical.readSnapshot();
    const shardBytes = await this.shardFiles.indexSizes();
    if (meta.dims !== undefined) {
      // Vectors dominate index.pb bytes, so this bound sizes the matrix once instead of regrowing it.
      const bytes = [...shardBytes.values()].reduce((sum, size) => sum + size, 0);
      this.matrix = new VectorMatrix(meta.dims, this.shardFiles, Math.ceil(bytes / (meta.dims * 4)));
    }
    const slice = new TimeSlice();
    for (const shard of shardBytes.keys()) {
      try {
        await this.loadShard(shard, slice);
      } catch (err) {
        throw new Error(`shard ${shardName(shard)} is unreadable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.shardFiles.doneReading();
    this.matrix?.trim();
    await this.lexical.start(await lexicalSnapshot, slice);
  }

  private async loadShard(shard: number, slice: TimeSlice): Promise<void> {
    const { files, vectors } = await this.shardFiles.readShard(shard);
    for (const { record, packOffset, packLength } of files) {
      const entry: FileEntry = { record: freezeRecord(record), shard, packOffset, packLength };
      for (const id of entry.record.chunkIds) {
        if (this.owners.has(id)) throw new Error(`chunk ${id} is stored twice`);
        this.owners.set(id, entry);
      }
      this.shards[shard].set(record.path, entry);
      this.lexical.queue(entry);
      await slice.pause();
    }
    // Quantized straight from the files' bytes into the matrix.
    for (const { bytes, file, ids, offsets, dims } of vectors) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (this.owners.get(id)?.shard !== shard) throw new Error(`vector for unknown chunk ${id}`);
        if (!this.matrix || dims[i] !== this.matrix.dims) {
          throw new Error(`vector of chunk ${id} has ${dims[i]} dimensions, expected ${this.meta.dims ?? 'none'}`);
        }
        this.matrix.setFromFile(id, bytes, file, offsets[i]);
        if (i % 256 === 255) await slice.pause();
      }
    }
    await slice.pause();
  }

  // ---- writing ----

  /** Puts a written file in memory, all but its lexical terms (putFiles adds them, between event-loop turns for a big file). */
  private applyFile({ entry, chunks }: PreparedFile, vectors: Map<string, Float32Array>, written: VectorOffsets): void {
    const old = this.entryOf(entry.record.path);
    if (old) {
      const kept = new Set(entry.record.chunkIds);
      for (const id of old.record.chunkIds) {
        if (kept.has(id)) continue;
        this.owners.delete(id);
        this.matrix?.delete(id);
      }
      this.lexical.discard(old.record.chunkIds);
    }
    this.shards[entry.shard].set(entry.record.path, entry);
    this.decoded.forget(entry.record.path);
    for (const chunk of chunks) {
      this.owners.set(chunk.id, entry);
      const vector = vectors.get(chunk.id);
      if (vector) this.vectorMatrix().set(chunk.id, vector, written.file, written.offsets.get(chunk.id)!);
    }
  }

  /** A commit wrote these vectors (after a rewrite, every vector of the shard): they now lie there. */
  private relocateVectors({ file, offsets }: VectorOffsets): void {
    if (!this.matrix) return;
    for (const [id, offset] of offsets) this.matrix.relocate(id, file, offset);
  }

  private forgetFile(entry: FileEntry): void {
    for (const id of entry.record.chunkIds) {
      this.owners.delete(id);
      this.matrix?.delete(id);
    }
    this.lexical.discard(entry.record.chunkIds);
    this.shards[entry.shard].delete(entry.record.path);
    this.decoded.forget(entry.record.path);
  }

  private async writeMeta(meta: StoreMeta): Promise<void> {
    await writeStoreMeta(this.dir, meta);
    this.meta = meta;
  }

  /** Empties memory and disk. The shards folder is renamed away first so no half-deleted shard remains. */
  private async wipe(): Promise<void> {
    this.resetMemory();
    const trash = tempPathFor(this.shardFiles.folder);
    await fs.rename(this.shardFiles.folder, trash).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fs.rm(trash, { recursive: true, force: true });
    await this.lexical.removeSnapshot();
    await this.writeMeta({ formatVersion: FORMAT_VERSION });
  }

  private resetMemory(): void {
    for (const shard of this.shards) shard.clear();
    this.shardFiles.reset();
    this.owners.clear();
    this.decoded.clear();
    this.matrix = undefined;
    this.lexical.reset();
  }

  // ---- helpers ----

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(() => {
      if (this.closed) throw new Error('The Lore store is closed');
      return task();
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private entryOf(filePath: string): FileEntry | undefined {
    return this.shards[shardOf(filePath)].get(filePath);
  }

  private vectorMatrix(): VectorMatrix {
    this.matrix ??= new VectorMatrix(this.meta.dims!, this.shardFiles);
    return this.matrix;
  }
}

function vectorEntry(id: string, vectors: Map<string, Float32Array> | undefined): Array<[string, Float32Array]> {
  const vector = vectors?.get(id);
  return vector ? [[id, vector]] : [];
}

function groupBy<T, K>(values: Iterable<T>, key: (value: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const value of values) {
    const k = key(value);
    const group = groups.get(k);
    if (group) group.push(value);
    else groups.set(k, [value]);
  }
  return groups;
}
