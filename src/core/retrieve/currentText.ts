// What the freshness check (freshness.ts) compares a source with. A text file: its current text.
// A document Lore extracts (PDF, Word, HTML, notebook): extracting it again on every question would
// cost seconds, so while the file still has the size and mtime it was indexed with, its extracted
// text is rebuilt from its own indexed chunks; once it changed, its sources wait for the re-index.
import { promises as fs } from 'node:fs';
import { documentFormatOf } from '../docs/formats';
import { resolveIndexedPath } from '../files/docFolders';
import type { Chunk } from '../types';

export interface IndexedFiles {
  getFile(path: string): { size: number; mtimeMs: number } | undefined;
  chunksOf(path: string): Chunk[];
}

export type ReadCurrent = (path: string) => Promise<string | undefined>;

/** Wraps `readText` (the text of files read as they are) with the rule above for documents. */
export function documentAwareReader(root: string, index: IndexedFiles, readText: ReadCurrent): ReadCurrent {
  return async (key) => {
    if (!documentFormatOf(key)) return readText(key);
    const record = index.getFile(key);
    const stat = await fs.stat(resolveIndexedPath(root, key)).catch(() => undefined);
    if (!record || !stat || stat.size !== record.size || stat.mtimeMs !== record.mtimeMs) return undefined;
    return indexedText(index.chunksOf(key));
  };
}

/**
 * The extracted text as far as the chunks cover it, each chunk's rows at their line numbers (rows no
 * chunk covers stay blank). The pieces of one hard-split row join back into the row.
 */
export function indexedText(chunks: Chunk[]): string {
  const rows: string[] = [];
  let lastPieceRow = -1;
  for (const chunk of chunks) {
    const lines = chunk.text.split('\n');
    const first = chunk.startLine - 1;
    if (lines.length === 1 && chunk.startLine === chunk.endLine && lastPieceRow === first) {
      rows[first] += chunk.text;
      continue;
    }
    lines.forEach((line, i) => (rows[first + i] = line));
    lastPieceRow = lines.length === 1 ? first : -1;
  }
  return Array.from(rows, (row) => row ?? '').join('\n');
}
