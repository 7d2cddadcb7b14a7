// Serialises index work for one folder. File events are coalesced per path and debounced, so a burst
// of saves or a branch switch becomes one batch; a full sync supersedes queued paths. Work survives
// failures: a batch that throws goes back into the queue and is retried later.

export interface IndexJobs {
  syncPaths(paths: string[], signal: AbortSignal): Promise<unknown>;
  syncAll(signal: AbortSignal, force: boolean): Promise<unknown>;
}

export interface IndexQueueOptions {
  debounceMs?: number;
  /** Continuous saving must not postpone indexing forever: a path waits at most this long. */
  maxWaitMs?: number;
  /** Delay before a failed batch is tried again. */
  retryMs?: number;
  onError?: (err: unknown) => void;
  onBusyChange?: (busy: boolean) => void;
}

export class IndexQueue {
  private readonly paths = new Set<string>();
  private full: { force: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the oldest event still waiting for a run arrived. */
  private waitingSince: number | undefined;
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private isPaused = false;
  private cancelRequested = false;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly jobs: IndexJobs,
    private readonly options: IndexQueueOptions = {},
  ) {}

  get paused(): boolean {
    return this.isPaused;
  }

  get busy(): boolean {
    return !!this.running;
  }

  /** Paths waiting (a pending full sync counts as covering everything). */
  get pendingCount(): number {
    return this.paths.size + (this.full ? 1 : 0);
  }

  enqueue(paths: Iterable<string>): void {
    for (const p of paths) this.paths.add(p);
    this.waitingSince ??= Date.now();
    const untilMaxWait = this.waitingSince + (this.options.maxWaitMs ?? 1000) - Date.now();
    this.schedule(Math.max(0, Math.min(this.options.debounceMs ?? 300, untilMaxWait)));
  }

  /** Full reconciliation; `force` re-chunks every file even when its content hash is unchanged. */
  enqueueFull(force = false): void {
    this.full = { force: force || !!this.full?.force };
    this.schedule(0);
  }

  /** Cancels a running full sync (file events keep their place in the queue). */
  cancelFull(): void {
    this.cancelRequested = true;
    this.full = undefined;
    this.controller?.abort();
  }

  pause(): void {
    this.isPaused = true;
    this.controller?.abort();
  }

  resume(): void {
    this.isPaused = false;
    this.schedule(0);
  }

  /** Resolves when nothing is queued or running (or when paused with work left). */
  whenIdle(): Promise<void> {
    if (!this.running && (this.pendingCount === 0 || this.isPaused) && !this.timer) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.notifyIdle();
  }

  private schedule(delayMs: number): void {
    if (this.disposed || this.isPaused) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
  }

  private async drain(): Promise<void> {
    if (this.running || this.isPaused || this.disposed) return;
    if (this.pendingCount === 0) return this.notifyIdle();
    this.options.onBusyChange?.(true);
    this.running = this.runOnce();
    await this.running;
    this.running = undefined;
    this.options.onBusyChange?.(false);
    if (this.pendingCount > 0 && !this.isPaused && !this.disposed) {
      if (!this.timer) this.schedule(0);
    } else {
      this.notifyIdle();
    }
  }

  private async runOnce(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.cancelRequested = false;
    const full = this.full;
    const batch = [...this.paths];
    this.full = undefined;
    this.paths.clear();
    this.waitingSince = undefined;
    try {
      // A full sync covers every path queued before it started; later events queue up again.
      if (full) await this.jobs.syncAll(controller.signal, full.force);
      else await this.jobs.syncPaths(batch, controller.signal);
    } catch (err) {
      // Nothing is lost: put the work back (a full sync covers the paths queued before it). A pause
      // waits for resume; only an explicit cancel drops a full sync.
      if (full && !this.cancelRequested) this.full = { force: full.force || this.queuedForce() };
      for (const p of batch) this.paths.add(p);
      if (!controller.signal.aborted) {
        this.options.onError?.(err);
        if (!this.disposed) this.retryLater();
      }
    } finally {
      this.controller = undefined;
    }
  }

  /** A full sync queued while another ran (TypeScript cannot see that `this.full` changed meanwhile). */
  private queuedForce(): boolean {
    return !!(this.full as { force: boolean } | undefined)?.force;
  }

  private retryLater(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.options.retryMs ?? 5000);
  }

  private notifyIdle(): void {
    if (this.running || this.timer) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}
