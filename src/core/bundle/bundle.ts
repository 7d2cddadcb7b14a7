// Writing a store into a bundle, and reading one back: checked whole (checksum, then every frame)
// before the first write to an index, so a truncated, damaged or foreign bundle changes nothing.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { isOutsideWorkspace } from '../files/docFolders';
import type { LoreStore } from '../store';
import { BUNDLE_MAGIC, BUNDLE_VERSION, BundleError, parseFrame, parseHeader, type BundleEntry, type BundleFile, type BundleHeader } from './format';

const HEADER_PREFIX_BYTES = BUNDLE_MAGIC.length + 4;
/** A header is a few hundred bytes; more means this is not a bundle. */
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export interface PackResult {
  files: number;
  chunks: number;
  vectors: number;
  bytes: number;
}

/** Writes every workspace file of `store` (chunks, and vectors where it has them) to `out`, atomically. */
export async function packStore(store: LoreStore, out: string): Promise<PackResult> {
  const { embedModel, dims } = await store.stats();
  const payloadFile = `${out}.payload-${process.pid}`;
  const counts = { files: 0, chunks: 0, vectors: 0 };
  const hash = createHash('sha256');
  let payloadBytes = 0;
  try {
    const gzip = createGzip({ level: 6 });
    const written = pipeline(
      gzip,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const piece of source) {
          hash.update(piece);
          payloadBytes += piece.length;
          yield piece;
        }
      },
      createWriteStream(payloadFile),
    );
    for (const record of store.files()) {
      // Docs-folder files are keyed by absolute path, which a bundle never holds (and another machine lacks).
      if (isOutsideWorkspace(record.path)) continue;
      const chunks = store.chunksOf(record.path);
      const vectored: number[] = [];
      const vectors: Float32Array[] = [];
      chunks.forEach((chunk, i) => {
        const vector = dims ? store.vectorOf(chunk.id) : undefined;
        if (vector) {
          vectored.push(i);
          vectors.push(vector);
        }
      });
      const frame: BundleFile = { path: record.path, hash: record.hash, size: record.size, chunks: chunks.map(({ path: _path, ...rest }) => rest), vectored };
      await writePiece(gzip, frameBytes(frame, vectors));
      counts.files++;
      counts.chunks += chunks.length;
      counts.vectors += vectors.length;
    }
    await writePiece(gzip, Buffer.alloc(4));
    gzip.end();
    await written;

    const header: BundleHeader = {
      format: 'lore-index-bundle',
      version: BUNDLE_VERSION,
      embedModel: embedModel ?? '',
      dims: dims ?? 0,
      ...counts,
      payloadBytes,
      payloadSha256: hash.digest('hex'),
    };
    if (!header.embedModel) throw new Error('the index has no embedding model: index it with embeddings before packing');
    const headerJson = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(HEADER_PREFIX_BYTES);
    BUNDLE_MAGIC.copy(prefix);
    prefix.writeUInt32BE(headerJson.length, BUNDLE_MAGIC.length);
    const draft = `${out}.draft-${process.pid}`;
    await pipeline(
      async function* () {
        yield prefix;
        yield headerJson;
        yield* createReadStream(payloadFile);
      },
      createWriteStream(draft),
    );
    const handle = await fs.open(draft, 'r+');
    await handle.sync().finally(() => handle.close());
    await fs.rename(draft, out);
    return { ...counts, bytes: HEADER_PREFIX_BYTES + headerJson.length + payloadBytes };
  } finally {
    await fs.rm(payloadFile, { force: true });
    await fs.rm(`${out}.draft-${process.pid}`, { force: true });
  }
}

function frameBytes(frame: BundleFile, vectors: Float32Array[]): Buffer {
  const json = Buffer.from(JSON.stringify(frame));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const floats = vectors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return Buffer.concat([length, json, ...floats]);
}

function writePiece(stream: NodeJS.WritableStream, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(piece)) resolve();
    else stream.once('drain', resolve).once('error', reject);
  });
}

