// The shards on disk (shards/00..ff): reading one, and committing a change to one. Each shard is a
// Vectra LocalIndex plus a chunk pack (shardFormat.ts) and a delta log of the saves since
// (shardDelta.ts). A commit either appends to the log (a save's own bytes) or, once the log has
// grown, rewrites the shard: either ends with one commit point (the log's commit item, or an
// atomic replacement of index.pb), so after a crash each file is wholly old or wholly new. It also
// serves the full-precision vectors that the store's quantized matrix rescores with, read from
// index.pb or the log.
import { closeSync, constants as fsConstants, openSync, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import { LocalIndex, type IndexItem } from 'vectra';
import type { ExactVectors } from './vectorMatrix';
import { listFolder, removeTempFiles, syncFolder, writeFileAtomic } from '../fsAtomic';
import { AtomicFileStorage } from './atomicFileStorage';
import { PackedProtobufCodec, scanIndex } from './packedProtobufCodec';
import { deltaGeneration, deltaName, encodeSegment, readDelta, type DeltaContents, type PackState } from './shardDelta';
import {
  decodePack, encodePack, fileItem, fileItemId, headerItem, INDEX_FILE, isReservedId, packChecksum, packGeneration, packName, readShardItems,
  vectorItem, type FileEntry, type FileRecord,
} from './shardFormat';
import { FORMAT_VERSION } from './storeMeta';

/** At 100k chunks a shard holds ~400 chunks (~1.5 MB): one save rewrites only that much. */
export const SHARD_COUNT = 256;
export const SHARDS_DIR = 'shards';

/**
 * Bit of a vector's file number (see `ExactVectors`) for its shard's delta log; without it the
 * number is the shard's, for its index.pb.
 */
const IN_DELTA = 0x100;
/**
 * Commits append while the log and the chunks appended to the pack stay under this share of the
 * shard's index.pb and pack as last written (or DELTA_MIN_BYTES): then one rewrites the shard.
 * At 1M chunks that is ~1.7 MB, some 50 saves of ten chunks between rewrites.
 */
const DELTA_SHARE = 1 / 8;
const DELTA_MIN_BYTES = 256 * 1024;

/** What one shard commit changes in its index.pb, and the shard's files afterwards. */
export interface ShardChange {
  removeIds: string[];
  insert: Array<Partial<IndexItem>>;
  /** Every file of the shard after the change; the ones with a `payload` were written. */
  files: Map<string, FileEntry>;
}

/** Vectors of a shard that lie in one file's bytes (valid until the next readShard): vector i is `dims[i]` float32 from byte `offsets[i]`. */
export interface VectorSource {
  bytes: Buffer;
  /** The file number that `read` takes. */
  file: number;
  ids: string[];
  offsets: number[];
  dims: number[];
}

/** One shard as read from disk, checked against itself. */
export interface ShardRead {
  /** Each file's record, and where its payload lies in the shard's chunk pack. */
  files: Array<{ record: FileRecord; packOffset: number; packLength: number }>;
  vectors: VectorSource[];
}

/** Where vectors a commit wrote lie: in file `file` (as `read` takes it), chunk id -> byte offset. */
export interface VectorOffsets {
  file: number;
  offsets: Map<string, number>;
}

/** What the store knows of one shard on disk. */
interface ShardState {
  /** Generation of the chunk pack that index.pb names (0: none yet). */
  generation: number;
  /** The pack's committed part; undefined until the shard is (re)written with a log, which it then may append to. */
  pack?: PackState;
  /** index.pb's and the pack's bytes when index.pb was written. */
  baseBytes: number;
  /** Bytes of the log's committed saves. */
  deltaLength: number;
  /** Bytes appended (log and pack) since index.pb was written. */
  appended: number;
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

export function shardName(shard: number): string {
  return shard.toString(16).padStart(2, '0');
}

export class ShardFiles implements ExactVectors {
  private readonly storage = new AtomicFileStorage();
  /**
   * Made at the first rewrite: vectra's codec parses its protobuf schema when constructed (40-80 ms
   * in one piece), and loading or appending never needs it.
   */
  private codec?: PackedProtobufCodec;
  private readonly states = Array.from({ length: SHARD_COUNT }, emptyState);
  /**
   * Per file number: an open index.pb or log, for reading vectors back. A rewrite replaces
   * index.pb by rename and deletes the log; the descriptors opened before keep reading the old
   * files, whose offsets the matrix still holds, until the commit returns the new ones.
   */
  private readonly descriptors = new Map<number, number>();
  /**
   * Loading reads every shard's index.pb and pack into these, reused: a fresh buffer per file (12 MB
   * at 1M chunks) page-faults every byte anew, and the allocator kept hundreds of MB of them.
   */
  private readonly indexReads = new ReusedBuffer();
  private readonly packReads = new ReusedBuffer();
  private readonly deltaReads = new ReusedBuffer();

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
   * Reads one shard and deletes its superseded packs and logs; throws when it is inconsistent.
   * Vectors are not copied: the caller reads them from their sources' bytes before the next readShard.
   */
  async readShard(shard: number): Promise<ShardRead> {
    const folder = this.shardPath(shard);
    const indexBytes = await this.indexReads.readFile(path.join(folder, INDEX_FILE));
    const base: VectorSource = { bytes: indexBytes, file: shard, ids: [], offsets: [], dims: [] };
    const { version, items } = scanIndex(indexBytes, (id, offset, dims) => {
      if (isReservedId(id)) throw new Error(`unknown item ${JSON.stringify(id)}`);
      base.ids.push(id);
      base.offsets.push(offset);
      base.dims.push(dims);
    });
    if (version !== FORMAT_VERSION) throw new Error(`format version ${version}, expected ${FORMAT_VERSION}`);
    const contents = readShardItems(items);
    const generation = contents.generation ?? 0;
    // Packs and logs of other generations are from commits that were superseded or never completed.
    for (const name of await listFolder(folder)) {
      const other = packGeneration(name) ?? deltaGeneration(name);
      if (other !== undefined && other !== generation) await fs.rm(path.join(folder, name), { force: true });
    }
    if (contents.files.length > 0 && generation === 0) throw new Error('files without a chunk pack');
    const state: ShardState = { ...emptyState(), generation, baseBytes: indexBytes.length };
    const pack = generation ? await this.packReads.readFile(path.join(folder, packName(generation))) : undefined;
    let delta: { contents: DeltaContents; source: VectorSource } | undefined;
    if (pack) {
      // A shard written before logs existed has no pack length: it is the whole file, and the shard's next commit rewrites it.
      const baseLength = contents.packLength ?? pack.length;
      if (pack.length < baseLength || packChecksum(pack.subarray(0, baseLength)) !== contents.packHash) throw new Error('chunk pack does not match its checksum');
      state.baseBytes += baseLength;
      if (contents.packLength !== undefined) {
        state.pack = { length: baseLength, hash: contents.packHash! };
        const deltaBytes = await this.deltaReads.readFile(path.join(folder, deltaName(generation)), { ifExists: true });
        if (deltaBytes) {
          delta = { contents: readDelta(deltaBytes), source: { bytes: deltaBytes, file: shard | IN_DELTA, ids: [], offsets: [], dims: [] } };
          state.pack = checkAppendedPacks(pack, state.pack, delta.contents.packs);
          state.deltaLength = delta.contents.committedLength;
          state.appended = state.deltaLength + state.pack.length - baseLength;
        }
      }
    }
    const payloads = pack ? decodePack(pack.subarray(0, state.pack?.length ?? pack.length)) : new Map<string, { offset: number; length: number }>();
    this.states[shard] = state;
    let records = contents.files;
    const vectors = [base];
    if (delta) {
      const { replaced, files, vectors: logged } = delta.contents;
      records = [...records.filter((record) => !replaced.has(fileItemId(record.path))), ...files.values()];
      const kept = base.ids.flatMap((id, i) => (replaced.has(id) ? [] : [i]));
      vectors[0] = { ...base, ids: kept.map((i) => base.ids[i]), offsets: kept.map((i) => base.offsets[i]), dims: kept.map((i) => base.dims[i]) };
      for (const [id, { offset, dims }] of logged) {
        delta.source.ids.push(id);
        delta.source.offsets.push(offset);
        delta.source.dims.push(dims);
      }
      vectors.push(delta.source);
    }
    const files = records.map((record) => {
      if (shardOf(record.path) !== shard) throw new Error(`${record.path} belongs to another shard`);
      const payload = payloads.get(record.path);
      if (!payload) throw new Error(`no chunks for ${record.path}`);
      return { record, packOffset: payload.offset, packLength: payload.length };
    });
    return { files, vectors };
  }

  /** The file's compressed chunks: in memory until its commit, then read from the shard's chunk pack. */
  payloadOf(entry: FileEntry): Buffer {
    if (entry.payload) return entry.payload;
    const payload = Buffer.allocUnsafe(entry.packLength);
    const fd = openSync(path.join(this.shardPath(entry.shard), packName(this.states[entry.shard].generation)), 'r');
    try {
      if (readSync(fd, payload, 0, payload.length, entry.packOffset) !== payload.length) throw new Error(`the chunks of ${entry.record.path} are cut short`);
    } finally {
      closeSync(fd);
    }
    return payload;
  }

  /** Reads the vector at byte `offset` of file `file` (a shard's index.pb or log; synchronously: searches are). */
  read(file: number, offset: number, out: Float32Array): void {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    if (readSync(this.descriptor(file), bytes, 0, bytes.length, offset) !== bytes.length) {
      throw new Error(`shard ${shardName(file & ~IN_DELTA)} ends before the vector at byte ${offset}: reindex the workspace`);
    }
  }

  /**
   * Commits one shard: appended to its log while that stays small (see DELTA_SHARE), else a
   * rewrite. Returns where the vectors it wrote lie; after a rewrite, that is every vector of the shard.
   */
  async commit(shard: number, change: ShardChange): Promise<VectorOffsets> {
    const state = this.states[shard];
    if (state.pack) {
      const written = [...change.files.values()].filter((entry) => entry.payload);
      const placed = new Map<FileEntry, { offset: number; length: number }>();
      const packBytes = encodePack(written, (entry) => entry.payload!, (entry, offset, length) => placed.set(entry, { offset, length }), state.pack.length);
      const pack = written.length > 0 ? { length: state.pack.length + packBytes.length, hash: packChecksum(packBytes, state.pack.hash) } : state.pack;
      const segment = encodeSegment({ removeIds: change.removeIds, insert: change.insert, pack });
      const appended = state.appended + packBytes.length + segment.bytes.length;
      if (appended <= Math.max(DELTA_MIN_BYTES, state.baseBytes * DELTA_SHARE)) {
        const folder = this.shardPath(shard);
        // The chunks first: the log's commit item is the commit point, and it vouches for them.
        if (written.length > 0) await writeAt(path.join(folder, packName(state.generation)), state.pack.length, packBytes);
        await writeAt(path.join(folder, deltaName(state.generation)), state.deltaLength, segment.bytes);
        const offsets = new Map([...segment.vectorOffsets].map(([id, offset]) => [id, state.deltaLength + offset]));
        this.states[shard] = { ...state, pack, deltaLength: state.deltaLength + segment.bytes.length, appended };
        for (const [entry, { offset, length }] of placed) placeEntry(entry, offset, length);
        return { file: shard | IN_DELTA, offsets };
      }
    }
    return this.rewrite(shard, change);
  }

  /**
   * Rewrites one shard: a new chunk pack first; then index.pb, through Vectra, takes in the log,
   * drops `removeIds` (missing ones are ignored), gains `insert` and names the new pack, in one
   * atomic replacement; then the files point into the new pack, and the superseded pack and log
   * are deleted.
   */
  private async rewrite(shard: number, change: ShardChange): Promise<VectorOffsets> {
    const folder = this.shardPath(shard);
    const previous = this.states[shard];
    // Searches during the commit keep reading the files their offsets point into.
    this.descriptor(shard, { ifExists: true });
    this.descriptor(shard | IN_DELTA, { ifExists: true });
    const generation = previous.generation + 1;
    const placed = new Map<FileEntry, { offset: number; length: number }>();
    // Files not written since their last commit are in the current pack, read once here.
    const current = previous.generation ? await fs.readFile(path.join(folder, packName(previous.generation))) : undefined;
    const pack = encodePack(
      change.files.values(),
      (entry) => entry.payload ?? current!.subarray(entry.packOffset, entry.packOffset + entry.packLength),
      (entry, offset, length) => placed.set(entry, { offset, length }),
    );
    await fs.mkdir(folder, { recursive: true });
    await writeFileAtomic(path.join(folder, packName(generation)), pack);
    const deltaPath = path.join(folder, deltaName(previous.generation));
    const deltaBytes = previous.deltaLength > 0 ? (await fs.readFile(deltaPath)).subarray(0, previous.deltaLength) : undefined;
    const index = this.shardIndex(shard);
    if (!(await index.isIndexCreated())) await index.createIndex({ version: FORMAT_VERSION });
    await index.beginUpdate();
    try {
      if (deltaBytes) {
        const delta = readDelta(deltaBytes);
        await index.deleteItems(delta.replaced);
        for (const record of delta.files.values()) await index.insertItem(fileItem(record));
        for (const [id, { offset, dims }] of delta.vectors) await index.insertItem(vectorItem(id, copyFloats(deltaBytes, offset, dims)));
      }
      await index.deleteItems(change.removeIds);
      await index.upsertItem(headerItem(generation, pack));
      for (const item of change.insert) await index.insertItem(item);
      await index.endUpdate();
    } catch (err) {
      index.cancelUpdate();
      throw err;
    }
    const offsets = this.codec!.lastVectorOffsets;
    const { size: indexSize } = await fs.stat(path.join(folder, INDEX_FILE));
    // All at once, before the previous pack goes: every read finds its file's payload.
    this.states[shard] = { generation, pack: { length: pack.length, hash: packChecksum(pack) }, baseBytes: indexSize + pack.length, deltaLength: 0, appended: 0 };
    for (const [entry, { offset, length }] of placed) placeEntry(entry, offset, length);
    if (previous.generation) await fs.rm(path.join(folder, packName(previous.generation)), { force: true });
    await fs.rm(deltaPath, { force: true });
    // The caller relocates the shard's vectors before any search can run: from here, reads go to the new files.
    this.closeDescriptor(shard);
    this.closeDescriptor(shard | IN_DELTA);
    return { file: shard, offsets };
  }

  /** Loading is over: frees the buffers shards were read into. */
  doneReading(): void {
    this.indexReads.release();
    this.packReads.release();
    this.deltaReads.release();
  }

  /** Forgets the pack generations and open files (the shards folder was emptied, or the store closed). */
  reset(): void {
    this.doneReading();
    for (let shard = 0; shard < SHARD_COUNT; shard++) this.states[shard] = emptyState();
    for (const file of [...this.descriptors.keys()]) this.closeDescriptor(file);
  }

  private descriptor(file: number, options: { ifExists?: boolean } = {}): number {
    let fd = this.descriptors.get(file);
    if (fd === undefined) {
      const shard = file & ~IN_DELTA;
      const name = file & IN_DELTA ? deltaName(this.states[shard].generation) : INDEX_FILE;
      try {
        fd = openSync(path.join(this.shardPath(shard), name), 'r');
      } catch (err) {
        if (options.ifExists && (err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
        throw err;
      }
      this.descriptors.set(file, fd);
    }
    return fd;
  }

  private closeDescriptor(file: number): void {
    const fd = this.descriptors.get(file);
    if (fd === undefined) return;
    this.descriptors.delete(file);
    closeSync(fd);
  }

  private shardIndex(shard: number): LocalIndex {
    this.codec ??= new PackedProtobufCodec();
    return new LocalIndex(this.shardPath(shard), INDEX_FILE, this.storage, this.codec);
  }

  private shardPath(shard: number): string {
    return path.join(this.folder, shardName(shard));
  }
}

function emptyState(): ShardState {
  return { generation: 0, baseBytes: 0, deltaLength: 0, appended: 0 };
}

function placeEntry(entry: FileEntry, offset: number, length: number): void {
  entry.payload = undefined;
  entry.packOffset = offset;
  entry.packLength = length;
}

/** The pack after the log's saves, each checked against the bytes it appended; throws on a mismatch. */
function checkAppendedPacks(pack: Buffer, base: PackState, saves: PackState[]): PackState {
  let committed = base;
  for (const next of saves) {
    const grown = next.length > committed.length && next.length <= pack.length;
    const same = next.length === committed.length && next.hash === committed.hash;
    if (!same && !(grown && packChecksum(pack.subarray(committed.length, next.length), committed.hash) === next.hash)) {
      throw new Error('chunk pack does not match its delta log');
    }
    committed = next;
  }
  return committed;
}

/** A float32 copy of `dims` values at `offset` of `bytes` (protobuf does not align them). */
function copyFloats(bytes: Buffer, offset: number, dims: number): Float32Array {
  const floats = new Float32Array(dims);
  new Uint8Array(floats.buffer).set(bytes.subarray(offset, offset + dims * 4));
  return floats;
}

/**
 * Writes `bytes` at `position` of `filePath` (created if missing) and cuts the file there:
 * whatever lay past `position` was never committed. Durable when it returns.
 */
async function writeAt(filePath: string, position: number, bytes: Buffer): Promise<void> {
  const handle = await fs.open(filePath, fsConstants.O_RDWR | fsConstants.O_CREAT);
  try {
    for (let written = 0; written < bytes.length; ) {
      written += (await handle.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
    }
    await handle.truncate(position + bytes.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // A file created here has its name made durable too.
  if (position === 0) await syncFolder(path.dirname(filePath));
}

/** A buffer that whole files are read into, one after another: each read overwrites the last. */
class ReusedBuffer {
  private buffer = Buffer.alloc(0);

  /** The file's bytes; with `ifExists`, undefined when it does not exist. */
  async readFile(filePath: string, options: { ifExists: true }): Promise<Buffer | undefined>;
  async readFile(filePath: string): Promise<Buffer>;
  async readFile(filePath: string, options: { ifExists?: boolean } = {}): Promise<Buffer | undefined> {
    const handle = await fs.open(filePath, 'r').catch((err: NodeJS.ErrnoException) => {
      if (options.ifExists && err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return undefined;
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
