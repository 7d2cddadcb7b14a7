// The embedding hosts one embedder spreads its requests over (a team's several GPU boxes, or just the
// one local Ollama): each request goes to a host with a free slot, at most `perHost` in flight on each;
// a host that failed is set aside for a while (longer after each failure in a row) while the others
// take its work, and one that serves another model is refused for good. With a single host this is
// the old bounded queue: urgent requests (a question) go ahead of indexing batches.

const FIRST_SET_ASIDE_MS = 2_000;
const MAX_SET_ASIDE_MS = 60_000;

interface HostState {
  readonly host: string;
  active: number;
  setAsideUntil: number;
  failuresInARow: number;
  refusedBecause?: string;
}

export interface HostLease {
  readonly host: string;
  release(): void;
}

interface Waiter {
  grant(lease: HostLease): void;
}

export class HostPool {
  private readonly states: HostState[];
  private readonly waiting: Waiter[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    hosts: readonly string[],
    private readonly perHost: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!hosts.length) throw new RangeError('At least one embedding host is needed.');
    this.states = [...new Set(hosts)].map((host) => ({ host, active: 0, setAsideUntil: 0, failuresInARow: 0 }));
  }

  get hosts(): string[] {
    return this.states.map((s) => s.host);
  }

  /** Hosts not refused: the ones that may still get work. */
  get serving(): string[] {
    return this.states.filter((s) => !s.refusedBecause).map((s) => s.host);
  }

  /** Whether some host other than `host` is neither refused nor set aside, so a retry can go there now. */
  hasOtherReady(host: string): boolean {
    const t = this.now();
    return this.states.some((s) => s.host !== host && !s.refusedBecause && s.setAsideUntil <= t);
  }

  /** Resolves with a host and its slot once one is free; rejects if `signal` aborts first. */
  acquire(urgent: boolean, signal?: AbortSignal): Promise<HostLease> {
    signal?.throwIfAborted();
    if (!this.serving.length) return Promise.reject(new Error(`Every embedding host was refused: ${this.refusals().join('; ')}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (urgent) this.waiting.unshift(waiter);
      else this.waiting.push(waiter);
      this.dispatch();
    });
  }

  /** The host answered: it is trusted again at once. */
  succeeded(host: string): void {
    const state = this.state(host);
    state.failuresInARow = 0;
    state.setAsideUntil = 0;
  }

  /** The host failed transiently: other hosts get the work until it is tried again. */
  setAside(host: string): void {
    const state = this.state(host);
    state.failuresInARow++;
    state.setAsideUntil = this.now() + Math.min(MAX_SET_ASIDE_MS, FIRST_SET_ASIDE_MS * 2 ** (state.failuresInARow - 1));
    this.scheduleWake();
  }

  /** The host can never serve this embedder (another model, other dimensions). */
  refuse(host: string, reason: string): void {
    this.state(host).refusedBecause = reason;
    this.dispatch();
  }

  refusals(): string[] {
    return this.states.filter((s) => s.refusedBecause).map((s) => s.refusedBecause!);
  }

  private state(host: string): HostState {
    const state = this.states.find((s) => s.host === host);
    if (!state) throw new Error(`Unknown embedding host ${host}.`);
    return state;
  }

  /** Grants free slots to waiters in order: ready hosts first; when every host is set aside, any (the caller's backoff paces it). */
  private dispatch(): void {
    while (this.waiting.length) {
      const state = this.pick();
      if (!state) break;
      const waiter = this.waiting.shift()!;
      state.active++;
      let released = false;
      waiter.grant({
        host: state.host,
        release: () => {
          if (released) return;
          released = true;
          state.active--;
          this.dispatch();
        },
      });
    }
    if (this.waiting.length) this.scheduleWake();
  }

  private pick(): HostState | undefined {
    const t = this.now();
    const serving = this.states.filter((s) => !s.refusedBecause);
    const ready = serving.filter((s) => s.setAsideUntil <= t);
    const candidates = (ready.length ? ready : serving).filter((s) => s.active < this.perHost);
    // The least busy host, so work spreads over every host that is free.
    return candidates.sort((a, b) => a.active - b.active)[0];
  }

  /** A set-aside host comes back by itself: waiters blocked on busy hosts are re-dispatched then. */
  private scheduleWake(): void {
    if (this.wakeTimer || !this.waiting.length) return;
    const t = this.now();
    const next = Math.min(...this.states.filter((s) => !s.refusedBecause && s.setAsideUntil > t).map((s) => s.setAsideUntil));
    if (!Number.isFinite(next)) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.dispatch();
    }, next - t);
    this.wakeTimer.unref();
  }
}
