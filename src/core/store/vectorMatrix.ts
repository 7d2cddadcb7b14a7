// All vectors of the store packed in one Float32Array, one unit vector per row, so that a query is
// a single tight dot-product scan rather than a walk over per-shard Vectra item arrays.

export interface ScoredId {
  id: string;
  score: number;
}

const MIN_CAPACITY = 256;
const GROWTH = 1.25;

export class VectorMatrix {
  private data: Float32Array;
  private ids: string[] = [];
  private readonly rows = new Map<string, number>();

  constructor(readonly dims: number, capacity = MIN_CAPACITY) {
    if (!Number.isInteger(dims) || dims <= 0) throw new Error(`Vector dimension must be a positive integer, got ${dims}`);
    this.data = new Float32Array(Math.max(capacity, MIN_CAPACITY) * dims);
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  /** Stores a unit vector for `id`, replacing the one it had. */
  set(id: string, unitVector: Float32Array): void {
    if (unitVector.length !== this.dims) throw new Error(`Expected ${this.dims} dimensions, got ${unitVector.length}`);
    let row = this.rows.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.ensureCapacity(row + 1);
      this.ids.push(id);
      this.rows.set(id, row);
    }
    this.data.set(unitVector, row * this.dims);
  }

  /** Removes `id` by moving the last row into its place, keeping rows dense. */
  delete(id: string): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    const last = this.ids.length - 1;
    if (row !== last) {
      const movedId = this.ids[last];
      this.data.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[row] = movedId;
      this.rows.set(movedId, row);
    }
    this.ids.pop();
    this.rows.delete(id);
  }

  /** Releases spare capacity when more than a tenth is unused (copying 300 MB for less is not worth it). */
  trim(): void {
    const wanted = Math.ceil(this.ids.length * 1.02) + MIN_CAPACITY;
    if (wanted * 1.1 * this.dims < this.data.length) this.resize(wanted);
  }

  /** The `k` rows with the highest dot product with `query` (cosine, both being unit vectors), best first. */
  search(query: Float32Array, k: number): ScoredId[] {
    const count = this.ids.length;
    k = Math.min(Math.floor(k), count);
    if (k <= 0) return [];
    const dims = this.dims;
    const data = this.data;
    const heap = new TopK(k);
    // Four accumulators break the add chain's dependency; most rows lose to the current k-th best
    // and never reach the heap.
    const tail = dims - (dims % 4);
    for (let row = 0, base = 0; row < count; row++, base += dims) {
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let j = 0;
      for (; j < tail; j += 4) {
        d0 += data[base + j] * query[j];
        d1 += data[base + j + 1] * query[j + 1];
        d2 += data[base + j + 2] * query[j + 2];
        d3 += data[base + j + 3] * query[j + 3];
      }
      for (; j < dims; j++) d0 += data[base + j] * query[j];
      const dot = d0 + d1 + (d2 + d3);
      if (dot > heap.threshold) heap.offer(row, dot);
    }
    return heap.sorted().map(({ row, score }) => ({ id: this.ids[row], score }));
  }

  private ensureCapacity(rows: number): void {
    if (rows * this.dims <= this.data.length) return;
    const capacity = Math.max(rows, Math.ceil((this.data.length / this.dims) * GROWTH), MIN_CAPACITY);
    this.resize(capacity);
  }

  private resize(capacityRows: number): void {
    const data = new Float32Array(capacityRows * this.dims);
    data.set(this.data.subarray(0, this.ids.length * this.dims));
    this.data = data;
  }
}

/** A fixed-size min-heap of (row, score): the root is the worst of the best k seen so far. */
class TopK {
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private length = 0;

  constructor(private readonly k: number) {
    this.rows = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** Scores at or below it cannot enter the heap. */
  get threshold(): number {
    return this.length < this.k ? -Infinity : this.scores[0];
  }

  offer(row: number, score: number): void {
    if (this.length < this.k) {
      let i = this.length++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent] <= score) break;
        this.rows[i] = this.rows[parent];
        this.scores[i] = this.scores[parent];
        i = parent;
      }
      this.rows[i] = row;
      this.scores[i] = score;
    } else if (score > this.scores[0]) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= this.k) break;
        const right = left + 1;
        const child = right < this.k && this.scores[right] < this.scores[left] ? right : left;
        if (this.scores[child] >= score) break;
        this.rows[i] = this.rows[child];
        this.scores[i] = this.scores[child];
        i = child;
      }
      this.rows[i] = row;
      this.scores[i] = score;
    }
  }

  sorted(): Array<{ row: number; score: number }> {
    const out: Array<{ row: number; score: number }> = [];
    for (let i = 0; i < this.length; i++) out.push({ row: this.rows[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score);
  }
}
