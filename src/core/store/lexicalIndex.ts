// BM25 full-text search over chunks, tuned for code: each chunk is split into fields that say
// different things about it (where it lives, what it declares, what its comments and headings say,
// what its body does), each scored on its own and weighted; terms come from indexTerms
// (identifiers whole and split, prose stemmed, stop words dropped).
//
// Scoring is MiniSearch's (BM25+ per field, boosts, score times the number of query terms matched;
// a test holds the two equal), but the index is laid out in typed arrays: MiniSearch's per-term
// maps took 4.4x the vectors' memory at 100k chunks, a minute to rebuild at every start and
// ~200 ms per query. Postings live in two segments, as in Lucene:
//   base   one compressed-row (CSR) block per term and field: slots ascending, term frequencies;
//   delta  postings added since the last compaction, one linked list per term and field inside
//          three typed arrays, so adding a chunk allocates no objects per term.
// A discarded chunk only marks its slot dead; compaction drops dead slots and folds the delta into
// the base once either grows past a fraction of it. The whole index round-trips through a binary
// snapshot (encodeSnapshot / decodeSnapshot) so a store opens without re-tokenizing its chunks.
import { createHash } from 'node:crypto';
import { FIELDS, splitFields, takeLexicalTerms, type Field, type LexicalDocument } from './lexicalTerms';
import { TopK } from './topK';
import { indexTerms, weightedQueryTerms } from './tokenizeCode';

export { splitFields, type LexicalDocument } from './lexicalTerms';

export interface LexicalMatch {
  id: string;
  score: number;
}


/**
 * Field weights, tuned on `npm run eval` (README, "Retrieval quality"). Files are named after what
 * they do, so a path hit says most. The symbol and signature repeat names the body already uses, and
 * a term found in several fields already scores in each: weighting them higher ranked helpers
 * named like the question's words above the code it asks about.
 */
const BOOST: Record<Field, number> = { path: 3, symbol: 1, signature: 0.5, doc: 1, body: 1 };
const FIELD_BOOSTS = FIELDS.map((field) => BOOST[field]);
const FIELD_COUNT = FIELDS.length;
/** Search time grows with the terms searched; a question rarely has more that matter (a paste is cut here). */
const MAX_QUERY_TERMS = 32;
/** BM25+ parameters (MiniSearch's defaults, which the field weights were tuned with). */
const K1 = 1.2;
const B = 0.7;
const DELTA = 0.5;
/** Term frequencies and field lengths saturate here; BM25 barely moves past a few dozen. */
const MAX_FREQUENCY = 255;
const MAX_FIELD_LENGTH = 65_535;
/** Compaction runs when the delta or the dead postings pass this share of the base (and a floor). */
const COMPACT_SHARE = 0.25;
const COMPACT_FLOOR_POSTINGS = 200_000;

/** Encoding and decoding a snapshot offer the event loop a turn this often (~10 ms of work). */
const PAUSE_EVERY_POSTINGS = 250_000;

/** Bump when what is indexed for a chunk changes in a way the fingerprint below might miss. */
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_MAGIC = 0x3158_4c4c; // "LLX1" little-endian

export class LexicalIndex {
  /** `compactFloorPostings`: the least delta or dead postings worth a compaction (lowered by tests). */
  constructor(private readonly compactFloorPostings = COMPACT_FLOOR_POSTINGS) {}

  // Documents, by slot. A dead slot (discarded) has no id and is dropped at the next compaction.
  private slotIds: Array<string | undefined> = [];
  private readonly slotOf = new Map<string, number>();
  private fieldLengths = new Uint16Array(0);
  private readonly totalFieldLengths = new Float64Array(FIELD_COUNT);
  // Terms: a term's postings in field f are keyed termId * FIELD_COUNT + f.
  private readonly termIds = new Map<string, number>();
  // Base segment: postings of key k are baseSlots[baseStarts[k] .. baseStarts[k + 1]).
  private baseStarts = new Uint32Array(1);
  private baseSlots = new Uint32Array(0);
  private baseFrequencies = new Uint8Array(0);
  // Delta segment: per key a list through deltaNext, head and tail in deltaHead / deltaTail (-1: none).
  private deltaHead = new Int32Array(0);
  private deltaTail = new Int32Array(0);
  private deltaSlots = new Uint32Array(0);
  private deltaFrequencies = new Uint8Array(0);
  private deltaNext = new Int32Array(0);
  /** The key of each delta posting, for compaction to read the delta in one pass. */
  private deltaKeys = new Uint32Array(0);
  private deltaLength = 0;
  /** Postings of dead slots still in the segments. */
  private deadPostings = 0;
  private postingsPerSlot = new Uint32Array(0);
  // Per-search scratch, sized to the slots.
  private scores = new Float64Array(0);
  private lastTerm = new Uint8Array(0);
  private matchedTerms = new Uint8Array(0);
  private compaction?: Promise<void>;
  /** Adds and discards since the index was created, decoded or snapshotted. */
  private changes = 0;

