// The typed-array BM25 engine under LexicalIndex against MiniSearch configured the same way (the
// engine it replaced, whose scoring the field weights were tuned with), on real code, through
// adds, replacements, discards and compactions; and its snapshot, including damaged ones.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { decodeLexicalSnapshot, encodeLexicalSnapshot, indexTerms, LexicalIndex, splitFields, weightedQueryTerms, type LexicalDocument } from '../../../src/core/lexical';
import { mulberry32 } from '../../support/random';
import { chunkId } from '../../../src/core/hash';

const FIELDS = ['path', 'symbol', 'signature', 'doc', 'body'] as const;
const BOOST = { path: 3, symbol: 1, signature: 0.5, doc: 1, body: 1 };

/** MiniSearch as LexicalIndex used it before: same fields, tokenizer, boosts and term weights. */
class Reference {
  private readonly index = new MiniSearch<LexicalDocument>({
    fields: [...FIELDS],
    extractField: (doc, field) => (field === 'id' ? doc.id : splitFields(doc)[field as (typeof FIELDS)[number]]),
    tokenize: indexTerms,
    processTerm: (term) => term,
    autoVacuum: false,
  });

  add(docs: LexicalDocument[]): void {
    for (const doc of docs) {
      if (this.index.has(doc.id)) this.index.discard(doc.id);
      this.index.add(doc);
    }
  }

  discard(ids: string[]): void {
    for (const id of ids) if (this.index.has(id)) this.index.discard(id);
  }

  /**
   * MiniSearch drops discarded postings lazily, and until it has, a term's document frequency
   * counts them for part of a search; its vacuum makes its scores exact again.
   */
  async settle(): Promise<void> {
    await this.index.vacuum({ batchSize: 1_000_000, batchWait: 0 });
  }

  get size(): number {
    return this.index.documentCount;
  }

  search(query: string, k: number): Array<{ id: string; score: number }> {
    const weights = weightedQueryTerms(query);
    const terms = [...weights.keys()]
      .map((term, order) => ({ term, order }))
      .sort((a, b) => weights.get(b.term)! - weights.get(a.term)! || a.order - b.order)
      .slice(0, 32)
      .map(({ term }) => term);
    if (terms.length === 0) return [];
    return this.index
      .search(terms.join(' '), { boost: BOOST, combineWith: 'OR', tokenize: () => terms, boostTerm: (term) => weights.get(term) ?? 1 })
      .slice(0, k)
      .map((r) => ({ id: r.id as string, score: r.score }));
  }
}

/** 30-line windows of real sources that nobody on the team wrote. */
function realChunks(): LexicalDocument[] {
  const docs: LexicalDocument[] = [];
  for (const pkg of ['minisearch/src', 'vectra/src']) {
    const dir = path.resolve(__dirname, '../../../../node_modules', pkg);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
      const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
      for (let start = 0; start < lines.length; start += 30) {
        const text = lines.slice(start, start + 30).join('\n');
        docs.push({ id: `${pkg}/${name}#${start}`, path: `${pkg}/${name}`, text, symbol: start === 0 ? name.replace(/\.ts$/, '') : undefined });
      }
    }
  }
  return docs;
}

const QUERIES = [
  'how are documents removed from the index',
  'fuzzy prefix search term boost',
  'BM25 score document frequency',
  'vacuum discarded documents',
  'upsertItem deleteItem',
  'LocalIndex createIndex',
  'where is the cosine similarity computed?',
  'serialize the index to JSON',
  'auto suggest',
  'TypeError: Cannot read properties of undefined (reading \'score\') at MiniSearch.search (src/MiniSearch.ts:1200:5)',
  'metadata filter $eq $in',
  'tokenize processTerm',
];

