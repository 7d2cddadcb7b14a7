// A shard's delta log, delta-<gen>.pb: the saves committed since its index.pb (whose chunk pack
// has generation <gen>) was written. Rewriting index.pb for each save costs its whole size (~12 MB
// a shard at 1M chunks: decode, encode, write, fsync: hundreds of ms under load); appending costs
// the save's own bytes. The log is a run of Vectra index items (the wire format of index.pb's
// items) in segments, one per save: an item listing the ids it removes, its file items and
// vectors, then a commit item holding a checksum of the segment's bytes and the chunk pack's
// length and chained checksum after the save (its chunks are appended to the pack first). A
// segment whose commit item is missing, cut short or does not match its bytes was never committed
// (a crash mid-append): it and everything after it are ignored, and the next save overwrites them.
// When the log and the appended chunks outgrow a share of the shard, the next commit folds them
// into a new index.pb and pack (shardFiles.ts).
import type { IndexItem, MetadataTypes } from 'vectra';
import { encodeItems, scanItems, type ScannedItem } from './packedProtobufCodec';
import { isFileItemId, isReservedId, packChecksum, readFileItem, type FileRecord } from './shardFormat';

const REMOVED_ITEM_ID = '\u0000removed';
const COMMIT_ITEM_ID = '\u0000commit';
const DELTA_NAME = /^delta-(\d+)\.pb$/;

export function deltaName(generation: number): string {
  return `delta-${generation}.pb`;
}

/** The generation of a delta log's file name, or undefined for other names. */
export function deltaGeneration(name: string): number | undefined {
  const match = DELTA_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The committed part of a chunk pack: its length and chained checksum (`packChecksum`). */
export interface PackState {
  length: number;
  hash: string;
}

/** One save as the log holds it. */
export interface DeltaSegment {
  /** Ids of items (files, vectors) the save drops; missing ones are ignored. */
  removeIds: string[];
  /** File items and vector items (shardFormat.ts), replacing any of the same id. */
  insert: Array<Partial<IndexItem>>;
  /** The pack after the save. */
  pack: PackState;
}

/** The segment's bytes, and where each vector lies in them. */
export function encodeSegment({ removeIds, insert, pack }: DeltaSegment): { bytes: Buffer; vectorOffsets: Map<string, number> } {
  const items = removeIds.length > 0 ? [item(REMOVED_ITEM_ID, { ids: JSON.stringify(removeIds) })] : [];
  for (const { id, metadata, vector } of insert) items.push(item(id!, metadata ?? {}, vector));
  const body = encodeItems(items);
  const commit = encodeItems([item(COMMIT_ITEM_ID, { hash: packChecksum(body.bytes), pack: pack.length, packHash: pack.hash })]);
  return { bytes: Buffer.concat([body.bytes, commit.bytes]), vectorOffsets: body.vectorOffsets };
}

/** What the committed saves of a log add up to, on top of index.pb. */
export interface DeltaContents {
  /** Ids of index.pb's items (file items, vectors) that the log removes or replaces. */
  replaced: Set<string>;
  /** File item id -> the record the log holds. */
  files: Map<string, FileRecord>;
  /** Chunk id -> where its vector lies in the log. */
  vectors: Map<string, { offset: number; dims: number }>;
  /** The pack after each committed save, in order. */
  packs: PackState[];
  /** Bytes of committed saves: the next save is appended here. */
  committedLength: number;
}

/** Reads a log; throws when a committed save is malformed (a torn last save is ignored instead). */
export function readDelta(bytes: Buffer): DeltaContents {
  const contents: DeltaContents = { replaced: new Set(), files: new Map(), vectors: new Map(), packs: [], committedLength: 0 };
  for (const { items, pack, end } of committedSegments(bytes)) {
    for (const scanned of items) apply(contents, scanned);
    contents.packs.push(pack);
    contents.committedLength = end;
  }
  return contents;
}

function* committedSegments(bytes: Buffer): Generator<{ items: ScannedItem[]; pack: PackState; end: number }> {
  let start = 0;
  let items: ScannedItem[] = [];
  const scan = scanItems(bytes);
  for (;;) {
    let next: IteratorResult<ScannedItem>;
    try {
      next = scan.next();
    } catch {
      return; // cut short by a crash
    }
    if (next.done) return;
    const scanned = next.value;
    if (scanned.item?.id !== COMMIT_ITEM_ID) {
      items.push(scanned);
      continue;
    }
    const { hash, pack, packHash } = scanned.item.metadata;
    const bodyEnd = items.length > 0 ? items[items.length - 1].end : start;
    if (hash !== packChecksum(bytes.subarray(start, bodyEnd)) || !isLength(pack) || typeof packHash !== 'string') return;
    yield { items, pack: { length: pack, hash: packHash }, end: scanned.end };
    start = scanned.end;
    items = [];
  }
}

function apply(contents: DeltaContents, { item, vector }: ScannedItem): void {
  if (vector) {
    if (isReservedId(vector.id)) throw new Error(`unknown item ${JSON.stringify(vector.id)}`);
    contents.replaced.add(vector.id);
    contents.vectors.set(vector.id, { offset: vector.offset, dims: vector.dims });
  } else if (item!.id === REMOVED_ITEM_ID) {
    for (const id of removedIds(item!.metadata.ids)) {
      contents.replaced.add(id);
      contents.vectors.delete(id);
      contents.files.delete(id);
    }
  } else if (isFileItemId(item!.id)) {
    contents.replaced.add(item!.id);
    contents.files.set(item!.id, readFileItem(item!));
  } else {
    throw new Error(isReservedId(item!.id) ? `unknown item ${JSON.stringify(item!.id)}` : `vector of chunk ${item!.id} has 0 dimensions`);
  }
}

function removedIds(value: MetadataTypes | undefined): string[] {
  const ids: unknown = typeof value === 'string' ? JSON.parse(value) : undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new Error('the removed ids of a save are malformed');
  return ids;
}

function item(id: string, metadata: Record<string, MetadataTypes>, vector: ArrayLike<number> = []): IndexItem {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  return { id, metadata, vector: vector as number[], norm: Math.sqrt(sum) };
}

function isLength(value: MetadataTypes | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
