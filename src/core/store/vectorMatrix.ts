// All vectors of the store packed in one matrix, one row per vector, so that a query is a single
// tight scan rather than a walk over per-shard Vectra item arrays.
//
// Rows are held quantized: int8 with one float32 scale per row (the row's largest magnitude maps
// to 127), a quarter of float32's memory. The full-precision vectors stay on disk, in the shards;
// each row remembers where its vector lies (file and byte offset). A search scans the int8 rows
// for the best `RESCORE_FACTOR x k` candidates, then reads those vectors from disk and ranks them
// by their exact dot product: results and scores are those of an exact float32 scan whenever the
// true top k are among the candidates, which measurement showed they are (bench:scale's recall;
// README, Performance at scale). Binary codes (1 bit a dimension) were measured too and need
// hundreds of times more candidates for the same recall.
//
// The scan runs in a WebAssembly SIMD kernel (kernel.wat, driven by rowStorage.ts) whose linear
// memory *is* the matrix: a search copies only the query in, and the kernel writes the integer
// scores of a block of rows that a JS top-k pass then reads. A scalar JS scan, with identical integer results, remains the
// fallback where WebAssembly SIMD is unavailable.

import { IdIndex } from '../idIndex';
import { PackedIds } from '../packedIds';
import { TopK } from '../topK';
import { ArrayRowStorage, BLOCK_ROWS, compiledKernel, type RowStorage, WasmRowStorage } from './rowStorage';

export interface ScoredId {
  id: string;
  score: number;
}

/** Where full-precision vectors are read for rescoring: `dims` little-endian float32 at a byte offset of a file. */
export interface ExactVectors {
  /** Fills `out` with the vector stored at `offset` in file `file`. */
  read(file: number, offset: number, out: Float32Array): void;
}

/** How `search` computes dot products: the WebAssembly SIMD kernel, or the scalar JS fallback. */
export type ScanKernel = 'wasm-simd' | 'js';

/**
 * While the vectors take at most this much as float32, rows keep them in memory too: rescoring
 * reads each of a query's 64+ candidates with a system call (~5 µs), which at 1k chunks cost as much
 * as scanning every vector exactly. 16 MB: ~5,400 vectors of 768 dims.
 */
export const EXACT_IN_MEMORY_BYTES = 16 * 2 ** 20;
/** Candidates rescored per result: enough that the exact top k are among them (measured in bench:scale). */
export const RESCORE_FACTOR = 4;
const MIN_RESCORED = 64;
const MIN_CAPACITY = 256;
const GROWTH = 1.25;
/** The kernel takes 16 values per step, so rows and the query are padded with zeros to a multiple of 16. */
const STEP_VALUES = 16;
const INT8_MAX = 127;
const INT16_MAX = 32_767;
const INT32_MAX = 2 ** 31 - 1;

export class VectorMatrix {
  readonly kernel: ScanKernel;
  private readonly stride: number;
  /** The query's largest magnitude maps to this: no i32 sum of `stride` products with int8 rows can overflow. */
  private readonly queryMax: number;
  private readonly storage: RowStorage;
  private readonly ids = new PackedIds();
  private readonly rows = new IdIndex((row, id) => this.ids.matches(row, id));
  /** Per row: the factor from its int8 values back to its unit vector's, and where that vector lies. */
  private scales = new Float32Array(0);
  private files = new Uint32Array(0);
  private offsets = new Float64Array(0);
  /** The full-precision vectors by row while they fit EXACT_IN_MEMORY_BYTES; once past it, never again. */
  private exactRows?: Float32Array;
  /**
   * The most rows held since the storage was last allocated. Rows past it were never written, so
   * the OS never committed their pages: that slack costs address space, not memory.
   */
  private writtenRows = 0;

  /** `kernel` and `exactInMemoryBytes` are for tests; the default kernel is SIMD wherever WebAssembly validates it. */
  constructor(
    readonly dims: number,
    private readonly exact: ExactVectors,
    capacity = MIN_CAPACITY,
    kernel: ScanKernel = compiledKernel() ? 'wasm-simd' : 'js',
    private readonly exactInMemoryBytes = EXACT_IN_MEMORY_BYTES,
  ) {
    if (!Number.isInteger(dims) || dims <= 0) throw new Error(`Vector dimension must be a positive integer, got ${dims}`);
    this.stride = Math.ceil(dims / STEP_VALUES) * STEP_VALUES;
    this.queryMax = Math.min(INT16_MAX, Math.floor(INT32_MAX / (this.stride * INT8_MAX)));
    const rows = Math.max(Math.ceil(capacity) || 0, MIN_CAPACITY);
    if (kernel === 'wasm-simd') {
      const module = compiledKernel();
      if (!module) throw new Error('WebAssembly SIMD is not available here');
      this.storage = new WasmRowStorage(module, this.stride, rows);
    } else {
      this.storage = new ArrayRowStorage(this.stride, rows);
    }
    if (this.exactFits(this.storage.capacity)) this.exactRows = new Float32Array(0);
    this.resizeRowData(this.storage.capacity, 0);
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

  /** The full-precision vector stored for `id`, read from disk. */
  get(id: string): Float32Array | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    if (this.exactRows) return this.exactRows.slice(row * this.dims, (row + 1) * this.dims);
    const vector = new Float32Array(this.dims);
    this.exact.read(this.files[row], this.offsets[row], vector);
    return vector;
  }

  /** Stores `unitVector` for `id` (replacing the one it had), whose full-precision copy is at `offset` in `file`. */
  set(id: string, unitVector: Float32Array, file: number, offset: number): void {
    this.checkDims(unitVector);
    this.storage.vectorIn.set(unitVector);
    this.quantizeVectorIn(id, file, offset);
  }

