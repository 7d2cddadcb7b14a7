// The store's lexical index over its lifetime: started from the saved snapshot (lexical.bin), filled
// in the background with the files the snapshot does not cover, kept up to date by writes, and saved
// again after big changes and on close. lexical.bin is derived data, zlib-compressed: it only spares
// the next open re-tokenizing every chunk. Chunk ids name their content, so on open the snapshot is
// matched against the shards by id: chunks it lacks are indexed, ones it has extra dropped.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { writeFileAtomic } from '../fsAtomic';
import { decodeLexicalSnapshot, encodeLexicalSnapshot, LexicalIndex, type FileHashes, type LexicalMatch } from '../lexical';
import { TimeSlice, yieldToEventLoop } from '../timeSlice';
import type { Chunk, LexicalQueryOptions } from '../types';
import { decodePayload, type FileEntry, type FileRecord } from './shardFormat';

export const LEXICAL_FILE = 'lexical.bin';
/** Chunks filed in the lexical index between looks at the clock (see add). */
const LEXICAL_ADD_BATCH = 64;
/** Re-tokenizing this many chunks at the next open costs more than writing a snapshot now. */
const SNAPSHOT_AFTER_CHANGES = 2_000;
const SNAPSHOT_INTERVAL_MS = 60_000;

const inflate = promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.inflate);
const INFLATE_RATIO_BOUND = 4;
const MIN_INFLATE_CHUNK = 64 * 1024;
const deflate = promisify(zlib.deflate);

/** What the lexical index needs to know of the store's files. */
export interface LexicalFiles {
  /** The file stored at `filePath` now. */
  entryOf(filePath: string): FileEntry | undefined;
  /** The file that holds chunk `id`. */
  ownerOf(id: string): FileEntry | undefined;
  /** The file's compressed chunks. */
  payloadOf(entry: FileEntry): Buffer;
  files(): Iterable<FileRecord>;
}

export interface LexicalSnapshot {
  index: LexicalIndex;
  /** Path -> file hash of the files whose chunks the snapshot holds. */
  fileHashes: FileHashes;
}

export class LexicalState {
  private index = new LexicalIndex();
  /** Loaded files whose chunks are not in the index yet (see build). */
  private backlog: FileEntry[] = [];
  private building: Promise<void> = Promise.resolve();
  /** The snapshot being written, if any: one at a time. */
  private snapshotWrite: Promise<void> = Promise.resolve();
  private lastSnapshotAt = -Infinity;
  private stopped = false;

  constructor(
    readonly filePath: string,
    private readonly savesSnapshots: boolean,
    private readonly store: LexicalFiles,
  ) {}

  static in(dir: string, savesSnapshots: boolean, store: LexicalFiles): LexicalState {
    return new LexicalState(path.join(dir, LEXICAL_FILE), savesSnapshots, store);
  }

  /** Resolves once every loaded file is in the index. */
  whenReady(): Promise<void> {
    return this.building;
  }

  /** A file loaded from disk, to index in the background unless the snapshot covers it. */
  queue(entry: FileEntry): void {
    this.backlog.push(entry);
  }

  /**
   * The saved index's bytes, read and inflated off the main thread (while the shards load), or
   * undefined when there are none; `start` decodes them.
   */
  async readSnapshot(): Promise<Uint8Array | undefined> {
    try {
      const compressed = await fs.readFile(this.filePath);
      // One output buffer big enough for the whole snapshot (it inflates to ~2.4x): zlib then hands
      // it over as is, where chunks would be joined by one copy on the main thread (~0.2 s at 1M
      // chunks). Pages it does not fill are never touched, so never resident.
      return await inflate(compressed, { chunkSize: compressed.length * INFLATE_RATIO_BOUND + MIN_INFLATE_CHUNK });
    } catch {
      return undefined;
    }
  }

  /**
   * After loading, before the store is handed out: starts from the snapshot `bytes` (decoded and
   * matched against the loaded files between event-loop turns: ~1-2 s of work at 1M chunks) and
   * indexes the rest in the background. Decoded only now, once every file is loaded, so that the
   * index keeps the files' copies of the chunk ids. A snapshot that does not decode is rebuilt.
   */
  async start(bytes: Uint8Array | undefined, slice: TimeSlice): Promise<void> {
    const snapshot = bytes && (await this.decode(bytes, slice));
    if (snapshot) await this.useSnapshot(snapshot, slice);
    // The packs passed their checksums, so a file failing to decode here is a bug that its own reads
    // (getChunk) report; the other files still get indexed.
    this.building = this.build().catch(() => undefined);
  }

  /** Best first; a search before the background build is done finishes it first: results are always complete. */
  search(query: string, k: number, options?: LexicalQueryOptions): LexicalMatch[] {
    while (this.backlog.length > 0) this.indexBacklogFile();
    return this.index.search(query, k, options);
  }

  /**
   * Files chunks in the index, giving the event loop a turn every SLICE_MS: a 2,400-page PDF's 5,800
   * chunks at once held it ~300 ms. A search meanwhile sees the part filed so far.
   */
  async add(chunks: Chunk[]): Promise<void> {
    const slice = new TimeSlice();
    for (let start = 0; start < chunks.length; start += LEXICAL_ADD_BATCH) {
      this.index.add(chunks.slice(start, start + LEXICAL_ADD_BATCH));
      await slice.pause();
    }
  }

