// The lexical index as bytes, so a store opens without re-tokenizing its chunks. Layout: a u32
// magic, the section count and each section's length, then the sections, each padded to 4 bytes:
// a JSON header, chunk ids, terms, posting counts per term and field, field lengths, term
// frequencies, the postings' slot gaps as varints, and the paths and hashes of the files whose
// chunks it holds. No section is JSON but the header: JSON.parse of 100k files' hashes blocked
// the event loop ~190 ms at 1M chunks, where string sections decode in slices.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { BaseSegment, checkGaps } from './baseSegment';
import { FIELD_COUNT, LexicalIndex, noPause, PAUSE_EVERY_POSTINGS, type Pause } from './lexicalIndex';
import { PackedIds } from '../packedIds';
import { ShardedMap } from '../shardedMap';
import { FIELDS, splitFields, type LexicalDocument } from './terms';
import { indexTerms } from './tokenizeCode';

/** Bump when what is indexed for a chunk changes in a way the fingerprint below might miss. */
const SNAPSHOT_VERSION = 3;
const SNAPSHOT_MAGIC = 0x3158_4c4c; // "LLX1" little-endian
/** Strings encoded or decoded between pauses. */
const STRINGS_PER_BATCH = 4_096;
/** Elements copied between pauses when a section is copied into or out of the snapshot. */
const COPY_SLICE = 2 ** 20;

/** Path -> content hash of the files whose chunks a snapshot holds. */
export type FileHashes = ReadonlyMap<string, string>;

/**
 * `index` as bytes, with the caller's `files` alongside: live chunks only, renumbered densely, so
 * each posting list is ascending and its gaps take a byte or two as varints. Encodes the index as
 * it was when called, awaiting `pause` now and then so a large index does not hold the event loop
 * while changes go on.
 */
export async function encodeLexicalSnapshot(index: LexicalIndex, files: FileHashes = new Map(), pause: Pause = noPause): Promise<Uint8Array> {
  const { ids, fieldLengths, terms: termsById, maxPostings, visitPostings } = index.snapshotView();
  await pause();
  const terms: string[] = [];
  const counts: number[] = [];
  const gaps = new Uint8Array(maxPostings * 5);
  const frequencies = new Uint8Array(maxPostings);
  let written = 0;
  let length = 0;
  let sincePause = 0;
  const fieldCounts = new Uint32Array(FIELD_COUNT);
  for (let termId = 0; termId < termsById.length; termId++) {
    const before = written;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const start = written;
      let previous = 0;
      visitPostings(termId, f, (to, frequency) => {
        let gap = to - previous;
        previous = to;
        while (gap >= 0x80) {
          gaps[length++] = (gap & 0x7f) | 0x80;
          gap >>>= 7;
        }
        gaps[length++] = gap;
        frequencies[written++] = frequency;
      });
      fieldCounts[f] = written - start;
    }
    // A term no live chunk has any more is left out.
    if (written === before) continue;
    terms.push(termsById[termId]);
    for (let f = 0; f < FIELD_COUNT; f++) counts.push(fieldCounts[f]);
    sincePause += written - before;
    if (sincePause >= PAUSE_EVERY_POSTINGS) {
      sincePause = 0;
      await pause();
    }
  }
  const header = Buffer.from(JSON.stringify({ version: SNAPSHOT_VERSION, fingerprint: tokenizerFingerprint(), slots: ids.length, terms: terms.length, postings: written, files: files.size }));
  await pause();
  const sections: Section[] = [
    [header], ...(await encodeStrings(ids, pause)), ...(await encodeStrings(terms, pause)), [u8(Uint32Array.from(counts))], [u8(fieldLengths)],
    [frequencies.subarray(0, written)], [gaps.subarray(0, length)], ...(await encodeStrings([...files.keys()], pause)), ...(await encodeStrings([...files.values()], pause)),
  ];
  return joinSections(sections, pause);
}

/** A section's bytes, in parts: joined only once, into the snapshot. */
type Section = Uint8Array[];

/**
 * The magic, the section count and lengths, then each section padded to 4 bytes, copied a slice at a
 * time (one Buffer.concat of a 100k-chunk index's sections held the event loop ~80 ms).
 */
