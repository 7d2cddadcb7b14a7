// Workspace trust, in a real VS Code (code-server's server, the workbench in headless Chromium): a
// folder opened in Restricted Mode whose .vscode/settings.json points `lore.ollamaHost` at another
// loopback server must not redirect anything there; the host from the user settings gets the requests.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startFakeOllamaProcess, type FakeOllamaProcess } from '../support/fakeOllamaProcess';
import { observedRequests } from '../support/fakeOllamaClient';
import { makeTempDir, removeDir, writeTree } from '../support/tempTree';
import { CHROMIUM_PATH, openWorkbench, REPO_ROOT, startVSCodeServer, VSCODE_SERVER_DIR, type VSCodeServer, type Workbench } from '../support/vscodeServer';
import { assertCliBuilt, waitFor } from './helpers';

describe('reliability: Restricted Mode in a real VS Code', function () {
  this.timeout(180_000);
  let workspace: string;
  let configured: FakeOllamaProcess;
  let decoy: FakeOllamaProcess;
  let server: VSCodeServer | undefined;
  let workbench: Workbench | undefined;

  before(function () {
    assertCliBuilt();
    if (!existsSync(VSCODE_SERVER_DIR) || !existsSync(CHROMIUM_PATH)) {
      throw new Error(`needs the VS Code server (${VSCODE_SERVER_DIR}: node scripts/setup-vscode.mjs) and Chromium (${CHROMIUM_PATH})`);
    }
  });
  afterEach(async () => {
    await workbench?.close();
    await server?.stop();
    await configured?.stop();
    await decoy?.stop();
    removeDir(workspace);
  });

  it('a workspace setting cannot redirect lore.ollamaHost: the decoy server receives nothing', async () => {
    configured = await startFakeOllamaProcess();
    decoy = await startFakeOllamaProcess();
    workspace = makeTempDir('lore-rel-trust-');
    writeTree(workspace, {
      '.vscode/settings.json': JSON.stringify({ 'lore.ollamaHost': decoy.url, 'lore.embedModel': 'decoy-model' }),
      'src/app.ts': 'export function restrictedModeMarker() { return 1; }\n',
    });
    server = await startVSCodeServer({ workspaceTrust: true, userSettings: { 'lore.ollamaHost': configured.url, 'security.workspace.trust.startupPrompt': 'never' } });
    workbench = await openWorkbench(server, { folder: workspace, extensionDevelopmentPath: REPO_ROOT });
    // Lore starts, probes its host and embeds the folder: all of it at the configured server.
    await waitFor(async () => (await observedRequests(configured.url)).requests.some((r) => r.path === '/api/embed'), 120_000, 'the configured server to receive embeddings');
    const embed = (await observedRequests(configured.url)).requests.find((r) => r.path === '/api/embed')!;
    assert.equal(embed.body.model, 'nomic-embed-text', 'the workspace cannot change the embedding model in Restricted Mode either');
    assert.match(JSON.stringify(embed.body.input), /restrictedModeMarker/);
    assert.deepEqual((await observedRequests(decoy.url)).requests, [], 'nothing was sent to the workspace-configured host');
  });
});