  discard(ids: Iterable<string>): void {
    this.index.discard(ids);
  }

  /** After writes: compacts the index and saves it when worth it, between event-loop turns. */
  async maintain(): Promise<void> {
    const slice = new TimeSlice();
    await this.index.compactIfWorthIt(() => slice.pause());
    await this.saveIfWorthIt();
  }

  /** Stops the background build and saves the index if it changed; what is not indexed yet is at the next open. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.index.changesSinceSnapshot > 0) await this.save();
    await this.snapshotWrite;
  }

  /** Forgets the index (memory only). */
  reset(): void {
    this.index = new LexicalIndex();
    this.backlog = [];
  }

  /** Deletes lexical.bin once any write of it has ended. */
  async removeSnapshot(): Promise<void> {
    await this.snapshotWrite;
    await fs.rm(this.filePath, { force: true });
  }

  /** The index and file hashes `bytes` hold; undefined when they are unusable. */
  private async decode(bytes: Uint8Array, slice: TimeSlice): Promise<LexicalSnapshot | undefined> {
    try {
      const { index, files } = await decodeLexicalSnapshot(bytes, () => slice.pause());
      return { index, fileHashes: files };
    } catch {
      return undefined;
    }
  }

  /**
   * Starts from the snapshot: the loaded files it covers (same file hash, all
   * their chunk ids) leave the backlog; its other chunks are dropped and those files re-indexed.
   */
  private async useSnapshot({ index, fileHashes }: LexicalSnapshot, slice: TimeSlice): Promise<void> {
    const covered = new Set<FileEntry>();
    let coveredChunks = 0;
    for (const entry of this.backlog) {
      const { path: filePath, hash, chunkIds } = entry.record;
      if (fileHashes.get(filePath) === hash && chunkIds.every((id) => index.has(id))) {
        covered.add(entry);
        coveredChunks += chunkIds.length;
      }
      await slice.pause();
    }
    // Chunk ids are unique, so when the counts agree the snapshot holds nothing else.
    if (index.size !== coveredChunks) {
      const extra: string[] = [];
      for (const id of index.ids()) {
        if (!covered.has(this.store.ownerOf(id)!)) extra.push(id);
        await slice.pause();
      }
      index.discard(extra);
    }
    this.backlog = this.backlog.filter((entry) => !covered.has(entry));
    this.index = index;
  }

  /**
   * Fills the index with the loaded files the snapshot did not cover, between event-loop turns
   * after `open` has returned: without a snapshot, tokenizing 100k chunks takes many seconds, which
   * must neither hold up the store's opening nor block the extension host. Saves a snapshot when
   * that was much work.
   */
  private async build(): Promise<void> {
    // Starts on a later turn: `open` hands the store over first.
    await yieldToEventLoop();
    const slice = new TimeSlice();
    while (this.backlog.length > 0 && !this.stopped) {
      this.indexBacklogFile();
      await slice.pause();
      await this.index.compactIfWorthIt(() => slice.pause());
    }
    if (this.index.changesSinceSnapshot >= SNAPSHOT_AFTER_CHANGES && !this.stopped) await this.save();
  }

  /**
   * After writes: a snapshot once enough changed since the last one (and the initial build is done),
   * at most every SNAPSHOT_INTERVAL_MS, since each re-encodes the whole index. close() saves the rest.
   */
  private async saveIfWorthIt(): Promise<void> {
    if (this.backlog.length > 0 || this.index.changesSinceSnapshot < Math.max(SNAPSHOT_AFTER_CHANGES, this.index.size / 10)) return;
    if (performance.now() - this.lastSnapshotAt < SNAPSHOT_INTERVAL_MS) return;
    await this.save();
  }

  /** Writes the index to lexical.bin (compressed off the main thread, replaced atomically). */
  private save(): Promise<void> {
    if (!this.savesSnapshots) return Promise.resolve();
    this.lastSnapshotAt = performance.now();
    // File hashes tell a snapshot's chunks from newer ones with the same ids (see useSnapshot).
    const fileHashes = new Map([...this.store.files()].map((file) => [file.path, file.hash]));
    const slice = new TimeSlice();
    // Encoding starts now, from the index as it is; compression runs off the main thread.
    const compressed = encodeLexicalSnapshot(this.index, fileHashes, () => slice.pause()).then((bytes) => deflate(bytes, { level: 1 }));
    compressed.catch(() => undefined);
    this.snapshotWrite = this.snapshotWrite
      .then(async () => writeFileAtomic(this.filePath, await compressed))
      // Only a cache: a failed write means the next open tokenizes more.
      .catch(() => undefined);
    return this.snapshotWrite;
  }

  private indexBacklogFile(): void {
    const entry = this.backlog.pop()!;
    // A file saved or removed since the load is already indexed with its new chunks, or gone.
    if (this.store.entryOf(entry.record.path) !== entry) return;
    this.index.add(decodePayload(entry.record.path, this.store.payloadOf(entry)));
  }
}

