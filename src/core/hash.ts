import { createHash } from 'node:crypto';

/** Hex SHA-256, cut to 32 hex chars (128 bits): plenty to key chunks and files, half the bytes. */
export function contentHash(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 32);
}

/** Chunk ids are stable for the same text at the same place, and differ when either moves. */
export function chunkId(path: string, startLine: number, hash: string): string {
  return contentHash(path, String(startLine), hash).slice(0, 24);
}
