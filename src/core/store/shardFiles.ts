// The shards on disk (shards/00..ff): reading one, and committing a change to one. Each shard is a
// Vectra LocalIndex plus a chunk pack (shardFormat.ts); a commit ends with one atomic replacement
// of its index.pb, so after a crash each file is wholly old or wholly new.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LocalIndex, type IndexItem } from 'vectra';
import { listFolder, removeTempFiles, writeFileAtomic } from '../fsAtomic';
import { AtomicFileStorage } from './atomicFileStorage';
import { PackedProtobufCodec } from './packedProtobufCodec';
import { decodePack, encodePack, headerItem, INDEX_FILE, packChecksum, packGeneration, packName, readShardItems, type FileEntry, type FileRecord } from './shardFormat';
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
  files: Array<{ record: FileRecord; payload: Buffer }>;
  vectors: Array<{ id: string; vector: Float32Array }>;
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

export class ShardFiles {
  private readonly storage = new AtomicFileStorage();
  private readonly codec = new PackedProtobufCodec();
  /** Per shard: generation of its current chunk pack (0: none yet). */
  private readonly packGenerations = new Array<number>(SHARD_COUNT).fill(0);

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

  /** Reads one shard and deletes its superseded packs; throws when it is inconsistent. */
  async read(shard: number): Promise<ShardRead> {
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
    const files = contents.files.map((record) => {
      if (shardOf(record.path) !== shard) throw new Error(`${record.path} belongs to another shard`);
      const payload = payloads.get(record.path);
      if (!payload) throw new Error(`no chunks for ${record.path}`);
      return { record, payload };
    });
    return { files, vectors: contents.vectors };
  }

  /**
   * Commits one shard. When its files change, a new chunk pack is written first; then index.pb,
   * through Vectra, drops `removeIds` (missing ones are ignored), gains `insert` and names the new
   * pack, in one atomic replacement; then the superseded pack is deleted.
   */
  async commit(shard: number, change: ShardChange): Promise<void> {
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

  /** Forgets the pack generations (the shards folder was emptied). */
  reset(): void {
    this.packGenerations.fill(0);
  }

  private shardIndex(shard: number): LocalIndex {
    return new LocalIndex(this.shardPath(shard), INDEX_FILE, this.storage, this.codec);
  }

  private shardPath(shard: number): string {
    return path.join(this.folder, shardName(shard));
  }
}
