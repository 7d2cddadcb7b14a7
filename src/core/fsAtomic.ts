// Durable file writes for everything Lore keeps on disk (the store, the embedding cache): a file is
// replaced only by renaming a complete, fsynced sibling over it, so a crash leaves the old or the new
// file, never a torn one. Plus the folder helpers that tidy up after an interrupted write.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Marks temporary siblings; `isTempFile` recognises leftovers of an interrupted write. */
const TEMP_MARK = '.tmp-';

export function isTempFile(name: string): boolean {
  return name.includes(TEMP_MARK);
}

/** A fresh name next to `filePath` that `isTempFile` recognises. */
export function tempPathFor(filePath: string): string {
  return `${filePath}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
}

/** Writes `content` to `filePath` atomically: temp file in the same folder, fsync, rename, fsync folder. */
export async function writeFileAtomic(filePath: string, content: Buffer | string): Promise<void> {
  const tempPath = tempPathFor(filePath);
  try {
    const handle = await fs.open(tempPath, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tempPath, filePath);
  } catch (err) {
    await fs.rm(tempPath, { force: true });
    throw err;
  }
  await syncFolder(path.dirname(filePath));
}

/** Makes a rename in `folder` durable. Windows cannot open folders for fsync; NTFS journals renames. */
export async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The names in `folder`; none when it does not exist. */
export async function listFolder(folder: string): Promise<string[]> {
  try {
    return await fs.readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Deletes leftovers of interrupted writes in `folder`; false if the folder does not exist. */
export async function removeTempFiles(folder: string, ours: (name: string) => boolean = () => true): Promise<boolean> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const temps = names.filter((name) => isTempFile(name) && ours(name));
  await Promise.all(temps.map((name) => fs.rm(path.join(folder, name), { recursive: true, force: true })));
  return true;
}

/** Bytes of a file, or of a folder's files recursively; 0 when missing. */
export async function sizeOnDisk(target: string): Promise<number> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of await listFolder(target)) total += await sizeOnDisk(path.join(target, name));
  return total;
}