async function joinSections(sections: Section[], pause: Pause): Promise<Uint8Array> {
  const lengths = sections.map((parts) => parts.reduce((sum, part) => sum + part.length, 0));
  const prefix = new Uint32Array([SNAPSHOT_MAGIC, sections.length, ...lengths]);
  const out = Buffer.allocUnsafe(prefix.byteLength + lengths.reduce((sum, n) => sum + n + paddingTo4(n), 0));
  out.set(u8(prefix));
  let at = prefix.byteLength;
  for (const [i, parts] of sections.entries()) {
    for (const part of parts) {
      for (let from = 0; from < part.length; from += COPY_SLICE) {
        out.set(part.subarray(from, from + COPY_SLICE), at + from);
        await pause();
      }
      at += part.length;
    }
    out.fill(0, at, at + paddingTo4(lengths[i]));
    at += paddingTo4(lengths[i]);
  }
  return out;
}

/**
 * The index a snapshot holds, and its files. Throws on bytes that are not a snapshot of this
 * version, or that another tokenizer wrote (its postings would not match the terms queries
 * produce). Awaits `pause` now and then, like encodeLexicalSnapshot.
 */
export async function decodeLexicalSnapshot(
  bytes: Uint8Array,
  pause: Pause = noPause,
): Promise<{ index: LexicalIndex; files: Map<string, string> }> {
  const reader = new SnapshotReader(bytes);
  const header = JSON.parse(reader.text()) as { version: number; fingerprint: string; slots: number; terms: number; postings: number; files: number };
  if (header.version !== SNAPSHOT_VERSION) throw new Error(`lexical snapshot version ${header.version}, expected ${SNAPSHOT_VERSION}`);
  if (header.fingerprint !== tokenizerFingerprint()) throw new Error('lexical snapshot was written by another tokenizer');
  const ids = reader.strings();
  const terms = reader.strings();
  const counts = reader.uint32s();
  const fieldLengths = reader.uint16s();
  const frequencies = reader.bytes();
  const gaps = reader.bytes();
  const paths = reader.strings();
  const hashes = reader.strings();
  reader.end();
  const { slots, postings } = header;
  if (
    ids.length !== slots || terms.length !== header.terms || counts.length !== terms.length * FIELD_COUNT || fieldLengths.length !== slots * FIELD_COUNT ||
    frequencies.length !== postings || paths.length !== header.files || hashes.length !== header.files
  ) {
    throw new Error('lexical snapshot sections disagree in size');
  }
  await pause();
  // Packed as they are decoded: the snapshot's id strings all die young.
  const slotIds = new PackedIds(ids.length);
  await ids.each((id) => slotIds.push(id), pause);
  const termIds = new ShardedMap<number>();
  const termsById = new Array<string>(terms.length);
  await terms.each((term, termId) => termIds.set((termsById[termId] = term), termId), pause);
  if (termIds.size !== terms.length) throw new Error('lexical snapshot holds a term twice');
  await pause();
  const starts = new Uint32Array(counts.length + 1);
  for (let key = 0; key < counts.length; key++) {
    starts[key + 1] = starts[key] + counts[key];
    if (key % COPY_SLICE === COPY_SLICE - 1) await pause();
  }
  if (starts[counts.length] !== postings) throw new Error('lexical snapshot posting counts disagree');
  // The postings stay varint gaps, as in the snapshot: checked here, not decoded.
  const offsets = new Uint32Array(counts.length + 1);
  const perSlot = new Uint32Array(slots);
  let at = 0;
  for (let key = 0; key < counts.length; ) {
    let end = key + 1;
    while (end < counts.length && starts[end] - starts[key] < PAUSE_EVERY_POSTINGS) end++;
    at = checkGaps(gaps, at, starts, key, end, offsets, perSlot);
    if (at === -1 || at > gaps.length) throw new Error('lexical snapshot has a malformed posting');
    key = end;
    await pause();
  }
  if (at !== gaps.length) throw new Error('lexical snapshot has trailing postings');
  // Copied out of the snapshot's buffer (whose other sections are garbage once decoded), in slices.
  const base = new BaseSegment(starts, offsets, await copyInto(new Uint8Array(gaps.length), gaps, pause), await copyInto(new Uint8Array(postings), frequencies, pause));
  const copiedLengths = await copyInto(new Uint16Array(fieldLengths.length), fieldLengths, pause);
  const totalFieldLengths = new Float64Array(FIELD_COUNT);
  for (let slot = 0; slot < slots; slot++) {
    for (let f = 0; f < FIELD_COUNT; f++) totalFieldLengths[f] += fieldLengths[slot * FIELD_COUNT + f];
    if (slot % 65_536 === 65_535) await pause();
  }
  const index = await LexicalIndex.fromBase({ slotIds, termIds, terms: termsById, fieldLengths: copiedLengths, totalFieldLengths, base, postingsPerSlot: perSlot }, pause);
  const pathList = await paths.all(pause);
  const files = new Map<string, string>();
  await hashes.each((hash, i) => files.set(pathList[i], hash), pause);
  if (files.size !== pathList.length) throw new Error('lexical snapshot names a file twice');
  return { index, files };
}