  get size(): number {
    return this.slotOf.size;
  }

  /** Adds and discards since the last snapshot: what a new snapshot would save re-tokenizing. */
  get changesSinceSnapshot(): number {
    return this.changes;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  ids(): IterableIterator<string> {
    return this.slotOf.keys();
  }

  /** Indexes chunks; a chunk whose id is already indexed replaces it. */
  add(chunks: Iterable<LexicalDocument>): void {
    for (const chunk of chunks) {
      if (this.slotOf.has(chunk.id)) this.discard([chunk.id]);
      this.addDocument(chunk);
    }
  }

  /** Forgets chunks (unknown ids are ignored); their postings go at the next compaction. */
  discard(ids: Iterable<string>): void {
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      this.slotOf.delete(id);
      this.slotIds[slot] = undefined;
      this.deadPostings += this.postingsPerSlot[slot];
      for (let f = 0; f < FIELD_COUNT; f++) this.totalFieldLengths[f] -= this.fieldLengths[slot * FIELD_COUNT + f];
      this.changes++;
    }
  }

  /** Best first. A term repeated in the query weighs more (see weightedQueryTerms). */
  search(query: string, k: number): LexicalMatch[] {
    const weights = weightedQueryTerms(typeof query === 'string' ? query : '');
    const documents = this.slotOf.size;
    if (!(k >= 1) || weights.size === 0 || documents === 0) return [];
    // Each term costs a walk over its postings: the heaviest terms, first seen first on ties.
    const terms = [...weights.keys()]
      .map((term, order) => ({ term, order }))
      .sort((a, b) => weights.get(b.term)! - weights.get(a.term)! || a.order - b.order)
      .slice(0, MAX_QUERY_TERMS)
      .map(({ term }) => term);
    if (this.scores.length < this.slotIds.length) {
      this.scores = new Float64Array(this.slotIds.length);
      this.lastTerm = new Uint8Array(this.slotIds.length);
      this.matchedTerms = new Uint8Array(this.slotIds.length);
    }
    const { scores, lastTerm, matchedTerms, fieldLengths, slotIds, baseStarts, baseSlots, baseFrequencies, deltaHead, deltaNext, deltaSlots, deltaFrequencies } = this;
    const touched: number[] = [];
    // Scores one posting; lastTerm (1-based term number) makes a term count once per chunk however many fields it hits.
    const score = (slot: number, frequency: number, f: number, weight: number, lengthScale: number, termNumber: number) => {
      if (slotIds[slot] === undefined) return;
      const norm = K1 * (1 - B) + lengthScale * fieldLengths[slot * FIELD_COUNT + f];
      scores[slot] += weight * (DELTA + (frequency * (K1 + 1)) / (frequency + norm));
      if (lastTerm[slot] === termNumber) return;
      if (lastTerm[slot] === 0) touched.push(slot);
      lastTerm[slot] = termNumber;
      matchedTerms[slot]++;
    };
    terms.forEach((term, t) => {
      const termId = this.termIds.get(term);
      if (termId === undefined) return;
      for (let f = 0; f < FIELD_COUNT; f++) {
        const key = termId * FIELD_COUNT + f;
        const postings = this.livePostings(key);
        if (postings === 0) continue;
        const idf = Math.log(1 + (documents - postings + 0.5) / (postings + 0.5));
        const weight = weights.get(term)! * FIELD_BOOSTS[f] * idf;
        const lengthScale = (K1 * B) / (this.totalFieldLengths[f] / documents);
        if (key + 1 < baseStarts.length) {
          for (let i = baseStarts[key], end = baseStarts[key + 1]; i < end; i++) score(baseSlots[i], baseFrequencies[i], f, weight, lengthScale, t + 1);
        }
        for (let at = deltaHead[key]; at !== -1; at = deltaNext[at]) score(deltaSlots[at], deltaFrequencies[at], f, weight, lengthScale, t + 1);
      }
    });
    // The number of query terms a chunk matches multiplies its score (MiniSearch's "quality").
    const best = new TopK(Math.floor(k));
    for (const slot of touched) {
      best.offer(slot, scores[slot] * matchedTerms[slot]);
      scores[slot] = 0;
      lastTerm[slot] = 0;
      matchedTerms[slot] = 0;
    }
    return best.sorted().map(({ row, score }) => ({ id: slotIds[row]!, score }));
  }

