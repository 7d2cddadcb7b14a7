// How the extension starts `lore mcp` for a folder: with the Node that runs the extension host
// (Electron's, as Node), the CLI shipped in the extension, and the store the extension itself keeps
// fresh, which the server therefore only reads. Plain data, so a test can start exactly this.
export interface McpLaunch {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

export function mcpLaunchFor(folder: { name: string; path: string }, o: { cliPath: string; storeDir: string; host: string; nodePath: string }): McpLaunch {
  return {
    label: `Lore: ${folder.name}`,
    command: o.nodePath,
    args: [o.cliPath, 'mcp', folder.path, '--store', o.storeDir, '--host', o.host, '--read-only'],
    // VS Code's executable is Electron; this makes it run the CLI as Node does.
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
}
