export { createOllamaClient } from './client';
export { ModelMissingError, OllamaUnavailableError } from './errors';
export { DEFAULT_OLLAMA_HOST, normalizeHost } from './host';
export { listModels, pullModel, type PullProgress } from './models';
export { RequestSlots } from './requestSlots';
export { callOllama, classifyFailure, formatSeconds, RequestTimeoutError, type CallFailure } from './transport';
