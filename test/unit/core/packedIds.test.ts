import * as assert from 'node:assert/strict';
import { chunkId } from '../../../src/core/hash';
import { PackedIds } from '../../../src/core/packedIds';
import { mulberry32 } from '../../support/random';

describe('PackedIds', () => {
  it('holds chunk ids, other ids and empty entries through growth, overwrites, pops and copies, as an array would', () => {
    const random = mulberry32(7);
    const packed = new PackedIds(2);
    const reference: Array<string | undefined> = [];
    // Chunk ids are packed; near misses (uppercase, one character short or long, not hex) are kept aside.
    const someId = (n: number): string | undefined => {
      const hex = chunkId(`f${n}.ts`, n, 'h');
      return [hex, hex, hex, hex.toUpperCase(), hex.slice(1), `${hex}0`, `${hex.slice(0, 23)}g`, `other-${n}`, undefined][Math.floor(random() * 9)];
    };
    for (let step = 0; step < 3000; step++) {
      const roll = random();
      if (roll < 0.6 || reference.length === 0) {
        const id = someId(step);
        packed.push(id);
        reference.push(id);
      } else if (roll < 0.85) {
        const at = Math.floor(random() * reference.length);
        const id = someId(step);
        packed.set(at, id);
        reference[at] = id;
      } else {
        packed.pop();
        reference.pop();
      }
    }
    assert.equal(packed.length, reference.length);
    const copy = new PackedIds();
    reference.forEach((id, i) => {
      assert.equal(packed.get(i), id, `entry ${i}`);
      assert.equal(packed.isEmpty(i), id === undefined);
      if (id !== undefined) {
        assert.equal(packed.matches(i, id), true);
        assert.equal(packed.matches(i, id.toUpperCase() === id ? id.toLowerCase() : id.toUpperCase()), false);
        assert.equal(packed.matches(i, `${id}x`), false);
      }
      copy.pushFrom(packed, i);
    });
    assert.deepEqual(Array.from({ length: copy.length }, (_, i) => copy.get(i)), reference);
    assert.equal(packed.get(reference.length), undefined, 'past the end');
    assert.equal(packed.matches(reference.length, 'anything'), false);
    assert.throws(() => packed.set(reference.length, 'x'), RangeError);
  });

  it('does not mistake an id for another that differs in one byte', () => {
    const packed = new PackedIds();
    const id = chunkId('a.ts', 1, 'h');
    packed.push(id);
    for (let i = 0; i < id.length; i++) {
      const other = id.slice(0, i) + (id[i] === '0' ? '1' : '0') + id.slice(i + 1);
      assert.equal(packed.matches(0, other), false, other);
    }
  });
});
