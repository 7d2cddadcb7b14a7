// First checks in a real VS Code: the extension loads and activates, every command package.json
// contributes is registered, and the environment the harness prepared reaches the extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'lore-dev.lore';

interface ContributedCommand {
  command: string;
}

function loreExtension(): vscode.Extension<unknown> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded in the extension host`);
  return extension;
}

describe('Lore extension (smoke)', () => {
  it('is present and activates', async () => {
    const extension = loreExtension();
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command its package.json contributes', async () => {
    const extension = loreExtension();
    await extension.activate();
    const contributed = (extension.packageJSON.contributes.commands as ContributedCommand[]).map((c) => c.command);
    // Guards the comparison below against an empty or truncated contribution list.
    for (const command of ['lore.reindex', 'lore.clearIndex', 'lore.pauseIndexing', 'lore.resumeIndexing', 'lore.showStatus', 'lore.pullEmbedModel']) {
      assert.ok(contributed.includes(command), `package.json no longer contributes ${command}`);
    }
    const registered = new Set(await vscode.commands.getCommands(true));
    const unregistered = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(unregistered, [], `contributed but not registered after activation: ${unregistered.join(', ')}`);
  });
});

describe('integration test environment', () => {
  it('opens the fixture workspace, with a second folder', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(folders.map((f) => f.name), ['workspace', 'ledgers']);
    const readme = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folders[0].uri, 'README.md'));
    assert.match(Buffer.from(readme).toString('utf8'), /^# /m);
  });

  it('points Lore at the fake Ollama through user settings and the environment', () => {
    const fakeOllama = process.env.OLLAMA_HOST;
    assert.ok(fakeOllama, 'OLLAMA_HOST is not set in the extension host');
    assert.equal(vscode.workspace.getConfiguration('lore').get<string>('ollamaHost'), fakeOllama);
  });
});
