import * as assert from 'node:assert/strict';
import { HostPool } from '../../../src/core/embed/hostPool';

describe('HostPool', () => {
  it('spreads requests over free hosts, at most perHost on each, and queues the rest in order', async () => {
    const pool = new HostPool(['a', 'b'], 2);
    const leases = await Promise.all([1, 2, 3, 4].map(() => pool.acquire(false)));
    assert.deepEqual(leases.map((l) => l.host).sort(), ['a', 'a', 'b', 'b']);
    const order: string[] = [];
    const waiting = [pool.acquire(false).then((l) => order.push(`batch:${l.host}`)), pool.acquire(true).then((l) => order.push(`query:${l.host}`))];
    leases[0].release();
    leases[2].release();
    await Promise.all(waiting);
    assert.equal(order[0].split(':')[0], 'query', 'an urgent request goes first');
  });

  it('gives a set-aside host no work while another is ready, and takes it back once its time is up', async () => {
    let now = 0;
    const pool = new HostPool(['a', 'b'], 1, () => now);
    pool.setAside('b');
    assert.ok(pool.hasOtherReady('b'));
    assert.ok(!pool.hasOtherReady('a'));
    const first = await pool.acquire(false);
    assert.equal(first.host, 'a');
    let granted = false;
    const pending = pool.acquire(false).then((l) => ((granted = true), l));
    await new Promise((r) => setImmediate(r));
    assert.equal(granted, false, 'waits for a rather than using the set-aside b');
    first.release();
    const second = await pending;
    assert.equal(second.host, 'a');
    second.release();
    now = 10_000;
    const [x, y] = await Promise.all([pool.acquire(false), pool.acquire(false)]);
    assert.deepEqual([x.host, y.host].sort(), ['a', 'b'], 'b is back once its time is up');
  });

  it('uses a set-aside host when every host is set aside (the caller backs off), and never a refused one', async () => {
    const pool = new HostPool(['a', 'b'], 1);
    pool.setAside('a');
    pool.setAside('b');
    const lease = await pool.acquire(false);
    assert.ok(['a', 'b'].includes(lease.host));
    lease.release();
    pool.refuse('b', 'b serves another model');
    for (let i = 0; i < 3; i++) {
      const l = await pool.acquire(false);
      assert.equal(l.host, 'a');
      l.release();
    }
    assert.deepEqual(pool.serving, ['a']);
    pool.refuse('a', 'a too');
    await assert.rejects(pool.acquire(false), /Every embedding host was refused: a too; b serves another model/);
  });

  it('rejects a waiter whose signal aborts, and lets the next one in', async () => {
    const pool = new HostPool(['a'], 1);
    const held = await pool.acquire(false);
    const controller = new AbortController();
    const aborted = pool.acquire(false, controller.signal);
    const next = pool.acquire(false);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    held.release();
    assert.equal((await next).host, 'a');
  });

  it('needs at least one host, and counts a host given twice once', () => {
    assert.throws(() => new HostPool([], 1), /At least one embedding host/);
    assert.deepEqual(new HostPool(['a', 'a', 'b'], 1).hosts, ['a', 'b']);
  });
});
