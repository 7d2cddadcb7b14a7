// Long loops on the extension host's thread (loading, encoding, validating) give its event loop a
// turn now and then, so the editor never stalls behind them.

/**
 * Longest stretch of work before letting the event loop run. A slice is CPU time: on a busy
 * machine the thread is descheduled within it, so it lasts several times longer on the clock (at
 * load 6 on 2 cores, 25 ms slices made 1M-chunk loads block for 130-230 ms; 10 ms ones, 85-140).
 */
const SLICE_MS = 10;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The budget is one per event-loop turn, shared by every TimeSlice: loops that yielded resume in
 * the same turn (one setImmediate phase), and with a budget each, two of them (opening a store
 * loads its shards while the lexical snapshot decodes) held that turn for two slices.
 */
let turnStarted = -Infinity;
let nextTurn: Promise<void> | undefined;

/** A later event-loop turn, whose budget starts when it does; every loop yielding meanwhile waits for the same one. */
function sharedTurn(): Promise<void> {
  nextTurn ??= new Promise((resolve) =>
    setImmediate(() => {
      nextTurn = undefined;
      turnStarted = performance.now();
      resolve();
    }),
  );
  return nextTurn;
}

/** Lets long loops give the event loop a turn once the current turn's SLICE_MS are spent. */
export class TimeSlice {
  /** A loop that has not paused yet counts from its own start: the work before it on its turn is unknown. */
  private readonly started = performance.now();

  async pause(): Promise<void> {
    const now = performance.now();
    if (now - Math.max(turnStarted, this.started) < SLICE_MS) return;
    await sharedTurn();
  }
}