  /**
   * The index as bytes, with the caller's `metadata` (any JSON value) alongside: live chunks only,
   * renumbered densely, so each posting list is ascending and its gaps take a byte or two as
   * varints. Encodes the index as it was when called, awaiting `pause` now and then so a large
   * index does not hold the event loop while changes go on.
   */
  async encodeSnapshot(metadata: unknown = null, pause: Pause = noPause): Promise<Uint8Array> {
    // Captured now: compaction replaces these arrays instead of changing them, adds only append
    // past `deltaEnd` and past the slots, and discards are frozen out by `renumbered`.
    const { baseStarts, baseSlots, baseFrequencies, deltaHead, deltaNext, deltaSlots, deltaFrequencies, deltaLength: deltaEnd } = this;
    const baseKeys = baseStarts.length - 1;
    const renumbered = new Int32Array(this.slotIds.length).fill(-1);
    const ids: string[] = [];
    const fieldLengths = new Uint16Array(this.slotOf.size * FIELD_COUNT);
    for (let slot = 0; slot < this.slotIds.length; slot++) {
      const id = this.slotIds[slot];
      if (id === undefined) continue;
      for (let f = 0; f < FIELD_COUNT; f++) fieldLengths[ids.length * FIELD_COUNT + f] = this.fieldLengths[slot * FIELD_COUNT + f];
      renumbered[slot] = ids.length;
      ids.push(id);
    }
    const termsById = [...this.termIds.keys()];
    this.changes = 0;
    await pause();
    const terms: string[] = [];
    const counts: number[] = [];
    const postings = baseSlots.length + deltaEnd;
    const gaps = new Uint8Array(postings * 5);
    const frequencies = new Uint8Array(postings);
    let written = 0;
    let length = 0;
    let sincePause = 0;
    const fieldCounts = new Uint32Array(FIELD_COUNT);
    for (let termId = 0; termId < termsById.length; termId++) {
      const before = written;
      for (let f = 0; f < FIELD_COUNT; f++) {
        const key = termId * FIELD_COUNT + f;
        const start = written;
        let previous = 0;
        const write = (slot: number, frequency: number) => {
          const to = renumbered[slot];
          if (to === -1) return;
          let gap = to - previous;
          previous = to;
          while (gap >= 0x80) {
            gaps[length++] = (gap & 0x7f) | 0x80;
            gap >>>= 7;
          }
          gaps[length++] = gap;
          frequencies[written++] = frequency;
        };
        if (key < baseKeys) for (let i = baseStarts[key], end = baseStarts[key + 1]; i < end; i++) write(baseSlots[i], baseFrequencies[i]);
        if (key < deltaHead.length) for (let at = deltaHead[key]; at !== -1 && at < deltaEnd; at = deltaNext[at]) write(deltaSlots[at], deltaFrequencies[at]);
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
    const header = Buffer.from(JSON.stringify({ version: SNAPSHOT_VERSION, fingerprint: tokenizerFingerprint(), slots: ids.length, terms: terms.length, postings: written }));
    await pause();
    const sections = [header, Buffer.from(JSON.stringify(metadata)), ...encodeStrings(ids), ...encodeStrings(terms), u8(Uint32Array.from(counts)), u8(fieldLengths), frequencies.subarray(0, written), gaps.subarray(0, length)];
    const prefix = new Uint32Array(2 + sections.length);
    prefix[0] = SNAPSHOT_MAGIC;
    prefix[1] = sections.length;
    sections.forEach((section, i) => (prefix[2 + i] = section.length));
    return Buffer.concat([u8(prefix), ...sections.map((section) => alignTo4(section))]);
  }

  /**
   * The index a snapshot holds, and its metadata. Throws on bytes that are not a snapshot of this
   * version, or that another tokenizer wrote (its postings would not match the terms queries
   * produce). Awaits `pause` now and then, like encodeSnapshot.
   */
  static async decodeSnapshot(bytes: Uint8Array, pause: Pause = noPause): Promise<{ index: LexicalIndex; metadata: unknown }> {
    const reader = new SnapshotReader(bytes);
    const header = JSON.parse(reader.text()) as { version: number; fingerprint: string; slots: number; terms: number; postings: number };
    if (header.version !== SNAPSHOT_VERSION) throw new Error(`lexical snapshot version ${header.version}, expected ${SNAPSHOT_VERSION}`);
    if (header.fingerprint !== tokenizerFingerprint()) throw new Error('lexical snapshot was written by another tokenizer');
    const metadata = JSON.parse(reader.text()) as unknown;
    const ids = reader.strings();
    const terms = reader.strings();
    const counts = reader.uint32s();
    const fieldLengths = reader.uint16s();
    const frequencies = reader.bytes();
    const gaps = reader.bytes();
    reader.end();
    const { slots, postings } = header;
    if (ids.length !== slots || terms.length !== header.terms || counts.length !== terms.length * FIELD_COUNT || fieldLengths.length !== slots * FIELD_COUNT || frequencies.length !== postings) {
      throw new Error('lexical snapshot sections disagree in size');
    }
    await pause();
    const index = new LexicalIndex();
    index.slotIds = await ids.each((id, slot) => {
      if (index.slotOf.has(id)) throw new Error(`lexical snapshot holds ${id} twice`);
      index.slotOf.set(id, slot);
    }, pause);
    await terms.each((term, termId) => index.termIds.set(term, termId), pause);
    if (index.termIds.size !== terms.length) throw new Error('lexical snapshot holds a term twice');
    await pause();
    index.fieldLengths = new Uint16Array(fieldLengths);
    for (let i = 0; i < fieldLengths.length; i++) index.totalFieldLengths[i % FIELD_COUNT] += fieldLengths[i];
    const starts = new Uint32Array(counts.length + 1);
    for (let key = 0; key < counts.length; key++) starts[key + 1] = starts[key] + counts[key];
    if (starts[counts.length] !== postings) throw new Error('lexical snapshot posting counts disagree');
    const slotsOfPostings = new Uint32Array(postings);
    const perSlot = new Uint32Array(slots);
    let at = 0;
    for (let key = 0; key < counts.length; ) {
      let end = key + 1;
      while (end < counts.length && starts[end] - starts[key] < PAUSE_EVERY_POSTINGS) end++;
      at = decodePostings(gaps, at, starts, key, end, slotsOfPostings, perSlot);
      if (at === -1 || at > gaps.length) throw new Error('lexical snapshot has a malformed posting');
      key = end;
      await pause();
    }
    if (at !== gaps.length) throw new Error('lexical snapshot has trailing postings');
    index.baseStarts = starts;
    index.baseSlots = slotsOfPostings;
    index.baseFrequencies = new Uint8Array(frequencies);
    index.postingsPerSlot = perSlot;
    index.ensureKeyCapacity(counts.length);
    index.ensureSlotCapacity(slots);
    return { index, metadata };
  }

  // ---- adding ----

  private addDocument(chunk: LexicalDocument): void {
    const slot = this.slotIds.length;
    this.ensureSlotCapacity(slot + 1);
    this.slotIds.push(chunk.id);
    this.slotOf.set(chunk.id, slot);
    const terms = takeLexicalTerms(chunk);
    let postings = 0;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const frequencies = terms[f];
      const length = Math.min(frequencies.size, MAX_FIELD_LENGTH);
      this.fieldLengths[slot * FIELD_COUNT + f] = length;
      this.totalFieldLengths[f] += length;
      for (const [term, frequency] of frequencies) this.appendPosting(this.termId(term) * FIELD_COUNT + f, slot, Math.min(frequency, MAX_FREQUENCY));
      postings += frequencies.size;
    }
    this.postingsPerSlot[slot] = postings;
    this.changes++;
  }

  private termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.termIds.size;
      this.termIds.set(term, id);
      this.ensureKeyCapacity((id + 1) * FIELD_COUNT);
    }
    return id;
  }

  private appendPosting(key: number, slot: number, frequency: number): void {
    const at = this.deltaLength++;
    if (at === this.deltaSlots.length) {
      const capacity = Math.max(1024, at * 2);
      this.deltaSlots = grow(this.deltaSlots, capacity);
      this.deltaFrequencies = grow(this.deltaFrequencies, capacity);
      this.deltaNext = grow(this.deltaNext, capacity);
      this.deltaKeys = grow(this.deltaKeys, capacity);
    }
    this.deltaKeys[at] = key;
    this.deltaSlots[at] = slot;
    this.deltaFrequencies[at] = frequency;
    this.deltaNext[at] = -1;
    const tail = this.deltaTail[key];
    if (tail === -1) this.deltaHead[key] = at;
    else this.deltaNext[tail] = at;
    this.deltaTail[key] = at;
  }

  // ---- reading postings ----

  private forEachPosting(key: number, visit: (slot: number, frequency: number) => void): void {
    if (key + 1 < this.baseStarts.length) {
      for (let i = this.baseStarts[key], end = this.baseStarts[key + 1]; i < end; i++) visit(this.baseSlots[i], this.baseFrequencies[i]);
    }
    for (let at = this.deltaHead[key]; at !== -1; at = this.deltaNext[at]) visit(this.deltaSlots[at], this.deltaFrequencies[at]);
  }

  /** Live chunks with the term in the field: BM25's document frequency. */
  private livePostings(key: number): number {
    let count = 0;
    this.forEachPosting(key, (slot) => {
      if (this.slotIds[slot] !== undefined) count++;
    });
    return count;
  }

  // ---- compaction ----

  /**
   * Compacts when the delta or the dead postings have grown past a share of the base. Searches,
   * adds and discards go on meanwhile (the new base is built from frozen inputs and the changes
   * made in between are carried over at the end); one compaction runs at a time.
   */
  compactIfWorthIt(pause: Pause = noPause): Promise<void> {
    if (this.compaction) return this.compaction;
    const threshold = Math.max(this.compactFloorPostings, this.baseSlots.length * COMPACT_SHARE);
    if (this.deltaLength <= threshold && this.deadPostings <= threshold) return Promise.resolve();
    this.compaction = this.compact(pause).finally(() => (this.compaction = undefined));
    return this.compaction;
  }

  /** Folds the delta into the base and drops dead slots, renumbering the live ones in order. */
  private async compact(pause: Pause): Promise<void> {
    // Frozen inputs: delta entries below deltaEnd and slots below oldSlots never change (the arrays
    // may be replaced when they grow, so these references stay valid).
    const { baseStarts, baseSlots, baseFrequencies, deltaSlots, deltaFrequencies, deltaKeys, deltaLength: deltaEnd } = this;
    const oldSlots = this.slotIds.length;
    const baseKeys = baseStarts.length - 1;
    const keyCount = this.termIds.size * FIELD_COUNT;
    const renumbered = new Int32Array(oldSlots).fill(-1);
    let live = 0;
    for (let slot = 0; slot < oldSlots; slot++) if (this.slotIds[slot] !== undefined) renumbered[slot] = live++;
    const noneDead = live === oldSlots;

    const starts = new Uint32Array(keyCount + 1);
    for (let key = 0; key < baseKeys; key++) {
      if (noneDead) starts[key + 1] = baseStarts[key + 1] - baseStarts[key];
      else for (let i = baseStarts[key]; i < baseStarts[key + 1]; i++) if (renumbered[baseSlots[i]] !== -1) starts[key + 1]++;
      if (key % 65_536 === 0) await pause();
    }
    for (let at = 0; at < deltaEnd; at++) if (renumbered[deltaSlots[at]] !== -1) starts[deltaKeys[at] + 1]++;
    for (let key = 0; key < keyCount; key++) starts[key + 1] += starts[key];
    await pause();

    const total = starts[keyCount];
    const newSlots = new Uint32Array(total);
    const newFrequencies = new Uint8Array(total);
    // Per key, where its next posting goes: base postings first, then the delta's (higher slots).
    const cursor = starts.slice(0, keyCount);
    for (let key = 0, copied = 0; key < baseKeys; key++) {
      let to = cursor[key];
      for (let i = baseStarts[key], end = baseStarts[key + 1]; i < end; i++) {
        const slot = renumbered[baseSlots[i]];
        if (slot === -1) continue;
        newSlots[to] = slot;
        newFrequencies[to++] = baseFrequencies[i];
      }
      copied += to - cursor[key];
      cursor[key] = to;
      if (copied >= PAUSE_EVERY_POSTINGS) {
        copied = 0;
        await pause();
      }
    }
    await pause();
    // The delta in the order it was added (ascending slots), read straight through rather than per key.
    for (let at = 0; at < deltaEnd; at++) {
      const slot = renumbered[deltaSlots[at]];
      if (slot !== -1) {
        const to = cursor[deltaKeys[at]]++;
        newSlots[to] = slot;
        newFrequencies[to] = deltaFrequencies[at];
      }
      if (at % PAUSE_EVERY_POSTINGS === PAUSE_EVERY_POSTINGS - 1) await pause();
    }
    await pause();

    // From here on, synchronous: carry over what changed while the new base was built. Slots added
    // since the start follow the live ones; slots discarded since are dead in the new numbering.
    const slotsNow = this.slotIds.length;
    const newNumber = (slot: number) => (slot < oldSlots ? renumbered[slot] : live + slot - oldSlots);
    const slotCount = live + slotsNow - oldSlots;
    const slotIds = new Array<string | undefined>(slotCount);
    const fieldLengths = new Uint16Array(Math.ceil(Math.max(slotCount, 256) * 1.5) * FIELD_COUNT);
    const perSlot = new Uint32Array(fieldLengths.length / FIELD_COUNT);
    let deadPostings = 0;
    for (let slot = 0; slot < slotsNow; slot++) {
      const to = newNumber(slot);
      if (to === -1) continue;
      const id = this.slotIds[slot];
      slotIds[to] = id;
      for (let f = 0; f < FIELD_COUNT; f++) fieldLengths[to * FIELD_COUNT + f] = this.fieldLengths[slot * FIELD_COUNT + f];
      perSlot[to] = this.postingsPerSlot[slot];
      if (id === undefined) deadPostings += perSlot[to];
    }
    if (!noneDead) {
      this.slotOf.clear();
      slotIds.forEach((id, slot) => id !== undefined && this.slotOf.set(id, slot));
    } else {
      for (let slot = oldSlots; slot < slotsNow; slot++) if (slotIds[slot] !== undefined) this.slotOf.set(slotIds[slot]!, slot);
    }
    const laterDelta = { slots: this.deltaSlots, frequencies: this.deltaFrequencies, keys: this.deltaKeys, end: this.deltaLength };
    this.slotIds = slotIds;
    this.fieldLengths = fieldLengths;
    this.postingsPerSlot = perSlot;
    this.baseStarts = starts;
    this.baseSlots = newSlots;
    this.baseFrequencies = newFrequencies;
    // New arrays, not cleared ones: a snapshot being encoded may still read the old ones.
    this.deltaHead = new Int32Array(this.deltaHead.length).fill(-1);
    this.deltaTail = new Int32Array(this.deltaTail.length).fill(-1);
    this.deltaSlots = new Uint32Array(0);
    this.deltaFrequencies = new Uint8Array(0);
    this.deltaKeys = new Uint32Array(0);
    this.deltaNext = new Int32Array(0);
    this.deltaLength = 0;
    for (let at = deltaEnd; at < laterDelta.end; at++) {
      const slot = newNumber(laterDelta.slots[at]);
      if (slot !== -1) this.appendPosting(laterDelta.keys[at], slot, laterDelta.frequencies[at]);
    }
    this.deadPostings = deadPostings;
  }

  // ---- capacity ----

  private ensureSlotCapacity(slots: number): void {
    if (slots * FIELD_COUNT <= this.fieldLengths.length) return;
    const capacity = Math.max(256, Math.ceil(slots * 1.5));
    this.fieldLengths = grow(this.fieldLengths, capacity * FIELD_COUNT);
    this.postingsPerSlot = grow(this.postingsPerSlot, capacity);
  }

  private ensureKeyCapacity(keys: number): void {
    if (keys <= this.deltaHead.length) return;
    const capacity = Math.max(1024, Math.ceil(keys * 1.5));
    const from = this.deltaHead.length;
    this.deltaHead = grow(this.deltaHead, capacity);
    this.deltaTail = grow(this.deltaTail, capacity);
    this.deltaHead.fill(-1, from);
    this.deltaTail.fill(-1, from);
  }
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

