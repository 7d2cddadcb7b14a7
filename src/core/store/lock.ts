// One writer per store across processes (two VS Code windows on one folder, the CLI beside the
// extension). The lock is a file, published atomically, holding the owner's pid, hostname and
// start time; a lock whose owner died on this machine is stale and taken over, so a crash never leaves a
// store locked for good.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'write.lock';

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for a live owner to finish; default 0 (fail at once). */
  waitMs?: number;
  /** Poll interval while waiting; default 100 ms. */
  pollMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (owner: LockOwner | undefined) => void;
}

/** Another live process writes this store. The message says who, for the user. */
export class StoreLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `another Lore process (pid ${owner.pid} on ${owner.hostname}, since ${owner.since}) is writing the index at ${path.dirname(lockPath)}`
        : `another Lore process is writing the index at ${path.dirname(lockPath)}`,
    );
  }
}

/** A lock file that is empty or unreadable JSON (not written by this code, or a torn copy) is stale after this. */
const UNREADABLE_LOCK_GRACE_MS = 5_000;

/** Takes the write lock of the store in `dir`, taking over a stale one; throws StoreLockedError when it is held. */
export async function acquireStoreLock(dir: string, options: AcquireOptions = {}): Promise<StoreLock> {
  const lockPath = path.join(dir, LOCK_FILE);
  await fs.mkdir(dir, { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 0);
  let announced = false;
  for (;;) {
    const me: LockOwner = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
    if (await createLockFile(lockPath, me)) return { path: lockPath, release: () => releaseLock(lockPath, me) };
    const held = await inspectLock(lockPath);
    if (held.stale) {
      await removeStaleLock(lockPath, held.text);
      continue;
    }
    if (Date.now() >= deadline) throw new StoreLockedError(lockPath, held.owner);
    if (!announced) options.onWait?.(held.owner);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

/**
 * Publishes a complete lock file or fails with false when one exists: the owner is written to a
 * private file first and hard-linked into place (link fails on an existing name, like O_EXCL), so
 * no reader ever sees a lock without its owner.
 */
async function createLockFile(lockPath: string, me: LockOwner): Promise<boolean> {
  const draft = `${lockPath}.${me.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(draft, JSON.stringify(me), { flag: 'wx' });
  try {
    await fs.link(draft, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(draft, { force: true });
  }
}

/** The current owner of the store's write lock, if a live one holds it. */
export async function lockOwner(dir: string): Promise<LockOwner | undefined> {
  const held = await inspectLock(path.join(dir, LOCK_FILE));
  return held.stale ? undefined : held.owner;
}

interface LockState {
  stale: boolean;
  owner?: LockOwner;
  /** The file's text when inspected, to take over exactly that lock and not a newer one. */
  text?: string;
}

async function inspectLock(lockPath: string): Promise<LockState> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await fs.readFile(lockPath, 'utf8');
    mtimeMs = (await fs.stat(lockPath)).mtimeMs;
  } catch (err) {
    // Released meanwhile: nothing to take over, the next create will tell.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { stale: false };
    throw err;
  }
  const owner = parseOwner(text);
  if (!owner) return { stale: Date.now() - mtimeMs > UNREADABLE_LOCK_GRACE_MS, text };
  // A pid on another machine (a store on a shared drive) cannot be checked: only its owner releases it.
  const stale = owner.hostname === os.hostname() && !isProcessAlive(owner.pid);
  return { stale, owner, text };
}

/**
 * Removes a stale lock, but only the one inspected: the file is moved aside atomically, and put
 * back if it turns out another process replaced it with a fresh lock in between.
 */
async function removeStaleLock(lockPath: string, staleText: string | undefined): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) await fs.link(aside, lockPath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

async function releaseLock(lockPath: string, me: LockOwner): Promise<void> {
  // Only our own lock: if it was (wrongly) taken over, the new owner's stays.
  const text = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
  const owner = text === undefined ? undefined : parseOwner(text);
  if (owner && owner.pid === me.pid && owner.hostname === me.hostname && owner.since === me.since) await fs.rm(lockPath, { force: true });
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(value.pid) && typeof value.hostname === 'string' && typeof value.since === 'string') return value as LockOwner;
  } catch {
    // Not JSON: a writer died mid-write.
  }
  return undefined;
}

/** Whether a process with this pid runs on this machine. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
