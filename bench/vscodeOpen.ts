// Opens a prebuilt store inside the real VS Code's extension host (the VS Code server from
// code-server, as the integration tests run it) and prints the host's longest event-loop block
// while it loads. Not part of `npm test`: a 1M-chunk store takes a minute to open.
//   node out/bench/vscodeOpen.js <storeDir>
import { cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cleanupStack } from '../test/support/processes';
import { makeTempDir, removeDir } from '../test/support/tempTree';
import { openWorkbench, REPO_ROOT, startVSCodeServer } from '../test/support/vscodeServer';

const TIMEOUT_MS = 15 * 60_000;

async function main(): Promise<void> {
  const storeDir = path.resolve(process.argv[2] ?? '');
  if (!existsSync(path.join(storeDir, 'store.json'))) throw new Error(`no store in ${storeDir}`);
  const cleanups = cleanupStack();
  try {
    const root = makeTempDir('lore-vscode-open-');
    cleanups.push(async () => removeDir(root));
    const resultFile = path.join(root, 'result.json');
    const workspace = path.join(root, 'workspace');
    cpSync(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
    const server = await startVSCodeServer({ env: { LORE_SCALE_STORE: storeDir, LORE_SCALE_RESULT: resultFile } });
    cleanups.push(() => server.stop());
    const workbench = await openWorkbench(server, {
      folder: workspace,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(__dirname, 'vscodeOpenProbe.js'),
    });
    cleanups.push(() => workbench.close());
    const deadline = Date.now() + TIMEOUT_MS;
    while (!existsSync(resultFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    if (!existsSync(resultFile)) throw new Error(`no result after ${TIMEOUT_MS / 1000} s\n${server.extensionHostLog().slice(-4000)}`);
    console.log(readFileSync(resultFile, 'utf8'));
  } finally {
    await cleanups.run();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
