// BM25 full-text search over chunks, tuned for code: each chunk is split into fields that say
// different things about it (where it lives, what it declares, what its comments and headings say,
// what its body does), each scored on its own and weighted; terms come from indexTerms
// (identifiers whole and split, prose stemmed, stop words dropped).
//
// Scoring is MiniSearch's (BM25+ per field, boosts, score times the number of query terms matched;
// a test holds the two equal), but the index is laid out in typed arrays: MiniSearch's per-term
// maps took 4.4x the vectors' memory at 100k chunks, a minute to rebuild at every start and
// ~200 ms per query. Postings live in two segments, as in Lucene:
//   base   one compressed-row (CSR) block per term and field: slots ascending as varint gaps,
//          term frequencies (baseSegment.ts);
//   delta  postings added since the last compaction, one linked list per term and field inside
//          three typed arrays, so adding a chunk allocates no objects per term.
// A discarded chunk only marks its slot dead; compaction drops dead slots and folds the delta into
// the base once either grows past a fraction of it. The whole index round-trips through a binary
// snapshot (snapshotCodec.ts) so a store opens without re-tokenizing its chunks.
import { BaseSegment } from './baseSegment';
import { FIELDS, visitLexicalTerms, type Field, type LexicalDocument } from './terms';
import { IdIndex } from '../idIndex';
import { ShardedMap } from '../shardedMap';
import { PackedIds } from '../packedIds';
import { TopK } from '../topK';
import type { LexicalQueryOptions } from '../types';
import { weightedQueryTerms } from './tokenizeCode';

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
export const FIELD_COUNT = FIELDS.length;
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

/** Long loops (compaction, snapshots) offer the event loop a turn this often (~10 ms of work). */
export const PAUSE_EVERY_POSTINGS = 250_000;

/** The index as a snapshot holds it: live chunks numbered densely, and each term's postings. */
export interface LexicalSnapshotView {
  ids: string[];
  /** FIELD_COUNT lengths per chunk, in `ids` order. */
  fieldLengths: Uint16Array;
  /** Every term indexed, by term id; a term no live chunk has any more has no postings. */
  terms: string[];
  /** At least the number of live postings. */
  maxPostings: number;
  /** Calls `visit` with each live posting of one term in one field, by dense slot. */
  visitPostings(termId: number, field: number, visit: (slot: number, frequency: number) => void): void;
}

/** A snapshot's index: its chunks, terms, and all postings in the base segment. */
export interface LexicalBase {
  slotIds: PackedIds;
  /** Term -> term id, and the terms by id. */
  termIds: ShardedMap<number>;
  terms: string[];
  fieldLengths: Uint16Array<ArrayBuffer>;
  /** Per field, the sum of its lengths over the chunks. */
  totalFieldLengths: Float64Array;
  base: BaseSegment;
  postingsPerSlot: Uint32Array<ArrayBuffer>;
}

export class LexicalIndex {
  /** `compactFloorPostings`: the least delta or dead postings worth a compaction (lowered by tests). */
  constructor(private readonly compactFloorPostings = COMPACT_FLOOR_POSTINGS) {}

  // Documents, by slot. A dead slot (discarded) has no id and is dropped at the next compaction.
  /** Empty where a chunk was discarded. */
  private slotIds = new PackedIds();
  /** Id -> slot, read through slotIds (a Map of a million ids weighed ~40 MB on the JS heap). */
  private readonly slotOf = new IdIndex((slot, id) => this.slotIds.matches(slot, id));
  private fieldLengths = new Uint16Array(0);
  private readonly totalFieldLengths = new Float64Array(FIELD_COUNT);
  // Terms: a term's postings in field f are keyed termId * FIELD_COUNT + f.
  private termIds = new ShardedMap<number>();
  private terms: string[] = [];
  private base = BaseSegment.EMPTY;
  // Delta segment: per key a list through deltaNext, head and tail in deltaHead / deltaTail. They
  // hold a posting's position + 1, 0 for none: new arrays need no filling, and at 2M keys the pages
  // of keys no save has touched are never resident.
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

