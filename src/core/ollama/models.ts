import { OllamaUnavailableError } from './errors';
import { normalizeHost } from './host';
import { callOllama, classifyFailure } from './transport';

/** Names of the models installed in Ollama at `host`. Rejects with the client's error. */
export async function listModels(host: string, signal?: AbortSignal): Promise<string[]> {
  const { models } = await callOllama(normalizeHost(host), undefined, signal, (client) => client.list());
  return models.map((m) => m.name);
}

export interface PullProgress {
  status: string;
  completed?: number;
  total?: number;
}

/**
 * Downloads `model` into Ollama, reporting its progress lines. No deadline (a large model takes as
 * long as it takes): the caller cancels through `signal`. Rejects with `OllamaUnavailableError` when
 * Ollama cannot be reached, otherwise with Ollama's reason (an unknown model name, no network).
 */
export async function pullModel(host: string, model: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
  const base = normalizeHost(host);
  const name = model.trim();
  if (!name) throw new Error('No model name given to pull.');
  try {
    await callOllama(base, undefined, signal, async (client) => {
      for await (const line of await client.pull({ model: name, stream: true })) {
        onProgress({ status: line.status, completed: line.completed, total: line.total });
      }
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    const failure = classifyFailure(err);
    if (failure.kind === 'network') throw new OllamaUnavailableError(`Cannot reach Ollama at ${base} (${failure.message}) to pull "${name}". Is it running?`);
    throw new Error(`Pulling "${name}" failed: ${failure.kind === 'http' ? `HTTP ${failure.status}: ${failure.message}` : failure.message}`);
  }
}
