// From chunk hits to a ranking of files, for questions whose answer is a file ("which file handles
// retries?", a bug report -> the files to change). A file is as good as its best chunk, plus a
// little for each further chunk that also matches: several matching parts are more evidence than
// one, but a long file must not win on length alone.
import type { SearchHit } from '../types';

export interface FileHit {
  path: string;
  score: number;
  /** The file's hits that counted, best first. */
  hits: SearchHit[];
}

/** Weight of the 2nd, 3rd... best chunk of a file relative to the one before it. */
export const FILE_SUPPORT_DECAY = 0.3;
/** Chunks per file that count towards its score. */
const MAX_SUPPORTING_HITS = 3;

/**
 * Groups hits (best first, scores of one ranking) by path; a file scores its best hit plus
 * decay^i times its (i+1)-th best. Ties keep the order of the files' best hits.
 */
export function aggregateByFile(hits: readonly SearchHit[], decay: number = FILE_SUPPORT_DECAY): FileHit[] {
  if (!Number.isFinite(decay) || decay < 0 || decay > 1) throw new RangeError(`decay must be between 0 and 1, got ${decay}`);
  const byPath = new Map<string, SearchHit[]>();
  for (const hit of hits) {
    const group = byPath.get(hit.chunk.path);
    if (group) group.push(hit);
    else byPath.set(hit.chunk.path, [hit]);
  }
  const files: Array<FileHit & { order: number }> = [];
  for (const [path, group] of byPath) {
    const sorted = [...group].sort((a, b) => b.score - a.score);
    let score = 0;
    let weight = 1;
    for (const hit of sorted.slice(0, MAX_SUPPORTING_HITS)) {
      score += weight * hit.score;
      weight *= decay;
    }
    files.push({ path, score, hits: sorted, order: files.length });
  }
  return files.sort((a, b) => b.score - a.score || a.order - b.order).map(({ path, score, hits }) => ({ path, score, hits }));
}
