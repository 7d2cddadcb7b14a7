import * as assert from 'node:assert/strict';
import { VectorMatrix } from '../../../src/core/store/vectorMatrix';
import { randomVector, seededRandom } from './helpers';

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

function bruteForce(vectors: Map<string, Float32Array>, query: Float32Array, k: number) {
  return [...vectors]
    .map(([id, vector]) => ({ id, score: vector.reduce((sum, x, i) => sum + x * query[i], 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

describe('VectorMatrix', () => {
  const random = seededRandom(11);
  const dims = 12;

  it('matches a brute-force scan through inserts, replacements, swap-removals and growth', () => {
    const matrix = new VectorMatrix(dims, 4);
    const reference = new Map<string, Float32Array>();
    for (let step = 0; step < 1500; step++) {
      const id = `c${Math.floor(Math.abs(random()) * 600)}`;
      if (random() < -0.2) {
        matrix.delete(id);
        reference.delete(id);
      } else {
        const vector = unit(randomVector(dims, random));
        matrix.set(id, vector);
        reference.set(id, vector);
      }
    }
    assert.equal(matrix.size, reference.size);
    for (const id of reference.keys()) assert.ok(matrix.has(id));
    for (let q = 0; q < 10; q++) {
      const query = unit(randomVector(dims, random));
      const expected = bruteForce(reference, query, 25);
      const actual = matrix.search(query, 25);
      assert.deepEqual(actual.map((hit) => hit.id), expected.map((hit) => hit.id));
      actual.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i].score) < 1e-6));
    }
  });

  it('keeps its rows through trim', () => {
    const matrix = new VectorMatrix(dims, 5000);
    const reference = new Map<string, Float32Array>();
    for (let i = 0; i < 300; i++) {
      const vector = unit(randomVector(dims, random));
      matrix.set(`c${i}`, vector);
      reference.set(`c${i}`, vector);
    }
    matrix.trim();
    const query = unit(randomVector(dims, random));
    assert.deepEqual(matrix.search(query, 300).map((hit) => hit.id), bruteForce(reference, query, 300).map((hit) => hit.id));
  });

  it('returns at most size results, none for k <= 0 or an empty matrix', () => {
    const matrix = new VectorMatrix(dims);
    const query = unit(randomVector(dims, random));
    assert.deepEqual(matrix.search(query, 5), []);
    matrix.set('a', unit(randomVector(dims, random)));
    matrix.set('b', unit(randomVector(dims, random)));
    assert.equal(matrix.search(query, 10).length, 2);
    assert.deepEqual(matrix.search(query, 0), []);
    assert.deepEqual(matrix.search(query, -1), []);
    matrix.delete('a');
    matrix.delete('missing');
    assert.deepEqual(matrix.search(query, 10).map((hit) => hit.id), ['b']);
  });

  it('rejects a vector of the wrong dimension and a nonsensical dimension', () => {
    const matrix = new VectorMatrix(dims);
    assert.throws(() => matrix.set('a', new Float32Array(dims + 1)), /Expected 12 dimensions, got 13/);
    assert.equal(matrix.size, 0);
    assert.throws(() => new VectorMatrix(0), /positive integer/);
  });
});
