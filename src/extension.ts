// Wiring only: everything else lives in host/ (VS Code adapters) and core/ (plain Node).
import * as vscode from 'vscode';
import { Lore, type LoreApi } from './host/lore';

let lore: Lore | undefined;

export function activate(context: vscode.ExtensionContext): LoreApi {
  const log = vscode.window.createOutputChannel('Lore', { log: true });
  lore = new Lore(context, log);
  context.subscriptions.push(log);
  // Indexes open after activate returns: the extension host's startup is never held up by Lore.
  setTimeout(() => lore?.start(), 0);
  return lore;
}

export async function deactivate(): Promise<void> {
  await lore?.dispose();
  lore = undefined;
}
