// All vectors of the store packed in one matrix, one unit vector per row, so that a query is a
// single tight dot-product scan rather than a walk over per-shard Vectra item arrays.
//
// The scan runs in a WebAssembly SIMD kernel (kernel.wat) whose linear memory *is* the matrix: a
// search copies only the query in, and the kernel writes the scores of a block of rows that a JS
// top-k pass then reads. At 100k x 768 that is about 4x faster than the scalar JS scan, which
// remains as the fallback where WebAssembly SIMD is unavailable. Both are exact.

import { KERNEL_WASM } from './kernel';
import { TopK } from '../topK';

export interface ScoredId {
  id: string;
  score: number;
}

/** How `search` computes dot products: the WebAssembly SIMD kernel, or the scalar JS fallback. */
export type ScanKernel = 'wasm-simd' | 'js';

const MIN_CAPACITY = 256;
const GROWTH = 1.25;
/** The kernel multiplies 8 floats per step, so rows and the query are padded with zeros to a multiple of 8. */
const STEP_FLOATS = 8;
/** Rows scored per kernel call: their scores stay in cache for the top-k pass that reads them. */
const BLOCK_ROWS = 4096;
const PAGE_BYTES = 65_536;
/** wasm32 addresses 4 GiB. */
const MAX_PAGES = 65_536;

export class VectorMatrix {
  readonly kernel: ScanKernel;
  private readonly stride: number;
  private readonly storage: RowStorage;
  private ids: string[] = [];
  private readonly rows = new Map<string, number>();
  /**
   * The most rows held since the storage was last allocated. Rows past it were never written, so
   * the OS never committed their pages: that slack costs address space, not memory.
   */
  private writtenRows = 0;

  /** `kernel` is for tests; the default is the SIMD kernel wherever WebAssembly validates it. */
  constructor(readonly dims: number, capacity = MIN_CAPACITY, kernel: ScanKernel = compiledKernel() ? 'wasm-simd' : 'js') {
    if (!Number.isInteger(dims) || dims <= 0) throw new Error(`Vector dimension must be a positive integer, got ${dims}`);
    this.stride = Math.ceil(dims / STEP_FLOATS) * STEP_FLOATS;
    const rows = Math.max(Math.ceil(capacity) || 0, MIN_CAPACITY);
    if (kernel === 'wasm-simd') {
      const module = compiledKernel();
      if (!module) throw new Error('WebAssembly SIMD is not available here');
      this.storage = new WasmRowStorage(module, this.stride, rows);
    } else {
      this.storage = new ArrayRowStorage(this.stride, rows);
    }
    this.kernel = kernel;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Rows it can hold before it has to grow. */
  get capacity(): number {
    return this.storage.capacity;
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  /** A copy of the vector stored for `id`. */
  get(id: string): Float32Array | undefined {
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.storage.rows.slice(row * this.stride, row * this.stride + this.dims);
  }

  /** Stores a unit vector for `id`, replacing the one it had. */
  set(id: string, unitVector: Float32Array): void {
    this.checkDims(unitVector);
    let row = this.rows.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.ensureCapacity(row + 1);
      this.ids.push(id);
      this.rows.set(id, row);
      this.writtenRows = Math.max(this.writtenRows, this.ids.length);
    }
    this.storage.rows.set(unitVector, row * this.stride);
  }

  /** Removes `id` by moving the last row into its place, keeping rows dense. */
  delete(id: string): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    const last = this.ids.length - 1;
    if (row !== last) {
      const movedId = this.ids[last];
      this.storage.rows.copyWithin(row * this.stride, last * this.stride, (last + 1) * this.stride);
      this.ids[row] = movedId;
      this.rows.set(movedId, row);
    }
    this.ids.pop();
    this.rows.delete(id);
  }

  /**
   * Releases spare capacity when more than a tenth of the rows ever written is unused (copying
   * 300 MB for less is not worth it; never-written rows hold no memory).
   */
  trim(): void {
    const wanted = Math.ceil(this.ids.length * 1.02) + MIN_CAPACITY;
    if (wanted * 1.1 >= this.writtenRows) return;
    this.storage.resize(wanted, this.ids.length);
    this.writtenRows = this.ids.length;
  }

  /** The `k` rows with the highest dot product with `query` (cosine, both being unit vectors), best first. */
  search(query: Float32Array, k: number): ScoredId[] {
    this.checkDims(query);
    const count = this.ids.length;
    k = Math.min(Math.floor(k), count);
    if (!(k > 0)) return [];
    const padded = new Float32Array(this.stride);
    padded.set(query);
    const heap = new TopK(k);
    // Most rows lose to the current k-th best and never reach the heap.
    let threshold = heap.threshold;
    for (let first = 0; first < count; first += BLOCK_ROWS) {
      const scores = this.storage.score(padded, first, Math.min(BLOCK_ROWS, count - first));
      for (let i = 0; i < scores.length; i++) {
        if (scores[i] > threshold) {
          heap.offer(first + i, scores[i]);
          threshold = heap.threshold;
        }
      }
    }
    return heap.sorted().map(({ row, score }) => ({ id: this.ids[row], score }));
  }

