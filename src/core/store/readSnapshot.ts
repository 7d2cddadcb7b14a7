// Opening a store to read it while another process may be writing it. Opening tidies up (leftover
// temp files, superseded chunk packs) and wipes a store it cannot read; done beside a live writer,
// that would delete the writer's fresh files or its whole store. So a reader either holds the write
// lock while it opens, or opens a hard-linked snapshot of the store: every store file is replaced
// by rename and never changed in place, so links keep a consistent copy of each file for free, and
// a snapshot caught between two of the writer's steps is simply taken again.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { acquireStoreLock, isProcessAlive, StoreLockedError } from './lock';
import { LEXICAL_FILE } from './lexicalState';
import { LoreStore } from './loreStore';

const SNAPSHOT_PREFIX = '.read-';
const SNAPSHOT_ATTEMPTS = 8;

export interface ReadableStore {
  store: LoreStore;
  /** Closes the store and removes its snapshot, if one was taken. */
  close(): Promise<void>;
}

/** Opens the store in `dir` for searching without ever disturbing a concurrent writer. */
export async function openStoreForReading(dir: string): Promise<ReadableStore> {
  try {
    const lock = await acquireStoreLock(dir);
    try {
      const store = await LoreStore.open(dir, { savesLexicalSnapshots: false });
      return { store, close: () => store.close() };
    } finally {
      await lock.release();
    }
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err;
  }
  let lastProblem = '';
  for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
    const snapshot = await linkSnapshot(dir);
    const store = await LoreStore.open(snapshot, { savesLexicalSnapshots: false });
    if (!store.recovered) {
      return {
        store,
        close: async () => {
          await store.close();
          await fs.rm(snapshot, { recursive: true, force: true });
        },
      };
    }
    lastProblem = store.recovered;
    await store.close();
    await fs.rm(snapshot, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
  throw new Error(`the index at ${dir} is being rewritten and could not be read (${lastProblem}); try again when indexing finishes`);
}

/** Removes snapshots left by readers that died; call while holding the write lock. */
export async function removeDeadSnapshots(dir: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(SNAPSHOT_PREFIX)) continue;
    const pid = Number(name.slice(SNAPSHOT_PREFIX.length).split('-')[0]);
    if (!isProcessAlive(pid)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

async function linkSnapshot(dir: string): Promise<string> {
  const snapshot = await fs.mkdtemp(path.join(dir, `${SNAPSHOT_PREFIX}${process.pid}-`));
  await linkTree(dir, snapshot, (name) => name === 'store.json' || name === 'shards' || name === LEXICAL_FILE);
  return snapshot;
}

/** Hard-links `from`'s files into `to`, recursively; a file that vanishes meanwhile is left out. */
async function linkTree(from: string, to: string, include: (name: string) => boolean = () => true): Promise<void> {
  const entries = await fs.readdir(from, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!include(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await fs.mkdir(target, { recursive: true });
      await linkTree(source, target);
    } else if (entry.isFile()) {
      await fs.link(source, target).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
