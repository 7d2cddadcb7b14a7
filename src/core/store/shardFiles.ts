// The shards on disk (shards/00..ff): reading one, and committing a change to one. Each shard is a
// Vectra LocalIndex plus a chunk pack (shardFormat.ts); a commit ends with one atomic replacement
// of its index.pb, so after a crash each file is wholly old or wholly new. It also serves the
// full-precision vectors that the store's quantized matrix rescores with, read from index.pb.
import { closeSync, openSync, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import { LocalIndex, type IndexItem } from 'vectra';
import type { ExactVectors } from './vectorMatrix';
import { listFolder, removeTempFiles, writeFileAtomic } from '../fsAtomic';
import { AtomicFileStorage } from './atomicFileStorage';
import { PackedProtobufCodec, scanIndex } from './packedProtobufCodec';
import {
  decodePack, encodePack, headerItem, INDEX_FILE, isReservedId, packChecksum, packGeneration, packName, readShardItems, type FileEntry, type FileRecord,
} from './shardFormat';
import { FORMAT_VERSION } from './storeMeta';

/** At 100k chunks a shard holds ~400 chunks (~1.5 MB): one save rewrites only that much. */
export const SHARD_COUNT = 256;
export const SHARDS_DIR = 'shards';

/** What one shard commit changes in its index.pb, and the shard's files afterwards if they change. */
export interface ShardChange {
  removeIds: string[];
  insert: Array<Partial<IndexItem>>;
  files?: Map<string, FileEntry>;
}

/** One shard as read from disk, checked against itself. */
export interface ShardRead {
  /** Each file's record, and where its payload lies in the shard's chunk pack. */
  files: Array<{ record: FileRecord; packOffset: number; packLength: number }>;
  /** index.pb's bytes, valid until the next readShard: vector i is `vectorDims[i]` float32 from byte `vectorOffsets[i]`. */
  indexBytes: Buffer;
  vectorIds: string[];
  vectorOffsets: number[];
  vectorDims: number[];
}

/** Where a shard's vectors now lie in its index.pb: chunk id -> byte offset. */
export type VectorOffsets = Map<string, number>;

/** FNV-1a over the path: stable across runs and platforms, and spreads similar paths. */
export function shardOf(filePath: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < filePath.length; i++) {
    hash ^= filePath.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SHARD_COUNT;
}

export function shardName(shard: number): string {
  return shard.toString(16).padStart(2, '0');
}

export class ShardFiles implements ExactVectors {
  private readonly storage = new AtomicFileStorage();
  private readonly codec = new PackedProtobufCodec();
  /** Per shard: generation of its current chunk pack (0: none yet). */
  private readonly packGenerations = new Array<number>(SHARD_COUNT).fill(0);
  /**
   * Per shard: an open index.pb, for reading vectors back. A commit replaces index.pb by rename;
   * the descriptor opened before keeps reading the old file, whose offsets the matrix still holds,
   * until the commit returns the new ones.
   */
  private readonly descriptors = new Array<number | undefined>(SHARD_COUNT);
  /**
   * Loading reads every shard's index.pb and pack into these, reused: a fresh buffer per file (12 MB
   * at 1M chunks) page-faults every byte anew, and the allocator kept hundreds of MB of them.
   */
  private readonly indexReads = new ReusedBuffer();
  private readonly packReads = new ReusedBuffer();

  constructor(readonly folder: string) {}

  /** Shard -> size of its index.pb, for the shards that have one; drops leftovers of interrupted writes. */
  async indexSizes(): Promise<Map<number, number>> {
    const sizes = new Map<number, number>();
    for (let shard = 0; shard < SHARD_COUNT; shard++) {
      const folder = this.shardPath(shard);
      if (!(await removeTempFiles(folder))) continue;
      const stat = await fs.stat(path.join(folder, INDEX_FILE)).catch(() => undefined);
      if (stat) sizes.set(shard, stat.size);
    }
    return sizes;
  }

  /**
   * Reads one shard and deletes its superseded packs; throws when it is inconsistent. Vectors are
   * not copied: the caller reads them from `indexBytes` before the next readShard.
   */
  async readShard(shard: number): Promise<ShardRead> {
    const folder = this.shardPath(shard);
    const indexBytes = await this.indexReads.readFile(path.join(folder, INDEX_FILE));
    const vectorIds: string[] = [];
    const vectorOffsets: number[] = [];
    const vectorDims: number[] = [];
    const { version, items } = scanIndex(indexBytes, (id, offset, dims) => {
      if (isReservedId(id)) throw new Error(`unknown item ${JSON.stringify(id)}`);
      vectorIds.push(id);
      vectorOffsets.push(offset);
      vectorDims.push(dims);
    });
    if (version !== FORMAT_VERSION) throw new Error(`format version ${version}, expected ${FORMAT_VERSION}`);
    const contents = readShardItems(items);
    const generation = contents.generation ?? 0;
    // Packs of other generations are from commits that were superseded or never completed.
    for (const name of await listFolder(folder)) {
      const other = packGeneration(name);
      if (other !== undefined && other !== generation) await fs.rm(path.join(folder, name), { force: true });
    }
    if (contents.files.length > 0 && generation === 0) throw new Error('files without a chunk pack');
    const pack = generation ? await this.packReads.readFile(path.join(folder, packName(generation))) : undefined;
    if (pack && packChecksum(pack) !== contents.packHash) throw new Error('chunk pack does not match its checksum');
    const payloads = pack ? decodePack(pack) : new Map<string, { offset: number; length: number }>();
    this.packGenerations[shard] = generation;
    const files = contents.files.map((record) => {
      if (shardOf(record.path) !== shard) throw new Error(`${record.path} belongs to another shard`);
      const payload = payloads.get(record.path);
      if (!payload) throw new Error(`no chunks for ${record.path}`);
      return { record, packOffset: payload.offset, packLength: payload.length };
    });
    return { files, indexBytes, vectorIds, vectorOffsets, vectorDims };
  }

  /** The file's compressed chunks: in memory until its commit, then read from the shard's chunk pack. */
  payloadOf(entry: FileEntry): Buffer {
    if (entry.payload) return entry.payload;
    const payload = Buffer.allocUnsafe(entry.packLength);
    const fd = openSync(path.join(this.shardPath(entry.shard), packName(this.packGenerations[entry.shard])), 'r');
    try {
      if (readSync(fd, payload, 0, payload.length, entry.packOffset) !== payload.length) throw new Error(`the chunks of ${entry.record.path} are cut short`);
    } finally {
      closeSync(fd);
    }
    return payload;
  }

  /** Reads the vector at byte `offset` of shard `shard`'s index.pb (synchronously: searches are). */
  read(shard: number, offset: number, out: Float32Array): void {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    if (readSync(this.descriptor(shard), bytes, 0, bytes.length, offset) !== bytes.length) {
      throw new Error(`shard ${shardName(shard)} ends before the vector at byte ${offset}: reindex the workspace`);
    }
  }

  /**
   * Commits one shard. When its files change, a new chunk pack is written first; then index.pb,
   * through Vectra, drops `removeIds` (missing ones are ignored), gains `insert` and names the new
   * pack, in one atomic replacement; then the files point into the new pack and the superseded
   * one is deleted. Returns where the shard's vectors lie in the new index.pb.
   */
  async commit(shard: number, change: ShardChange): Promise<VectorOffsets> {
    const folder = this.shardPath(shard);
    // Searches during the commit keep reading the index.pb their offsets point into.
    this.descriptor(shard, { ifExists: true });
    const previous = this.packGenerations[shard];
    const generation = change.files ? previous + 1 : previous;
    let pack: Buffer | undefined;
    const packed = new Map<FileEntry, { offset: number; length: number }>();
    if (change.files) {
      // Files not written since their last commit are in the current pack, read once here.
      const current = previous ? await fs.readFile(path.join(folder, packName(previous))) : undefined;
      pack = encodePack(
        change.files.values(),
        (entry) => entry.payload ?? current!.subarray(entry.packOffset, entry.packOffset + entry.packLength),
        (entry, offset, length) => packed.set(entry, { offset, length }),
      );
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
    const offsets = this.codec.lastVectorOffsets;
    if (pack) {
      // All at once, before the previous pack goes: every read finds its file's payload.
      this.packGenerations[shard] = generation;
      for (const [entry, { offset, length }] of packed) {
        entry.payload = undefined;
        entry.packOffset = offset;
        entry.packLength = length;
      }
      if (previous) await fs.rm(path.join(folder, packName(previous)), { force: true });
    }
    // The caller relocates the shard's vectors before any search can run: from here, reads go to the new file.
    this.closeDescriptor(shard);
    return offsets;
  }

  /** Loading is over: frees the buffers shards were read into. */
  doneReading(): void {
    this.indexReads.release();
    this.packReads.release();
  }

  /** Forgets the pack generations and open files (the shards folder was emptied, or the store closed). */
  reset(): void {
    this.doneReading();
    this.packGenerations.fill(0);
    for (let shard = 0; shard < SHARD_COUNT; shard++) this.closeDescriptor(shard);
  }

  private descriptor(shard: number, options: { ifExists?: boolean } = {}): number {
    let fd = this.descriptors[shard];
    if (fd === undefined) {
      try {
        fd = openSync(path.join(this.shardPath(shard), INDEX_FILE), 'r');
      } catch (err) {
        if (options.ifExists && (err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
        throw err;
      }
      this.descriptors[shard] = fd;
    }
    return fd;
  }

  private closeDescriptor(shard: number): void {
    const fd = this.descriptors[shard];
    if (fd === undefined) return;
    this.descriptors[shard] = undefined;
    closeSync(fd);
  }

  private shardIndex(shard: number): LocalIndex {
    return new LocalIndex(this.shardPath(shard), INDEX_FILE, this.storage, this.codec);
  }

  private shardPath(shard: number): string {
    return path.join(this.folder, shardName(shard));
  }
}

/** A buffer that whole files are read into, one after another: each read overwrites the last. */
class ReusedBuffer {
  private buffer = Buffer.alloc(0);

  async readFile(filePath: string): Promise<Buffer> {
    const handle = await fs.open(filePath, 'r');
    try {
      const { size } = await handle.stat();
      // Some headroom: the shards' sizes differ a little.
      if (size > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.ceil(size * 1.25));
      let read = 0;
      while (read < size) {
        const { bytesRead } = await handle.read(this.buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return this.buffer.subarray(0, read);
    } finally {
      await handle.close();
    }
  }

  release(): void {
    this.buffer = Buffer.alloc(0);
  }
}
