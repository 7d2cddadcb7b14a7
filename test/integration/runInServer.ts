// Integration harness (`npm run test:integration`, after the build): runs the suite in
// out/test/integration/ inside a real VS Code with the extension loaded from this repository, against
// a copy of test/fixtures/workspace and the fake Ollama server. By default the VS Code server from
// code-server in headless Chromium; with LORE_TEST_ELECTRON=1 the desktop build (needs internet).
// The verdict comes from the results file the suite writes (see results.ts); the last line printed is
// `N passed, N failed`.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cleanupStack } from '../support/processes';
import { startFakeOllamaProcess } from '../support/fakeOllamaProcess';
import { makeTempDir, removeDir } from '../support/tempTree';
import { openWorkbench, REPO_ROOT, startVSCodeServer } from '../support/vscodeServer';
import { runTestsInElectron, type ExtensionTestRun } from './electron';
import { formatResults, readResults, resultsSucceeded, RESULTS_FILE_ENV } from './results';

const TIMEOUT_MS = Number(process.env.LORE_TEST_TIMEOUT_MS ?? 10 * 60_000);
const SCREENSHOT = path.join(REPO_ROOT, '.vscode-test', 'last-run.png');
const EXTENSION_TESTS_PATH = path.join(__dirname, 'index.js');

/** Stops whatever was started, also when the run is interrupted. */
const cleanups = cleanupStack();

/**
 * A two-folder workspace: the fixture (first, where the suites work), plus what git cannot hold
 * (`secret-build/` is ignored by the fixture's own .gitignore), and a second folder, `ledgers`,
 * for the multi-root questions.
 */
function prepareWorkspace(root: string): string {
  const workspace = path.join(root, 'workspace');
  cpSync(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  mkdirSync(path.join(workspace, 'secret-build'));
  writeFileSync(path.join(workspace, 'secret-build', 'credentials.ts'), "export const DEPLOY_TOKEN = 'lore-must-never-index-this';\n");
  const second = path.join(root, 'second');
  mkdirSync(path.join(second, 'ledger'), { recursive: true });
  writeFileSync(
    path.join(second, 'ledger', 'wombat.ts'),
    'export function wombatLedgerReconcile(entries: number[]): number {\n  // the marmalade wombat ledger is reconciled here, nightly\n  return entries.reduce((a, b) => a + b, 0);\n}\n',
  );
  const file = path.join(root, 'lore-tests.code-workspace');
  writeFileSync(file, JSON.stringify({ folders: [{ path: workspace }, { path: second, name: 'ledgers' }] }, null, 2));
  return file;
}

async function runInVSCodeServer(run: ExtensionTestRun, resultsFile: string): Promise<void> {
  const server = await startVSCodeServer({ env: run.env, userSettings: run.userSettings });
  cleanups.push(() => server.stop());
  const workbench = await openWorkbench(server, {
    folder: run.workspace,
    extensionDevelopmentPath: run.extensionDevelopmentPath,
    extensionTestsPath: run.extensionTestsPath,
  });
  cleanups.push(() => workbench.close());

  const outcome = await waitForResults(resultsFile, () => /Extension Host Process exited/.test(server.log()));
  await workbench.page.screenshot({ path: SCREENSHOT }).catch((err: unknown) => console.error(`screenshot failed: ${String(err)}`));
  if (outcome !== 'written') {
    console.error(outcome === 'timeout' ? `No results after ${TIMEOUT_MS / 1000}s.` : 'The extension host exited without writing results.');
    console.error(`--- VS Code server log (tail) ---\n${tail(server.log(), 60)}`);
    console.error(`--- extension host log (tail) ---\n${tail(server.extensionHostLog(), 80)}`);
    console.error(`--- browser console errors (last 20) ---\n${workbench.consoleErrors.slice(-20).join('\n')}`);
  }
}

async function waitForResults(resultsFile: string, hostExited: () => boolean): Promise<'written' | 'host-exited' | 'timeout'> {
  const deadline = Date.now() + TIMEOUT_MS;
  let exitSeenAt: number | undefined;
  while (Date.now() < deadline) {
    if (existsSync(resultsFile)) return 'written';
    if (exitSeenAt === undefined && hostExited()) exitSeenAt = Date.now();
    // The file is written before the host exits; the grace only covers file system lag.
    if (exitSeenAt !== undefined && Date.now() - exitSeenAt > 3000) return 'host-exited';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return 'timeout';
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function main(): Promise<number> {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const root = makeTempDir('lore-integration-');
  cleanups.push(async () => removeDir(root));
  const resultsFile = path.join(root, 'results.json');
  const ollama = await startFakeOllamaProcess();
  cleanups.push(() => ollama.stop());

  const run: ExtensionTestRun = {
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: EXTENSION_TESTS_PATH,
    workspace: prepareWorkspace(root),
    env: { OLLAMA_HOST: ollama.url, [RESULTS_FILE_ENV]: resultsFile },
    userSettings: { 'lore.ollamaHost': ollama.url },
  };
  const started = Date.now();
  if (process.env.LORE_TEST_ELECTRON === '1') await runTestsInElectron(run);
  else await runInVSCodeServer(run, resultsFile);

  if (!existsSync(resultsFile)) {
    console.log('\nThe integration suite wrote no results file.\n0 passed, 0 failed');
    return 1;
  }
  const results = readResults(resultsFile);
  console.log(`\nIntegration run took ${((Date.now() - started) / 1000).toFixed(0)}s.`);
  if (results.passed + results.failed === 0) console.log('No test ran.');
  console.log(formatResults(results));
  return resultsSucceeded(results) ? 0 : 1;
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    console.log('0 passed, 0 failed');
    return 1;
  })
  .then(async (exitCode) => {
    await cleanups.run();
    process.exit(exitCode);
  });
