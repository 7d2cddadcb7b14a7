// A list of chunk ids (rows of the vector matrix, slots of the lexical index), each id 12 bytes in
// one typed array instead of a string of its own. Chunk ids are 24 lowercase hex characters (see
// hash.ts); at 1M chunks their strings were 1M of the 2.4M objects that every major GC traces, and
// its final pause held the event loop 105-145 ms on 2 busy cores. Any other id (tests, hand-made
// stores) is kept as a string aside. An entry can be empty (a discarded lexical slot).

const ID_BYTES = 12;
/** Characters of a chunk id (see hash.ts). */
export const ID_LENGTH = ID_BYTES * 2;
const EMPTY = 0;
const PACKED = 1;
const OTHER = 2;

/** Hex digit value by character code; -1 for anything else (uppercase is not a chunk id). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;

export class PackedIds {
  private bytes: Buffer;
  private kinds: Uint8Array;
  private readonly others = new Map<number, string>();
  private count = 0;

  constructor(capacity = 16) {
    this.bytes = Buffer.alloc(Math.max(capacity, 1) * ID_BYTES);
    this.kinds = new Uint8Array(Math.max(capacity, 1));
  }

  get length(): number {
    return this.count;
  }

  /** The id at `i`, or undefined when the entry is empty or past the end. */
  get(i: number): string | undefined {
    switch (i < this.count ? this.kinds[i] : EMPTY) {
      case PACKED:
        return this.bytes.toString('hex', i * ID_BYTES, (i + 1) * ID_BYTES);
      case OTHER:
        return this.others.get(i);
      default:
        return undefined;
    }
  }

  isEmpty(i: number): boolean {
    return i >= this.count || this.kinds[i] === EMPTY;
  }

  /** Whether the entry at `i` is `id`, read without building a string. */
  matches(i: number, id: string): boolean {
    if (i >= this.count) return false;
    const kind = this.kinds[i];
    if (kind === OTHER) return this.others.get(i) === id;
    if (kind !== PACKED || id.length !== ID_LENGTH) return false;
    const at = i * ID_BYTES;
    for (let b = 0; b < ID_BYTES; b++) if (this.bytes[at + b] !== hexByte(id, b)) return false;
    return true;
  }

  push(id: string | undefined): void {
    this.reserve(this.count + 1);
    this.count++;
    this.set(this.count - 1, id);
  }

  /** Sets entry `i` (< length); undefined empties it. */
  set(i: number, id: string | undefined): void {
    if (i >= this.count) throw new RangeError(`entry ${i} of ${this.count}`);
    this.others.delete(i);
    if (id === undefined) this.kinds[i] = EMPTY;
    else if (pack(id, this.bytes, i * ID_BYTES)) this.kinds[i] = PACKED;
    else {
      this.kinds[i] = OTHER;
      this.others.set(i, id);
    }
  }

  /** Drops the last entry. */
  pop(): void {
    if (this.count === 0) return;
    this.count--;
    this.others.delete(this.count);
    this.kinds[this.count] = EMPTY;
  }

  /** Appends entry `i` of `from` (empty or not), copying its bytes. */
  pushFrom(from: PackedIds, i: number): void {
    this.reserve(this.count + 1);
    const to = this.count++;
    this.kinds[to] = from.kinds[i];
    if (from.kinds[i] === PACKED) from.bytes.copy(this.bytes, to * ID_BYTES, i * ID_BYTES, (i + 1) * ID_BYTES);
    else if (from.kinds[i] === OTHER) this.others.set(to, from.others.get(i)!);
  }

  /** Room for `capacity` entries without growing. */
  reserve(capacity: number): void {
    if (capacity <= this.kinds.length) return;
    const grown = Math.max(capacity, Math.ceil(this.kinds.length * 1.5));
    const bytes = Buffer.alloc(grown * ID_BYTES);
    this.bytes.copy(bytes, 0, 0, this.count * ID_BYTES);
    const kinds = new Uint8Array(grown);
    kinds.set(this.kinds.subarray(0, this.count));
    this.bytes = bytes;
    this.kinds = kinds;
  }
}

/** Whether `id` has the shape of a chunk id (24 lowercase hex characters), which is held packed. */
export function isPackableId(id: string): boolean {
  if (id.length !== ID_LENGTH) return false;
  for (let b = 0; b < ID_BYTES; b++) if (hexByte(id, b) < 0) return false;
  return true;
}

/** The value of the `b`-th pair of hex characters of `id`; negative if either is not lowercase hex. */
function hexByte(id: string, b: number): number {
  const high = HEX_VALUE[id.charCodeAt(2 * b)] ?? -1;
  const low = HEX_VALUE[id.charCodeAt(2 * b + 1)] ?? -1;
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

/** Writes a chunk-id-shaped id as 12 bytes at `at`; false (nothing written) for any other id. */
function pack(id: string, into: Buffer, at: number): boolean {
  if (!isPackableId(id)) return false;
  into.write(id, at, ID_BYTES, 'hex');
  return true;
}
