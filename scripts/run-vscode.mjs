#!/usr/bin/env node
// `npm start`: runs the extension from this folder in a real VS Code, the server installed by
// setup-vscode.mjs, on http://127.0.0.1:8125 (or $LORE_VSCODE_PORT); open the printed URL in a browser.
//   node scripts/run-vscode.mjs [folder]     (default: this repository)
// The server ignores --extensionDevelopmentPath, so the extension is linked into a dedicated
// extensions folder instead: a reload picks up a rebuilt dist/. Settings, trust decisions and state
// persist in .vscode-test/run/. Ctrl+C stops the server.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installDir, isInstalled, serverMain } from './setup-vscode.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.LORE_VSCODE_PORT ?? 8125);
const stateDir = path.join(repoRoot, '.vscode-test', 'run');
const extensionsDir = path.join(stateDir, 'extensions');

function fail(message) {
  console.error(`[run-vscode] ${message}`);
  process.exit(1);
}

/** Links this repository as the installed `lore-dev.lore-<version>`, replacing links to other versions. */
function linkExtension() {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const id = `${manifest.publisher}.${manifest.name}`;
  const link = path.join(extensionsDir, `${id}-${manifest.version}`);
  mkdirSync(extensionsDir, { recursive: true });
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() && readlinkSync(link) === repoRoot) return;
  for (const entry of readdirSync(extensionsDir)) {
    if (entry.startsWith(`${id}-`)) rmSync(path.join(extensionsDir, entry), { recursive: true, force: true });
  }
  symlinkSync(repoRoot, link);
  // The server records installed extensions in extensions.json; without it, it rescans the folder.
  rmSync(path.join(extensionsDir, 'extensions.json'), { force: true });
}

function main() {
  const folder = path.resolve(process.argv[2] ?? repoRoot);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) fail(`${folder} is not a folder`);
  if (!isInstalled()) fail('the VS Code server is not installed: run `node scripts/setup-vscode.mjs` first (`npm start` does)');
  if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) fail('dist/extension.js is missing: run `npm run build` first (`npm start` does)');
  linkExtension();

  const logFile = path.join(stateDir, 'server.log');
  const log = createWriteStream(logFile);
  const server = spawn(process.execPath, [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--user-data-dir', path.join(stateDir, 'user-data'),
    '--server-data-dir', path.join(stateDir, 'server-data'),
    '--extensions-dir', extensionsDir,
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  let announced = false;
  const onData = (chunk) => {
    log.write(chunk);
    if (announced) return;
    output += chunk.toString('utf8');
    if (/Extension host agent listening on/.test(output)) {
      announced = true;
      console.log(`Lore in the VS Code server from ${path.basename(installDir)}; open:`);
      console.log(`  http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
      console.log(`Server log: ${path.relative(process.cwd(), logFile)}. Ctrl+C stops the server.`);
    }
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);

  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM'); // the whole group: extension host and pty host too
    } catch {
      // Already gone.
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code, signal) => {
    if (!announced) console.error(`[run-vscode] the server stopped before listening (code ${code ?? signal}):\n${output.slice(-3000)}`);
    process.exit(signal === 'SIGTERM' || code === 0 ? 0 : 1);
  });
}

main();