  /**
   * Like `set`, from the vector's bytes where they lie in `fileBytes` (the whole file, read for
   * loading): no vector is allocated.
   */
  setFromFile(id: string, fileBytes: Buffer, file: number, offset: number): void {
    if (offset < 0 || offset + this.dims * 4 > fileBytes.length) throw new Error(`vector of ${id} lies outside its file`);
    fileBytes.copy(this.storage.vectorBytes, 0, offset, offset + this.dims * 4);
    this.quantizeVectorIn(id, file, offset);
  }

  /** The full-precision vector of `id` moved (its file was rewritten). Unknown ids are ignored. */
  relocate(id: string, file: number, offset: number): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    this.files[row] = file;
    this.offsets[row] = offset;
  }

  /** Removes `id` by moving the last row into its place, keeping rows dense. */
  delete(id: string): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    // While the row still holds `id`: the index finds an entry through its row's id.
    this.rows.delete(id);
    const last = this.ids.length - 1;
    if (row !== last) {
      const movedId = this.ids.get(last)!;
      this.storage.rows.copyWithin(row * this.stride, last * this.stride, (last + 1) * this.stride);
      this.exactRows?.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.scales[row] = this.scales[last];
      this.files[row] = this.files[last];
      this.offsets[row] = this.offsets[last];
      this.ids.set(row, movedId);
      this.rows.set(movedId, row);
    }
    this.ids.pop();
  }

  /**
   * Releases spare capacity when more than a tenth of the rows ever written is unused (copying
   * the matrix for less is not worth it; never-written rows hold no memory).
   */
  trim(): void {
    const wanted = Math.ceil(this.ids.length * 1.02) + MIN_CAPACITY;
    if (wanted * 1.1 >= this.writtenRows) return;
    this.storage.resize(wanted, this.ids.length);
    this.resizeRowData(this.storage.capacity, this.ids.length);
    this.writtenRows = this.ids.length;
  }

  /**
   * The `k` rows with the highest dot product with `query` (cosine, both being unit vectors), best
   * first, scored exactly from the full-precision vectors.
   */
  search(query: Float32Array, k: number): ScoredId[] {
    this.checkDims(query);
    const count = this.ids.length;
    k = Math.min(Math.floor(k), count);
    if (!(k > 0)) return [];
    const candidates = this.candidates(query, Math.min(count, Math.max(k * RESCORE_FACTOR, MIN_RESCORED)));
    const best = new TopK(k);
    const { dims, exactRows, storage } = this;
    storage.exactQueryIn.set(query);
    // vectorIn's views are renewed when the memory grows, which nothing in this loop makes it do.
    const vector = storage.vectorIn.subarray(0, dims);
    for (const { row } of candidates) {
      if (exactRows) vector.set(exactRows.subarray(row * dims, (row + 1) * dims));
      else this.exact.read(this.files[row], this.offsets[row], vector);
      best.offer(row, storage.exactDotIn());
    }
    return best.sorted().map(({ row, score }) => ({ id: this.ids.get(row)!, score }));
  }

  /** The `wanted` rows with the best int8 scores. */
  private candidates(query: Float32Array, wanted: number): Array<{ row: number; score: number }> {
    const padded = new Int16Array(this.stride);
    let largest = 0;
    for (let j = 0; j < this.dims; j++) largest = Math.max(largest, Math.abs(query[j]));
    if (!(largest > 0) || !Number.isFinite(largest)) throw new Error('The query vector must be finite and not all zero');
    const toInt = this.queryMax / largest;
    for (let j = 0; j < this.dims; j++) padded[j] = Math.round(query[j] * toInt);
    const heap = new TopK(wanted);
    // Most rows lose to the current worst candidate and never reach the heap.
    let threshold = heap.threshold;
    const count = this.ids.length;
    for (let first = 0; first < count; first += BLOCK_ROWS) {
      const scores = this.storage.score(padded, first, Math.min(BLOCK_ROWS, count - first));
      for (let i = 0; i < scores.length; i++) {
        const score = scores[i] * this.scales[first + i];
        if (score > threshold) {
          heap.offer(first + i, score);
          threshold = heap.threshold;
        }
      }
    }
    return heap.sorted();
  }

  private rowFor(id: string): number {
    let row = this.rows.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.ensureCapacity(row + 1);
      this.ids.push(id);
      this.rows.set(id, row);
      this.writtenRows = Math.max(this.writtenRows, this.ids.length);
    }
    return row;
  }

  /** Quantizes the storage's `vectorIn` into the row of `id`. */
  private quantizeVectorIn(id: string, file: number, offset: number): void {
    const largest = this.storage.largestIn();
    if (!Number.isFinite(largest)) throw new Error(`vector of ${id} is not finite`);
    const row = this.rowFor(id);
    this.storage.quantizeIn(row, largest > 0 ? Math.fround(INT8_MAX / largest) : 0);
    this.scales[row] = largest / INT8_MAX;
    this.files[row] = file;
    this.offsets[row] = offset;
    this.exactRows?.set(this.storage.vectorIn.subarray(0, this.dims), row * this.dims);
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
    this.resizeRowData(this.storage.capacity, this.ids.length);
  }

  private resizeRowData(capacity: number, used: number): void {
    this.scales = resized(this.scales, capacity, used);
    this.files = resized(this.files, capacity, used);
    this.offsets = resized(this.offsets, capacity, used);
    if (this.exactRows) this.exactRows = this.exactFits(capacity) ? resized(this.exactRows, capacity * this.dims, used * this.dims) : undefined;
  }

  private exactFits(rows: number): boolean {
    return rows * this.dims * 4 <= this.exactInMemoryBytes;
  }
}

function resized<T extends Float32Array | Uint32Array | Float64Array>(array: T, capacity: number, used: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array.subarray(0, used));
  return next;
}
