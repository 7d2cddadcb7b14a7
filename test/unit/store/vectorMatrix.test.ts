import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import wabt from 'wabt';
import { KERNEL_WASM } from '../../../src/core/store/kernel';
import { type ExactVectors, RESCORE_FACTOR, type ScanKernel, type ScoredId, VectorMatrix } from '../../../src/core/store/vectorMatrix';
import { randomVector, seededRandom } from './helpers';

const KERNEL_WAT = path.resolve(__dirname, '../../../../src/core/store/kernel.wat');
/** Rescored scores are float64 sums of the same float32 products as the reference: equal up to summation order. */
const TOLERANCE = 1e-9;

/** The full-precision vectors "on disk": each stored one gets a fresh (file, offset). */
class MemoryVectors implements ExactVectors {
  readonly byLocation = new Map<string, Float32Array>();
  reads = 0;
  private next = 0;

  store(vector: Float32Array, file = 0): { file: number; offset: number } {
    const offset = (this.next += 4096);
    this.byLocation.set(`${file}:${offset}`, vector.slice());
    return { file, offset };
  }

  read(file: number, offset: number, out: Float32Array): void {
    const vector = this.byLocation.get(`${file}:${offset}`);
    if (!vector) throw new Error(`nothing at ${file}:${offset}`);
    this.reads++;
    out.set(vector);
  }
}

/** Vectors are read back from "disk" unless `exactInMemoryBytes` lets the matrix hold them. */
function newMatrix(dims: number, capacity?: number, kernel?: ScanKernel, exactInMemoryBytes = 0): { matrix: VectorMatrix; disk: MemoryVectors } {
  const disk = new MemoryVectors();
  return { matrix: new VectorMatrix(dims, disk, capacity, kernel, exactInMemoryBytes), disk };
}

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
 * `actual` is the exact float32 top k: as long as the reference, the same scores position by
 * position, and each id a distinct stored vector with that exact score.
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

function fill(target: { matrix: VectorMatrix; disk: MemoryVectors }, reference: Map<string, Float32Array>, random: () => number, ids: Iterable<string>): void {
  for (const id of ids) {
    const vector = unit(randomVector(target.matrix.dims, random));
    const { file, offset } = target.disk.store(vector);
    target.matrix.set(id, vector, file, offset);
    reference.set(id, vector);
  }
}

function range(from: number, to: number, prefix = 'c'): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
}

