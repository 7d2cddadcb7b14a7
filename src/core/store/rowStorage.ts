// Where VectorMatrix's int8 rows live, and the kernels that score, quantize and rescore them: the
// WebAssembly SIMD kernel (kernel.wat) in its own linear memory, or a scalar JS fallback with the
// same results.
import { KERNEL_WASM } from './kernel';

/** Rows scored per kernel call: their scores stay in cache for the top-k pass that reads them. */
export const BLOCK_ROWS = 4096;
const PAGE_BYTES = 65_536;
/** wasm32 addresses 4 GiB. */
const MAX_PAGES = 65_536;

/** Where the int8 rows live: `stride` values each, the padding zero, packed from row 0. */
export interface RowStorage {
  /** `capacity` rows; a new view after every resize. */
  readonly rows: Int8Array;
  /** A vector to quantize or to rescore (`stride` floats, the padding zero), and the same as bytes; new views after every resize. */
  readonly vectorIn: Float32Array;
  readonly vectorBytes: Uint8Array;
  /** The largest magnitude in `vectorIn`; NaN if it holds NaN. */
  largestIn(): number;
  /** A float32 query for `exactDotIn` (`stride` floats, the padding zero); a new view after every resize. */
  readonly exactQueryIn: Float32Array;
  /** The dot product of `vectorIn` and `exactQueryIn`, each product and the sum in float64. */
  exactDotIn(): number;
  /** Writes `vectorIn` x `factor`, rounded half to even, into row `row`. */
  quantizeIn(row: number, factor: number): void;
  readonly capacity: number;
  readonly maxCapacity: number;
  /** Makes room for at least `capacity` rows (at most `maxCapacity`), keeping the first `used`. */
  resize(capacity: number, used: number): void;
  /** The integer dot products of `query` (`stride` int16) with rows [first, first + count); valid until the next call. */
  score(query: Int16Array, first: number, count: number): Int32Array;
}

/**
 * Memory layout: the query, the scores of one block, the vector to quantize (or to rescore), the
 * float32 query of rescoring, then the rows, so
 * that growing appends rows in place (WebAssembly memory grows without copying).
 */
export class WasmRowStorage implements RowStorage {
  readonly maxCapacity: number;
  rows!: Int8Array;
  vectorIn!: Float32Array;
  vectorBytes!: Uint8Array;
  exactQueryIn!: Float32Array;
  capacity = 0;
  private memory!: WasmMemory;
  private kernels!: Kernels;
  private query!: Int16Array;
  private scores!: Int32Array;
  private readonly scoresOffset: number;
  private readonly vectorOffset: number;
  private readonly exactQueryOffset: number;
  private readonly rowsOffset: number;

