// Lore's language model tool in a real VS Code, called the way any chat agent calls it
// (`vscode.lm.invokeTool`), with no Copilot installed: the extension's own registered tool. The
// workspace has two folders (`workspace`, `ledgers`), so every path is led by its folder's name.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { allFoldersIndexed } from './indexed';
import type { LoreApi } from '../../src/host/lore';
import { waitFor } from '../support/wait';

const TOOL = 'lore_search';

async function lore(): Promise<LoreApi> {
  const ext = vscode.extensions.getExtension<LoreApi>('lore-dev.lore');
  assert.ok(ext, 'Lore is not loaded');
  return ext.activate();
}

async function invoke(input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(TOOL, { input, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token);
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

describe('language model tool lore_search (real VS Code)', function () {
  this.timeout(90_000);

  before(async () => {
    const api = await lore();
    await waitFor('the workspace is indexed', async () => (allFoldersIndexed(await api.status()) || undefined), 30_000);
    await api.whenIdle();
  });

  it('is registered with its contributed description and input schema', () => {
    const tool = vscode.lm.tools.find((t) => t.name === TOOL);
    assert.ok(tool, `registered tools: ${vscode.lm.tools.map((t) => t.name).join(', ')}`);
    assert.match(tool.description, /Prefer it over grep/);
    assert.deepEqual((tool.inputSchema as { required: string[] }).required, ['query']);
  });

  it('returns the right excerpt, numbered, with its path and line range', async () => {
    const text = await invoke({ query: 'volume discount from 100 units', k: 3 });
    const header = /\[(\d)\] workspace\/src\/pricing\.ts:(\d+)-(\d+)/.exec(text);
    assert.ok(header, text);
    const [start, end] = [Number(header[2]), Number(header[3])];
    // volumeDiscount is declared on lines 5-10 of the fixture.
    assert.ok(start <= 6 && end >= 10, `${start}-${end}`);
    assert.match(text, /export function volumeDiscount\(units: number\): number/);
  });

  it('honours the path filter and never returns a secret file', async () => {
    const text = await invoke({ query: 'DEPLOY_TOKEN configuration', path: 'docs/' });
    assert.doesNotMatch(text, /lore-must-never-index-this/);
    const paths = [...text.matchAll(/^\[\d+\] (\S+):\d+-\d+/gm)].map((m) => m[1]);
    assert.ok(paths.length > 0, text);
    assert.ok(paths.every((p) => /^(workspace|ledgers)\/docs\//.test(p)), paths.join(', '));
  });

  it('answers the unsaved text of an open editor, at its current lines', async () => {
    const location = /\[\d\] workspace\/src\/pricing\.ts:(\d+)-(\d+)[^\n]*\n`+\w*\n(?:.*\n)*?.*export function volumeDiscount/;
    const before = location.exec(await invoke({ query: 'volumeDiscount units', k: 3 }));
    assert.ok(before);
    const folder = vscode.workspace.workspaceFolders![0];
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'src', 'pricing.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '// a comment\n// another\n'));
    try {
      const text = await invoke({ query: 'volumeDiscount units', k: 3 });
      const after = location.exec(text);
      assert.ok(after, text);
      assert.deepEqual([Number(after[1]), Number(after[2])], [Number(before[1]) + 2, Number(before[2]) + 2], 'the excerpt did not move down with the two unsaved lines');
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('fails an empty query with a message the agent can act on, and works again after', async () => {
    await assert.rejects(invoke({ query: '  ' }), /query is empty/);
    assert.match(await invoke({ query: 'orderTotalCents' }), /workspace\/src\/pricing\.ts/);
  });

  it('says the index is off when lore.indexing.enabled is false', async () => {
    const config = vscode.workspace.getConfiguration('lore');
    await config.update('indexing.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the index is closed', async () => ((await (await lore()).status()).length === 0 || undefined), 20_000);
      await assert.rejects(invoke({ query: 'orderTotalCents' }), /lore\.indexing\.enabled is false/);
    } finally {
      await config.update('indexing.enabled', undefined, vscode.ConfigurationTarget.Workspace);
      await waitFor('the index is back', async () => (allFoldersIndexed(await (await lore()).status()) || undefined), 30_000);
    }
    assert.match(await invoke({ query: 'orderTotalCents' }), /workspace\/src\/pricing\.ts/);
  });
});
