// Checks what callers hand the store before anything changes: file records and their chunks, and
// vectors against the stored model and dimension. A bad input throws and leaves the store as it was.
import type { Chunk } from '../types';
import { TimeSlice } from '../timeSlice';
import { encodePayload, freezeRecord, hasChunkFields, isFiniteNumber, isReservedId, type FileEntry, type FileRecord } from './shardFormat';
import { shardOf } from './shardFiles';
import { FORMAT_VERSION, type StoreMeta } from './storeMeta';

export interface FileUpdate {
  record: Omit<FileRecord, 'chunkIds'>;
  chunks: Chunk[];
  vectors?: Map<string, Float32Array>;
}

/** A file validated and encoded, ready to be written to its shard and then applied in memory. */
export interface PreparedFile {
  entry: FileEntry;
  chunks: Chunk[];
}


/**
 * Validates the updates (throwing before anything changes) and compresses their chunks.
 * `ownerOf` names the file that already holds a chunk id, if any.
 */
export async function prepareFiles(updates: FileUpdate[], ownerOf: (id: string) => string | undefined): Promise<PreparedFile[]> {
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
      const owner = ownerOf(chunk.id);
      if (owner !== undefined && owner !== filePath) throw new Error(`Chunk id ${chunk.id} already belongs to ${owner}`);
      await slice.pause();
    }
    const sorted = [...chunks].sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
    const entry: FileEntry = {
      record: freezeRecord({ path: filePath, hash, size, mtimeMs, chunkIds: sorted.map((chunk) => chunk.id) }),
      shard: shardOf(filePath),
      packOffset: 0,
      packLength: 0,
    };
    prepared.push({ entry, chunks: sorted });
    await slice.pause();
  }
  // Serialized between event-loop turns, compressed on libuv's threads while this thread goes on.
  const payloads = await Promise.all(prepared.map(({ chunks }) => encodePayload(chunks, slice)));
  prepared.forEach(({ entry }, i) => (entry.payload = payloads[i]));
  return prepared;
}

/**
 * Checks vectors against the stored model and dimension (`meta`) and returns them as unit vectors,
 * plus the metadata to record first when they are the first vectors of their model.
 */
export function prepareVectors(vectors: Array<[string, Float32Array]>, model: string | undefined, meta: StoreMeta): { unit: Map<string, Float32Array>; meta?: StoreMeta } {
  const unit = new Map<string, Float32Array>();
  if (vectors.length === 0) return { unit };
  const embedModel = model ?? meta.embedModel;
  if (embedModel === undefined) throw new Error('Vectors need the name of the embedding model that made them');
  if (meta.embedModel !== undefined && meta.embedModel !== embedModel) {
    throw new Error(`Vectors from "${embedModel}" cannot join the stored "${meta.embedModel}" vectors; call useEmbedModel("${embedModel}") first`);
  }
  const dims = meta.dims ?? vectors[0][1].length;
  for (const [id, vector] of vectors) {
    if (!(vector instanceof Float32Array)) throw new Error(`Vector of chunk ${id} is not a Float32Array`);
    if (vector.length !== dims) {
      throw new Error(`Vector of chunk ${id} has ${vector.length} dimensions; the store's "${embedModel}" vectors have ${dims}`);
    }
    unit.set(id, toUnitVector(vector, `chunk ${id}`));
  }
  const changed = meta.embedModel !== embedModel || meta.dims !== dims;
  return { unit, meta: changed ? { formatVersion: FORMAT_VERSION, embedModel, dims } : undefined };
}

export function toUnitVector(vector: Float32Array, what: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm)) throw new Error(`Vector of ${what} contains NaN or infinite values`);
  if (norm === 0) throw new Error(`Vector of ${what} is all zeros`);
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = vector[i] / norm;
  return unit;
}
