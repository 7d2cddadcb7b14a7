// store.json: the store's format version and the embedding model and dimension of its vectors.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../fsAtomic';

/** Bump when the layout changes: an older or newer store is wiped and rebuilt from the sources. */
export const FORMAT_VERSION = 2;
export const META_FILE = 'store.json';

export interface StoreMeta {
  formatVersion: number;
  embedModel?: string;
  dims?: number;
}

export function metaPath(dir: string): string {
  return path.join(dir, META_FILE);
}

/** The metadata in `dir`, or undefined when there is none; throws when it is malformed or of another version. */
export async function readStoreMeta(dir: string): Promise<StoreMeta | undefined> {
  let text: string;
  try {
    text = await fs.readFile(metaPath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let meta: Partial<StoreMeta>;
  try {
    meta = JSON.parse(text) as Partial<StoreMeta>;
  } catch {
    throw new Error(`${META_FILE} is not valid JSON`);
  }
  if (typeof meta !== 'object' || meta === null) throw new Error(`${META_FILE} is malformed`);
  if (meta.formatVersion !== FORMAT_VERSION) {
    throw new Error(`the store has format version ${JSON.stringify(meta.formatVersion)}; this version of Lore reads ${FORMAT_VERSION}`);
  }
  const modelOk = meta.embedModel === undefined || typeof meta.embedModel === 'string';
  const dimsOk = meta.dims === undefined || (Number.isInteger(meta.dims) && meta.dims > 0 && meta.embedModel !== undefined);
  if (!modelOk || !dimsOk) throw new Error(`${META_FILE} is malformed`);
  return { formatVersion: FORMAT_VERSION, embedModel: meta.embedModel, dims: meta.dims };
}

export function writeStoreMeta(dir: string, meta: StoreMeta): Promise<void> {
  return writeFileAtomic(metaPath(dir), JSON.stringify(meta));
}
