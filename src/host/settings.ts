// Reads Lore's settings. Where code is sent is decided only by the user: the Ollama host comes from
// user settings or $OLLAMA_HOST, never from a workspace (the setting is application-scoped too).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_MAX_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS, MIN_CONTEXT_TOKENS } from '../core/ask';
import { DEFAULT_CHAT_MODEL, DEFAULT_EMBED_MODEL } from '../core/defaults';
import { normalizeHost } from '../core/ollama';

export interface LoreSettings {
  host: string;
  /** Hosts embeddings are spread over; empty: `host` alone. */
  embedHosts: string[];
  /** A bundle path or https URL to seed indexes from (machine settings only); '' for none. */
  sharedIndex: string;
  /** The folder questions search in a multi-root workspace; '' for every folder. */
  searchFolder: string;
  hostSource: 'user settings' | 'OLLAMA_HOST' | 'default';
  embedModel: string;
  chatModel: string;
  maxFileBytes: number;
  excludes: string[];
  embedBatchSize: number;
  embedConcurrency: number;
  indexingEnabled: boolean;
  rerank: boolean;
  /** The largest context window (num_ctx) answers may use; the chat model's own length caps it. */
  maxContextTokens: number;
  /** Absolute docs folders outside the workspace that join every folder's index (user or machine settings only). */
  docFolders: string[];
}

export function readSettings(folder?: vscode.WorkspaceFolder): LoreSettings {
  const cfg = vscode.workspace.getConfiguration('lore', folder);
  const userHost = cfg.inspect<string>('ollamaHost')?.globalValue;
  const hostSource = userHost ? 'user settings' : process.env.OLLAMA_HOST ? 'OLLAMA_HOST' : 'default';
  let host: string;
  try {
    host = normalizeHost(userHost || undefined);
  } catch {
    host = normalizeHost(undefined);
  }
  const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, boolean>>('exclude') ?? {};
  // Where code is sent and what is read into the index come from the user's own settings only.
  const embedHosts = (cfg.inspect<string[]>('embedHosts')?.globalValue ?? []).flatMap((h) => {
    try {
      return [normalizeHost(h)];
    } catch {
      return [];
    }
  });
  const sharedIndex = cfg.inspect<string>('sharedIndex')?.globalValue?.trim() ?? '';
  return {
    host,
    embedHosts: embedHosts.length ? [...new Set([host, ...embedHosts])] : [],
    sharedIndex,
    searchFolder: cfg.get<string>('searchFolder')?.trim() ?? '',
    hostSource,
    embedModel: cfg.get<string>('embedModel')?.trim() || DEFAULT_EMBED_MODEL,
    chatModel: cfg.get<string>('chatModel')?.trim() || DEFAULT_CHAT_MODEL,
    maxFileBytes: Math.max(1, cfg.get<number>('maxFileSizeKB') ?? 1024) * 1024,
    excludes: [...(cfg.get<string[]>('exclude') ?? []), ...Object.keys(filesExclude).filter((glob) => filesExclude[glob] === true)],
    embedBatchSize: clamp(cfg.get<number>('embedBatchSize') ?? 16, 1, 256),
    embedConcurrency: clamp(cfg.get<number>('embedConcurrency') ?? 1, 1, 8),
    indexingEnabled: cfg.get<boolean>('indexing.enabled') ?? true,
    rerank: cfg.get<boolean>('rerank') === true,
    maxContextTokens: clamp(cfg.get<number>('maxContextTokens') ?? DEFAULT_MAX_CONTEXT_TOKENS, MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS),
    // Never from a workspace: a repository must not make Lore read folders outside it.
    docFolders: [...new Set((cfg.inspect<string[]>('docFolders')?.globalValue ?? []).filter((dir) => typeof dir === 'string' && path.isAbsolute(dir)).map((dir) => path.resolve(dir)))],
  };
}

/** Settings whose change means the folder's index must be reopened. */
export const REOPEN_SETTINGS = ['lore.ollamaHost', 'lore.embedHosts', 'lore.sharedIndex', 'lore.embedModel', 'lore.maxFileSizeKB', 'lore.exclude', 'lore.embedBatchSize', 'lore.embedConcurrency', 'lore.docFolders', 'files.exclude'];

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(n)));
}
