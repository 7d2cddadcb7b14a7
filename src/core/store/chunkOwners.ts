// Chunk id -> the file that holds it, for every chunk of the store. A Map of a million ids weighed
// ~40 MB on the JS heap and was traced by every major GC (100-140 ms pauses while a 1M-chunk store
// opened on busy cores). Here files are numbered and an IdIndex (typed arrays) maps each chunk id
// to its file's number; an id is told from another with an equal hash by its file's chunk ids.
import { IdIndex } from '../idIndex';
import type { FileEntry } from './shardFormat';

export class ChunkOwners {
  /** File number -> file, with how many chunk ids name it; numbers of files no id names are reused. */
  private files: Array<FileEntry | undefined> = [];
  private references: number[] = [];
  private readonly numbers = new Map<FileEntry, number>();
  private free: number[] = [];
  private readonly index = new IdIndex((file, id) => this.files[file]!.record.holdsChunk(id));

  get size(): number {
    return this.index.size;
  }

  get(id: string): FileEntry | undefined {
    const file = this.index.get(id);
    return file === undefined ? undefined : this.files[file];
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** `entry.record.chunkIds` must hold `id`. */
  set(id: string, entry: FileEntry): void {
    const before = this.index.get(id);
    let file = this.numbers.get(entry);
    if (file !== undefined && file === before) return;
    if (file === undefined) {
      file = this.free.pop() ?? this.files.length;
      this.files[file] = entry;
      this.references[file] = 0;
      this.numbers.set(entry, file);
    }
    this.index.set(id, file);
    this.references[file]++;
    if (before !== undefined) this.release(before);
  }

  delete(id: string): boolean {
    const file = this.index.get(id);
    if (file === undefined) return false;
    this.index.delete(id);
    this.release(file);
    return true;
  }

  clear(): void {
    this.index.clear();
    this.files = [];
    this.references = [];
    this.numbers.clear();
    this.free = [];
  }

  /** Every chunk id with its file. */
  *[Symbol.iterator](): IterableIterator<[string, FileEntry]> {
    for (const entry of this.files) {
      if (!entry) continue;
      for (const id of entry.record.chunkIds) if (this.get(id) === entry) yield [id, entry];
    }
  }

  private release(file: number): void {
    if (--this.references[file] > 0) return;
    this.numbers.delete(this.files[file]!);
    this.files[file] = undefined;
    this.free.push(file);
  }
}
