import * as assert from 'node:assert/strict';
import { TimeSlice } from '../../../src/core/timeSlice';

/** Holds the thread like a long loop does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning
  }
}

/** Whether `promise` settles before the event loop turns. */
async function settlesThisTurn(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return settled;
}

describe('TimeSlice', () => {
  it('lets a loop run on until its slice is spent, then yields the event loop a turn', async () => {
    const slice = new TimeSlice();
    assert.equal(await settlesThisTurn(slice.pause()), true);
    busy(15);
    let turned = false;
    setImmediate(() => (turned = true));
    await slice.pause();
    assert.equal(turned, true);
  });

  it('shares one budget per turn between loops that resumed in it', async () => {
    const first = new TimeSlice();
    const second = new TimeSlice();
    busy(15);
    // Both yield and resume on the same turn: the first spends that turn's budget, so the second,
    // though it has done no work on this turn, must yield at once.
    const [, secondRanOn] = await Promise.all([first.pause().then(() => busy(15)), second.pause().then(() => settlesThisTurn(second.pause()))]);
    assert.equal(secondRanOn, false);
    // On the next turn, a fresh budget for both.
    await second.pause();
    assert.equal(await settlesThisTurn(first.pause()), true);
    assert.equal(await settlesThisTurn(second.pause()), true);
  });
});
