export { Chunker, defaultChunkWorkers } from './chunker';
export type { ChunkerOptions } from './chunker';
export { DEFAULT_CHUNK_OPTIONS } from './inThread';
export type { ChunkOptions } from './inThread';
export { ChunkingError } from './workerPool';
export { languageOf } from './languages';
