import * as assert from 'node:assert/strict';
import { IndexQueue, type IndexJobs } from '../../../src/core/indexQueue';

/** Records what the queue asks for; each job can be made to fail or to block until released. */
class RecordingJobs implements IndexJobs {
  calls: Array<{ kind: 'paths' | 'all'; paths?: string[]; force?: boolean }> = [];
  failNext = 0;
  gate: Promise<void> | undefined;
  async syncPaths(paths: string[], signal: AbortSignal): Promise<void> {
    this.calls.push({ kind: 'paths', paths: [...paths].sort() });
    await this.step(signal);
  }
  async syncAll(signal: AbortSignal, force: boolean): Promise<void> {
    this.calls.push({ kind: 'all', force });
    await this.step(signal);
  }
  private async step(signal: AbortSignal): Promise<void> {
    if (this.gate) {
      await Promise.race([this.gate, new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))]);
    }
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
  }
}

describe('IndexQueue', () => {
  it('coalesces a burst of events for the same paths into one batch', async () => {
    const jobs = new RecordingJobs();
    const q = new IndexQueue(jobs, { debounceMs: 20 });
    for (let i = 0; i < 50; i++) q.enqueue([`a${i % 5}.ts`, 'b.ts']);
    await q.whenIdle();
    assert.deepEqual(jobs.calls, [{ kind: 'paths', paths: ['a0.ts', 'a1.ts', 'a2.ts', 'a3.ts', 'a4.ts', 'b.ts'] }]);
    q.dispose();
  });

  it('puts a failed batch back and retries it, losing nothing', async () => {
    const jobs = new RecordingJobs();
    jobs.failNext = 2;
    const errors: unknown[] = [];
    const q = new IndexQueue(jobs, { debounceMs: 5, retryMs: 10, onError: (e) => errors.push(e) });
    q.enqueue(['x.ts']);
    q.enqueue(['y.ts']);
    await q.whenIdle();
    assert.equal(errors.length, 2);
    assert.equal(jobs.calls.length, 3);
    assert.deepEqual(jobs.calls[2], { kind: 'paths', paths: ['x.ts', 'y.ts'] });
    assert.equal(q.pendingCount, 0);
    q.dispose();
  });

  it('keeps events that arrive while a job runs for the next batch', async () => {
    const jobs = new RecordingJobs();
    let release!: () => void;
    jobs.gate = new Promise((r) => (release = r));
    const q = new IndexQueue(jobs, { debounceMs: 5 });
    q.enqueue(['first.ts']);
    while (!q.busy) await new Promise((r) => setTimeout(r, 2));
    q.enqueue(['second.ts']);
    jobs.gate = undefined;
    release();
    await q.whenIdle();
    assert.deepEqual(jobs.calls.map((c) => c.paths), [['first.ts'], ['second.ts']]);
    q.dispose();
  });

  it('pauses: the running job is stopped, its work kept, and resumed later', async () => {
    const jobs = new RecordingJobs();
    jobs.gate = new Promise(() => undefined); // never releases: only an abort ends it
    const q = new IndexQueue(jobs, { debounceMs: 5 });
    q.enqueueFull();
    while (!q.busy) await new Promise((r) => setTimeout(r, 2));
    q.pause();
    await q.whenIdle();
    assert.equal(q.paused, true);
    assert.equal(q.pendingCount, 1, 'the full sync is still queued');
    jobs.gate = undefined;
    q.enqueue(['late.ts']);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(jobs.calls.length, 1, 'nothing runs while paused');
    q.resume();
    await q.whenIdle();
    assert.deepEqual(jobs.calls.slice(1), [{ kind: 'all', force: false }]);
    q.dispose();
  });

  it('a full sync supersedes queued paths, and force is not lost when merged', async () => {
    const jobs = new RecordingJobs();
    const q = new IndexQueue(jobs, { debounceMs: 50 });
    q.enqueue(['a.ts']);
    q.enqueueFull(true);
    q.enqueueFull(false);
    await q.whenIdle();
    assert.deepEqual(jobs.calls, [{ kind: 'all', force: true }]);
    q.dispose();
  });

  it('cancelling a full sync drops it but keeps file events', async () => {
    const jobs = new RecordingJobs();
    jobs.gate = new Promise(() => undefined);
    const q = new IndexQueue(jobs, { debounceMs: 5 });
    q.enqueueFull();
    while (!q.busy) await new Promise((r) => setTimeout(r, 2));
    jobs.gate = undefined;
    q.enqueue(['kept.ts']);
    q.cancelFull();
    await q.whenIdle();
    assert.deepEqual(jobs.calls, [{ kind: 'all', force: false }, { kind: 'paths', paths: ['kept.ts'] }]);
    q.dispose();
  });
});

describe('IndexQueue under continuous events', () => {
  it('runs within maxWait even while events keep restarting the debounce', async () => {
    const jobs = new RecordingJobs();
    const q = new IndexQueue(jobs, { debounceMs: 100, maxWaitMs: 150 });
    // An event every 20 ms for 600 ms: a plain debounce would never fire until they stop.
    for (let i = 0; i < 30; i++) {
      q.enqueue([`f${i % 3}.ts`]);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(jobs.calls.length >= 2, `expected runs during the burst, got ${jobs.calls.length}`);
    await q.whenIdle();
    q.dispose();
  });
});
