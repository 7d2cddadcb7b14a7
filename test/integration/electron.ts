// Alternative runner for machines that can download VS Code (LORE_TEST_ELECTRON=1): the desktop build
// through @vscode/test-electron, with the same test module, environment and user settings as the
// VS Code server harness. On Linux without a display, run it under `xvfb-run -a`.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { QUIET_TEST_SETTINGS } from '../support/vscodeServer';
import { makeTempDir, removeDir } from '../support/tempTree';

export interface ExtensionTestRun {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace: string;
  env: Record<string, string>;
  userSettings: Record<string, unknown>;
}

/** Resolves when VS Code exited; the verdict is the results file, not this promise. */
export async function runTestsInElectron(run: ExtensionTestRun): Promise<void> {
  const dataRoot = makeTempDir('lore-electron-');
  const userDataDir = path.join(dataRoot, 'user-data');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_TEST_SETTINGS, ...run.userSettings }, null, 2));
  try {
    await runTests({
      version: process.env.LORE_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: run.extensionDevelopmentPath,
      extensionTestsPath: run.extensionTestsPath,
      extensionTestsEnv: run.env,
      launchArgs: [
        run.workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(dataRoot, 'extensions')}`,
      ],
    });
  } catch (err) {
    // runTests also rejects when tests failed; the results file tells which case this is.
    console.error(`VS Code (desktop) exited with an error: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    removeDir(dataRoot);
  }
}
