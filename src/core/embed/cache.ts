// Embedding vectors keyed by chunk hash, so unchanged chunks are never sent to Ollama twice (a
// reindex, a branch switch back, a file renamed). One append-only binary file per model:
//
//   header   "LOREEMB1" | u32 header bytes | u32 dims | u16 model name bytes | model name (UTF-8) | zero pad to 4
//   records  16-byte hash | dims x float32
//
// Numbers are little-endian (vectors are written as the platform's Float32Array bytes; every platform
// VS Code runs on is little-endian). Appending is crash-safe: a torn last record is ignored and cut off
// at the next flush. A file that cannot be read, or was written for another model, is started afresh:
// the cache only saves work, it is never the sole copy of anything.
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../fsAtomic';
import { DimensionMismatchError } from './errors';

const MAGIC = Buffer.from('LOREEMB1', 'latin1');
const HASH_BYTES = 16;
const HASH_PATTERN = /^[0-9a-f]{32}$/;

export class EmbeddingCache {
  private vectors = new Map<string, Float32Array>();
  private pending = new Map<string, Float32Array>();
  /** Records in the file, counting superseded ones (what compaction reclaims). */
  private fileRecords = 0;
  /** Bytes of the file that hold whole records; anything past it is a torn write. */
  private validBytes = 0;
  private vectorDims: number | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  /** Why the file on disk was discarded when it was opened, if it was. */
  recovered: string | undefined;

  private constructor(
    readonly file: string,
    readonly model: string,
  ) {}

  static async open(file: string, model: string): Promise<EmbeddingCache> {
    if (!model.trim()) throw new Error('EmbeddingCache needs a model name.');
    const cache = new EmbeddingCache(file, model);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return cache;
      throw err;
    }
    // An empty file is a crash between creating it and writing the first records.
    if (data.length) cache.load(data);
    return cache;
  }

  get size(): number {
    return this.vectors.size;
  }

  get dims(): number | undefined {
    return this.vectorDims;
  }

  /** The cached vector; shared, not a copy: do not modify it. */
  get(hash: string): Float32Array | undefined {
    return this.vectors.get(hash);
  }

  has(hash: string): boolean {
    return this.vectors.has(hash);
  }

  /** Keeps the vector in memory; `flush()` makes it durable. */
  set(hash: string, vector: Float32Array): void {
    assertCacheKey(hash);
    if (this.vectorDims === undefined) this.vectorDims = vector.length;
    if (vector.length !== this.vectorDims) throw new DimensionMismatchError(this.vectorDims, vector.length, this.model);
    const existing = this.vectors.get(hash);
    if (existing && sameValues(existing, vector)) return;
    this.vectors.set(hash, vector);
    this.pending.set(hash, vector);
  }

  /** Appends the vectors set since the last flush and syncs them to disk. */
  flush(): Promise<void> {
    return this.serialized(() => this.appendPending());
  }

  /**
   * Drops every vector not in `keep` and rewrites the file, when superseded and unneeded records
   * outnumber the live ones (so the file stays within about twice its useful size).
   */
  compact(keep: Set<string>): Promise<void> {
    return this.serialized(async () => {
      await this.appendPending();
      const live = [...this.vectors].filter(([hash]) => keep.has(hash));
      if (this.fileRecords - live.length <= live.length || this.vectorDims === undefined) return;
      const contents = Buffer.concat([encodeHeader(this.model, this.vectorDims), ...live.map(([hash, vector]) => encodeRecord(hash, vector))]);
      await writeFileAtomic(this.file, contents);
      this.vectors = new Map(live);
      this.fileRecords = live.length;
      this.validBytes = contents.length;
    });
  }

  private load(data: Buffer): void {
    const header = decodeHeader(data);
    if (typeof header === 'string') {
      this.recovered = header;
      return;
    }
    if (header.model !== this.model) {
      this.recovered = `it holds vectors of model "${header.model}"`;
      return;
    }
    // Float32Array views need 4-byte alignment; a pooled Buffer may not have it.
    const bytes = data.byteOffset % 4 === 0 ? data : Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    const recordBytes = HASH_BYTES + header.dims * 4;
    const count = Math.floor((bytes.length - header.bytes) / recordBytes);
    for (let i = 0; i < count; i++) {
      const at = header.bytes + i * recordBytes;
      const hash = bytes.toString('hex', at, at + HASH_BYTES);
      this.vectors.set(hash, new Float32Array(bytes.buffer, bytes.byteOffset + at + HASH_BYTES, header.dims));
    }
    this.vectorDims = header.dims;
    this.fileRecords = count;
    this.validBytes = header.bytes + count * recordBytes;
  }

  private async appendPending(): Promise<void> {
    if (!this.pending.size || this.vectorDims === undefined) return;
    const batch = [...this.pending];
    const parts = batch.map(([hash, vector]) => encodeRecord(hash, vector));
    if (this.validBytes === 0) parts.unshift(encodeHeader(this.model, this.vectorDims));
    const bytes = Buffer.concat(parts);

    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const handle = await fs.open(this.file, fsConstants.O_RDWR | fsConstants.O_CREAT);
    try {
      // Cuts off a torn record (or a discarded file) before appending after the last whole record.
      await handle.truncate(this.validBytes);
      await handle.write(bytes, 0, bytes.length, this.validBytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.validBytes += bytes.length;
    this.fileRecords += batch.length;
    // Vectors set again while writing stay pending.
    for (const [hash, vector] of batch) if (this.pending.get(hash) === vector) this.pending.delete(hash);
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const run = this.writes.then(work, work);
    this.writes = run.catch(() => undefined);
    return run;
  }
}

export function isCacheKey(hash: string): boolean {
  return HASH_PATTERN.test(hash);
}

function assertCacheKey(hash: string): void {
  if (!isCacheKey(hash)) throw new Error(`Invalid embedding cache key "${hash}": expected 32 lowercase hex characters (a chunk hash).`);
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function encodeHeader(model: string, dims: number): Buffer {
  const name = Buffer.from(model, 'utf8');
  const unpadded = MAGIC.length + 4 + 4 + 2 + name.length;
  const header = Buffer.alloc(Math.ceil(unpadded / 4) * 4);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(header.length, 8);
  header.writeUInt32LE(dims, 12);
  header.writeUInt16LE(name.length, 16);
  name.copy(header, 18);
  return header;
}

function decodeHeader(data: Buffer): { bytes: number; dims: number; model: string } | string {
  if (data.length < 18 || !data.subarray(0, MAGIC.length).equals(MAGIC)) return 'it is not an embedding cache file';
  const bytes = data.readUInt32LE(8);
  const dims = data.readUInt32LE(12);
  const nameLength = data.readUInt16LE(16);
  if (bytes % 4 !== 0 || bytes < 18 + nameLength || bytes > data.length || dims === 0) return 'its header is damaged';
  return { bytes, dims, model: data.toString('utf8', 18, 18 + nameLength) };
}

function encodeRecord(hash: string, vector: Float32Array): Buffer {
  const record = Buffer.alloc(HASH_BYTES + vector.length * 4);
  record.write(hash, 0, HASH_BYTES, 'hex');
  Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(record, HASH_BYTES);
  return record;
}

