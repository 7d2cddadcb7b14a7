// The portable index bundle (`lore pack`, `lore index --from`): an index built once (on a CI runner
// with a GPU, say) and reused by every checkout, so nobody embeds the same monorepo again.
//
//   "LOREPACK"                      8 bytes
//   header length                   u32 big-endian
//   header                          JSON: format version, embedding model, dims, counts, and the
//                                   payload's byte length and SHA-256 (damage is found before use)
//   payload                         gzip of frames, one per file:
//     frame length                  u32 big-endian (0 ends the payload)
//     frame                         JSON { path, hash, size, chunks, vectored } (paths relative to
//                                   the folder; chunk text already masked at indexing)
//     vectors                       float32 little-endian, dims per index in `vectored`
//
// Nothing machine-specific goes in: no absolute path, no mtime, no host.
import type { Chunk } from '../types';

export const BUNDLE_MAGIC = Buffer.from('LOREPACK');
export const BUNDLE_VERSION = 1;

export interface BundleHeader {
  format: 'lore-index-bundle';
  version: number;
  embedModel: string;
  dims: number;
  files: number;
  chunks: number;
  vectors: number;
  payloadBytes: number;
  payloadSha256: string;
}

/** One file of the bundle, as a frame holds it. */
export interface BundleFile {
  path: string;
  /** Content hash of the file as indexed: a checkout whose file hashes alike reuses the chunks as they are. */
  hash: string;
  size: number;
  chunks: Array<Omit<Chunk, 'path'>>;
  /** Indexes into `chunks` of those that have a vector, in the order of the vectors after the frame. */
  vectored: number[];
}

export interface BundleEntry {
  file: BundleFile;
  vectors: Float32Array[];
}

/** Why a bundle cannot be used: the CLI exits 1 with this, and the index is left as it was. */
export class BundleError extends Error {
  override name = 'BundleError';
}

/** The header, or a BundleError naming what is wrong with it. */
export function parseHeader(json: string): BundleHeader {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new BundleError('its header is not readable (the file is damaged)');
  }
  const h = value as Partial<BundleHeader> | null;
  if (!h || h.format !== 'lore-index-bundle') throw new BundleError('it is not a Lore index bundle');
  if (h.version !== BUNDLE_VERSION) throw new BundleError(`it is bundle format version ${String(h.version)}; this Lore reads version ${BUNDLE_VERSION}`);
  const counts = [h.dims, h.files, h.chunks, h.vectors, h.payloadBytes];
  if (typeof h.embedModel !== 'string' || !h.embedModel || !counts.every((n) => Number.isInteger(n) && (n as number) >= 0) || typeof h.payloadSha256 !== 'string') {
    throw new BundleError('its header is incomplete (the file is damaged)');
  }
  return h as BundleHeader;
}

/** The frame as its JSON says, or a BundleError: every field is checked before anything is written. */
export function parseFrame(json: string, dims: number): BundleFile {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new BundleError('a file entry is not readable (the file is damaged)');
  }
  const f = value as Partial<BundleFile> | null;
  const path = f?.path;
  if (!f || typeof path !== 'string' || !path || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').includes('..')) {
    throw new BundleError(`it holds a file path that is not relative to the folder: ${JSON.stringify(path)}`);
  }
  if (typeof f.hash !== 'string' || !Number.isFinite(f.size) || !Array.isArray(f.chunks) || !Array.isArray(f.vectored)) {
    throw new BundleError(`the entry of ${path} is incomplete`);
  }
  for (const chunk of f.chunks) {
    const c = chunk as unknown as Record<string, unknown>;
    const ok =
      typeof c?.id === 'string' && !!c.id && typeof c.text === 'string' && typeof c.hash === 'string' && typeof c.language === 'string' &&
      Number.isInteger(c.startLine) && Number.isInteger(c.endLine) && (c.startLine as number) >= 1 && (c.endLine as number) >= (c.startLine as number);
    if (!ok) throw new BundleError(`a chunk of ${path} is malformed`);
  }
  const seen = new Set<number>();
  for (const i of f.vectored) {
    if (!Number.isInteger(i) || i < 0 || i >= f.chunks.length || seen.has(i)) throw new BundleError(`the vectors of ${path} do not match its chunks`);
    seen.add(i);
  }
  if (dims <= 0 && f.vectored.length) throw new BundleError(`${path} has vectors but the bundle names no dimension`);
  return f as BundleFile;
}