/**
 * Decodes the varint slot gaps of keys [fromKey, toKey) into `slotsOf` (counting postings per slot)
 * and returns the offset after them, or -1 when they are malformed. A plain function with small
 * integer arithmetic only, so that V8 compiles the hot loop tightly.
 */
function decodePostings(gaps: Uint8Array, at: number, starts: Uint32Array, fromKey: number, toKey: number, slotsOf: Uint32Array, perSlot: Uint32Array): number {
  const slots = perSlot.length;
  for (let key = fromKey; key < toKey; key++) {
    let slot = 0;
    for (let i = starts[key], end = starts[key + 1]; i < end; i++) {
      // Varint: seven bits a byte, low bits first, high bit set on all but the last byte.
      let byte = gaps[at++];
      let gap = byte & 0x7f;
      for (let shift = 7; byte >= 0x80; shift += 7) {
        // Slots fit in 31 bits: four bytes of varint at most.
        if (shift > 21) return -1;
        byte = gaps[at++];
        gap |= (byte & 0x7f) << shift;
      }
      slot += gap;
      if (slot >= slots) return -1;
      slotsOf[i] = slot;
      perSlot[slot]++;
    }
  }
  return at;
}

/** Lets a long loop give the event loop a turn (the store passes its time slicer). */
export type Pause = () => Promise<void>;
const noPause: Pause = () => Promise.resolve();

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

