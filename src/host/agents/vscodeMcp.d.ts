// VS Code 1.101 finalized the MCP server definition API; Lore's engines and its test VS Code are
// older (code-server past 1.100 needs Node 22), so these declarations, copied from @types/vscode
// 1.101.0, say what mcpServers.ts uses, and it checks at run time that the API is there.
import 'vscode';

declare module 'vscode' {
  export class McpStdioServerDefinition {
    readonly label: string;
    cwd?: Uri;
    command: string;
    args: string[];
    env: Record<string, string | number | null>;
    version?: string;
    constructor(label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string);
  }

  export interface McpServerDefinitionProvider<T extends McpStdioServerDefinition = McpStdioServerDefinition> {
    readonly onDidChangeMcpServerDefinitions?: Event<void>;
    provideMcpServerDefinitions(token: CancellationToken): ProviderResult<T[]>;
    resolveMcpServerDefinition?(server: T, token: CancellationToken): ProviderResult<T>;
  }

  export namespace lm {
    /** Undefined before VS Code 1.101. */
    export const registerMcpServerDefinitionProvider: ((id: string, provider: McpServerDefinitionProvider) => Disposable) | undefined;
  }
}
