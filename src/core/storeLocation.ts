// Where a folder's index lives: always outside the folder, in a directory named after the folder
// and a hash of its identity (its absolute path for the CLI, its URI in VS Code).
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** The store directory's name for a folder called `name` whose identity is `key`. */
export function storeDirName(name: string, key: string): string {
  const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${slug(name) || 'root'}-${id}`;
}

/** Where the CLI keeps a folder's index when `--store` is not given: outside the folder, per absolute path. */
export function defaultStoreDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.LORE_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'lore');
  const abs = path.resolve(root);
  return path.join(base, storeDirName(path.basename(abs), abs));
}

/** `name` made safe as a file name. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64);
}
