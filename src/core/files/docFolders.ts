// Docs folders outside the workspace (the `lore.docFolders` setting, `--docs DIR`) join a folder's
// index. Their files are keyed by absolute POSIX path, workspace files by path relative to the root,
// so a key alone says where a file is and whether it lies outside the repository.
import * as path from 'node:path';

/** The index key of `rel` (POSIX, relative) inside docs folder `folder` (absolute). */
export function docFolderKey(folder: string, rel: string): string {
  return `${toPosix(path.resolve(folder)).replace(/\/+$/, '')}/${rel}`;
}

/** Whether an index key names a file of a docs folder rather than of the workspace. */
export function isOutsideWorkspace(key: string): boolean {
  return key.startsWith('/') || /^[A-Za-z]:\//.test(key);
}

/** The file an index key names, as a native absolute path. */
export function resolveIndexedPath(root: string, key: string): string {
  return isOutsideWorkspace(key) ? path.resolve(key) : path.join(root, ...key.split('/'));
}

/** The docs folder holding key `key`, and the key's path inside it; undefined for workspace files. */
export function docFolderOf(folders: readonly string[], key: string): { folder: string; rel: string } | undefined {
  if (!isOutsideWorkspace(key)) return undefined;
  for (const folder of folders) {
    const prefix = docFolderKey(folder, '');
    if (key.startsWith(prefix) && key.length > prefix.length) return { folder, rel: key.slice(prefix.length) };
  }
  return undefined;
}

/** Indexed files per docs folder, from the keys of the index's files (0 for a folder with none). */
export function docFileCounts(folders: readonly string[], keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>(folders.map((folder) => [folder, 0]));
  for (const key of keys) {
    const owner = docFolderOf(folders, key);
    if (owner) counts.set(owner.folder, (counts.get(owner.folder) ?? 0) + 1);
  }
  return counts;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
