// Vectra's LocalFileStorage overwrites index files in place: a crash mid-write leaves a torn
// shard. This storage writes through writeFileAtomic instead.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FileDetails, FileStorage, ListFilesFilter } from 'vectra';
import { writeFileAtomic } from '../fsAtomic';

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
