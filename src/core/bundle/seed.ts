// Seeding an index from a bundle: the bundle is checked whole first, then every file the index does
// not already hold as bundled goes in with its chunks and vectors, and every vector into the
// embedding cache. The sync that follows then finds the files that hash alike unchanged (no chunking,
// no embedding) and re-chunks only what differs, taking vectors of unchanged chunks from the cache.
import type { EmbeddingCache } from '../embed';
import type { FileUpdate, LoreStore } from '../store';
import { readBundle, verifyBundle } from './bundle';
import type { BundleHeader } from './format';

/** Files per store write: as the indexer commits. */
const SEED_BATCH_FILES = 64;

export interface SeedResult {
  header: BundleHeader;
  /** Files put into the index from the bundle (those it already held alike are not counted). */
  files: number;
  vectors: number;
}

/** Throws BundleError, with the index untouched, when the bundle cannot be used for `embedModel`. */
export async function seedFromBundle(o: { file: string; store: LoreStore; cache?: EmbeddingCache; embedModel: string }): Promise<SeedResult> {
  const { header, payloadOffset } = await verifyBundle(o.file, o.embedModel);
  // The index may hold vectors of an older model: the bundle's are the ones asked for.
  await o.store.useEmbedModel(header.embedModel);
  let files = 0;
  let vectors = 0;
  let batch: FileUpdate[] = [];
  const flush = async () => {
    if (batch.length) await o.store.putFiles(batch, header.embedModel);
    batch = [];
  };
  for await (const { file, vectors: fileVectors } of readBundle(o.file, header, payloadOffset)) {
    const chunks = file.chunks.map((chunk) => ({ ...chunk, path: file.path }));
    const byId = new Map<string, Float32Array>();
    file.vectored.forEach((chunkIndex, i) => {
      byId.set(chunks[chunkIndex].id, fileVectors[i]);
      o.cache?.set(chunks[chunkIndex].hash, fileVectors[i]);
    });
    vectors += byId.size;
    if (o.store.getFile(file.path)?.hash === file.hash) continue;
    // mtime 0: the next sync reads the file once, finds its hash equal and keeps these chunks.
    batch.push({ record: { path: file.path, hash: file.hash, size: file.size, mtimeMs: 0 }, chunks, vectors: byId });
    files++;
    if (batch.length >= SEED_BATCH_FILES) await flush();
  }
  await flush();
  await o.cache?.flush();
  return { header, files, vectors };
}
