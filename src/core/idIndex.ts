// String ids -> small non-negative integers (rows, slots, file numbers), for ids the caller already
// keeps elsewhere: the index holds only each id's hash and number, in typed arrays, so that a
// million entries are not a million-entry Map on the JS heap (~40 bytes an entry, all of them
// traced by every major GC: at 1M chunks those pauses reached 100-140 ms on busy cores). Open
// addressing with linear probing, split like ShardedMap so that growing rehashes a 64th at a time.

const SHARD_BITS = 6;
const SHARD_MASK = (1 << SHARD_BITS) - 1;
const MIN_SLOTS = 16;
/** Slots per entry at most: tables grow at half full, so probe runs stay short. */
const MAX_LOAD = 0.5;

export class IdIndex {
  private readonly shards = Array.from({ length: SHARD_MASK + 1 }, () => new Table());
  private count = 0;

  /** `holds(value, id)`: whether `value` stands for `id` (tells apart ids whose hashes are equal). */
  constructor(private readonly holds: (value: number, id: string) => boolean) {}

  get size(): number {
    return this.count;
  }

  get(id: string): number | undefined {
    const hash = hashOf(id);
    const table = this.shards[hash & SHARD_MASK];
    const at = table.find(hash, id, this.holds);
    return at === -1 ? undefined : table.values[at] - 1;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Maps `id` to `value` (a 31-bit integer), for which `holds` must answer true from now on. */
  set(id: string, value: number): void {
    const hash = hashOf(id);
    const table = this.shards[hash & SHARD_MASK];
    const at = table.find(hash, id, this.holds);
    if (at !== -1) {
      table.values[at] = value + 1;
      return;
    }
    table.insert(hash, value + 1);
    this.count++;
  }

  /** Forgets `id`; call it while `holds` still answers true for its value. */
  delete(id: string): boolean {
    const hash = hashOf(id);
    const table = this.shards[hash & SHARD_MASK];
    const at = table.find(hash, id, this.holds);
    if (at === -1) return false;
    table.remove(at);
    this.count--;
    return true;
  }

  clear(): void {
    for (const table of this.shards) table.reset();
    this.count = 0;
  }
}

/** One shard: per slot the entry's value + 1 (0: empty) and its id's hash. */
class Table {
  values = new Int32Array(MIN_SLOTS);
  hashes = new Int32Array(MIN_SLOTS);
  private used = 0;

  /** The slot holding `id`, or -1. */
  find(hash: number, id: string, holds: (value: number, id: string) => boolean): number {
    const mask = this.values.length - 1;
    for (let at = (hash >>> SHARD_BITS) & mask; this.values[at] !== 0; at = (at + 1) & mask) {
      if (this.hashes[at] === hash && holds(this.values[at] - 1, id)) return at;
    }
    return -1;
  }

  insert(hash: number, stored: number): void {
    if ((this.used + 1) / this.values.length > MAX_LOAD) this.rehash(this.values.length * 2);
    this.place(hash, stored);
    this.used++;
  }

  /** Empties slot `at` and moves later entries of its probe run back, so every run stays unbroken. */
  remove(at: number): void {
    const mask = this.values.length - 1;
    this.values[at] = 0;
    this.used--;
    for (let next = (at + 1) & mask; this.values[next] !== 0; next = (next + 1) & mask) {
      const stored = this.values[next];
      const hash = this.hashes[next];
      this.values[next] = 0;
      this.place(hash, stored);
    }
  }

  reset(): void {
    this.values = new Int32Array(MIN_SLOTS);
    this.hashes = new Int32Array(MIN_SLOTS);
    this.used = 0;
  }

  private place(hash: number, stored: number): void {
    const mask = this.values.length - 1;
    let at = (hash >>> SHARD_BITS) & mask;
    while (this.values[at] !== 0) at = (at + 1) & mask;
    this.values[at] = stored;
    this.hashes[at] = hash;
  }

  private rehash(slots: number): void {
    const { values, hashes } = this;
    this.values = new Int32Array(slots);
    this.hashes = new Int32Array(slots);
    for (let at = 0; at < values.length; at++) if (values[at] !== 0) this.place(hashes[at], values[at]);
  }
}

/** FNV-1a over the UTF-16 units, finished with a multiply-xorshift so that the low bits (the shard) mix too. */
function hashOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return hash ^ (hash >>> 13);
}
