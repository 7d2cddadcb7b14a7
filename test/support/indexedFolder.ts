// A real folder indexed lexically by the real pipeline (chunker, indexer, Vectra store on disk): what
// the runAsk tests ask their questions of.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Chunker } from '../../src/core/chunk';
import { Indexer } from '../../src/core/indexer';
import { Retriever } from '../../src/core/retrieve';
import { LoreStore } from '../../src/core/store';
import { makeTempDir, removeDir, writeTree } from './tempTree';

export interface IndexedFolder {
  root: string;
  store: LoreStore;
  retriever(): Retriever;
  /** The freshness check's reader: files as on disk. */
  readCurrent(rel: string): Promise<string | undefined>;
  dispose(): Promise<void>;
}

export async function indexedFolder(prefix: string, files: Record<string, string>): Promise<IndexedFolder> {
  const root = makeTempDir(prefix);
  const storeDir = makeTempDir(`${prefix}store-`);
  writeTree(root, files);
  const store = await LoreStore.open(storeDir);
  await new Indexer({ root, store, chunker: await Chunker.create(), maxFileBytes: 1 << 20 }).syncAll();
  return {
    root,
    store,
    retriever: () => new Retriever(store),
    readCurrent: (rel) => fs.readFile(path.join(root, rel), 'utf8').catch(() => undefined),
    async dispose() {
      await store.close();
      removeDir(root);
      removeDir(storeDir);
    },
  };
}
