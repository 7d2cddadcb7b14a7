export { EmbeddingCache } from './cache';
export { Embedder, type EmbedderOptions, type EmbedItem, type EmbedProbe } from './embedder';
export { DimensionMismatchError, ModelMissingError, OllamaUnavailableError } from './errors';
export { DEFAULT_OLLAMA_HOST, normalizeHost } from './host';
export { pullModel, type PullProgress } from './pull';
