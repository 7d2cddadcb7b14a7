// Vectra's LocalFileStorage overwrites index files in place: a crash mid-write leaves a torn
// shard. This storage replaces a file only by renaming a complete, fsynced sibling over it.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FileDetails, FileStorage, ListFilesFilter } from 'vectra';

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
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A vectra `FileStorage` over absolute paths whose writes are atomic (see `writeFileAtomic`). */
export class AtomicFileStorage implements FileStorage {
  async createFile(filePath: string, content: Buffer | string): Promise<void> {
    if (await this.pathExists(filePath)) throw new Error(`File already exists: ${filePath}`);
    await writeFileAtomic(filePath, content);
  }

  async createFolder(folderPath: string): Promise<void> {
    await fs.mkdir(folderPath, { recursive: true });
  }

  async deleteFile(filePath: string): Promise<void> {
    await fs.rm(filePath, { force: true });
  }

  async deleteFolder(folderPath: string): Promise<void> {
    await fs.rm(folderPath, { recursive: true, force: true });
  }

  async getDetails(fileOrFolderPath: string): Promise<FileDetails> {
    const stats = await fs.stat(fileOrFolderPath);
    return { name: path.basename(fileOrFolderPath), path: fileOrFolderPath, isFolder: stats.isDirectory() };
  }

  async listFiles(folderPath: string, filter: ListFilesFilter = 'all'): Promise<FileDetails[]> {
    const entries = await fs.readdir(folderPath, { withFileTypes: true });
    return entries
      .filter((entry) => filter === 'all' || (filter === 'folders') === entry.isDirectory())
      .map((entry) => ({ name: entry.name, path: path.join(folderPath, entry.name), isFolder: entry.isDirectory() }));
  }

  async pathExists(fileOrFolderPath: string): Promise<boolean> {
    try {
      await fs.access(fileOrFolderPath);
      return true;
    } catch {
      return false;
    }
  }

  readFile(filePath: string): Promise<Buffer> {
    return fs.readFile(filePath);
  }

  upsertFile(filePath: string, content: Buffer | string): Promise<void> {
    return writeFileAtomic(filePath, content);
  }
}