function grow<T extends TypedArray>(array: T, length: number): T {
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array.subarray(0, Math.min(array.length, length)) as never);
  return grown;
}

function u8(array: Uint16Array | Uint32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Sections are padded to 4 bytes so typed arrays can be read in place. */
function alignTo4(section: Uint8Array): Uint8Array {
  const padding = (4 - (section.length % 4)) % 4;
  return padding ? Buffer.concat([section, new Uint8Array(padding)]) : section;
}

/**
 * Strings as two sections, their concatenated text and their lengths: reading them back is one
 * UTF-8 decode and slicing, several times quicker than JSON.parse of an array, and done in pieces.
 */
function encodeStrings(list: readonly string[]): [Uint8Array, Uint8Array] {
  return [Buffer.from(list.join('')), u8(Uint32Array.from(list, (item) => item.length))];
}

class StringList {
  constructor(
    private readonly text: string,
    private readonly lengths: Uint32Array,
  ) {}

  get length(): number {
    return this.lengths.length;
  }

  /** Calls `visit` with each string in order, pausing every so often; returns them all. */
  async each(visit: (item: string, index: number) => void, pause: Pause): Promise<string[]> {
    const items = new Array<string>(this.lengths.length);
    for (let i = 0, at = 0; i < this.lengths.length; i++) {
      const item = this.text.slice(at, (at += this.lengths[i]));
      items[i] = item;
      visit(item, i);
      if (i % 16_384 === 16_383) await pause();
    }
    return items;
  }
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
    return Buffer.from(this.bytes()).toString('utf8');
  }

  /** A list written by encodeStrings: its text, then each string's length. */
  strings(): StringList {
    const text = this.text();
    const lengths = this.uint32s();
    let total = 0;
    for (const length of lengths) total += length;
    if (total !== text.length) throw new Error('lexical snapshot strings disagree with their lengths');
    return new StringList(text, lengths);
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
