// The core pipeline opened through the factory the extension and the CLI use (openWorkspaceIndex),
// with short embedder deadlines so faults resolve in test time.
import { DEFAULT_EMBED_MODEL } from '../../src/core/defaults';
import { DEFAULT_MAX_FILE_BYTES, openWorkspaceIndex, type WorkspaceIndex, type WorkspaceIndexOptions } from '../../src/core/workspaceIndex';

export type Pipeline = WorkspaceIndex;

export async function openPipeline(o: {
  root: string;
  storeDir: string;
  /** An Ollama-API server; without one the index is lexical only. */
  host?: string;
  model?: string;
  maxFileBytes?: number;
  embedBatchSize?: number;
  embedRetries?: WorkspaceIndexOptions['embedRetries'];
  log?: (line: string) => void;
}): Promise<Pipeline> {
  return openWorkspaceIndex({
    root: o.root,
    storeDir: o.storeDir,
    host: o.host ?? 'http://127.0.0.1:9',
    embedModel: o.host ? (o.model ?? DEFAULT_EMBED_MODEL) : undefined,
    maxFileBytes: o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    embedBatchSize: o.embedBatchSize,
    embedRetries: { requestTimeoutMs: 1_500, retryBaseMs: 20, maxRetries: 3, ...o.embedRetries },
    log: o.log,
  });
}
