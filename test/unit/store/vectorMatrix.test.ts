import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import wabt from 'wabt';
import { KERNEL_WASM } from '../../../src/core/store/kernel';
import { type ScanKernel, type ScoredId, VectorMatrix } from '../../../src/core/store/vectorMatrix';
import { randomVector, seededRandom } from './helpers';

const KERNEL_WAT = path.resolve(__dirname, '../../../../src/core/store/kernel.wat');
/** float32 sums in another order than the float64 reference: scores agree to about 1e-7. */
const TOLERANCE = 1e-5;

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function referenceScan(vectors: Map<string, Float32Array>, query: Float32Array, k: number): ScoredId[] {
  return [...vectors]
    .map(([id, vector]) => ({ id, score: dot(vector, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

/**
 * `actual` is an exact top k: as long as the reference, scores equal position by position, and each
 * id is a distinct stored vector with that score. Only ids whose scores tie to float rounding may
 * swap places with the reference.
 */
function assertTopK(actual: ScoredId[], vectors: Map<string, Float32Array>, query: Float32Array, k: number): void {
  const expected = referenceScan(vectors, query, k);
  assert.equal(actual.length, expected.length);
  assert.equal(new Set(actual.map((hit) => hit.id)).size, actual.length, 'duplicate ids');
  actual.forEach((hit, i) => {
    const vector = vectors.get(hit.id);
    assert.ok(vector, `${hit.id} is not stored`);
    assert.ok(Math.abs(hit.score - expected[i].score) < TOLERANCE, `rank ${i}: ${hit.score} vs ${expected[i].score}`);
    assert.ok(Math.abs(hit.score - dot(vector, query)) < TOLERANCE, `${hit.id} scored ${hit.score}`);
  });
}

function fill(matrix: VectorMatrix, reference: Map<string, Float32Array>, random: () => number, ids: Iterable<string>): void {
  for (const id of ids) {
    const vector = unit(randomVector(matrix.dims, random));
    matrix.set(id, vector);
    reference.set(id, vector);
  }
}

function range(from: number, to: number, prefix = 'c'): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
}

describe('VectorMatrix', () => {
  it('scans with the WebAssembly SIMD kernel by default in Node', () => {
    assert.equal(new VectorMatrix(4).kernel, 'wasm-simd');
  });

  it('ships the bytes that kernel.wat compiles to (run npm run build:kernel after editing it)', async () => {
    const compiler = await wabt();
    const module = compiler.parseWat('kernel.wat', readFileSync(KERNEL_WAT, 'utf8'), { simd: true });
    try {
      assert.deepEqual(module.toBinary({}).buffer, KERNEL_WASM);
    } finally {
      module.destroy();
    }
  });

  it('rejects a nonsensical dimension', () => {
    for (const dims of [0, -3, 1.5, NaN]) assert.throws(() => new VectorMatrix(dims), /Vector dimension must be a positive integer/);
  });

  for (const kernel of ['wasm-simd', 'js'] as ScanKernel[]) {
    describe(`with the ${kernel} kernel`, () => {
      it('finds the exact top k for any dimension count, size and k', () => {
        const random = seededRandom(7);
        const cases = [
          { dims: 1, rows: 50 },
          { dims: 5, rows: 9_000 }, // more than one block of scores
          { dims: 7, rows: 300 },
          { dims: 8, rows: 300 },
          { dims: 12, rows: 1_000 },
          { dims: 768, rows: 500 },
          { dims: 1024, rows: 300 },
        ];
        for (const { dims, rows } of cases) {
          const matrix = new VectorMatrix(dims, undefined, kernel);
          assert.equal(matrix.kernel, kernel);
          const reference = new Map<string, Float32Array>();
          fill(matrix, reference, random, range(0, rows));
          for (const k of [1, 10, 100, rows]) {
            const query = unit(randomVector(dims, random));
            assertTopK(matrix.search(query, k), reference, query, k);
          }
        }
      });

      it('stays exact through inserts, replacements, swap-removals and growth', () => {
        const random = seededRandom(11);
        const dims = 12;
        const matrix = new VectorMatrix(dims, 4, kernel);
        const reference = new Map<string, Float32Array>();
        for (let step = 0; step < 3000; step++) {
          const id = `c${Math.floor(Math.abs(random()) * 1200)}`;
          if (random() < -0.2) {
            matrix.delete(id);
            reference.delete(id);
          } else {
            fill(matrix, reference, random, [id]);
          }
        }
        assert.equal(matrix.size, reference.size);
        for (const id of reference.keys()) assert.ok(matrix.has(id));
        for (let q = 0; q < 10; q++) {
          const query = unit(randomVector(dims, random));
          assertTopK(matrix.search(query, 25), reference, query, 25);
        }
      });

      it('grows by a quarter at a time, keeping every row', () => {
        const random = seededRandom(12);
        // Rows of 800 bytes: rounding up to whole 64 KiB WebAssembly pages barely changes the steps.
        const matrix = new VectorMatrix(200, 4, kernel);
        const reference = new Map<string, Float32Array>();
        const capacities = [matrix.capacity];
        for (const id of range(0, 2_000)) {
          fill(matrix, reference, random, [id]);
          if (matrix.capacity !== capacities.at(-1)) capacities.push(matrix.capacity);
        }
        assert.ok(capacities.length >= 5, `grew ${capacities.length - 1} times`);
        for (let i = 1; i < capacities.length; i++) assert.ok(capacities[i] >= capacities[i - 1] * 1.25);
        assert.ok(matrix.capacity >= matrix.size);
        const query = unit(randomVector(200, random));
        assertTopK(matrix.search(query, 2_000), reference, query, 2_000);
      });

      it('handles deleting the last row, every row, and missing ids', () => {
        const random = seededRandom(13);
        const matrix = new VectorMatrix(7, undefined, kernel);
        const reference = new Map<string, Float32Array>();
        fill(matrix, reference, random, range(0, 20));
        for (const id of ['c19', 'c18', 'c0', 'missing']) {
          matrix.delete(id);
          reference.delete(id);
        }
        assert.equal(matrix.size, 17);
        assert.ok(!matrix.has('c19') && !matrix.has('c0') && matrix.has('c17'));
        let query = unit(randomVector(7, random));
        assertTopK(matrix.search(query, 20), reference, query, 20);

        for (const id of [...reference.keys()]) matrix.delete(id);
        assert.equal(matrix.size, 0);
        assert.deepEqual(matrix.search(query, 5), []);

        reference.clear();
        fill(matrix, reference, random, range(0, 6, 'new'));
        query = unit(randomVector(7, random));
        assertTopK(matrix.search(query, 10), reference, query, 10);
      });

      it('trim releases the rows freed by deletes and keeps the rest', () => {
        const random = seededRandom(14);
        const matrix = new VectorMatrix(24, undefined, kernel);
        const reference = new Map<string, Float32Array>();
        fill(matrix, reference, random, range(0, 3_000));
        for (const id of range(100, 3_000)) {
          matrix.delete(id);
          reference.delete(id);
        }
        const before = matrix.capacity;
        matrix.trim();
        assert.ok(matrix.capacity < before / 4, `capacity ${before} -> ${matrix.capacity}`);
        assert.equal(matrix.size, 100);
        let query = unit(randomVector(24, random));
        assertTopK(matrix.search(query, 100), reference, query, 100);

        // It grows again from there, and a second trim has nothing to release.
        fill(matrix, reference, random, range(0, 1_000, 'more'));
        const grown = matrix.capacity;
        matrix.trim();
        assert.equal(matrix.capacity, grown);
        query = unit(randomVector(24, random));
        assertTopK(matrix.search(query, 50), reference, query, 50);
      });

      it('trim keeps capacity that was never written, and every row', () => {
        const random = seededRandom(15);
        const matrix = new VectorMatrix(12, 5_000, kernel);
        const reference = new Map<string, Float32Array>();
        fill(matrix, reference, random, range(0, 300));
        const before = matrix.capacity;
        matrix.trim();
        assert.equal(matrix.capacity, before);
        const query = unit(randomVector(12, random));
        assertTopK(matrix.search(query, 300), reference, query, 300);
      });

      it('returns at most size results, none for a k that is not positive', () => {
        const random = seededRandom(16);
        const matrix = new VectorMatrix(12, undefined, kernel);
        const query = unit(randomVector(12, random));
        assert.deepEqual(matrix.search(query, 5), []);
        const reference = new Map<string, Float32Array>();
        fill(matrix, reference, random, ['a', 'b', 'c']);
        assertTopK(matrix.search(query, 10), reference, query, 3);
        assertTopK(matrix.search(query, Infinity), reference, query, 3);
        assertTopK(matrix.search(query, 2.7), reference, query, 2);
        for (const k of [0, 0.5, -1, NaN, -Infinity]) assert.deepEqual(matrix.search(query, k), [], `k = ${k}`);
      });

      it('rejects a vector or query of the wrong dimension and changes nothing', () => {
        const random = seededRandom(17);
        const matrix = new VectorMatrix(12, undefined, kernel);
        const reference = new Map<string, Float32Array>();
        fill(matrix, reference, random, ['a', 'b']);
        const query = unit(randomVector(12, random));
        const before = matrix.search(query, 2);
        assert.throws(() => matrix.set('c', new Float32Array(13)), /Expected 12 dimensions, got 13/);
        assert.throws(() => matrix.set('a', new Float32Array(11)), /Expected 12 dimensions, got 11/);
        assert.throws(() => matrix.search(new Float32Array(13), 2), /Expected 12 dimensions, got 13/);
        assert.throws(() => matrix.search(new Float32Array(0), 2), /Expected 12 dimensions, got 0/);
        assert.equal(matrix.size, 2);
        assert.ok(!matrix.has('c'));
        assert.deepEqual(matrix.search(query, 2), before);
      });
    });
  }

  it('both kernels rank the same rows with the same scores', () => {
    const random = seededRandom(18);
    const simd = new VectorMatrix(100, undefined, 'wasm-simd');
    const scalar = new VectorMatrix(100, undefined, 'js');
    for (const id of range(0, 2_000)) {
      const vector = unit(randomVector(100, random));
      simd.set(id, vector);
      scalar.set(id, vector);
    }
    for (let q = 0; q < 5; q++) {
      const query = unit(randomVector(100, random));
      const a = simd.search(query, 20);
      const b = scalar.search(query, 20);
      assert.deepEqual(a.map((hit) => hit.id), b.map((hit) => hit.id));
      a.forEach((hit, i) => assert.ok(Math.abs(hit.score - b[i].score) < TOLERANCE));
    }
  });
});