  constructor(private readonly module: object, private readonly stride: number, capacity: number) {
    this.scoresOffset = stride * 2;
    this.vectorOffset = this.scoresOffset + BLOCK_ROWS * 4;
    this.exactQueryOffset = this.vectorOffset + stride * 4;
    this.rowsOffset = this.exactQueryOffset + stride * 4;
    this.maxCapacity = Math.floor((MAX_PAGES * PAGE_BYTES - this.rowsOffset) / stride);
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

  score(query: Int16Array, first: number, count: number): Int32Array {
    this.query.set(query);
    this.kernels.scores(0, this.rowsOffset + first * this.stride, count, this.stride, this.scoresOffset);
    return this.scores.subarray(0, count);
  }

  largestIn(): number {
    return this.kernels.largest(this.vectorOffset, this.stride);
  }

  exactDotIn(): number {
    return this.kernels.dot(this.vectorOffset, this.exactQueryOffset, this.stride);
  }

  quantizeIn(row: number, factor: number): void {
    this.kernels.quantize(this.vectorOffset, this.rowsOffset + row * this.stride, this.stride, factor);
  }

  private allocate(capacity: number): void {
    const vector = this.vectorIn?.slice();
    this.memory = new wasm!.Memory({ initial: this.pagesFor(capacity) });
    this.kernels = new wasm!.Instance(this.module, { env: { memory: this.memory } }).exports as unknown as Kernels;
    this.createViews();
    if (vector) this.vectorIn.set(vector);
  }

  /** Growing the memory detaches every view of its old buffer, so each resize makes new ones. */
  private createViews(): void {
    const buffer = this.memory.buffer;
    this.capacity = Math.min(Math.floor((buffer.byteLength - this.rowsOffset) / this.stride), this.maxCapacity);
    this.query = new Int16Array(buffer, 0, this.stride);
    this.scores = new Int32Array(buffer, this.scoresOffset, BLOCK_ROWS);
    this.vectorIn = new Float32Array(buffer, this.vectorOffset, this.stride);
    this.vectorBytes = new Uint8Array(buffer, this.vectorOffset, this.stride * 4);
    this.exactQueryIn = new Float32Array(buffer, this.exactQueryOffset, this.stride);
    this.rows = new Int8Array(buffer, this.rowsOffset, this.capacity * this.stride);
  }

  private pagesFor(capacity: number): number {
    return Math.ceil((this.rowsOffset + capacity * this.stride) / PAGE_BYTES);
  }
}

/** The fallback: a plain Int8Array and a scalar scan, with the same integer results as the kernel. */
export class ArrayRowStorage implements RowStorage {
  readonly maxCapacity = Infinity;
  rows: Int8Array;
  readonly vectorIn: Float32Array;
  readonly vectorBytes: Uint8Array;
  readonly exactQueryIn: Float32Array;
  private readonly scores = new Int32Array(BLOCK_ROWS);

  constructor(private readonly stride: number, capacity: number) {
    this.rows = new Int8Array(capacity * stride);
    this.vectorIn = new Float32Array(stride);
    this.vectorBytes = new Uint8Array(this.vectorIn.buffer);
    this.exactQueryIn = new Float32Array(stride);
  }

  largestIn(): number {
    let largest = 0;
    for (const value of this.vectorIn) largest = Math.max(largest, Math.abs(value));
    return largest;
  }

  /** Summed in the kernel's order (a sum per lane of four), so both give the same scores to the last bit. */
  exactDotIn(): number {
    const { vectorIn: a, exactQueryIn: b } = this;
    let [s0, s1, s2, s3] = [0, 0, 0, 0];
    for (let j = 0; j < this.stride; j += 4) {
      s0 += a[j] * b[j];
      s1 += a[j + 1] * b[j + 1];
      s2 += a[j + 2] * b[j + 2];
      s3 += a[j + 3] * b[j + 3];
    }
    return s0 + s2 + (s1 + s3);
  }

  /** As the kernel computes it: a float32 product, rounded half to even. */
  quantizeIn(row: number, factor: number): void {
    for (let j = 0, base = row * this.stride; j < this.stride; j++) {
      const scaled = Math.fround(this.vectorIn[j] * factor);
      const rounded = Math.round(scaled);
      this.rows[base + j] = rounded - scaled === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
    }
  }

  get capacity(): number {
    return this.rows.length / this.stride;
  }

  resize(capacity: number, used: number): void {
    const rows = new Int8Array(capacity * this.stride);
    rows.set(this.rows.subarray(0, used * this.stride));
    this.rows = rows;
  }

  score(query: Int16Array, first: number, count: number): Int32Array {
    const { rows, stride, scores } = this;
    for (let i = 0, base = first * stride; i < count; i++, base += stride) {
      let sum = 0;
      for (let j = 0; j < stride; j++) sum += rows[base + j] * query[j];
      scores[i] = sum;
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

/** kernel.wat's exports; addresses are byte offsets into the memory. */
interface Kernels {
  scores(query: number, rows: number, count: number, stride: number, out: number): void;
  largest(src: number, count: number): number;
  quantize(src: number, dst: number, count: number, factor: number): void;
  dot(a: number, b: number, count: number): number;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let kernelModule: object | null | undefined;

/** The compiled kernel, or null where WebAssembly or its SIMD instructions are unavailable. */
export function compiledKernel(): object | null {
  if (kernelModule === undefined) kernelModule = wasm?.validate(KERNEL_WASM) ? new wasm.Module(KERNEL_WASM) : null;
  return kernelModule;
}
