// What package.json promises VS Code about Lore's tools, held equal to the code that serves them, and
// the MCP server definition the extension hands VS Code, started as VS Code would start it.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MAX_SEARCH_K, SEARCH_PARAMETERS, SEARCH_TOOL_DESCRIPTION } from '../../../src/core/retrieve';
import { mcpLaunchFor } from '../../../src/host/agents/mcpLaunch';
import { assertCliBuilt, CLI, closedPortUrl, lore, REPO } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('package.json contributions for agents', () => {
  it('contributes the search tool, referenceable as #lore, with the description and schema the code serves', () => {
    const [tool] = pkg.contributes.languageModelTools;
    assert.equal(tool.name, 'lore_search');
    assert.equal(tool.toolReferenceName, 'lore');
    assert.equal(tool.canBeReferencedInPrompt, true);
    assert.equal(tool.modelDescription, SEARCH_TOOL_DESCRIPTION);
    assert.deepEqual(tool.inputSchema.required, ['query']);
    for (const [name, description] of Object.entries(SEARCH_PARAMETERS)) assert.equal(tool.inputSchema.properties[name].description, description, name);
    assert.equal(tool.inputSchema.properties.k.maximum, MAX_SEARCH_K);
  });

  it('contributes the MCP server definition provider the extension registers', () => {
    assert.deepEqual(pkg.contributes.mcpServerDefinitionProviders, [{ id: 'lore.mcpServers', label: 'Lore' }]);
  });
});

describe('the MCP server definition the extension provides', function () {
  this.timeout(60_000);
  before(assertCliBuilt);

  it('starts a server that searches the extension\'s store read-only', async () => {
    const root = makeTempDir('lore-mcp-def-');
    const storeDir = path.join(makeTempDir('lore-mcp-def-store-'), 'store');
    try {
      writeTree(root, { 'src/cart.ts': 'export function applyCouponCode(code: string) {\n  return code.trim();\n}\n' });
      // The extension's index, as the extension would have built it.
      assert.equal((await lore(['index', root, '--store', storeDir, '--no-embed'])).code, 0);
      const launch = mcpLaunchFor({ name: 'shop', path: root }, { cliPath: CLI, storeDir, host: await closedPortUrl(), nodePath: process.execPath });
      assert.equal(launch.label, 'Lore: shop');
      const client = new Client({ name: 'vscode-like', version: '1.0.0' });
      await client.connect(new StdioClientTransport({ command: launch.command, args: launch.args, env: { ...(process.env as Record<string, string>), ...launch.env }, stderr: 'ignore' }));
      try {
        const status = (await client.callTool({ name: 'status', arguments: {} })).structuredContent as { access: string; files: number };
        assert.equal(status.access, 'read-only');
        assert.equal(status.files, 1);
        const answer = (await client.callTool({ name: 'search', arguments: { query: 'applyCouponCode' } })).structuredContent as { results: Array<{ path: string }> };
        assert.equal(answer.results[0].path, 'src/cart.ts');
      } finally {
        await client.close();
      }
    } finally {
      removeDir(root);
      removeDir(path.dirname(storeDir));
    }
  });
});
