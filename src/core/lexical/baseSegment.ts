// The lexical index's base segment: per key (term x field) the slots of the chunks it occurs in,
// ascending, and their term frequencies. Slots are held as varint gaps (seven bits a byte, low
// bits first, the high bit set on all but a gap's last byte), each key's first gap counted from 0:
// at 1M chunks the postings are most of the index, and a gap takes a byte or two where a slot
// took four. These are also the bytes of a snapshot's postings section, so opening a store keeps
// them as they are and only checks them (checkGaps).

export class BaseSegment {
  static readonly EMPTY = new BaseSegment(new Uint32Array(1), new Uint32Array(1), new Uint8Array(0), new Uint8Array(0));

  constructor(
    /** Per key, the number of its first posting (its index in `frequencies`); one more entry than keys. */
    private readonly starts: Uint32Array,
    /** Per key, the byte its gaps start at in `gaps`; one more entry than keys. */
    private readonly offsets: Uint32Array,
    private readonly gaps: Uint8Array,
    private readonly frequencies: Uint8Array,
  ) {}

  get keys(): number {
    return this.starts.length - 1;
  }

  get postings(): number {
    return this.starts[this.keys];
  }

  /** Postings of `key`, live or dead. */
  count(key: number): number {
    return key < this.keys ? this.starts[key + 1] - this.starts[key] : 0;
  }

  /** Calls `visit` with each posting of `key`, by ascending slot. */
  forEach(key: number, visit: (slot: number, frequency: number) => void): void {
    if (key >= this.keys) return;
    const { gaps, frequencies } = this;
    let at = this.offsets[key];
    let slot = 0;
    for (let i = this.starts[key], end = this.starts[key + 1]; i < end; i++) {
      let byte = gaps[at++];
      let gap = byte & 0x7f;
      for (let shift = 7; byte >= 0x80; shift += 7) {
        byte = gaps[at++];
        gap |= (byte & 0x7f) << shift;
      }
      slot += gap;
      visit(slot, frequencies[i]);
    }
  }

  /** Encodes postings held as plain slots (key k's are slots[starts[k] .. starts[k + 1])), pausing now and then. */
  static async fromSlots(starts: Uint32Array, slots: Uint32Array, frequencies: Uint8Array, pause: () => Promise<void>, pauseEvery: number): Promise<BaseSegment> {
    const keys = starts.length - 1;
    const offsets = new Uint32Array(keys + 1);
    let gaps = new Uint8Array(Math.max(16, slots.length + (slots.length >> 1)));
    let length = 0;
    let sincePause = 0;
    for (let key = 0; key < keys; key++) {
      offsets[key] = length;
      const end = starts[key + 1];
      // A gap takes at most five bytes.
      if (length + (end - starts[key]) * 5 > gaps.length) gaps = grown(gaps, length + (end - starts[key]) * 5);
      let previous = 0;
      for (let i = starts[key]; i < end; i++) {
        let gap = slots[i] - previous;
        previous = slots[i];
        while (gap >= 0x80) {
          gaps[length++] = (gap & 0x7f) | 0x80;
          gap >>>= 7;
        }
        gaps[length++] = gap;
      }
      sincePause += end - starts[key];
      if (sincePause >= pauseEvery) {
        sincePause = 0;
        await pause();
      }
    }
    offsets[keys] = length;
    return new BaseSegment(starts, offsets, gaps.slice(0, length), frequencies);
  }
}

/**
 * Checks the varint gaps of keys [fromKey, toKey) of a snapshot (each key's slots ascending and
 * below `perSlot.length`), records where each key's gaps start in `offsets` and counts postings
 * per slot in `perSlot`. Returns the offset after them, or -1 when they are malformed. A plain
 * function with small integer arithmetic only, so that V8 compiles the hot loop tightly.
 */
export function checkGaps(gaps: Uint8Array, at: number, starts: Uint32Array, fromKey: number, toKey: number, offsets: Uint32Array, perSlot: Uint32Array): number {
  const slots = perSlot.length;
  for (let key = fromKey; key < toKey; key++) {
    offsets[key] = at;
    let slot = -1;
    for (let i = starts[key], end = starts[key + 1]; i < end; i++) {
      let byte = gaps[at++];
      let gap = byte & 0x7f;
      for (let shift = 7; byte >= 0x80; shift += 7) {
        // Slots fit in 28 bits here: four bytes of varint at most.
        if (shift > 21) return -1;
        byte = gaps[at++];
        gap |= (byte & 0x7f) << shift;
      }
      // Ascending: only a key's first slot may be 0 (a gap of 0 from the start).
      if (gap === 0 && slot !== -1) return -1;
      slot = slot === -1 ? gap : slot + gap;
      if (slot >= slots) return -1;
      perSlot[slot]++;
    }
  }
  offsets[toKey] = at;
  return at;
}

function grown(array: Uint8Array, atLeast: number): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(Math.max(atLeast, Math.ceil(array.length * 1.5)));
  bigger.set(array);
  return bigger;
}
