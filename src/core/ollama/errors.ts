// Failures the indexer and the UI tell apart: each calls for a different remedy (start Ollama, pull
// the model), so each is its own class with a message a user can act on.
import { authFailureMessage } from './apiKey';

/** Ollama could not be reached, or kept failing or hanging, after the retries. Transient: try later. */
export class OllamaUnavailableError extends Error {
  override name = 'OllamaUnavailableError';
}

/** The model is not installed in Ollama. Not retried: it needs a pull. */
export class ModelMissingError extends Error {
  override name = 'ModelMissingError';
  constructor(
    readonly model: string,
    host: string,
  ) {
    super(`Model "${model}" is not installed in Ollama at ${host}. Pull it with \`ollama pull ${model}\` (or "Lore: Pull Embedding Model").`);
  }
}

/** The server wants an API key, or refused the one sent (HTTP 401/403). Not retried: the user must act. */
export class OllamaAuthError extends Error {
  override name = 'OllamaAuthError';
  constructor(
    readonly host: string,
    readonly status: number,
  ) {
    super(authFailureMessage(host, status));
  }
}
