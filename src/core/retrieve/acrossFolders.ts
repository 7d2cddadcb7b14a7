// One question over several indexes (a multi-root workspace): each folder's retriever ranks its own
// chunks, and the rankings are fused the way one folder fuses its vector and lexical rankings
// (reciprocal rank fusion, equal weights), so no folder's scores need to be comparable with another's.
// Equal ranks go first to the folder whose best lexical match for the question scores higher. Each
// result's path starts with its folder's name, which is how the chat view labels and opens it; a file
// of a docs folder outside the workspace keeps its absolute path, and comes once, however many
// folders' indexes hold it (`lore.docFolders` joins every folder's).
import { isOutsideWorkspace } from '../files/docFolders';
import type { RetrievedChunk } from '../types';
import { DEFAULT_RRF_K } from './fusion';
import type { RetrieveOptions, RetrieveResult } from './retriever';

export interface FolderSearch {
  name: string;
  retrieve(question: string, options: RetrieveOptions): Promise<RetrieveResult>;
  /** The BM25 score of the folder's best lexical match for the question (0: none). */
  bestLexicalScore(question: string): number;
  readCurrent?: (path: string) => Promise<string | undefined>;
}

export function retrieverAcrossFolders(folders: FolderSearch[]): { retrieve(question: string, options: RetrieveOptions): Promise<RetrieveResult> } {
  return {
    async retrieve(question, options) {
      if (!Number.isInteger(options.k) || options.k < 1) throw new RangeError(`k must be a positive integer, got ${options.k}`);
      const answers = await Promise.all(
        folders.map(async (folder) => ({
          folder,
          evidence: folder.bestLexicalScore(question),
          answer: await folder.retrieve(question, { ...options, readCurrent: folder.readCurrent }),
        })),
      );
      const fused: Array<{ result: RetrievedChunk; score: number; rank: number; evidence: number }> = [];
      for (const { folder, evidence, answer } of answers) {
        answer.results.forEach((result, i) => {
          fused.push({
            result: isOutsideWorkspace(result.chunk.path) ? result : { ...result, chunk: { ...result.chunk, path: `${folder.name}/${result.chunk.path}` } },
            score: 1 / (DEFAULT_RRF_K + i + 1),
            rank: i,
            evidence,
          });
        });
      }
      fused.sort((a, b) => b.score - a.score || b.evidence - a.evidence || a.rank - b.rank);
      const seen = new Set<string>();
      const distinct = fused.filter(({ result: { chunk } }) => {
        const key = `${chunk.path}\0${chunk.startLine}\0${chunk.hash}`;
        return !seen.has(key) && !!seen.add(key);
      });
      return {
        mode: answers.every((a) => a.answer.mode === 'hybrid') ? 'hybrid' : 'lexical',
        results: distinct.slice(0, options.k).map((f) => ({ ...f.result, score: f.score })),
      };
    },
  };
}
