// Two processes on one store: one writer at a time (an O_EXCL lock with stale-lock recovery), while
// readers (`lore query`, `lore status`) keep working beside the writer and never disturb it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireStoreLock, LOCK_FILE, StoreLockedError } from '../../src/core/store/lock';
import { openWorkspaceIndex } from '../../src/core/workspaceIndex';
import { FakeOllama } from '../support/fakeOllama';
import { makeTempDir, removeDir } from '../support/tempTree';
import { assertCliBuilt, assertSameIndex, generateTree, lore, snapshotStore, startLore, waitFor } from './helpers';

/** The pid of a process that has exited: what a crashed writer leaves in its lock. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('reliability: two processes on one store', function () {
  this.timeout(120_000);
  let root: string;
  let scratch: string;
  let storeDir: string;
  let ollama: FakeOllama;

  before(assertCliBuilt);
  beforeEach(async () => {
    root = makeTempDir('lore-rel-conc-');
    scratch = makeTempDir('lore-rel-conc-store-');
    storeDir = path.join(scratch, 'store');
    ollama = await FakeOllama.start();
  });
  afterEach(async () => {
    await ollama.stop();
    removeDir(root);
    removeDir(scratch);
  });

  it('a second writer fails with a clear message; readers work throughout; the store ends equal to a clean index', async () => {
    // An earlier, smaller index, so readers have something to find while the writer adds 120 files.
    // (Its files stay unchanged: a reader rightly drops hits whose file changed since indexing.)
    generateTree(root, 30);
    assert.equal((await lore(['index', root, '--store', storeDir, '--host', ollama.url])).code, 0);
    generateTree(root, 150);
    ollama.faults.latencyMs = 40;
    const writer = startLore(['index', root, '--store', storeDir, '--host', ollama.url, '--json']);
    await waitFor(() => existsSync(path.join(storeDir, LOCK_FILE)), 10_000, 'the writer to take the lock');
    const owner = JSON.parse(readFileSync(path.join(storeDir, LOCK_FILE), 'utf8'));
    assert.equal(owner.pid, writer.child.pid);
    assert.equal(owner.hostname, os.hostname());

    const second = await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`another Lore process \\(pid ${writer.child.pid} on ${os.hostname()}`));
    // The extension opening the same store for writing is refused the same way.
    await assert.rejects(
      openWorkspaceIndex({ root, storeDir, host: ollama.url, maxFileBytes: 1 << 20 }),
      (err: unknown) => err instanceof StoreLockedError && err.owner?.pid === writer.child.pid,
    );

    // Readers beside the writer, as often as they can, until it finishes.
    let finished = false;
    void writer.done.then(() => (finished = true));
    let reads = 0;
    while (!finished) {
      const [query, status] = await Promise.all([
        lore(['query', root, 'handler trim', '--store', storeDir, '--host', ollama.url, '--json']),
        lore(['status', root, '--store', storeDir, '--json']),
      ]);
      assert.equal(query.code, 0, query.stderr);
      assert.ok(JSON.parse(query.stdout).results.length > 0, 'a reader finds what was indexed');
      assert.equal(status.code, 0, status.stderr);
      assert.doesNotMatch(query.stderr + status.stderr, /unusable/);
      reads++;
    }
    const result = await writer.done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(reads >= 1);
    assert.ok(!existsSync(path.join(storeDir, LOCK_FILE)), 'the writer released its lock');

    const snapshot = await snapshotStore(storeDir);
    assert.equal(snapshot.recovered, undefined);
    const clean = path.join(scratch, 'clean');
    ollama.faults.latencyMs = 0;
    assert.equal((await lore(['index', root, '--store', clean, '--host', ollama.url])).code, 0);
    assertSameIndex(snapshot, await snapshotStore(clean), true);
    console.log(`      reads beside the writer: ${reads} query+status pairs`);
  });

  it('a lock left by a killed writer is taken over; a live owner keeps it', async () => {
    generateTree(root, 10);
    const writer = startLore(['index', root, '--store', storeDir, '--host', ollama.url]);
    ollama.faults.hang = true;
    await waitFor(() => existsSync(path.join(storeDir, LOCK_FILE)), 10_000, 'the writer to take the lock');
    writer.child.kill('SIGKILL');
    await writer.done;
    ollama.faults.hang = false;
    assert.ok(existsSync(path.join(storeDir, LOCK_FILE)), 'SIGKILL leaves the lock file behind');
    const rerun = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(JSON.parse(rerun.stdout).files, 10);

    // Held by a live process on this machine (this test): refused, naming it.
    writeFileSync(path.join(storeDir, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() }));
    const refused = await lore(['index', root, '--store', storeDir, '--host', ollama.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`pid ${process.pid}`));
    // ... but readers still read.
    assert.equal((await lore(['query', root, 'handler', '--store', storeDir, '--host', ollama.url])).code, 0);

    // Held by a dead pid: stale, taken over.
    writeFileSync(path.join(storeDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: os.hostname(), since: new Date().toISOString() }));
    assert.equal((await lore(['index', root, '--store', storeDir, '--host', ollama.url])).code, 0);
  });

  it('in-process: exactly one of many concurrent acquirers wins; a waiter gets the lock on release', async () => {
    const dir = path.join(scratch, 'locks');
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => acquireStoreLock(dir)));
    const won = attempts.filter((a): a is PromiseFulfilledResult<Awaited<ReturnType<typeof acquireStoreLock>>> => a.status === 'fulfilled');
    assert.equal(won.length, 1);
    assert.deepEqual(readdirSync(dir), [LOCK_FILE], 'the losers left no drafts behind');
    assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    for (const a of attempts) if (a.status === 'rejected') assert.ok(a.reason instanceof StoreLockedError, String(a.reason));

    let waited = false;
    const waiter = acquireStoreLock(dir, { waitMs: 10_000, pollMs: 10, onWait: () => (waited = true) });
    await new Promise((r) => setTimeout(r, 50));
    await won[0].value.release();
    const second = await waiter;
    assert.ok(waited);
    await second.release();
    assert.ok(!existsSync(path.join(dir, LOCK_FILE)));

    // A lock file its writer never finished (empty) is stale only once it is old.
    writeFileSync(path.join(dir, LOCK_FILE), '');
    await assert.rejects(acquireStoreLock(dir), StoreLockedError);
  });
});
