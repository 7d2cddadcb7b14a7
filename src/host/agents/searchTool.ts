// Lore's index as a language model tool (`#lore` in a prompt, or called by any chat agent in VS Code):
// the agent search of core/retrieve/agentSearch.ts over every open folder's live index, with the
// chat's freshness check (unsaved buffers first) and its masked chunk texts.
import * as vscode from 'vscode';
import { checkSearchInput, formatExcerpts, retrieverAcrossFolders, searchForAgent, type AgentSearchInput } from '../../core/retrieve';
import { currentTextReader } from '../currentText';
import type { FolderIndex } from '../folderIndex';
import { folderSearch } from '../folderSearch';
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
      const { query } = checkSearchInput(input);
      await host.whenOpen();
      const folders = host.folders();
      if (!folders.length) throw new Error(unavailableReason());
      const controller = new AbortController();
      const cancel = token.onCancellationRequested(() => controller.abort());
      try {
        // Several folders: their rankings are fused as the chat fuses them, each path led by its folder's name.
        const retriever = folders.length === 1 ? folders[0].index.retriever : retrieverAcrossFolders(folders.map(folderSearch));
        const output = await searchForAgent(retriever, input, { readCurrent: currentTextReader(folders[0]), signal: controller.signal });
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(formatExcerpts(query, output))]);
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
