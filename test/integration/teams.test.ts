// Teams in a real VS Code: the API key set by its command reaches the Ollama server on every request
// and is kept out of settings; a second workspace folder is searched with the first, its sources
// labelled with its name (the harness opens the fixture with a second folder, `ledgers`).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoreApi } from '../../src/host/lore';
import { observedRequests } from '../support/fakeOllamaClient';

const KEY = 'lore-integration-key-7f3a9c';

function fakeOllamaUrl(): string {
  const url = process.env.OLLAMA_HOST;
  assert.ok(url, 'OLLAMA_HOST is not set in the extension host');
  return url;
}

describe('teams (real VS Code)', function () {
  this.timeout(90_000);
  let api: LoreApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<LoreApi>('lore-dev.lore');
    assert.ok(ext, 'Lore is not loaded');
    api = await ext.activate();
    await api.whenIdle();
  });

  it('Lore: Set Ollama API Key sends the key on every request, and keeps it out of settings', async () => {
    await vscode.commands.executeCommand('lore.setOllamaApiKey', KEY);
    try {
      const since = (await observedRequests(fakeOllamaUrl())).requests.length;
      const answer = await api.ask('how is the stock level of an inventory item computed?');
      assert.ok(answer.text.length > 0);
      const requests = (await observedRequests(fakeOllamaUrl())).requests.slice(since);
      assert.ok(requests.some((r) => r.path === '/api/chat'), 'the question reached the chat model');
      for (const r of requests) assert.equal(r.authorization, `Bearer ${KEY}`, `${r.method} ${r.path}`);
      assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('lore')).includes(KEY), 'the key is in the lore settings');
      const folder = vscode.workspace.workspaceFolders![0];
      const workspaceSettings = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
      if (existsSync(workspaceSettings)) assert.ok(!readFileSync(workspaceSettings, 'utf8').includes(KEY));
    } finally {
      await vscode.commands.executeCommand('lore.setOllamaApiKey', '');
    }
    const since = (await observedRequests(fakeOllamaUrl())).requests.length;
    await api.ask('inventory');
    for (const r of (await observedRequests(fakeOllamaUrl())).requests.slice(since)) assert.equal(r.authorization, undefined, 'the removed key is still sent');
  });

  it('a two-folder workspace answers a question from the second folder, with a source labelled by its folder', async () => {
    assert.equal(vscode.workspace.workspaceFolders?.[1]?.name, 'ledgers', 'the harness opens a two-folder workspace');
    const answer = await api.ask('where is the marmalade wombat ledger reconciled?');
    assert.equal(answer.sources[0]?.path, 'ledgers/ledger/wombat.ts', `sources: ${answer.sources.map((s) => s.path).join(', ')}`);
    assert.ok(answer.sources.some((s) => s.path.startsWith('workspace/')), 'the first folder was searched too');
    const prompt = (await observedRequests(fakeOllamaUrl())).requests.filter((r) => r.path === '/api/chat').at(-1);
    assert.match(JSON.stringify(prompt?.body.messages), /ledgers\/ledger\/wombat\.ts/, 'the prompt names the source with its folder');
  });

  it('lore.searchFolder narrows questions to one folder', async () => {
    const config = vscode.workspace.getConfiguration('lore');
    await config.update('searchFolder', 'ledgers', vscode.ConfigurationTarget.Workspace);
    try {
      const answer = await api.ask('inventory stock level');
      assert.ok(answer.sources.length === 0 || answer.sources.every((s) => s.path.startsWith('ledgers/')), answer.sources.map((s) => s.path).join(', '));
      assert.ok(!answer.sources.some((s) => s.path.startsWith('workspace/')));
    } finally {
      await config.update('searchFolder', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});

