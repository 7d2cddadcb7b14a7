// Lore's index on disk and in memory.
//
// On disk (`dir`):
//   store.json     format version, embedding model and dimension (written atomically)
//   lexical.bin    a snapshot of the lexical index (lexicalIndex.ts), zlib-compressed: derived
//                  data, written after big changes and on close, so opening does not re-tokenize
//                  every chunk. Chunk ids name their content, so on open the snapshot is matched
//                  against the shards by id: chunks it lacks are indexed, ones it has extra dropped.
//   shards/00..ff  a file lives in the shard picked by a hash of its path; each shard is a Vectra
//                  LocalIndex (file records and vectors) plus a chunk pack (chunk text), see
//                  shardFormat.ts. A shard commit ends with one atomic replacement of its index.pb,
//                  so after a crash each file is wholly old or wholly new, and no separate
//                  manifest can disagree with the shards. Saving a file rewrites only its shard.
//
// Ordering between store.json and the shards keeps vectors and their model consistent across a
// crash: the model is recorded before its first vectors are written, and a model switch drops the
// old vectors from every shard before recording the new model.
//
// In memory: file records, chunk ownership, every vector in one packed matrix (vectorMatrix.ts)
// and the lexical index (lexicalIndex.ts). Searches never touch the disk.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { LocalIndex } from 'vectra';
import type { IndexItem } from 'vectra';
import type { Chunk, SearchHit, SearchIndex } from '../types';
import { listFolder, removeTempFiles, sizeOnDisk, tempPathFor, writeFileAtomic } from '../fsAtomic';
import { TimeSlice, yieldToEventLoop } from '../timeSlice';
import { AtomicFileStorage } from './atomicFileStorage';
import { decodeLexicalSnapshot, encodeLexicalSnapshot, LexicalIndex } from '../lexical';
import { PackedProtobufCodec } from './packedProtobufCodec';
import {
  decodePack,
  decodePayload,
  encodePack,
  encodePayload,
  fileItem,
  fileItemId,
  freezeRecord,
  hasChunkFields,
  headerItem,
  INDEX_FILE,
  isReservedId,
  packGeneration,
  packChecksum,
  packName,
  readShardItems,
  vectorItem,
  type FileEntry,
  type FileRecord,
} from './shardFormat';
import { VectorMatrix } from './vectorMatrix';

export type { FileRecord } from './shardFormat';

/** Bump when the layout changes: an older or newer store is wiped and rebuilt from the sources. */
export const FORMAT_VERSION = 2;

export interface StoreStats {
  files: number;
  chunks: number;
  vectors: number;
  embedModel?: string;
  dims?: number;
  diskBytes: number;
  formatVersion: number;
}

export interface FileUpdate {
  record: Omit<FileRecord, 'chunkIds'>;
  chunks: Chunk[];
  vectors?: Map<string, Float32Array>;
}

export interface OpenOptions {
  /** Whether the store saves its lexical index to lexical.bin (default true; readers beside a writer do not). */
  savesLexicalSnapshots?: boolean;
}

interface StoreMeta {
  formatVersion: number;
  embedModel?: string;
  dims?: number;
}

interface LexicalSnapshot {
  index: LexicalIndex;
  /** Path -> file hash of the files whose chunks the snapshot holds. */
  fileHashes: Map<string, unknown>;
}

/** A file validated and encoded, ready to be written to its shard and then applied in memory. */
interface PreparedFile {
  entry: FileEntry;
  chunks: Chunk[];
}

/** What one shard commit changes in its index.pb, and the shard's files afterwards if they change. */
interface ShardChange {
  removeIds: string[];
  insert: Array<Partial<IndexItem>>;
  files?: Map<string, FileEntry>;
}

/** At 100k chunks a shard holds ~400 chunks (~1.5 MB): one save rewrites only that much. */
const SHARD_COUNT = 256;
const META_FILE = 'store.json';
export const LEXICAL_FILE = 'lexical.bin';
/** Re-tokenizing this many chunks at the next open costs more than writing a snapshot now. */
const SNAPSHOT_AFTER_CHANGES = 2_000;
const SNAPSHOT_INTERVAL_MS = 60_000;
const EMPTY_PAYLOAD = Buffer.alloc(0);
const SHARDS_DIR = 'shards';
/**
 * Decoded chunk lists kept for repeated `getChunk` / search hits on the same files: one question
 * touches up to ~80 candidate files, a follow-up mostly the same ones (~15 KB each decoded).
 */
