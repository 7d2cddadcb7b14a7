// Lore's index as a language model tool (`#lore` in a prompt, or called by any chat agent in VS Code):
// the agent search of core/retrieve/agentSearch.ts over every open folder's live index, with the
// chat's freshness check (unsaved buffers first) and its masked chunk texts.
import * as vscode from 'vscode';
import { checkSearchInput, formatExcerpts, searchForAgent, type AgentSearchInput, type AgentSearchResult } from '../../core/retrieve';
import { readCurrentText } from '../currentText';
import type { FolderIndex } from '../folderIndex';
import { readSettings } from '../settings';

/** package.json's `languageModelTools[0].name`. */
export const SEARCH_TOOL_NAME = 'lore_search';

export interface SearchToolHost {
  folders(): FolderIndex[];
  /** Resolves once the folder indexes being opened (startup, a settings change) are open. */
  whenOpen(): Promise<void>;
}

export function registerSearchTool(host: SearchToolHost): vscode.Disposable {
  return vscode.lm.registerTool<AgentSearchInput>(SEARCH_TOOL_NAME, {
    // Read-only and local: no confirmation, as VS Code's own search tools.
    prepareInvocation: ({ input }) => ({ invocationMessage: `Searching Lore's index for "${String(input.query ?? '').slice(0, 80)}"` }),
    async invoke({ input }, token) {
      const { query, k } = checkSearchInput(input);
      await host.whenOpen();
      const folders = host.folders();
      if (!folders.length) throw new Error(unavailableReason());
      const controller = new AbortController();
      const cancel = token.onCancellationRequested(() => controller.abort());
      try {
        const answers = await Promise.all(
          folders.map(async (fi) => ({
            fi,
            output: await searchForAgent(fi.index.retriever, input, { readCurrent: (rel) => readCurrentText(fi.folder, rel), signal: controller.signal }),
          })),
        );
        // Several folders: each ranks its own; paths say which folder they are in.
        const named = folders.length > 1;
        const results: AgentSearchResult[] = answers
          .flatMap(({ fi, output }) => output.results.map((r) => (named ? { ...r, path: `${fi.folder.name}/${r.path}` } : r)))
          .sort((a, b) => b.score - a.score)
          .slice(0, k);
        const mode = answers.every((a) => a.output.mode === 'hybrid') ? 'hybrid' : 'lexical';
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(formatExcerpts(query, { mode, results }))]);
      } finally {
        cancel.dispose();
      }
    },
  });
}

/** Why no folder index answers: the agent reads this and falls back to its other tools. */
function unavailableReason(): string {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) return "Lore's index is not available: no folder is open.";
  if (folders.every((f) => !readSettings(f).indexingEnabled)) return "Lore's index is turned off for this workspace (setting lore.indexing.enabled is false); use other search tools.";
  return "Lore's index of this workspace could not be opened (see the Lore output); use other search tools.";
}
