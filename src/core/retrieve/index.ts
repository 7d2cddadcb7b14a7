export { extractQueryTerms, lexicalQueryFor, lexicalQueryWithRewrite, standsAlone, type QueryTerms } from './queryTerms';
export { reciprocalRankFusion, mergeNeighbours, mergeNeighbourGroups, DEFAULT_RRF_K, DEFAULT_MAX_GAP_LINES, type HitSource } from './fusion';
export { checkFreshness, freshVersions } from './freshness';
export { Retriever, type FusionSettings, type RetrieveOptions, type RetrieveResult, type RankFilesOptions, type RankFilesResult } from './retriever';
export { aggregateByFile, FILE_SUPPORT_DECAY, type FileHit } from './fileRanking';
export { rerankWithChatModel, DEFAULT_RERANK_CANDIDATES, DEFAULT_RERANK_TIMEOUT_MS, type RerankOptions } from './rerank';
export { retrieverAcrossFolders, type FolderSearch } from './acrossFolders';
export { documentAwareReader, indexedText, type IndexedFiles, type ReadCurrent } from './currentText';
