// Decoded chunk lists kept for repeated reads of the same files: a question reads the files of its
// ~40 vector hits, of the head of its fused ranking and of the definitions it names (~100 files),
// a follow-up mostly the same ones. Decoding one costs ~0.15 ms; decoded, it holds ~15 KB.
import type { Chunk } from '../types';
import { decodePayload, type FileEntry } from './shardFormat';

const CAPACITY_FILES = 256;

/** A small LRU of decoded files, by path; a file's entry is forgotten when the file changes. */
export class DecodedFiles {
  private readonly files = new Map<string, Chunk[]>();

  constructor(private readonly payloadOf: (entry: FileEntry) => Buffer) {}

  chunksOf(entry: FileEntry): Chunk[] {
    const filePath = entry.record.path;
    let chunks = this.files.get(filePath);
    if (chunks) {
      this.files.delete(filePath);
    } else {
      chunks = decodePayload(filePath, this.payloadOf(entry));
      if (this.files.size >= CAPACITY_FILES) this.files.delete(this.files.keys().next().value!);
    }
    this.files.set(filePath, chunks);
    return chunks;
  }

  forget(filePath: string): void {
    this.files.delete(filePath);
  }

  clear(): void {
    this.files.clear();
  }
}