  private checkDims(vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`Expected ${this.dims} dimensions, got ${vector.length}`);
  }

  private ensureCapacity(rows: number): void {
    const { capacity, maxCapacity } = this.storage;
    if (rows <= capacity) return;
    if (rows > maxCapacity) {
      throw new Error(`The vector matrix is full: ${maxCapacity} vectors of ${this.dims} dimensions fill the 4 GiB WebAssembly memory`);
    }
    this.storage.resize(Math.min(Math.max(rows, Math.ceil(capacity * GROWTH)), maxCapacity), this.ids.length);
  }
}

/** Where the rows live: `stride` floats each, the padding zero, packed from row 0. */
interface RowStorage {
  /** `capacity` rows; a new view after every resize. */
  readonly rows: Float32Array;
  readonly capacity: number;
  readonly maxCapacity: number;
  /** Makes room for at least `capacity` rows (at most `maxCapacity`), keeping the first `used`. */
  resize(capacity: number, used: number): void;
  /** The dot products of `query` (`stride` floats) with rows [first, first + count); valid until the next call. */
  score(query: Float32Array, first: number, count: number): Float32Array;
}

/**
 * Memory layout: the query, the scores of one block, then the rows, so that growing appends
 * rows in place (WebAssembly memory grows without copying).
 */
class WasmRowStorage implements RowStorage {
  readonly maxCapacity: number;
  rows!: Float32Array;
  capacity = 0;
  private memory!: WasmMemory;
  private scoreRows!: (query: number, rows: number, count: number, stride: number, out: number) => void;
  private query!: Float32Array;
  private scores!: Float32Array;
  private readonly rowBytes: number;
  private readonly scoresOffset: number;
  private readonly rowsOffset: number;

  constructor(private readonly module: object, private readonly stride: number, capacity: number) {
    this.rowBytes = stride * 4;
    this.scoresOffset = this.rowBytes;
    this.rowsOffset = this.scoresOffset + BLOCK_ROWS * 4;
    this.maxCapacity = Math.floor((MAX_PAGES * PAGE_BYTES - this.rowsOffset) / this.rowBytes);
    this.allocate(Math.min(capacity, this.maxCapacity));
  }

  resize(capacity: number, used: number): void {
    if (capacity > this.capacity) {
      this.memory.grow(this.pagesFor(capacity) - this.memory.buffer.byteLength / PAGE_BYTES);
      this.createViews();
    } else {
      // A WebAssembly memory cannot shrink: a smaller one takes the rows.
      const kept = this.rows.subarray(0, used * this.stride);
      this.allocate(capacity);
      this.rows.set(kept);
    }
  }

  score(query: Float32Array, first: number, count: number): Float32Array {
    this.query.set(query);
    this.scoreRows(0, this.rowsOffset + first * this.rowBytes, count, this.stride, this.scoresOffset);
    return this.scores.subarray(0, count);
  }

  private allocate(capacity: number): void {
    this.memory = new wasm!.Memory({ initial: this.pagesFor(capacity) });
    const instance = new wasm!.Instance(this.module, { env: { memory: this.memory } });
    this.scoreRows = instance.exports.scores as WasmRowStorage['scoreRows'];
    this.createViews();
  }

  /** Growing the memory detaches every view of its old buffer, so each resize makes new ones. */
  private createViews(): void {
    const buffer = this.memory.buffer;
    this.capacity = Math.min(Math.floor((buffer.byteLength - this.rowsOffset) / this.rowBytes), this.maxCapacity);
    this.query = new Float32Array(buffer, 0, this.stride);
    this.scores = new Float32Array(buffer, this.scoresOffset, BLOCK_ROWS);
    this.rows = new Float32Array(buffer, this.rowsOffset, this.capacity * this.stride);
  }

  private pagesFor(capacity: number): number {
    return Math.ceil((this.rowsOffset + capacity * this.rowBytes) / PAGE_BYTES);
  }
}

/** The fallback: a plain Float32Array and a scalar scan. */
class ArrayRowStorage implements RowStorage {
  readonly maxCapacity = Infinity;
  rows: Float32Array;
  private readonly scores = new Float32Array(BLOCK_ROWS);

  constructor(private readonly stride: number, capacity: number) {
    this.rows = new Float32Array(capacity * stride);
  }

  get capacity(): number {
    return this.rows.length / this.stride;
  }

  resize(capacity: number, used: number): void {
    const rows = new Float32Array(capacity * this.stride);
    rows.set(this.rows.subarray(0, used * this.stride));
    this.rows = rows;
  }

  score(query: Float32Array, first: number, count: number): Float32Array {
    const { rows, stride, scores } = this;
    // Four accumulators break the add chain's dependency; the stride is a multiple of 4.
    for (let i = 0, base = first * stride; i < count; i++, base += stride) {
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let j = 0; j < stride; j += 4) {
        d0 += rows[base + j] * query[j];
        d1 += rows[base + j + 1] * query[j + 1];
        d2 += rows[base + j + 2] * query[j + 2];
        d3 += rows[base + j + 3] * query[j + 3];
      }
      scores[i] = d0 + d1 + (d2 + d3);
    }
    return scores.subarray(0, count);
  }
}

/** The part of the WebAssembly JS API used here (TypeScript's ES2022 lib does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let kernelModule: object | null | undefined;

/** The compiled kernel, or null where WebAssembly or its SIMD instructions are unavailable. */
function compiledKernel(): object | null {
  if (kernelModule === undefined) kernelModule = wasm?.validate(KERNEL_WASM) ? new wasm.Module(KERNEL_WASM) : null;
  return kernelModule;
}
