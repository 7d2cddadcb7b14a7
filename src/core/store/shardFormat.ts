// What one shard folder holds, and how it is encoded.
//
//   index.pb          Vectra LocalIndex: a header item naming the current chunk pack, one item per
//                     file (its record, no vector) and one item per chunk vector.
//   chunks-<gen>.bin  The chunk pack: for each file of the shard, its chunks (text included) as
//                     brotli-compressed JSON. index.pb is written last, so it is the commit point:
//                     a crash between the two writes leaves index.pb naming the previous pack,
//                     which is deleted only after the commit.
//   delta-<gen>.pb    Saves since index.pb was written, appended (shardDelta.ts); their chunks are
//                     appended to the pack of the same generation.
//
// Chunk text stays compressed on disk and in memory: raw text would add about half the size of
// 768-dim vectors again, and base64 inside index.pb would add a third to the text. Readers
// decompress one file's chunks on demand (`getChunk`, search hits), well under a millisecond.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants } from 'node:zlib';
import type { IndexItem, MetadataTypes } from 'vectra';
import type { Chunk } from '../types';
import { ID_LENGTH, isPackableId } from '../packedIds';
import { TimeSlice } from '../timeSlice';

export interface FileRecord {
  path: string;
  hash: string;
  size: number;
  mtimeMs: number;
  readonly chunkIds: readonly string[];
}

export interface FileEntry {
  /** Frozen: handed out as is by `getFile` and `files`. */
  readonly record: StoredRecord;
  readonly shard: number;
  /**
   * brotli(JSON(StoredChunk[])): the file's chunks in line order. Held in memory only from
   * `putFiles` until its commit; then, and for loaded files, it lies in the shard's current chunk
   * pack at `packOffset` (the store reads it back on demand: ~530 bytes a chunk not held).
   */
  payload?: Buffer;
  packOffset: number;
  packLength: number;
}

/** A chunk as stored: its path is the file's. */
type StoredChunk = Omit<Chunk, 'path'>;

/** Chunk ids never start with NUL (validated on write), so these ids cannot collide with them. */
const FILE_ITEM_PREFIX = '\u0000file:';
const HEADER_ITEM_ID = '\u0000shard';

export const INDEX_FILE = 'index.pb';
const PACK_NAME = /^chunks-(\d+)\.bin$/;
const PACK_MAGIC = Buffer.from('LCP1');

/** Quality 5 compresses code nearly as well as 11, at ~20 MB/s instead of ~1. */
const BROTLI_OPTIONS = {
  params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
};

export function isReservedId(id: string): boolean {
  return id.startsWith('\u0000');
}

export function fileItemId(path: string): string {
  return FILE_ITEM_PREFIX + path;
}

export function packName(generation: number): string {
  return `chunks-${generation}.bin`;
}

