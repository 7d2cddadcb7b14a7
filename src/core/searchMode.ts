import type { IndexMode } from './types';

/**
 * How a folder's index is searched: hybrid (vectors and BM25) when embeddings work and every chunk
 * has its vector, lexical-only otherwise. The CLI, the indexer, the status bar and the chat view
 * all ask this one function, so they never disagree.
 */
export function searchMode(index: { chunks: number; vectors: number; embeddingsWork: boolean }): IndexMode {
  return index.embeddingsWork && index.vectors > 0 && index.vectors === index.chunks ? 'hybrid' : 'lexical';
}
