// The base segment's varint postings: what goes in comes out, large slots included, and a
// snapshot's gaps that are not ascending or run past the chunks are refused.
import * as assert from 'node:assert/strict';
import { BaseSegment, checkGaps } from '../../../src/core/lexical/baseSegment';
import { mulberry32 } from '../../support/random';

describe('lexical base segment', () => {
  it('keeps every posting of every key, slots ascending from 0 to past 2^21, through varint gaps', async () => {
    const random = mulberry32(7);
    const keys = 300;
    const lists: Array<Array<[number, number]>> = [];
    for (let key = 0; key < keys; key++) {
      const list: Array<[number, number]> = [];
      // Empty keys, dense keys (gaps of 1) and sparse ones with multi-byte gaps.
      const step = key % 3 === 0 ? 1 : key % 3 === 1 ? 200 : 40_000;
      for (let slot = key % 5 === 0 ? 0 : Math.floor(random() * step); list.length < key % 17 && slot < 2 ** 24; slot += 1 + Math.floor(random() * step)) {
        list.push([slot, 1 + Math.floor(random() * 255)]);
      }
      lists.push(list);
    }
    const starts = new Uint32Array(keys + 1);
    lists.forEach((list, key) => (starts[key + 1] = starts[key] + list.length));
    const slots = Uint32Array.from(lists.flat(), ([slot]) => slot);
    const frequencies = Uint8Array.from(lists.flat(), ([, frequency]) => frequency);
    let pauses = 0;
    const base = await BaseSegment.fromSlots(starts, slots, frequencies, async () => void pauses++, 100);
    assert.ok(pauses > 0);
    assert.equal(base.keys, keys);
    assert.equal(base.postings, slots.length);
    lists.forEach((list, key) => {
      const seen: Array<[number, number]> = [];
      base.forEach(key, (slot, frequency) => seen.push([slot, frequency]));
      assert.deepEqual(seen, list, `key ${key}`);
      assert.equal(base.count(key), list.length);
    });
    assert.equal(base.count(keys + 3), 0);
    base.forEach(keys + 3, () => assert.fail('a key past the segment has no postings'));
  });

  it('checks a snapshot\'s gaps: where each key starts and postings per slot, or -1 when malformed', () => {
    const starts = Uint32Array.of(0, 2, 2, 5);
    // Key 0: slots 3, 130 (a two-byte gap of 127); key 1: none; key 2: slots 0, 1, 9.
    const gaps = Uint8Array.of(3, 0xff, 0x00, 0, 1, 8);
    const offsets = new Uint32Array(4);
    const perSlot = new Uint32Array(200);
    assert.equal(checkGaps(gaps, 0, starts, 0, 3, offsets, perSlot), gaps.length);
    assert.deepEqual([...offsets], [0, 3, 3, 6]);
    assert.deepEqual([3, 130, 0, 1, 9].map((slot) => perSlot[slot]), [1, 1, 1, 1, 1]);
    const check = (bad: Uint8Array, slotCount = 200) => checkGaps(bad, 0, starts, 0, 3, new Uint32Array(4), new Uint32Array(slotCount));
    assert.equal(check(Uint8Array.of(3, 0xff, 0x00, 0, 0, 8)), -1, 'a repeated slot (a gap of 0 after the first)');
    assert.equal(check(gaps, 130), -1, 'a slot past the chunks');
    assert.equal(check(Uint8Array.of(3, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 1, 8)), -1, 'a gap longer than four bytes');
  });
});