/** The generation of a chunk pack file name, or undefined for other names. */
export function packGeneration(name: string): number | undefined {
  const match = PACK_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

// ---- chunks of one file ----

/**
 * `chunks` all belong to one file, in line order. Only the Chunk fields are kept. Serialized chunk by
 * chunk between event-loop turns (a 2,400-page PDF's 5,800 chunks at once held the thread ~800 ms),
 * compressed off the main thread.
 */
export async function encodePayload(chunks: readonly Chunk[], slice = new TimeSlice()): Promise<Buffer> {
  // Bytes chunk by chunk, then one copy: joining one big string and encoding it is a block of its own.
  const parts: Buffer[] = [JSON_OPEN];
  for (const { id, startLine, endLine, language, symbol, context, page, cell, text, hash } of chunks) {
    if (parts.length > 1) parts.push(JSON_COMMA);
    parts.push(Buffer.from(JSON.stringify({ id, startLine, endLine, language, symbol, context, page, cell, text, hash } satisfies StoredChunk)));
    await slice.pause();
  }
  parts.push(JSON_CLOSE);
  return brotliCompressAsync(Buffer.concat(parts), BROTLI_OPTIONS);
}

const brotliCompressAsync = promisify(brotliCompress);
const [JSON_OPEN, JSON_COMMA, JSON_CLOSE] = ['[', ',', ']'].map((text) => Buffer.from(text));

/** The file's chunks, frozen: a cache shares them between callers. */
export function decodePayload(path: string, payload: Buffer): Chunk[] {
  const stored: unknown = JSON.parse(brotliDecompressSync(payload).toString('utf8'));
  if (!Array.isArray(stored)) throw new Error(`chunks of ${path} are not a list`);
  return stored.map((value: unknown) => {
    if (!hasChunkFields(value)) throw new Error(`a chunk of ${path} is malformed`);
    return Object.freeze({ ...(value as StoredChunk), path });
  });
}

/** The fields and types every chunk has (its path aside); checked on write and on load. */
export function hasChunkFields(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const chunk = value as Record<string, unknown>;
  return (
    typeof chunk.id === 'string' &&
    isFiniteNumber(chunk.startLine) &&
    isFiniteNumber(chunk.endLine) &&
    typeof chunk.language === 'string' &&
    typeof chunk.text === 'string' &&
    typeof chunk.hash === 'string' &&
    (chunk.symbol === undefined || typeof chunk.symbol === 'string') &&
    (chunk.context === undefined || typeof chunk.context === 'string')
  );
}

// ---- the chunk pack ----

/**
 * magic, then per file: u32 path length, path (UTF-8), u32 payload length, payload. `payloadOf`
 * gives each entry's payload; `onPayload` hears where it lies in the pack. With `appendAt`, the
 * entries only, to be appended to a pack of that length: a later entry of a path replaces the
 * earlier one.
 */
export function encodePack(
  entries: Iterable<FileEntry>,
  payloadOf: (entry: FileEntry) => Buffer,
  onPayload: (entry: FileEntry, offset: number, length: number) => void,
  appendAt?: number,
): Buffer {
  const parts: Buffer[] = appendAt === undefined ? [PACK_MAGIC] : [];
  let offset = appendAt ?? PACK_MAGIC.length;
  for (const entry of entries) {
    const path = Buffer.from(entry.record.path);
    const payload = payloadOf(entry);
    parts.push(u32(path.length), path, u32(payload.length), payload);
    offset += 8 + path.length;
    onPayload(entry, offset, payload.length);
    offset += payload.length;
  }
  return Buffer.concat(parts);
}

/** Path -> where its payload lies in `pack`. Throws on a truncated or foreign file. */
export function decodePack(pack: Buffer): Map<string, { offset: number; length: number }> {
  if (pack.length < PACK_MAGIC.length || !pack.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new Error('chunk pack has no header');
  }
  const payloads = new Map<string, { offset: number; length: number }>();
  let offset = PACK_MAGIC.length;
  const take = (length: number) => {
    if (offset + length > pack.length) throw new Error('chunk pack is truncated');
    const start = offset;
    offset += length;
    return start;
  };
  while (offset < pack.length) {
    const pathLength = pack.readUInt32LE(take(4));
    const path = pack.toString('utf8', take(pathLength), offset);
    const length = pack.readUInt32LE(take(4));
    payloads.set(path, { offset: take(length), length });
  }
  return payloads;
}

function u32(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

// ---- index.pb items ----

/**
 * Names the shard's chunk pack, its length and checksum: a load checks the pack's bytes instead of
 * decompressing every file in it, and appended saves (past `packLength`) are checked apart.
 */
export function headerItem(generation: number, pack: Buffer): Partial<IndexItem> {
  return { id: HEADER_ITEM_ID, vector: [], metadata: { pack: generation, packHash: packChecksum(pack), packLength: pack.length } };
}

/** `previous` is the checksum of the bytes before `bytes`: appends chain their checksums. */
export function packChecksum(bytes: Buffer, previous?: string): string {
  const hash = createHash('sha256');
  if (previous !== undefined) hash.update(previous);
  return hash.update(bytes).digest('hex').slice(0, 32);
}

/** The file's chunk ids ride along (JSON) so a cold load knows every chunk without decompressing the chunk pack. */
export function fileItem({ path, hash, size, mtimeMs, chunkIds }: FileRecord): Partial<IndexItem> {
  return { id: fileItemId(path), vector: [], metadata: { path, hash, size, mtimeMs, chunkIds: JSON.stringify(chunkIds) } };
}

/** Vectra types vectors as number[]; a Float32Array serves every use LocalIndex and the codec make of it. */
export function vectorItem(id: string, unitVector: Float32Array): Partial<IndexItem> {
  return { id, vector: unitVector as unknown as number[] };
}

export interface ShardContents {
  /** Undefined when the shard never committed files (an empty index.pb). */
  generation?: number;
  packHash?: string;
  /** Undefined in shards written before saves were appended: the whole pack file is the pack. */
  packLength?: number;
  files: FileRecord[];
}

/**
 * Sorts a shard's items other than vectors (scanIndex hands those over apart); throws on anything
 * malformed (the store then treats the shard as corrupt).
 */
export function readShardItems(items: IndexItem[]): ShardContents {
  const contents: ShardContents = { files: [] };
  for (const item of items) {
    if (item.id === HEADER_ITEM_ID) {
      const { pack: generation, packHash, packLength } = item.metadata;
      const lengthOk = packLength === undefined || (Number.isInteger(packLength) && (packLength as number) >= 0);
      if (!isFiniteNumber(generation) || generation < 1 || typeof packHash !== 'string' || !lengthOk) throw new Error('shard header is malformed');
      contents.generation = generation;
      contents.packHash = packHash;
      contents.packLength = packLength as number | undefined;
    } else if (item.id.startsWith(FILE_ITEM_PREFIX)) {
      contents.files.push(readFileItem(item));
    } else if (isReservedId(item.id)) {
      throw new Error(`unknown item ${JSON.stringify(item.id)}`);
    } else {
      throw new Error(`vector of chunk ${item.id} has 0 dimensions`);
    }
  }
  return contents;
}

/** The record a file item holds; throws when it is malformed. */
export function readFileItem(item: IndexItem): FileRecord {
  const { path, hash, size, mtimeMs } = item.metadata;
  const chunkIds = parseChunkIds(item.metadata.chunkIds);
  if (
    typeof path !== 'string' || item.id !== fileItemId(path) || typeof hash !== 'string' ||
    !isFiniteNumber(size) || !isFiniteNumber(mtimeMs) || !chunkIds
  ) {
    throw new Error(`file item ${JSON.stringify(item.id.slice(FILE_ITEM_PREFIX.length))} is malformed`);
  }
  return { path, hash, size, mtimeMs, chunkIds };
}

export function isFileItemId(id: string): boolean {
  return id.startsWith(FILE_ITEM_PREFIX);
}

/** The record as the store holds it: frozen, its chunk ids compact (see StoredRecord). */
export function freezeRecord({ path, hash, size, mtimeMs, chunkIds }: FileRecord): StoredRecord {
  return new StoredRecord(path, hash, size, mtimeMs, chunkIds);
}

/**
 * A file's chunk ids, when all have the chunk id shape (isPackableId), are one joined string, split
 * again on each read of `chunkIds` (a fresh frozen array): one string a file instead of one a
 * chunk, for the reason in packedIds.ts.
 */
export class StoredRecord implements FileRecord {
  readonly #ids: string | readonly string[];

  constructor(readonly path: string, readonly hash: string, readonly size: number, readonly mtimeMs: number, chunkIds: readonly string[]) {
    this.#ids = chunkIds.every(isPackableId) ? chunkIds.join('') : Object.freeze([...chunkIds]);
    Object.freeze(this);
  }

  get chunkIds(): readonly string[] {
    const ids = this.#ids;
    if (typeof ids !== 'string') return ids;
    const split = new Array<string>(ids.length / ID_LENGTH);
    for (let i = 0; i < split.length; i++) split[i] = ids.slice(i * ID_LENGTH, (i + 1) * ID_LENGTH);
    return Object.freeze(split);
  }

  /** Whether `id` is one of `chunkIds`, without splitting them (chunk owner lookups ask this per hit). */
  holdsChunk(id: string): boolean {
    const ids = this.#ids;
    if (typeof ids !== 'string') return ids.includes(id);
    if (id.length !== ID_LENGTH) return false;
    let at = ids.indexOf(id);
    while (at !== -1 && at % ID_LENGTH !== 0) at = ids.indexOf(id, at + 1);
    return at !== -1;
  }
}

/** Undefined when absent or malformed. */
function parseChunkIds(value: MetadataTypes | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  let ids: unknown;
  try {
    ids = JSON.parse(value);
  } catch {
    return undefined;
  }
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : undefined;
}

export function isFiniteNumber(value: MetadataTypes | unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