let fingerprint: string | undefined;

/**
 * What the tokenizer and field split make of a sample that exercises them: a snapshot written by a
 * build that indexes text differently is refused instead of silently missing terms.
 */
function tokenizerFingerprint(): string {
  if (fingerprint === undefined) {
    const sample: LexicalDocument = {
      id: 'fingerprint',
      path: 'src/http/retryPolicy.ts',
      symbol: 'RetryPolicy.nextDelay',
      context: 'export class RetryPolicy {',
      text: '/** Backoff between attempts, in milliseconds. */\nnextDelay(attemptCount: number, cfg: HTTPConfig): number {\n  // The requests are retried with jitter\n  return parse_config_file(cfg.max-delay) * 2 ** attemptCount; // 日本語 données\n}\n"""Docstring\nruns on."""',
    };
    const fields = splitFields(sample);
    const terms = FIELDS.map((field) => indexTerms(fields[field]).join(' ')).join('\n');
    fingerprint = createHash('sha256').update(`${FIELDS.join(',')}\n${terms}`).digest('hex').slice(0, 16);
  }
  return fingerprint;
}

/** Copies `from` into `to` (as long), a few megabytes at a time between pauses: a 100 MB copy is a long block. */
async function copyInto<T extends Uint8Array | Uint16Array>(to: T, from: Uint8Array | Uint16Array, pause: Pause): Promise<T> {
  for (let at = 0; at < from.length; at += COPY_SLICE) {
    to.set(from.subarray(at, at + COPY_SLICE), at);
    await pause();
  }
  return to;
}

