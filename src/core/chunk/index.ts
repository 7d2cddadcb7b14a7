export { Chunker, DEFAULT_CHUNK_OPTIONS } from './chunker';
export type { ChunkOptions } from './chunker';
export { languageOf } from './languages';
