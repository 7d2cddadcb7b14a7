// A real VS Code (the server shipped in code-server, installed by scripts/setup-vscode.mjs) and its
// workbench in headless Chromium, for the integration harness and the end-to-end tests. Facts behind
// the choices: /work/shared/docs/testing-in-real-vscode.md.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawnManaged } from './processes';
import { makeTempDir, removeDir } from './tempTree';

export const CODE_SERVER_VERSION = '4.100.3';
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const VSCODE_SERVER_DIR = path.join(REPO_ROOT, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const SETUP_MARKER = path.join(VSCODE_SERVER_DIR, '.lore-setup-complete');
const SERVER_MAIN = path.join(VSCODE_SERVER_DIR, 'lib', 'vscode', 'out', 'server-main.js');

/** Settings that keep a test workbench quiet and offline; tests add their own on top. */
export const QUIET_TEST_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'typescript.disableAutomaticTypeAcquisition': true,
};

export interface VSCodeServerOptions {
  /** Added to this process's environment; the extension host inherits it. */
  env?: NodeJS.ProcessEnv;
  /** Written to the user settings.json, which the server keeps in `<user-data-dir>/User/`. */
  userSettings?: Record<string, unknown>;
  /** Default false: tests that are not about Restricted Mode run with workspace trust disabled. */
  workspaceTrust?: boolean;
  /** Default: a fresh temporary folder. */
  extensionsDir?: string;
}

export interface VSCodeServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** The server's own output so far (most recent part). */
  log(): string;
  /** The newest extension host log, or '' before the first extension host started. */
  extensionHostLog(): string;
  /** Stops the server and everything it spawned; removes its temporary folders. */
  stop(): Promise<void>;
}

export function assertVSCodeServerInstalled(): void {
  if (!existsSync(SETUP_MARKER) || !existsSync(SERVER_MAIN)) {
    throw new Error(`The VS Code server is not installed in ${VSCODE_SERVER_DIR}: run \`node scripts/setup-vscode.mjs\` first.`);
  }
}

export async function startVSCodeServer(options: VSCodeServerOptions = {}): Promise<VSCodeServer> {
  assertVSCodeServerInstalled();
  const dataRoot = makeTempDir('lore-vscode-');
  const userDataDir = path.join(dataRoot, 'user-data');
  const serverDataDir = path.join(dataRoot, 'server-data');
  const extensionsDir = options.extensionsDir ?? path.join(dataRoot, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_TEST_SETTINGS, ...options.userSettings }, null, 2),
  );

  const args = [
    SERVER_MAIN,
    '--host', '127.0.0.1',
    '--port', '0',
    '--without-connection-token',
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--user-data-dir', userDataDir,
    '--server-data-dir', serverDataDir,
    '--extensions-dir', extensionsDir,
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
  ];
  const server = spawnManaged(process.execPath, args, { env: { ...process.env, ...options.env } });
  const stop = async (): Promise<void> => {
    await server.stop();
    removeDir(dataRoot);
  };
  try {
    const [, port] = await server.waitForOutput(/Extension host agent listening on (\d+)/, 60_000);
    return {
      origin: `http://127.0.0.1:${port}`,
      userDataDir,
      extensionsDir,
      log: server.output,
      extensionHostLog: () => newestExtensionHostLog(path.join(userDataDir, 'logs')),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function newestExtensionHostLog(logsDir: string): string {
  if (!existsSync(logsDir)) return '';
  const logs = (readdirSync(logsDir, { recursive: true }) as string[])
    .filter((file) => path.basename(file) === 'remoteexthost.log')
    .map((file) => path.join(logsDir, file));
  const newest = logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return newest ? readFileSync(newest, 'utf8') : '';
}

export interface WorkbenchTarget {
  /** Absolute path of the folder (or `.code-workspace` file, for a multi-root workspace) to open, on the server's file system. */
  folder: string;
  /** Loads an extension from this folder, as the "Extension Development Host" does. */
  extensionDevelopmentPath?: string;
  /** Module whose `run()` the extension host calls, then exits (requires extensionDevelopmentPath). */
  extensionTestsPath?: string;
}

/** The workbench URL; development and test paths travel in the `payload` query parameter. */
export function workbenchUrl(server: Pick<VSCodeServer, 'origin'>, target: WorkbenchTarget): string {
  const remote = (file: string): string => `vscode-remote://${new URL(server.origin).host}${file}`;
  const payload: Array<[string, string]> = [];
  if (target.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(target.extensionDevelopmentPath)]);
  if (target.extensionTestsPath) payload.push(['extensionTestsPath', remote(target.extensionTestsPath)]);
  const query = new URLSearchParams(target.folder.endsWith('.code-workspace') ? { workspace: target.folder } : { folder: target.folder });
  if (payload.length > 0) query.set('payload', JSON.stringify(payload));
  return `${server.origin}/?${query}`;
}

export interface Workbench {
  readonly browser: Browser;
  readonly page: Page;
  /** Errors the page logged or threw, for failure reports. */
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

export const CHROMIUM_PATH = process.env.LORE_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Opens the workbench in headless Chromium and waits until it has rendered. */
export async function openWorkbench(
  server: Pick<VSCodeServer, 'origin'>,
  target: WorkbenchTarget,
  viewport = { width: 1280, height: 800 },
): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    // The harness owns signal handling so it can stop the server and the fake Ollama too.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  try {
    const page = await browser.newPage({ viewport });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    await page.goto(workbenchUrl(server, target));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return { browser, page, consoleErrors, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