function assertSameResults(actual: Array<{ id: string; score: number }>, expected: Array<{ id: string; score: number }>, query: string): void {
  assert.equal(actual.length, expected.length, query);
  const expectedScores = new Map(expected.map((r) => [r.id, r.score]));
  actual.forEach((result, i) => {
    // Ties may come in another order; scores may differ in the last bits of their sums.
    assert.ok(Math.abs(result.score - expected[i].score) <= 1e-9 * expected[i].score, `${query}: rank ${i + 1} scores ${result.score} vs ${expected[i].score}`);
    const reference = expectedScores.get(result.id);
    if (reference !== undefined) assert.ok(Math.abs(reference - result.score) <= 1e-9 * reference, `${query}: ${result.id}`);
    else assert.ok(Math.abs(result.score - expected[expected.length - 1].score) <= 1e-9 * result.score, `${query}: ${result.id} is not in MiniSearch's top ${expected.length}`);
  });
}

function assertSameAsReference(index: LexicalIndex, reference: Reference): void {
  for (const query of QUERIES) assertSameResults(index.search(query, 20), reference.search(query, 20), query);
}

describe('LexicalIndex engine', () => {
  const docs = realChunks();

  it('scores exactly as MiniSearch did, through adds, replacements, discards and compactions', async () => {
    assert.ok(docs.length > 100, 'the corpus has real chunks');
    const random = mulberry32(7);
    // A low floor so the test passes through many compactions.
    const index = new LexicalIndex(500);
    const reference = new Reference();
    const half = docs.slice(0, Math.floor(docs.length / 2));
    index.add(half);
    reference.add(half);
    assertSameAsReference(index, reference);

    for (let round = 0; round < 6; round++) {
      const discarded = docs.filter(() => random() < 0.2).map((d) => d.id);
      index.discard(discarded);
      reference.discard(discarded);
      // Re-added with new text (a save), or brought back unchanged, or added for the first time.
      const added = docs
        .filter(() => random() < 0.3)
        .map((d) => (random() < 0.5 ? d : { ...d, text: `${d.text}\n// revised in round ${round}: retry backoff` }));
      index.add(added);
      reference.add(added);
      await index.compactIfWorthIt();
      await reference.settle();
      assert.equal(index.size, reference.size);
      assertSameAsReference(index, reference);
    }
  });

  it('keeps taking adds, discards and searches while a compaction runs, and ends exact', async () => {
    const random = mulberry32(11);
    const index = new LexicalIndex(100);
    const reference = new Reference();
    index.add(docs.slice(0, 120));
    await index.compactIfWorthIt();
    // A base, a delta on top, and discards that make the next compaction renumber slots.
    index.add(docs.slice(120));
    reference.add(docs);
    const early = docs.filter(() => random() < 0.3).map((d) => d.id);
    index.discard(early);
    reference.discard(early);
    let pauses = 0;
    const changes: Array<() => void> = [
      () => index.add(docs.slice(0, 10).map((d) => ({ ...d, text: `${d.text}\n// changed during compaction: vacuum` }))),
      () => index.discard(docs.slice(20, 25).map((d) => d.id)),
      () => index.add([{ id: 'new-during', path: 'src/late.ts', text: 'lateArrival vacuum documents' }, { id: 'new-kept', path: 'src/kept.ts', text: 'keptArrival removed documents index' }]),
      () => index.discard(['new-during']),
    ];
    const compaction = index.compactIfWorthIt(async () => {
      changes[pauses++]?.();
      assert.ok(index.search('vacuum documents', 5).length > 0, 'searches answer during a compaction');
      await new Promise((resolve) => setImmediate(resolve));
    });
    await compaction;
    assert.ok(pauses >= changes.length, `the compaction paused ${pauses} times`);
    reference.add(docs.slice(0, 10).map((d) => ({ ...d, text: `${d.text}\n// changed during compaction: vacuum` })));
    reference.discard(docs.slice(20, 25).map((d) => d.id));
    reference.add([{ id: 'new-kept', path: 'src/kept.ts', text: 'keptArrival removed documents index' }]);
    await reference.settle();
    assert.equal(index.size, reference.size);
    assertSameAsReference(index, reference);
    assert.equal(index.search('keptArrival', 5)[0]?.id, 'new-kept');
    assert.ok(index.search('lateArrival', 5).every((m) => m.id !== 'new-during'), 'a chunk added and discarded during the compaction stays gone');
    // And once more, with no compaction under way: still the same.
    await index.compactIfWorthIt();
    assertSameAsReference(index, reference);
  });

  it('round-trips through a snapshot: the same answers, and it keeps taking changes', async () => {
    const index = new LexicalIndex(500);
    index.add(docs);
    index.discard(docs.filter((_, i) => i % 7 === 0).map((d) => d.id));
    assert.ok(index.changesSinceSnapshot > 0);
    const bytes = await encodeLexicalSnapshot(index);
    const sizeAtSnapshot = index.size;
    assert.equal(index.changesSinceSnapshot, 0);
    const { index: decoded, files } = await decodeLexicalSnapshot(bytes);
    assert.equal(files.size, 0);
    assert.equal(decoded.size, index.size);
    assert.deepEqual([...decoded.ids()].sort(), [...index.ids()].sort());
    assert.equal(decoded.changesSinceSnapshot, 0);
    for (const query of QUERIES) assert.deepEqual(decoded.search(query, 20), index.search(query, 20), query);

    const changed = docs.slice(0, 40).map((d) => ({ ...d, text: 'quuxFrobnicator handles the frobnication' }));
    decoded.add(changed);
    index.add(changed);
    decoded.discard([docs[50].id]);
    index.discard([docs[50].id]);
    for (const query of [...QUERIES, 'quux frobnicator']) assert.deepEqual(decoded.search(query, 20), index.search(query, 20), query);
    assert.equal(decoded.search('quux frobnicator', 100).length, 40);
    // A snapshot of an unaligned copy (as read from a larger buffer) decodes the same.
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    assert.equal((await decodeLexicalSnapshot(unaligned)).index.size, sizeAtSnapshot);
  });

  it('round-trips ids and terms beyond ASCII across many decoding batches', async () => {
    const words = ['données', 'naïveté', '日本語の検索', 'emoji😀query', 'ascii'];
    const many = Array.from({ length: 9_000 }, (_, i) => ({
      id: `src/ünïcode/${i}😀.ts#${i}`,
      path: `src/ünïcode/${i}😀.ts`,
      text: `${words[i % words.length]}${i} plain${i % 97}`,
    }));
    const index = new LexicalIndex();
    index.add(many);
    const { index: decoded } = await decodeLexicalSnapshot(await encodeLexicalSnapshot(index));
    assert.deepEqual([...decoded.ids()], [...index.ids()]);
    for (const query of ['données8995', '日本語の検索2', 'emoji😀query8998', 'plain5']) assert.deepEqual(decoded.search(query, 20), index.search(query, 20), query);
  });

  it('searched as a name, finds the chunks that hold the whole identifier, not those that share a part of it', () => {
    const index = new LexicalIndex();
    const chunk = (id: string, text: string): LexicalDocument => ({ id, path: `src/${id}.ts`, text });
    index.add([chunk('defines', 'export function nonNull(value) { return value; }'), chunk('calls', 'const x = nonNull(y);'), chunk('nulls', 'if (value === null) return null; // non null check')]);
    assert.deepEqual(index.search('nonNull', 10, { asName: true }).map((hit) => hit.id).sort(), ['calls', 'defines']);
    assert.deepEqual(index.search('nonNull', 10).map((hit) => hit.id).sort(), ['calls', 'defines', 'nulls']);
  });

  it('a decoded index keeps chunk ids of both shapes (packed hex and any other), and searches as before', async () => {
    const index = new LexicalIndex();
    // Half the ids shaped as the store makes them (24 hex characters, held packed), half not.
    const mixed = docs.slice(0, 60).map((d, i) => (i % 2 ? d : { ...d, id: chunkId(d.id, i, 'h') }));
    index.add(mixed);
    const { index: decoded } = await decodeLexicalSnapshot(await encodeLexicalSnapshot(index));
    assert.deepEqual([...decoded.ids()].sort(), mixed.map((d) => d.id).sort());
    assert.equal(decoded.size, 60);
    for (const query of QUERIES) assert.deepEqual(decoded.search(query, 20), index.search(query, 20), query);
    for (const gone of [mixed[3].id, mixed[4].id]) {
      decoded.discard([gone]);
      assert.equal(decoded.has(gone), false);
    }
    assert.equal(decoded.size, 58);
    assert.ok(decoded.has(mixed[5].id) && decoded.has(mixed[6].id));
  });

  it('a snapshot keeps chunk ids and terms that are not ASCII', async () => {
    const index = new LexicalIndex();
    const foreign = docs.slice(0, 30).map((d, i) => ({ ...d, id: i % 2 ? `${d.id}-é${i}` : `${d.id}-日本${i}`, text: `${d.text} données 日本語 naïve` }));
    index.add(foreign);
    const { index: decoded } = await decodeLexicalSnapshot(await encodeLexicalSnapshot(index));
    assert.deepEqual([...decoded.ids()].sort(), foreign.map((d) => d.id).sort());
    for (const query of ['données', '日本語', 'naïve', ...QUERIES]) assert.deepEqual(decoded.search(query, 20), index.search(query, 20), query);
    assert.equal(decoded.search('日本語', 100).length, 30);
  });

  it('an empty index snapshots and decodes to an empty index', async () => {
    const fileHashes = new Map([['src/a.ts', 'f00d'], ['docs/données.md', 'beef'], ['', '']]);
    const { index: decoded, files } = await decodeLexicalSnapshot(await encodeLexicalSnapshot(new LexicalIndex(), fileHashes));
    assert.deepEqual(files, fileHashes);
    assert.equal(decoded.size, 0);
    assert.deepEqual(decoded.search('anything', 5), []);
    decoded.add([docs[0]]);
    assert.equal(decoded.search(docs[0].path, 5)[0].id, docs[0].id);
  });

  it('refuses damaged, truncated or foreign snapshots with an error instead of misreading them', async () => {
    const index = new LexicalIndex();
    index.add(docs.slice(0, 50));
    const bytes = await encodeLexicalSnapshot(index);
    const damaged: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['not a snapshot', Buffer.from('{"hello": "world"} and then some')],
      ['truncated in the middle', bytes.subarray(0, Math.floor(bytes.length / 2))],
      ['missing its last byte', bytes.subarray(0, bytes.length - 1)],
      ['with trailing bytes in a section', withHeader(bytes, (h) => ({ ...h, postings: h.postings + 1 }))],
      ['of another version', withHeader(bytes, (h) => ({ ...h, version: 99 }))],
      ['of another tokenizer', withHeader(bytes, (h) => ({ ...h, fingerprint: '0000000000000000' }))],
    ];
    for (const [what, data] of damaged) await assert.rejects(decodeLexicalSnapshot(data), /lexical snapshot|not a lexical snapshot|JSON/, what);
  });
});

/** The snapshot with its JSON header rewritten, the other sections as they were. */
function withHeader(bytes: Uint8Array, change: (header: { version: number; fingerprint: string; postings: number }) => object): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  const sections: Uint8Array[] = [];
  let offset = 8 + count * 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(8 + i * 4, true);
    sections.push(bytes.subarray(offset, offset + length));
    offset += length + ((4 - (length % 4)) % 4);
  }
  sections[0] = Buffer.from(JSON.stringify(change(JSON.parse(Buffer.from(sections[0]).toString('utf8')))));
  const prefix = new Uint32Array([view.getUint32(0, true), count, ...sections.map((section) => section.length)]);
  const padded = sections.map((section) => Buffer.concat([section, new Uint8Array((4 - (section.length % 4)) % 4)]));
  return Buffer.concat([new Uint8Array(prefix.buffer), ...padded]);
}
