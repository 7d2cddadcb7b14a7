// Selecting the best k of many scored rows without sorting them all: vector and lexical search alike.

/** A fixed-size min-heap of (row, score): the root is the worst of the best k seen so far. */
export class TopK {
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
