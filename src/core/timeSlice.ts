// Long loops on the extension host's thread (loading, encoding, validating) give its event loop a
// turn now and then, so the editor never stalls behind them.

/** Longest stretch of work before letting the event loop run. */
const SLICE_MS = 25;

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
