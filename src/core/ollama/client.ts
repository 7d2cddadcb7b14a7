// The one place an Ollama client is built, so every request (embed, chat, rerank, model list, pull)
// goes out with the same options, the API key among them.
import { Ollama } from 'ollama';
import { ollamaApiKey } from './apiKey';

/**
 * A client for `host` whose every request is bound to `signal` when given. The `ollama` client gives
 * non-streamed calls no signal of their own, so it reaches them through the client's injectable fetch.
 */
export function createOllamaClient(host: string, signal?: AbortSignal): Ollama {
  const key = ollamaApiKey();
  return new Ollama({
    host,
    headers: key ? { Authorization: `Bearer ${key}` } : undefined,
    fetch: signal ? (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }) : undefined,
  });
}