describe('VectorMatrix', () => {
  it('scans with the WebAssembly SIMD kernel by default in Node', () => {
    assert.equal(newMatrix(4).matrix.kernel, 'wasm-simd');
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
    for (const dims of [0, -3, 1.5, NaN]) assert.throws(() => newMatrix(dims), /Vector dimension must be a positive integer/);
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
          const target = newMatrix(dims, undefined, kernel);
        const { matrix } = target;
          assert.equal(matrix.kernel, kernel);
          const reference = new Map<string, Float32Array>();
          fill(target, reference, random, range(0, rows));
          for (const k of [1, 10, 100, rows]) {
            const query = unit(randomVector(dims, random));
            assertTopK(matrix.search(query, k), reference, query, k);
          }
        }
      });

      it('stays exact through inserts, replacements, swap-removals and growth', () => {
        const random = seededRandom(11);
        const dims = 12;
        const target = newMatrix(dims, 4, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        for (let step = 0; step < 3000; step++) {
          const id = `c${Math.floor(Math.abs(random()) * 1200)}`;
          if (random() < -0.2) {
            matrix.delete(id);
            reference.delete(id);
          } else {
            fill(target, reference, random, [id]);
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
        const target = newMatrix(200, 4, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        const capacities = [matrix.capacity];
        for (const id of range(0, 2_000)) {
          fill(target, reference, random, [id]);
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
        const target = newMatrix(7, undefined, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        fill(target, reference, random, range(0, 20));
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
        fill(target, reference, random, range(0, 6, 'new'));
        query = unit(randomVector(7, random));
        assertTopK(matrix.search(query, 10), reference, query, 10);
      });

      it('trim releases the rows freed by deletes and keeps the rest', () => {
        const random = seededRandom(14);
        const target = newMatrix(200, undefined, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        fill(target, reference, random, range(0, 3_000));
        for (const id of range(100, 3_000)) {
          matrix.delete(id);
          reference.delete(id);
        }
        const before = matrix.capacity;
        matrix.trim();
        assert.ok(matrix.capacity < before / 4, `capacity ${before} -> ${matrix.capacity}`);
        assert.equal(matrix.size, 100);
        let query = unit(randomVector(200, random));
        assertTopK(matrix.search(query, 100), reference, query, 100);

        // It grows again from there, and a second trim has nothing to release.
        fill(target, reference, random, range(0, 1_000, 'more'));
        const grown = matrix.capacity;
        matrix.trim();
        assert.equal(matrix.capacity, grown);
        query = unit(randomVector(200, random));
        assertTopK(matrix.search(query, 50), reference, query, 50);
      });

      it('trim keeps capacity that was never written, and every row', () => {
        const random = seededRandom(15);
        const target = newMatrix(12, 5_000, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        fill(target, reference, random, range(0, 300));
        const before = matrix.capacity;
        matrix.trim();
        assert.equal(matrix.capacity, before);
        const query = unit(randomVector(12, random));
        assertTopK(matrix.search(query, 300), reference, query, 300);
      });

      it('returns at most size results, none for a k that is not positive', () => {
        const random = seededRandom(16);
        const target = newMatrix(12, undefined, kernel);
        const { matrix } = target;
        const query = unit(randomVector(12, random));
        assert.deepEqual(matrix.search(query, 5), []);
        const reference = new Map<string, Float32Array>();
        fill(target, reference, random, ['a', 'b', 'c']);
        assertTopK(matrix.search(query, 10), reference, query, 3);
        assertTopK(matrix.search(query, Infinity), reference, query, 3);
        assertTopK(matrix.search(query, 2.7), reference, query, 2);
        for (const k of [0, 0.5, -1, NaN, -Infinity]) assert.deepEqual(matrix.search(query, k), [], `k = ${k}`);
      });

      it('rejects a vector or query of the wrong dimension and changes nothing', () => {
        const random = seededRandom(17);
        const target = newMatrix(12, undefined, kernel);
        const { matrix } = target;
        const reference = new Map<string, Float32Array>();
        fill(target, reference, random, ['a', 'b']);
        const query = unit(randomVector(12, random));
        const before = matrix.search(query, 2);
        assert.throws(() => matrix.set('c', new Float32Array(13), 0, 0), /Expected 12 dimensions, got 13/);
        assert.throws(() => matrix.set('a', new Float32Array(11), 0, 0), /Expected 12 dimensions, got 11/);
        assert.throws(() => matrix.search(new Float32Array(13), 2), /Expected 12 dimensions, got 13/);
        assert.throws(() => matrix.search(new Float32Array(0), 2), /Expected 12 dimensions, got 0/);
        assert.equal(matrix.size, 2);
        assert.ok(!matrix.has('c'));
        assert.deepEqual(matrix.search(query, 2), before);
      });
    });
  }

  it('both kernels compute the same integer scores, so they pick the same candidates and results', () => {
    const random = seededRandom(18);
    const disk = new MemoryVectors();
    const simd = new VectorMatrix(100, disk, undefined, 'wasm-simd');
    const scalar = new VectorMatrix(100, disk, undefined, 'js');
    for (const id of range(0, 2_000)) {
      const vector = unit(randomVector(100, random));
      const { file, offset } = disk.store(vector);
      simd.set(id, vector, file, offset);
      scalar.set(id, vector, file, offset);
    }
    for (let q = 0; q < 5; q++) {
      const query = unit(randomVector(100, random));
      assert.deepEqual(simd.search(query, 20), scalar.search(query, 20));
    }
  });

  it('reads back only RESCORE_FACTOR x k candidates (at least 64), and all rows when there are fewer', () => {
    const random = seededRandom(19);
    const target = newMatrix(64);
    fill(target, new Map(), random, range(0, 1_000));
    const query = unit(randomVector(64, random));
    target.disk.reads = 0;
    target.matrix.search(query, 40);
    assert.equal(target.disk.reads, 40 * RESCORE_FACTOR);
    target.disk.reads = 0;
    target.matrix.search(query, 3);
    assert.equal(target.disk.reads, 64);
    const small = newMatrix(64);
    fill(small, new Map(), random, range(0, 10));
    small.matrix.search(query, 5);
    assert.equal(small.disk.reads, 10);
  });

  it('holds the full-precision vectors while they fit its limit, reading none back, and reads them back once the rows outgrow it', () => {
    const random = seededRandom(23);
    const dims = 32;
    const rows = newMatrix(dims).matrix.capacity;
    // Room for exactly the rows it starts with: filling them fits, the growth after does not.
    const target = newMatrix(dims, undefined, undefined, rows * dims * 4);
    const reference = new Map<string, Float32Array>();
    fill(target, reference, random, range(0, rows));
    for (const id of range(0, rows).filter((_, i) => i % 7 === 0)) {
      target.matrix.delete(id);
      reference.delete(id);
    }
    const query = unit(randomVector(dims, random));
    assertTopK(target.matrix.search(query, 10), reference, query, 10);
    assert.deepEqual(target.matrix.get('c1'), reference.get('c1'));
    assert.equal(target.disk.reads, 0);

    fill(target, reference, random, range(rows, 2 * rows));
    assertTopK(target.matrix.search(query, 10), reference, query, 10);
    assert.equal(target.disk.reads, 64);
    for (const id of range(rows, 2 * rows)) {
      target.matrix.delete(id);
      reference.delete(id);
    }
    target.matrix.trim();
    assertTopK(target.matrix.search(query, 10), reference, query, 10);
    assert.equal(target.disk.reads, 128, 'once outgrown, never held again');
  });

  it('finds the exact top 10 of 5k clustered 768-dim vectors, near-duplicates whose int8 scores differ by less than their rounding', () => {
    // Near-duplicates of a few centres: int8 rounding blurs the order within a cluster; rescoring restores it.
    const random = seededRandom(20);
    const target = newMatrix(768);
    const reference = new Map<string, Float32Array>();
    const centres = Array.from({ length: 20 }, () => randomVector(768, random));
    for (const id of range(0, 5_000)) {
      const centre = centres[reference.size % centres.length];
      const vector = unit(centre.map((x) => x + random() * 0.3));
      const { file, offset } = target.disk.store(vector);
      target.matrix.set(id, vector, file, offset);
      reference.set(id, vector);
    }
    for (let q = 0; q < 5; q++) {
      const query = unit(centres[q].map((x) => x + random() * 0.3));
      assertTopK(target.matrix.search(query, 10), reference, query, 10);
    }
  });

  it('get reads the full-precision vector back from where it lies', () => {
    const random = seededRandom(21);
    const target = newMatrix(33);
    const reference = new Map<string, Float32Array>();
    fill(target, reference, random, ['a', 'b']);
    assert.deepEqual(target.matrix.get('a'), reference.get('a'));
    assert.equal(target.matrix.get('missing'), undefined);
  });

  it('relocate points rescoring at the vector\'s new place; the old one is not read again', () => {
    const random = seededRandom(22);
    const target = newMatrix(16);
    const reference = new Map<string, Float32Array>();
    fill(target, reference, random, range(0, 50));
    for (const [id, vector] of reference) {
      const { file, offset } = target.disk.store(vector, 7);
      target.matrix.relocate(id, file, offset);
    }
    target.matrix.relocate('missing', 7, 0);
    for (const key of [...target.disk.byLocation.keys()]) if (key.startsWith('0:')) target.disk.byLocation.delete(key);
    const query = unit(randomVector(16, random));
    assertTopK(target.matrix.search(query, 10), reference, query, 10);
  });

  it('setFromFile quantizes a vector from a file\'s bytes at any offset, as set does', () => {
    const random = seededRandom(23);
    const vector = unit(randomVector(20, random));
    const bytes = Buffer.alloc(3 + 80 + 5);
    bytes.set(new Uint8Array(vector.buffer), 3);
    const disk = new MemoryVectors();
    const fromFile = new VectorMatrix(20, disk);
    const fromArray = new VectorMatrix(20, disk);
    const { file, offset } = disk.store(vector);
    fromFile.setFromFile('a', bytes, file, 3);
    fromFile.relocate('a', file, offset);
    fromArray.set('a', vector, file, offset);
    const query = unit(randomVector(20, random));
    assert.deepEqual(fromFile.search(query, 1), fromArray.search(query, 1));
    assert.throws(() => fromFile.setFromFile('b', bytes, 0, 9), /vector of b lies outside its file/);
    assert.throws(() => fromFile.setFromFile('b', bytes, 0, -1), /vector of b lies outside its file/);
    assert.equal(fromFile.size, 1);
  });

  it('rejects a non-finite vector, a zero or non-finite query, and reports a failed read', () => {
    const random = seededRandom(24);
    const target = newMatrix(8);
    fill(target, new Map(), random, ['a']);
    const bad = new Float32Array(8).fill(0.1);
    bad[3] = NaN;
    assert.throws(() => target.matrix.set('b', bad, 0, 0), /vector of b is not finite/);
    assert.ok(!target.matrix.has('b'));
    bad[3] = Infinity;
    assert.throws(() => target.matrix.search(bad, 1), /must be finite and not all zero/);
    assert.throws(() => target.matrix.search(new Float32Array(8), 1), /must be finite and not all zero/);
    target.disk.byLocation.clear();
    assert.throws(() => target.matrix.search(unit(randomVector(8, random)), 1), /nothing at/);
  });
});