/** Reads and checks the header of `file`. */
export async function readBundleHeader(file: string): Promise<{ header: BundleHeader; payloadOffset: number }> {
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new BundleError(err.code === 'ENOENT' ? 'the file does not exist' : `it cannot be read (${err.code ?? err.message})`);
  });
  try {
    const prefix = Buffer.alloc(HEADER_PREFIX_BYTES);
    const { bytesRead } = await handle.read(prefix, 0, prefix.length, 0);
    if (bytesRead < prefix.length || !prefix.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) throw new BundleError('it is not a Lore index bundle');
    const headerBytes = prefix.readUInt32BE(BUNDLE_MAGIC.length);
    if (headerBytes > MAX_HEADER_BYTES) throw new BundleError('its header is damaged');
    const json = Buffer.alloc(headerBytes);
    const read = await handle.read(json, 0, headerBytes, prefix.length);
    if (read.bytesRead < headerBytes) throw new BundleError('it is truncated');
    const header = parseHeader(json.toString('utf8'));
    const { size } = await handle.stat();
    const payloadOffset = prefix.length + headerBytes;
    if (size - payloadOffset < header.payloadBytes) throw new BundleError(`it is truncated (${size} bytes, ${payloadOffset + header.payloadBytes} expected)`);
    if (size - payloadOffset > header.payloadBytes) throw new BundleError('it has bytes past its end (the file is damaged)');
    return { header, payloadOffset };
  } finally {
    await handle.close();
  }
}

/**
 * Every entry of the bundle, in order. Call `verifyBundle` first: this one stops at the first
 * problem, after the entries before it were handed out.
 */
export async function* readBundle(file: string, header: BundleHeader, payloadOffset: number): AsyncGenerator<BundleEntry> {
  const gunzip = createGunzip();
  const source = createReadStream(file, { start: payloadOffset });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const reader = new ByteReader(gunzip);
  try {
    for (;;) {
      const length = (await reader.take(4)).readUInt32BE(0);
      if (length === 0) break;
      if (length > MAX_FRAME_BYTES) throw new BundleError('a file entry is damaged');
      const frame = parseFrame((await reader.take(length)).toString('utf8'), header.dims);
      const vectors: Float32Array[] = [];
      for (let i = 0; i < frame.vectored.length; i++) {
        const bytes = await reader.take(header.dims * 4);
        const vector = new Float32Array(header.dims);
        new Uint8Array(vector.buffer).set(bytes);
        if (!vector.every(Number.isFinite)) throw new BundleError(`a vector of ${frame.path} is damaged`);
        vectors.push(vector);
      }
      yield { file: frame, vectors };
    }
    if (!(await reader.atEnd())) throw new BundleError('it has data past its last entry (the file is damaged)');
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`it cannot be decompressed (${(err as Error).message}): the file is damaged or truncated`);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

/** Checks the whole bundle (checksum, then every entry against the header) without using it. */
export async function verifyBundle(file: string, expectedModel?: string): Promise<{ header: BundleHeader; payloadOffset: number }> {
  const { header, payloadOffset } = await readBundleHeader(file);
  if (expectedModel !== undefined && header.embedModel !== expectedModel) {
    throw new BundleError(`its vectors are of embedding model "${header.embedModel}", not "${expectedModel}" (index with --embed-model ${header.embedModel}, or pack with ${expectedModel})`);
  }
  const hash = createHash('sha256');
  for await (const piece of createReadStream(file, { start: payloadOffset })) hash.update(piece as Buffer);
  if (hash.digest('hex') !== header.payloadSha256) throw new BundleError('its checksum does not match (the file is damaged)');
  const seen = { files: 0, chunks: 0, vectors: 0 };
  for await (const { file: entry, vectors } of readBundle(file, header, payloadOffset)) {
    seen.files++;
    seen.chunks += entry.chunks.length;
    seen.vectors += vectors.length;
  }
  if (seen.files !== header.files || seen.chunks !== header.chunks || seen.vectors !== header.vectors) throw new BundleError('its contents do not match its header');
  return { header, payloadOffset };
}

/** Hands out exact byte counts from a stream. */
class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (piece: Buffer) => {
      this.buffered.push(piece);
      this.length += piece.length;
      if (this.length > 8 * 1024 * 1024) stream.pause();
      this.wake?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    stream.on('error', (err: Error) => {
      this.failure = err;
      this.wake?.();
    });
    this.resume = () => stream.resume();
  }

  private readonly resume: () => void;

  async take(count: number): Promise<Buffer> {
    while (this.length < count) {
      if (this.failure) throw this.failure;
      if (this.ended) throw new BundleError('it is truncated');
      this.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    // Only the pieces the answer spans are copied: takes are small and the buffer is megabytes.
    const parts: Buffer[] = [];
    let needed = count;
    while (needed > 0) {
      const head = this.buffered[0];
      if (head.length <= needed) {
        parts.push(head);
        this.buffered.shift();
        needed -= head.length;
      } else {
        parts.push(head.subarray(0, needed));
        this.buffered[0] = head.subarray(needed);
        needed = 0;
      }
    }
    this.length -= count;
    return Buffer.concat(parts, count);
  }

  async atEnd(): Promise<boolean> {
    while (!this.ended && !this.length && !this.failure) {
      this.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.failure) throw this.failure;
    return this.length === 0;
  }
}