function u8(array: Uint16Array | Uint32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Sections are padded to 4 bytes so typed arrays can be read in place. */
function paddingTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/**
 * Strings as two sections, their concatenated text and their lengths: reading them back is
 * decoding and slicing, several times quicker than JSON.parse of an array, and done in pieces,
 * as is writing them (joining a 100k-chunk index's ids and terms at once held the thread ~80 ms).
 */
async function encodeStrings(list: readonly string[], pause: Pause): Promise<[Section, Section]> {
  const text: Section = [];
  const lengths = new Uint32Array(list.length);
  for (let first = 0; first < list.length; first += STRINGS_PER_BATCH) {
    const batch = list.slice(first, first + STRINGS_PER_BATCH);
    batch.forEach((item, i) => (lengths[first + i] = item.length));
    text.push(Buffer.from(batch.join('')));
    await pause();
  }
  return [text, [u8(lengths)]];
}

class StringList {
  constructor(
    private readonly bytes: Buffer,
    /** In UTF-16 code units (string lengths). */
    private readonly lengths: Uint32Array,
  ) {}

  get length(): number {
    return this.lengths.length;
  }

  /**
   * Calls `visit` with each string in order (or the equal one `own` gives for it), pausing between
   * batches; returns them all. Each string is decoded on its own from its bytes: as latin1 when the
   * section is ASCII (chunk ids, most terms; each character a byte), else as UTF-8. Slicing them
   * out of a batch decoded at once was quicker, but V8 keeps such slices as views of the batch's
   * string, and with a million of them every young-generation GC while a store opened took 30-100
   * ms, against 10-30 ms with plain strings (measured at 1M chunks, on 2 busy cores).
   */
  async each(visit: (item: string, index: number) => void, pause: Pause): Promise<void> {
    const { bytes, lengths } = this;
    const ascii = isAscii(bytes);
    let at = 0;
    for (let first = 0; first < lengths.length; first += STRINGS_PER_BATCH) {
      for (let i = first, last = Math.min(first + STRINGS_PER_BATCH, lengths.length); i < last; i++) {
        const end = ascii ? at + lengths[i] : utf8End(bytes, at, lengths[i]);
        if (end > bytes.length) throw new Error('lexical snapshot strings disagree with their lengths');
        const decoded = bytes.toString(ascii ? 'latin1' : 'utf8', at, end);
        if (decoded.length !== lengths[i]) throw new Error('lexical snapshot strings disagree with their lengths');
        at = end;
        visit(decoded, i);
      }
      await pause();
    }
    if (at !== bytes.length) throw new Error('lexical snapshot strings disagree with their lengths');
  }

  /** All the strings, as `each` decodes them. */
  async all(pause: Pause): Promise<string[]> {
    const items = new Array<string>(this.length);
    await this.each((item, i) => (items[i] = item), pause);
    return items;
  }
}

/**
 * Where the UTF-8 text of `units` UTF-16 code units starting at byte `at` ends: a lead byte says
 * how many bytes its character takes, and a four-byte character is two units. A stray continuation
 * byte decodes to one replacement character. The decoded length is checked after.
 */
function utf8End(bytes: Uint8Array, at: number, units: number): number {
  while (units > 0 && at < bytes.length) {
    const lead = bytes[at];
    if (lead >= 0xf0) {
      at += 4;
      units -= 2;
    } else {
      at += lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      units--;
    }
  }
  return at;
}

class SnapshotReader {
  private readonly lengths: Uint32Array;
  private section = 0;
  private offset: number;

  constructor(private readonly data: Uint8Array) {
    // Typed arrays are read in place, which needs 4-byte alignment.
    if (data.byteOffset % 4 !== 0) this.data = data = new Uint8Array(data);
    if (data.length < 8) throw new Error('lexical snapshot is truncated');
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (view.getUint32(0, true) !== SNAPSHOT_MAGIC) throw new Error('not a lexical snapshot');
    const count = view.getUint32(4, true);
    if (count > 64 || 8 + count * 4 > data.length) throw new Error('lexical snapshot is truncated');
    this.lengths = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.lengths[i] = view.getUint32(8 + i * 4, true);
    this.offset = 8 + count * 4;
  }

  text(): string {
    return this.buffer().toString('utf8');
  }

  /** A list written by encodeStrings: its text, then each string's length (checked as they are read). */
  strings(): StringList {
    return new StringList(this.buffer(), this.uint32s());
  }

  /** The next section as a Buffer over the same bytes (Buffer.from(bytes) would copy them). */
  private buffer(): Buffer {
    const bytes = this.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  uint16s(): Uint16Array {
    const bytes = this.bytes();
    if (bytes.length % 2 !== 0) throw new Error('lexical snapshot section is misaligned');
    return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  }

  uint32s(): Uint32Array {
    const bytes = this.bytes();
    if (bytes.length % 4 !== 0) throw new Error('lexical snapshot section is misaligned');
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }

  /** Every section read, and nothing after them. */
  end(): void {
    if (this.section !== this.lengths.length || this.offset !== this.data.length) throw new Error('lexical snapshot has a wrong length');
  }

  bytes(): Uint8Array {
    if (this.section >= this.lengths.length) throw new Error('lexical snapshot is missing a section');
    const length = this.lengths[this.section++];
    const start = this.offset;
    if (start + length > this.data.length) throw new Error('lexical snapshot is truncated');
    this.offset = start + length + ((4 - (length % 4)) % 4);
    return this.data.subarray(start, start + length);
  }
}