  *ids(): IterableIterator<string> {
    for (let slot = 0; slot < this.slotIds.length; slot++) if (!this.slotIds.isEmpty(slot)) yield this.slotIds.get(slot)!;
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
      this.slotIds.set(slot, undefined);
      this.deadPostings += this.postingsPerSlot[slot];
      for (let f = 0; f < FIELD_COUNT; f++) this.totalFieldLengths[f] -= this.fieldLengths[slot * FIELD_COUNT + f];
      this.changes++;
    }
  }

  /** Best first. A term repeated in the query weighs more (see weightedQueryTerms). */
  search(query: string, k: number, options: LexicalQueryOptions = {}): LexicalMatch[] {
    const weights = weightedQueryTerms(typeof query === 'string' ? query : '', !options.asName);
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
    const { scores, lastTerm, matchedTerms, fieldLengths, slotIds, base, deltaHead, deltaNext, deltaSlots, deltaFrequencies } = this;
    const touched: number[] = [];
    // Scores one posting; lastTerm (1-based term number) makes a term count once per chunk however many fields it hits.
    const score = (slot: number, frequency: number, f: number, weight: number, lengthScale: number, termNumber: number) => {
      if (slotIds.isEmpty(slot)) return;
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
        base.forEach(key, (slot, frequency) => score(slot, frequency, f, weight, lengthScale, t + 1));
        for (let at = deltaHead[key] - 1; at !== -1; at = deltaNext[at] - 1) score(deltaSlots[at], deltaFrequencies[at], f, weight, lengthScale, t + 1);
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
    return best.sorted().map(({ row, score }) => ({ id: slotIds.get(row)!, score }));
  }

  /**
   * The index as it is now, for a snapshot, and the change count reset. Later changes do not show
   * in the view: compaction replaces the arrays captured here instead of changing them, adds only
   * append past `deltaEnd` and past the slots, and discards are frozen out by `renumbered`.
   */
  snapshotView(): LexicalSnapshotView {
    const { base, deltaHead, deltaNext, deltaSlots, deltaFrequencies, deltaLength: deltaEnd } = this;
    const renumbered = new Int32Array(this.slotIds.length).fill(-1);
    const ids: string[] = [];
    const fieldLengths = new Uint16Array(this.slotOf.size * FIELD_COUNT);
    for (let slot = 0; slot < this.slotIds.length; slot++) {
      if (this.slotIds.isEmpty(slot)) continue;
      const id = this.slotIds.get(slot)!;
      for (let f = 0; f < FIELD_COUNT; f++) fieldLengths[ids.length * FIELD_COUNT + f] = this.fieldLengths[slot * FIELD_COUNT + f];
      renumbered[slot] = ids.length;
      ids.push(id);
    }
    this.changes = 0;
    return {
      ids,
      fieldLengths,
      terms: this.terms.slice(),
      maxPostings: base.postings + deltaEnd,
      visitPostings(termId, field, visit) {
        const key = termId * FIELD_COUNT + field;
        base.forEach(key, (slot, frequency) => {
          const to = renumbered[slot];
          if (to !== -1) visit(to, frequency);
        });
        if (key < deltaHead.length) {
          for (let at = deltaHead[key] - 1; at !== -1 && at < deltaEnd; at = deltaNext[at] - 1) {
            const to = renumbered[deltaSlots[at]];
            if (to !== -1) visit(to, deltaFrequencies[at]);
          }
        }
      },
    };
  }

  /** An index holding `base` (decoded from a snapshot) and nothing in its delta; throws if a chunk id is there twice. */
  static async fromBase(base: LexicalBase, pause: Pause): Promise<LexicalIndex> {
    const index = new LexicalIndex();
    index.slotIds = base.slotIds;
    for (let slot = 0; slot < base.slotIds.length; slot++) {
      const id = base.slotIds.get(slot)!;
      if (index.slotOf.has(id)) throw new Error(`lexical snapshot holds ${id} twice`);
      index.slotOf.set(id, slot);
      if (slot % 4096 === 4095) await pause();
    }
    index.termIds = base.termIds;
    index.terms = base.terms;
    index.fieldLengths = base.fieldLengths;
    index.totalFieldLengths.set(base.totalFieldLengths);
    index.base = base.base;
    index.postingsPerSlot = base.postingsPerSlot;
    index.ensureKeyCapacity(base.base.keys);
    index.ensureSlotCapacity(base.slotIds.length);
    return index;
  }

  // ---- adding ----

  private addDocument(chunk: LexicalDocument): void {
    const slot = this.slotIds.length;
    this.ensureSlotCapacity(slot + 1);
    this.slotIds.push(chunk.id);
    this.slotOf.set(chunk.id, slot);
    const sizes = visitLexicalTerms(chunk, (f, term, frequency) => this.appendPosting(this.termId(term) * FIELD_COUNT + f, slot, Math.min(frequency, MAX_FREQUENCY)));
    let postings = 0;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const length = Math.min(sizes[f], MAX_FIELD_LENGTH);
      this.fieldLengths[slot * FIELD_COUNT + f] = length;
      this.totalFieldLengths[f] += length;
      postings += sizes[f];
    }
    this.postingsPerSlot[slot] = postings;
    this.changes++;
  }

  private termId(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.termIds.set(term, id);
      this.terms.push(term);
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
    this.deltaNext[at] = 0;
    const tail = this.deltaTail[key] - 1;
    if (tail === -1) this.deltaHead[key] = at + 1;
    else this.deltaNext[tail] = at + 1;
    this.deltaTail[key] = at + 1;
  }

  // ---- reading postings ----

  private forEachPosting(key: number, visit: (slot: number, frequency: number) => void): void {
    this.base.forEach(key, visit);
    for (let at = this.deltaHead[key] - 1; at !== -1; at = this.deltaNext[at] - 1) visit(this.deltaSlots[at], this.deltaFrequencies[at]);
  }

  /** Live chunks with the term in the field: BM25's document frequency. */
  private livePostings(key: number): number {
    if (this.deadPostings === 0) {
      let count = this.base.count(key);
      for (let at = this.deltaHead[key] - 1; at !== -1; at = this.deltaNext[at] - 1) count++;
      return count;
    }
    let count = 0;
    this.forEachPosting(key, (slot) => {
      if (!this.slotIds.isEmpty(slot)) count++;
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
    const threshold = Math.max(this.compactFloorPostings, this.base.postings * COMPACT_SHARE);
    if (this.deltaLength <= threshold && this.deadPostings <= threshold) return Promise.resolve();
    this.compaction = this.compact(pause).finally(() => (this.compaction = undefined));
    return this.compaction;
  }

  /** Folds the delta into the base and drops dead slots, renumbering the live ones in order. */
  private async compact(pause: Pause): Promise<void> {
    // Frozen inputs: delta entries below deltaEnd and slots below oldSlots never change (the arrays
    // may be replaced when they grow, so these references stay valid).
    const { base, deltaSlots, deltaFrequencies, deltaKeys, deltaLength: deltaEnd } = this;
    const oldSlots = this.slotIds.length;
    const baseKeys = base.keys;
    const keyCount = this.termIds.size * FIELD_COUNT;
    const renumbered = new Int32Array(oldSlots).fill(-1);
    let live = 0;
    for (let slot = 0; slot < oldSlots; slot++) if (!this.slotIds.isEmpty(slot)) renumbered[slot] = live++;
    const noneDead = live === oldSlots;

    const starts = new Uint32Array(keyCount + 1);
    for (let key = 0; key < baseKeys; key++) {
      if (noneDead) starts[key + 1] = base.count(key);
      else base.forEach(key, (slot) => renumbered[slot] !== -1 && starts[key + 1]++);
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
      base.forEach(key, (slot, frequency) => {
        if (renumbered[slot] === -1) return;
        newSlots[to] = renumbered[slot];
        newFrequencies[to++] = frequency;
      });
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
    const newBase = await BaseSegment.fromSlots(starts, newSlots, newFrequencies, pause, PAUSE_EVERY_POSTINGS);

    // From here on, synchronous: carry over what changed while the new base was built. Slots added
    // since the start follow the live ones; slots discarded since are dead in the new numbering.
    const slotsNow = this.slotIds.length;
    const newNumber = (slot: number) => (slot < oldSlots ? renumbered[slot] : live + slot - oldSlots);
    const slotCount = live + slotsNow - oldSlots;
    const slotIds = new PackedIds(slotCount);
    const fieldLengths = new Uint16Array(Math.ceil(Math.max(slotCount, 256) * 1.5) * FIELD_COUNT);
    const perSlot = new Uint32Array(fieldLengths.length / FIELD_COUNT);
    let deadPostings = 0;
    for (let slot = 0; slot < slotsNow; slot++) {
      const to = newNumber(slot);
      if (to === -1) continue;
      // Slots keep their order: `to` is always the next one.
      slotIds.pushFrom(this.slotIds, slot);
      for (let f = 0; f < FIELD_COUNT; f++) fieldLengths[to * FIELD_COUNT + f] = this.fieldLengths[slot * FIELD_COUNT + f];
      perSlot[to] = this.postingsPerSlot[slot];
      if (slotIds.isEmpty(to)) deadPostings += perSlot[to];
    }
    // slotOf reads ids through this.slotIds: the new numbering first.
    this.slotIds = slotIds;
    if (!noneDead) {
      this.slotOf.clear();
      for (let slot = 0; slot < slotCount; slot++) if (!slotIds.isEmpty(slot)) this.slotOf.set(slotIds.get(slot)!, slot);
    } else {
      for (let slot = oldSlots; slot < slotsNow; slot++) if (!slotIds.isEmpty(slot)) this.slotOf.set(slotIds.get(slot)!, slot);
    }
    const laterDelta = { slots: this.deltaSlots, frequencies: this.deltaFrequencies, keys: this.deltaKeys, end: this.deltaLength };
    this.fieldLengths = fieldLengths;
    this.postingsPerSlot = perSlot;
    this.base = newBase;
    // New arrays, not cleared ones: a snapshot being encoded may still read the old ones.
    this.deltaHead = new Int32Array(this.deltaHead.length);
    this.deltaTail = new Int32Array(this.deltaTail.length);
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
    this.deltaHead = grow(this.deltaHead, capacity);
    this.deltaTail = grow(this.deltaTail, capacity);
  }
}

/** Lets a long loop give the event loop a turn (the store passes its time slicer). */
export type Pause = () => Promise<void>;
export const noPause: Pause = () => Promise.resolve();

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

function grow<T extends TypedArray>(array: T, length: number): T {
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array.subarray(0, Math.min(array.length, length)) as never);
  return grown;
}
