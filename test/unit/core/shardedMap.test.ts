// ShardedMap answers as one Map would, through sets, overwrites, deletes and clear.
import * as assert from 'node:assert/strict';
import { ShardedMap } from '../../../src/core/shardedMap';
import { mulberry32 } from '../../support/random';

describe('ShardedMap', () => {
  it('holds what a Map holds, for hex ids, words, empty and non-ASCII keys', () => {
    const random = mulberry32(3);
    const keys = ['', 'a', 'données', '日本語', ...Array.from({ length: 3000 }, (_, i) => (i % 2 ? Math.floor(random() * 2 ** 48).toString(16) : `word${i % 700}`))];
    const sharded = new ShardedMap<number>();
    const reference = new Map<string, number>();
    keys.forEach((key, i) => {
      assert.equal(sharded.set(key, i), sharded);
      reference.set(key, i);
      if (i % 5 === 0) {
        const gone = keys[Math.floor(random() * (i + 1))];
        assert.equal(sharded.delete(gone), reference.delete(gone));
      }
    });
    assert.equal(sharded.size, reference.size);
    for (const key of keys) {
      assert.equal(sharded.has(key), reference.has(key), key);
      assert.equal(sharded.get(key), reference.get(key), key);
    }
    assert.deepEqual([...sharded].sort(), [...reference].sort());
    assert.deepEqual([...sharded.keys()].sort(), [...reference.keys()].sort());
    assert.equal(sharded.delete('never set'), false);
    sharded.clear();
    assert.equal(sharded.size, 0);
    assert.equal(sharded.get(keys[7]), undefined);
    assert.deepEqual([...sharded], []);
  });
});
