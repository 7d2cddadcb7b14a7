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

/** Lets long loops give the event loop a turn every SLICE_MS. */
export class TimeSlice {
  private started = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await yieldToEventLoop();
    this.started = performance.now();
  }
}