const DECODED_CACHE_FILES = 256;

export class LoreStore implements SearchIndex {
  private readonly storage = new AtomicFileStorage();
  private readonly codec = new PackedProtobufCodec();
  private meta: StoreMeta = { formatVersion: FORMAT_VERSION };
  /** Per shard: path -> file. */
  private readonly shards = Array.from({ length: SHARD_COUNT }, () => new Map<string, FileEntry>());
  /** Per shard: generation of its current chunk pack (0: none yet). */
  private readonly packGenerations = new Array<number>(SHARD_COUNT).fill(0);
  /** Chunk id -> the file that holds it. */
  private readonly owners = new Map<string, FileEntry>();
  private matrix?: VectorMatrix;
  private lexical = new LexicalIndex();
  /** Loaded files whose chunks are not in the lexical index yet (see buildLexicalIndex). */
  private lexicalBacklog: FileEntry[] = [];
  private lexicalBuild: Promise<void> = Promise.resolve();
  /** The snapshot being written, if any: one at a time. */
  private snapshotWrite: Promise<void> = Promise.resolve();
  private lastSnapshotAt = -Infinity;
  private readonly decoded = new Map<string, Chunk[]>();
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private recoveredReason?: string;

  private constructor(
    readonly dir: string,
    private readonly savesLexicalSnapshots: boolean,
  ) {}

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
    return this.lexicalBuild;
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
    return owner && this.chunksOfEntry(owner).find((chunk) => chunk.id === id);
  }

  /** The chunks of one file, in line order. */
  chunksOf(filePath: string): Chunk[] {
    const entry = this.entryOf(filePath);
    return entry ? [...this.chunksOfEntry(entry)] : [];
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
      const prepared = await this.prepareFiles(updates);
      const vectors = this.prepareVectors(
        prepared.flatMap(({ chunks }, i) => chunks.flatMap((chunk) => vectorEntry(chunk.id, updates[i].vectors))),
        model,
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
          change.files!.set(entry.record.path, entry);
        }
        await this.commitShard(shard, change);
        for (const file of files) this.applyFile(file, vectors.unit);
        await yieldToEventLoop();
      }
      await this.maintainLexicalIndex();
    });
  }

  removeFiles(paths: string[]): Promise<void> {
    return this.exclusive(async () => {
      const known = [...new Set(paths)].flatMap((filePath) => this.entryOf(filePath) ?? []);
      for (const [shard, entries] of groupBy(known, (entry) => entry.shard)) {
        const files = new Map(this.shards[shard]);
        for (const entry of entries) files.delete(entry.record.path);
        const removeIds = entries.flatMap((entry) => [fileItemId(entry.record.path), ...entry.record.chunkIds]);
        await this.commitShard(shard, { removeIds, insert: [], files });
        for (const entry of entries) this.forgetFile(entry);
        await yieldToEventLoop();
      }
      await this.maintainLexicalIndex();
    });
  }

  /** Attaches vectors to existing chunks (embedding catch-up). Unknown ids are ignored. */
  setVectors(vectors: Map<string, Float32Array>, model: string): Promise<void> {
    return this.exclusive(async () => {
      const known = [...vectors].filter(([id]) => this.owners.has(id));
      const { unit, meta } = this.prepareVectors(known, model);
      if (unit.size === 0) return;
      if (meta) await this.writeMeta(meta);
      for (const [shard, ids] of groupBy([...unit.keys()], (id) => this.owners.get(id)!.shard)) {
        await this.commitShard(shard, { removeIds: ids, insert: ids.map((id) => vectorItem(id, unit.get(id)!)) });
        for (const id of ids) this.vectorMatrix().set(id, unit.get(id)!);
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
      for (const entry of [...shard.values()].sort((a, b) => comparePaths(a.record.path, b.record.path))) {
        if (entry.record.chunkIds.every((id) => this.matrix?.has(id))) continue;
        // Not through the cache: a full catch-up would only evict what searches use.
        for (const chunk of decodePayload(entry.record.path, entry.payload)) if (!this.matrix?.has(chunk.id)) missing.push(chunk);
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
    keyed.sort((a, b) => a.shard - b.shard || comparePaths(a.filePath, b.filePath));
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
        await this.commitShard(shard, { removeIds: ids, insert: [] });
        for (const id of ids) this.matrix!.delete(id);
        await yieldToEventLoop();
      }
      await this.writeMeta({ formatVersion: FORMAT_VERSION, embedModel: model });
      this.matrix = undefined;
      return true;
    });
  }

  /** Best first, with BM25 scores. */
  lexicalSearch(query: string, k: number): SearchHit[] {
    this.completeLexicalIndex();
    return this.lexical.search(query, k).flatMap(({ id, score }) => {
      const chunk = this.getChunk(id);
      return chunk ? [{ chunk, score }] : [];
    });
  }

  /** Cosine similarity, best first; [] when no vectors exist. */
  vectorSearch(vector: Float32Array, k: number): SearchHit[] {
    const matrix = this.matrix;
    if (!matrix || matrix.size === 0 || !(k >= 1)) return [];
    if (vector.length !== matrix.dims) {
      throw new Error(`Query vector has ${vector.length} dimensions; the stored "${this.meta.embedModel}" vectors have ${matrix.dims}`);
    }
    return matrix.search(toUnitVector(vector, 'the query'), k).flatMap(({ id, score }) => {
      const chunk = this.getChunk(id);
      return chunk ? [{ chunk, score }] : [];
    });
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
      diskBytes: (await sizeOnDisk(this.metaPath())) + (await sizeOnDisk(this.shardsPath())) + (await sizeOnDisk(this.lexicalPath())),
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
      // Stops the background build; what it indexed is saved, the rest is indexed at the next open.
      this.closed = true;
      if (this.lexical.changesSinceSnapshot > 0) await this.saveLexicalSnapshot();
      await this.snapshotWrite;
      this.resetMemory();
    });
  }

  // ---- loading ----

  private async load(): Promise<void> {
    // Other components may keep files in `dir`: only our own leftovers go.
    await removeTempFiles(this.dir, (name) => [META_FILE, SHARDS_DIR, LEXICAL_FILE].some((ours) => name.startsWith(ours)));
    const meta = await this.readMeta();
    if (!meta) {
      if ((await listFolder(this.shardsPath())).length > 0) throw new Error(`${META_FILE} is missing but shards exist`);
      await this.writeMeta({ formatVersion: FORMAT_VERSION });
      return;
    }
    this.meta = meta;
    // Read and inflated off the main thread while the shards load.
    const lexicalSnapshot = this.readLexicalSnapshot();
    const shardBytes = await this.shardIndexSizes();
    if (meta.dims !== undefined) {
      // Vectors dominate index.pb bytes, so this bound sizes the matrix once instead of regrowing it.
      const bytes = [...shardBytes.values()].reduce((sum, size) => sum + size, 0);
      this.matrix = new VectorMatrix(meta.dims, Math.ceil(bytes / (meta.dims * 4)));
    }
    const slice = new TimeSlice();
    for (const shard of shardBytes.keys()) {
      try {
        await this.loadShard(shard, slice);
      } catch (err) {
        throw new Error(`shard ${shardName(shard)} is unreadable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.matrix?.trim();
    this.useLexicalSnapshot(await lexicalSnapshot);
    // The packs passed their checksums, so a file failing to decode here is a bug that its own reads
    // (getChunk) report; the other files still get indexed.
    this.lexicalBuild = this.buildLexicalIndex().catch(() => undefined);
  }

  /** The saved lexical index, or undefined when there is none or it is unusable (it is rebuilt then). */
  private async readLexicalSnapshot(): Promise<LexicalSnapshot | undefined> {
    try {
      const slice = new TimeSlice();
      const { index, metadata } = await decodeLexicalSnapshot(await inflate(await fs.readFile(this.lexicalPath())), () => slice.pause());
      const fileHashes = (metadata as { fileHashes?: unknown } | null)?.fileHashes;
      if (typeof fileHashes !== 'object' || fileHashes === null) return undefined;
      return { index, fileHashes: new Map(Object.entries(fileHashes)) };
    } catch {
      return undefined;
    }
  }

  /**
   * Starts from the snapshot when there is one: the loaded files it covers (same file hash, all
   * their chunk ids) leave the backlog; its other chunks are dropped and those files re-indexed.
   */
  private useLexicalSnapshot(snapshot: LexicalSnapshot | undefined): void {
    if (!snapshot) return;
    const { index, fileHashes } = snapshot;
    const covered = new Set<FileEntry>();
    for (const entry of this.lexicalBacklog) {
      const { path: filePath, hash, chunkIds } = entry.record;
      if (fileHashes.get(filePath) === hash && chunkIds.every((id) => index.has(id))) covered.add(entry);
    }
    index.discard([...index.ids()].filter((id) => !covered.has(this.owners.get(id)!)));
    this.lexicalBacklog = this.lexicalBacklog.filter((entry) => !covered.has(entry));
    this.lexical = index;
  }

  /**
   * Fills the lexical index with the loaded files the snapshot did not cover, between event-loop
   * turns after `open` has returned: without a snapshot, tokenizing 100k chunks takes many seconds,
   * which must neither hold up the store's opening nor block the extension host. Saves a snapshot
   * when that was much work.
   */
  private async buildLexicalIndex(): Promise<void> {
    // Starts on a later turn: `open` hands the store over first.
    await yieldToEventLoop();
    const slice = new TimeSlice();
    while (this.lexicalBacklog.length > 0 && !this.closed) {
      this.indexBacklogFile();
      await slice.pause();
      await this.lexical.compactIfWorthIt(() => slice.pause());
    }
    if (this.lexical.changesSinceSnapshot >= SNAPSHOT_AFTER_CHANGES && !this.closed) await this.saveLexicalSnapshot();
  }

  /** After writes: compacts the lexical index and saves it when worth it, between event-loop turns. */
  private async maintainLexicalIndex(): Promise<void> {
    const slice = new TimeSlice();
    await this.lexical.compactIfWorthIt(() => slice.pause());
    await this.saveLexicalSnapshotIfWorthIt();
  }

  /**
   * After writes: a snapshot once enough changed since the last one (and the initial build is done),
   * at most every SNAPSHOT_INTERVAL_MS, since each re-encodes the whole index. close() saves the rest.
   */
  private async saveLexicalSnapshotIfWorthIt(): Promise<void> {
    if (this.lexicalBacklog.length > 0 || this.lexical.changesSinceSnapshot < Math.max(SNAPSHOT_AFTER_CHANGES, this.lexical.size / 10)) return;
    if (performance.now() - this.lastSnapshotAt < SNAPSHOT_INTERVAL_MS) return;
    await this.saveLexicalSnapshot();
  }

  /** Writes the lexical index to lexical.bin (compressed off the main thread, replaced atomically). */
  private saveLexicalSnapshot(): Promise<void> {
    if (!this.savesLexicalSnapshots) return Promise.resolve();
    this.lastSnapshotAt = performance.now();
    // File hashes tell a snapshot's chunks from newer ones with the same ids (see useLexicalSnapshot).
    const fileHashes = Object.fromEntries([...this.files()].map((file) => [file.path, file.hash]));
    const slice = new TimeSlice();
    // Encoding starts now, from the index as it is; compression runs off the main thread.
    const compressed = encodeLexicalSnapshot(this.lexical, { fileHashes }, () => slice.pause()).then((bytes) => deflate(bytes, { level: 1 }));
    compressed.catch(() => undefined);
    this.snapshotWrite = this.snapshotWrite
      .then(async () => writeFileAtomic(this.lexicalPath(), await compressed))
      // Only a cache: a failed write means the next open tokenizes more.
      .catch(() => undefined);
    return this.snapshotWrite;
  }

  /** A lexical search before the background build is done finishes it first: results are always complete. */
  private completeLexicalIndex(): void {
    while (this.lexicalBacklog.length > 0) this.indexBacklogFile();
  }

  private indexBacklogFile(): void {
    const entry = this.lexicalBacklog.pop()!;
    // A file saved or removed since the load is already indexed with its new chunks, or gone.
    if (this.entryOf(entry.record.path) !== entry) return;
    this.lexical.add(decodePayload(entry.record.path, entry.payload));
  }

  private async readMeta(): Promise<StoreMeta | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.metaPath(), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let meta: Partial<StoreMeta>;
    try {
      meta = JSON.parse(text) as Partial<StoreMeta>;
    } catch {
      throw new Error(`${META_FILE} is not valid JSON`);
    }
    if (typeof meta !== 'object' || meta === null) throw new Error(`${META_FILE} is malformed`);
    if (meta.formatVersion !== FORMAT_VERSION) {
      throw new Error(`the store has format version ${JSON.stringify(meta.formatVersion)}; this version of Lore reads ${FORMAT_VERSION}`);
    }
    const modelOk = meta.embedModel === undefined || typeof meta.embedModel === 'string';
    const dimsOk = meta.dims === undefined || (Number.isInteger(meta.dims) && meta.dims > 0 && meta.embedModel !== undefined);
    if (!modelOk || !dimsOk) throw new Error(`${META_FILE} is malformed`);
    return { formatVersion: FORMAT_VERSION, embedModel: meta.embedModel, dims: meta.dims };
  }

  /** Shard -> size of its index.pb, for the shards that have one; drops leftovers of interrupted writes. */
  private async shardIndexSizes(): Promise<Map<number, number>> {
    const sizes = new Map<number, number>();
    for (let shard = 0; shard < SHARD_COUNT; shard++) {
      const folder = this.shardPath(shard);
      if (!(await removeTempFiles(folder))) continue;
      const stat = await fs.stat(path.join(folder, INDEX_FILE)).catch(() => undefined);
      if (stat) sizes.set(shard, stat.size);
    }
    return sizes;
  }

  private async loadShard(shard: number, slice: TimeSlice): Promise<void> {
    const folder = this.shardPath(shard);
    const index = this.shardIndex(shard);
    const { version } = await index.getIndexStats();
    if (version !== FORMAT_VERSION) throw new Error(`format version ${version}, expected ${FORMAT_VERSION}`);
    const contents = readShardItems(await index.listItems());
    const generation = contents.generation ?? 0;
    // Packs of other generations are from commits that were superseded or never completed.
    for (const name of await listFolder(folder)) {
      const other = packGeneration(name);
      if (other !== undefined && other !== generation) await fs.rm(path.join(folder, name), { force: true });
    }
    if (contents.files.length > 0 && generation === 0) throw new Error('files without a chunk pack');
    const pack = generation ? await fs.readFile(path.join(folder, packName(generation))) : undefined;
    if (pack && packChecksum(pack) !== contents.packHash) throw new Error('chunk pack does not match its checksum');
    const payloads = pack ? decodePack(pack) : new Map<string, Buffer>();
    this.packGenerations[shard] = generation;
    for (const { path: filePath, hash, size, mtimeMs, chunkIds } of contents.files) {
      if (shardOf(filePath) !== shard) throw new Error(`${filePath} belongs to another shard`);
      const payload = payloads.get(filePath);
      if (!payload) throw new Error(`no chunks for ${filePath}`);
      const entry: FileEntry = {
        record: freezeRecord({ path: filePath, hash, size, mtimeMs, chunkIds }),
        shard,
        payload,
      };
      for (const id of entry.record.chunkIds) {
        if (this.owners.has(id)) throw new Error(`chunk ${id} is stored twice`);
        this.owners.set(id, entry);
      }
      this.shards[shard].set(filePath, entry);
      this.lexicalBacklog.push(entry);
      await slice.pause();
    }
    for (const { id, vector } of contents.vectors) {
      if (this.owners.get(id)?.shard !== shard) throw new Error(`vector for unknown chunk ${id}`);
      if (!this.matrix || vector.length !== this.matrix.dims) {
        throw new Error(`vector of chunk ${id} has ${vector.length} dimensions, expected ${this.meta.dims ?? 'none'}`);
      }
      this.matrix.set(id, vector);
    }
    await slice.pause();
  }

  // ---- writing ----

  /** Validates the updates (throwing before anything changes) and compresses their chunks. */
  private async prepareFiles(updates: FileUpdate[]): Promise<PreparedFile[]> {
    const seenPaths = new Set<string>();
    const seenIds = new Set<string>();
    const prepared: PreparedFile[] = [];
    const slice = new TimeSlice();
    for (const { record, chunks } of updates) {
      const { path: filePath, hash, size, mtimeMs } = record;
      if (typeof filePath !== 'string' || filePath === '') throw new Error('File path must be a non-empty string');
      if (typeof hash !== 'string' || !isFiniteNumber(size) || !isFiniteNumber(mtimeMs)) {
        throw new Error(`File record for ${filePath} needs a string hash and numeric size and mtimeMs`);
      }
      if (seenPaths.has(filePath)) throw new Error(`${filePath} appears twice in one update`);
      seenPaths.add(filePath);
      for (const chunk of chunks) {
        if (chunk.path !== filePath) throw new Error(`Chunk ${chunk.id} has path ${chunk.path}, not ${filePath}`);
        if (typeof chunk.id !== 'string' || chunk.id === '' || isReservedId(chunk.id)) {
          throw new Error(`Chunk ids must be non-empty strings not starting with NUL (in ${filePath})`);
        }
        if (!hasChunkFields(chunk)) {
          throw new Error(`Chunk ${chunk.id} of ${filePath} needs string text, language and hash and numeric line numbers`);
        }
        if (seenIds.has(chunk.id)) throw new Error(`Chunk id ${chunk.id} appears twice in one update`);
        seenIds.add(chunk.id);
        const owner = this.owners.get(chunk.id);
        if (owner && owner.record.path !== filePath) throw new Error(`Chunk id ${chunk.id} already belongs to ${owner.record.path}`);
      }
      const sorted = [...chunks].sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
      const entry: FileEntry = {
        record: freezeRecord({ path: filePath, hash, size, mtimeMs, chunkIds: sorted.map((chunk) => chunk.id) }),
        shard: shardOf(filePath),
        payload: EMPTY_PAYLOAD,
      };
      prepared.push({ entry, chunks: sorted });
      await slice.pause();
    }
    // Compressed on libuv's threads, all at once, while this thread goes on.
    const payloads = await Promise.all(prepared.map(({ chunks }) => encodePayload(chunks)));
    prepared.forEach(({ entry }, i) => (entry.payload = payloads[i]));
    return prepared;
  }

  /**
   * Checks vectors against the stored model and dimension and returns them as unit vectors, plus
   * the metadata to record first when they are the first vectors of their model.
   */
  private prepareVectors(vectors: Array<[string, Float32Array]>, model: string | undefined): { unit: Map<string, Float32Array>; meta?: StoreMeta } {
    const unit = new Map<string, Float32Array>();
    if (vectors.length === 0) return { unit };
    const embedModel = model ?? this.meta.embedModel;
    if (embedModel === undefined) throw new Error('Vectors need the name of the embedding model that made them');
    if (this.meta.embedModel !== undefined && this.meta.embedModel !== embedModel) {
      throw new Error(`Vectors from "${embedModel}" cannot join the stored "${this.meta.embedModel}" vectors; call useEmbedModel("${embedModel}") first`);
    }
    const dims = this.meta.dims ?? vectors[0][1].length;
    for (const [id, vector] of vectors) {
      if (!(vector instanceof Float32Array)) throw new Error(`Vector of chunk ${id} is not a Float32Array`);
      if (vector.length !== dims) {
        throw new Error(`Vector of chunk ${id} has ${vector.length} dimensions; the store's "${embedModel}" vectors have ${dims}`);
      }
      unit.set(id, toUnitVector(vector, `chunk ${id}`));
    }
    const changed = this.meta.embedModel !== embedModel || this.meta.dims !== dims;
    return { unit, meta: changed ? { formatVersion: FORMAT_VERSION, embedModel, dims } : undefined };
  }

  /**
   * Commits one shard. When its files change, a new chunk pack is written first; then index.pb,
   * through Vectra, drops `removeIds` (missing ones are ignored), gains `insert` and names the new
   * pack, in one atomic replacement; then the superseded pack is deleted.
   */
  private async commitShard(shard: number, change: ShardChange): Promise<void> {
    const folder = this.shardPath(shard);
    const previous = this.packGenerations[shard];
    const generation = change.files ? previous + 1 : previous;
    let pack: Buffer | undefined;
    if (change.files) {
      pack = encodePack(change.files.values());
      await fs.mkdir(folder, { recursive: true });
      await writeFileAtomic(path.join(folder, packName(generation)), pack);
    }
    const index = this.shardIndex(shard);
    if (!(await index.isIndexCreated())) await index.createIndex({ version: FORMAT_VERSION });
    await index.beginUpdate();
    try {
      await index.deleteItems(change.removeIds);
      if (generation !== previous) {
        await index.upsertItem(headerItem(generation, pack!));
      }
      for (const item of change.insert) await index.insertItem(item);
      await index.endUpdate();
    } catch (err) {
      index.cancelUpdate();
      throw err;
    }
    if (!pack || !change.files) return;
    this.packGenerations[shard] = generation;
    if (previous) await fs.rm(path.join(folder, packName(previous)), { force: true });
    // Point the files at the new pack so the previous one can be freed.
    const payloads = decodePack(pack);
    for (const entry of change.files.values()) entry.payload = payloads.get(entry.record.path)!;
  }

  private applyFile({ entry, chunks }: PreparedFile, vectors: Map<string, Float32Array>): void {
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
    this.decoded.delete(entry.record.path);
    for (const chunk of chunks) {
      this.owners.set(chunk.id, entry);
      const vector = vectors.get(chunk.id);
      if (vector) this.vectorMatrix().set(chunk.id, vector);
    }
    this.lexical.add(chunks);
  }

  private forgetFile(entry: FileEntry): void {
    for (const id of entry.record.chunkIds) {
      this.owners.delete(id);
      this.matrix?.delete(id);
    }
    this.lexical.discard(entry.record.chunkIds);
    this.shards[entry.shard].delete(entry.record.path);
    this.decoded.delete(entry.record.path);
  }

  private async writeMeta(meta: StoreMeta): Promise<void> {
    await writeFileAtomic(this.metaPath(), JSON.stringify(meta));
    this.meta = meta;
  }

  /** Empties memory and disk. The shards folder is renamed away first so no half-deleted shard remains. */
  private async wipe(): Promise<void> {
    this.resetMemory();
    const trash = tempPathFor(this.shardsPath());
    await fs.rename(this.shardsPath(), trash).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fs.rm(trash, { recursive: true, force: true });
    await this.snapshotWrite;
    await fs.rm(this.lexicalPath(), { force: true });
    await this.writeMeta({ formatVersion: FORMAT_VERSION });
  }

  private resetMemory(): void {
    for (const shard of this.shards) shard.clear();
    this.packGenerations.fill(0);
    this.owners.clear();
    this.decoded.clear();
    this.matrix = undefined;
    this.lexical = new LexicalIndex();
    this.lexicalBacklog = [];
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
    this.matrix ??= new VectorMatrix(this.meta.dims!);
    return this.matrix;
  }

  /** A small LRU of decoded files: search hits and neighbour merging revisit the same files. */
  private chunksOfEntry(entry: FileEntry): Chunk[] {
    const filePath = entry.record.path;
    let chunks = this.decoded.get(filePath);
    if (chunks) {
      this.decoded.delete(filePath);
    } else {
      chunks = decodePayload(filePath, entry.payload);
      if (this.decoded.size >= DECODED_CACHE_FILES) this.decoded.delete(this.decoded.keys().next().value!);
    }
    this.decoded.set(filePath, chunks);
    return chunks;
  }

  private shardIndex(shard: number): LocalIndex {
    return new LocalIndex(this.shardPath(shard), INDEX_FILE, this.storage, this.codec);
  }

  private metaPath(): string {
    return path.join(this.dir, META_FILE);
  }

  private lexicalPath(): string {
    return path.join(this.dir, LEXICAL_FILE);
  }

  private shardsPath(): string {
    return path.join(this.dir, SHARDS_DIR);
  }

  private shardPath(shard: number): string {
    return path.join(this.shardsPath(), shardName(shard));
  }
}

/** FNV-1a over the path: stable across runs and platforms, and spreads similar paths. */
export function shardOf(filePath: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < filePath.length; i++) {
    hash ^= filePath.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SHARD_COUNT;
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function shardName(shard: number): string {
  return shard.toString(16).padStart(2, '0');
}

function vectorEntry(id: string, vectors: Map<string, Float32Array> | undefined): Array<[string, Float32Array]> {
  const vector = vectors?.get(id);
  return vector ? [[id, vector]] : [];
}

function toUnitVector(vector: Float32Array, what: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm)) throw new Error(`Vector of ${what} contains NaN or infinite values`);
  if (norm === 0) throw new Error(`Vector of ${what} is all zeros`);
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = vector[i] / norm;
  return unit;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
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

const inflate = promisify(zlib.inflate);
const deflate = promisify(zlib.deflate);
