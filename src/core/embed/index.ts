export { EmbeddingCache } from './cache';
export { Embedder, type EmbedderOptions, type EmbedItem, type EmbedProbe } from './embedder';
export { DimensionMismatchError } from './errors';
