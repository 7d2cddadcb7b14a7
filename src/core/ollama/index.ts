export { authFailureMessage, isAuthStatus, ollamaApiKey, setOllamaApiKey } from './apiKey';
export { createOllamaClient } from './client';
export { ModelMissingError, OllamaAuthError, OllamaUnavailableError } from './errors';
export { DEFAULT_OLLAMA_HOST, normalizeHost } from './host';
export { listModels, pullModel, type PullProgress } from './models';
export { callOllama, classifyFailure, formatSeconds, RequestTimeoutError, type CallFailure } from './transport';
