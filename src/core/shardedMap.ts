// A Map from strings, split over many Maps. A Map grows by rehashing every entry in one step, and
// at a million entries that one `set` blocks the event loop for 100-200 ms (measured on the 1M-chunk
// store's id maps). Split 64 ways, the largest rehash is a sixty-fourth of that. Iteration goes map
// by map, not in insertion order.

const SHARD_BITS = 6;
const SHARD_MASK = (1 << SHARD_BITS) - 1;

export class ShardedMap<V> {
  private readonly shards = Array.from({ length: SHARD_MASK + 1 }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)].get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)].has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)];
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = this.shards[shardOf(key)].delete(key);
    if (deleted) this.count--;
    return deleted;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
    this.count = 0;
  }

  *keys(): IterableIterator<string> {
    for (const shard of this.shards) yield* shard.keys();
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }
}

/**
 * A few characters and the length pick the map: cheap, and enough to spread both hex chunk ids and
 * words (a skewed split only makes some rehashes larger).
 */
function shardOf(key: string): number {
  const last = key.length - 1;
  if (last < 0) return 0;
  return (key.charCodeAt(last) * 31 + key.charCodeAt(last >> 1) * 7 + key.charCodeAt(0) + last) & SHARD_MASK;
}
