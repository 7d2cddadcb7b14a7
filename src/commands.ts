// Every command id in one place. A unit test checks this list against package.json.
import * as vscode from 'vscode';

export const COMMANDS = {
  reindex: 'lore.reindex',
  clearIndex: 'lore.clearIndex',
  pauseIndexing: 'lore.pauseIndexing',
  resumeIndexing: 'lore.resumeIndexing',
  showStatus: 'lore.showStatus',
  pullEmbedModel: 'lore.pullEmbedModel',
  explainWithContext: 'lore.explainWithContext',
  newChat: 'lore.newChat',
  setOllamaApiKey: 'lore.setOllamaApiKey',
} as const;

export type CommandName = keyof typeof COMMANDS;

export function registerCommands(handlers: Record<CommandName, (...args: unknown[]) => unknown>): vscode.Disposable[] {
  return (Object.keys(COMMANDS) as CommandName[]).map((name) => vscode.commands.registerCommand(COMMANDS[name], handlers[name]));
}
