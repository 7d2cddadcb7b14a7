import * as assert from 'node:assert/strict';
import { spawnManaged } from '../../support/processes';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A killed process stays visible until it is reaped, so poll for its disappearance. */
async function waitUntilGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

const node = process.execPath;

describe('spawnManaged', () => {
  it('resolves with the first match of the awaited output', async () => {
    const child = spawnManaged(node, ['-e', "console.log('starting'); console.error('URL=http://127.0.0.1:4242'); setInterval(() => {}, 1000)"]);
    try {
      const match = await child.waitForOutput(/URL=(\S+)/, 10_000);
      assert.equal(match[1], 'http://127.0.0.1:4242');
      assert.match(child.output(), /starting/);
    } finally {
      await child.stop();
    }
  });

  it('rejects with the output when the process exits before printing the line', async () => {
    const child = spawnManaged(node, ['-e', "console.error('port in use'); process.exit(3)"]);
    await assert.rejects(child.waitForOutput(/listening/, 10_000), /exited \(code 3\) before printing \/listening\/:\nport in use/);
    await child.stop();
  });

  it('rejects when the line does not come in time', async () => {
    const child = spawnManaged(node, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await assert.rejects(child.waitForOutput(/never/, 200), /did not print \/never\/ within 200 ms/);
    } finally {
      await child.stop();
    }
  });

  it('stops the processes the child spawned, as the extension host of a server', async () => {
    const script = "const { spawn } = require('node:child_process'); const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('GRANDCHILD=' + g.pid); setInterval(() => {}, 1000)";
    const child = spawnManaged(node, ['-e', script]);
    const [, grandchild] = await child.waitForOutput(/GRANDCHILD=(\d+)/, 10_000);
    assert.equal(isAlive(Number(grandchild)), true);
    await child.stop();
    assert.equal(await waitUntilGone(Number(grandchild)), true);
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const child = spawnManaged(node, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"]);
    await child.waitForOutput(/ready/, 10_000);
    const pid = child.child.pid!;
    await child.stop(200);
    assert.equal(await waitUntilGone(pid), true);
  });
});
