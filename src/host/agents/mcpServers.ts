// Lore's MCP server for each open folder, offered to VS Code's own MCP support (1.101+), so agents
// there find it without a hand-written mcp.json. Not offered for folders Lore does not index
// (`lore.indexing.enabled: false`, not on disk) or in Restricted Mode, where VS Code is not to start
// processes for the workspace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../settings';
import { mcpLaunchFor } from './mcpLaunch';

/** package.json's `mcpServerDefinitionProviders[0].id`. */
export const MCP_PROVIDER_ID = 'lore.mcpServers';

/** The API is final from 1.101; 1.100 has a proposal of the same name that wants another contribution and throws. */
const FIRST_VERSION = [1, 101];

export function registerMcpServers(extensionPath: string, version: string, storeDirFor: (folder: vscode.WorkspaceFolder) => string): vscode.Disposable {
  const register = vscode.lm.registerMcpServerDefinitionProvider;
  const [major, minor] = vscode.version.split('.').map(Number);
  const final = major > FIRST_VERSION[0] || (major === FIRST_VERSION[0] && minor >= FIRST_VERSION[1]);
  if (!final || typeof register !== 'function' || typeof vscode.McpStdioServerDefinition !== 'function') return new vscode.Disposable(() => undefined);
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.McpServerDefinitionProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      if (!vscode.workspace.isTrusted) return [];
      return (vscode.workspace.workspaceFolders ?? [])
        .filter((folder) => folder.uri.scheme === 'file' && readSettings(folder).indexingEnabled)
        .map((folder) => {
          const launch = mcpLaunchFor(
            { name: folder.name, path: folder.uri.fsPath },
            { cliPath: path.join(extensionPath, 'dist', 'cli.js'), storeDir: storeDirFor(folder), host: readSettings(folder).host, nodePath: process.execPath },
          );
          return new vscode.McpStdioServerDefinition(launch.label, launch.command, launch.args, launch.env, version);
        });
    },
  };
  return vscode.Disposable.from(
    changed,
    register(MCP_PROVIDER_ID, provider),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('lore')) changed.fire();
    }),
  );
}
