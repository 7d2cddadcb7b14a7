// The layer rules of eslint.config.mjs, checked on planted files: each would pass typecheck, and
// `npm run lint` (the same config) must refuse it.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(__dirname, '../../../..');

async function ruleIdsFor(plantedPath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, plantedPath) });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe('lint: layer rules', function () {
  this.timeout(60_000);

  it('refuses the VS Code API in src/core', async () => {
    assert.deepEqual(await ruleIdsFor('src/core/planted.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n"), ['no-restricted-imports']);
  });

  it('refuses host code in src/core', async () => {
    assert.deepEqual(await ruleIdsFor('src/core/planted.ts', "export { COMMANDS } from '../commands';\n"), ['import-x/no-restricted-paths']);
  });

  it('refuses core and host code in src/webview', async () => {
    assert.deepEqual(await ruleIdsFor('src/webview/planted.ts', "export { COMMANDS } from '../commands';\n"), ['import-x/no-restricted-paths']);
    assert.deepEqual(await ruleIdsFor('src/webview/planted.ts', "export type { Chunk } from '../core/types';\n"), ['import-x/no-restricted-paths']);
  });

  it('refuses the VS Code API and host code in src/mcp, and src/mcp in core and host', async () => {
    assert.deepEqual(await ruleIdsFor('src/mcp/planted.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n"), ['no-restricted-imports']);
    assert.deepEqual(await ruleIdsFor('src/mcp/planted.ts', "export { readSettings } from '../host/settings';\n"), ['import-x/no-restricted-paths']);
    assert.deepEqual(await ruleIdsFor('src/core/planted.ts', "export type { McpIndex } from '../mcp/server';\n"), ['import-x/no-restricted-paths']);
    assert.deepEqual(await ruleIdsFor('src/host/planted.ts', "export type { McpIndex } from '../mcp/server';\n"), ['import-x/no-restricted-paths']);
    assert.deepEqual(await ruleIdsFor('src/mcp/planted.ts', "export type { Chunk } from '../core/types';\n"), []);
  });

  it('lets the host import core', async () => {
    assert.deepEqual(await ruleIdsFor('src/host/planted.ts', "export type { Chunk } from '../core/types';\n"), []);
  });
});
