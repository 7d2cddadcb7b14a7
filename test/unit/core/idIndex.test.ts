import * as assert from 'node:assert/strict';
import { IdIndex } from '../../../src/core/idIndex';
import { mulberry32 } from '../../support/random';

/** An IdIndex over a dense list of ids, kept dense by moving the last id into a deleted one's place (as the vector matrix does). */
class DenseIds {
  readonly ids: string[] = [];
  readonly index = new IdIndex((n, id) => this.ids[n] === id);

  add(id: string): void {
    if (this.index.has(id)) return;
    this.ids.push(id);
    this.index.set(id, this.ids.length - 1);
  }

  remove(id: string): void {
    const n = this.index.get(id);
    if (n === undefined) return;
    this.index.delete(id);
    const last = this.ids.length - 1;
    if (n !== last) {
      this.ids[n] = this.ids[last];
      this.index.set(this.ids[n], n);
    }
    this.ids.pop();
  }
}

describe('IdIndex', () => {
  it('maps ids to the numbers they were set to, through growth, updates and deletes, like a Map', () => {
    const dense = new DenseIds();
    const next = mulberry32(7);
    const random = (n: number) => Math.floor(next() * n);
    const pool = ['', 'données', '日本語', ...Array.from({ length: 3_000 }, (_, i) => (i % 3 === 0 ? i.toString(16).padStart(32, '0') : `src/file${i}.ts#${i % 7}`))];
    for (let step = 0; step < 40_000; step++) {
      const id = pool[random(pool.length)];
      if (random(3) === 0) dense.remove(id);
      else dense.add(id);
    }
    assert.ok(dense.ids.length > 1_000);
    assert.equal(dense.index.size, dense.ids.length);
    dense.ids.forEach((id, n) => assert.equal(dense.index.get(id), n, id));
    const present = new Set(dense.ids);
    for (const id of pool) assert.equal(dense.index.has(id), present.has(id), id);
    assert.equal(dense.index.get('never added'), undefined);
    assert.equal(dense.index.delete('never added'), false);
  });

  it('keeps 50k ids apart through growth and deletes of every other one, and empties on clear', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
    const index = new IdIndex((n, id) => ids[n] === id);
    ids.forEach((id, n) => index.set(id, n));
    ids.forEach((id, n) => assert.equal(index.get(id), n));
    for (let n = 0; n < ids.length; n += 2) assert.equal(index.delete(ids[n]), true);
    ids.forEach((id, n) => assert.equal(index.get(id), n % 2 ? n : undefined));
    assert.equal(index.size, 25_000);
    index.clear();
    assert.equal(index.size, 0);
    assert.equal(index.get('c1'), undefined);
    index.set('c1', 1);
    assert.equal(index.get('c1'), 1);
  });
});
