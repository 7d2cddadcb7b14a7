#!/usr/bin/env node
// Installs the VS Code server shipped in the `code-server` npm package into .vscode-test/ so the
// integration tests and `npm start` can run the real workbench where Microsoft's download server is
// unreachable (see /work/shared/docs/testing-in-real-vscode.md). Idempotent: a marker file written
// last says the install is complete; anything without it is removed and redone.
// Does not install system packages: it names the missing ones (`.ci/run` installs them in CI).
//   node scripts/setup-vscode.mjs [--unless-electron]   (the flag skips it when LORE_TEST_ELECTRON=1)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, copyFileSync, writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE_SERVER_VERSION = '4.100.3';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const installDir = path.join(repoRoot, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const serverMain = path.join(installDir, 'lib', 'vscode', 'out', 'server-main.js');
const markerFile = path.join(installDir, '.lore-setup-complete');
/** Native modules are built for one Node ABI; a different Node means a rebuild. */
const markerContent = `code-server ${CODE_SERVER_VERSION}\nnode ${process.version} abi ${process.versions.modules}\n`;

/** Native modules the server loads; their install scripts are skipped, so they are built here. */
const nativeModules = ['@vscode/deviceid', '@vscode/spdlog', 'kerberos', 'native-watchdog', 'node-pty', '@parcel/watcher'];

function which(command) {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function pkgConfigHas(module) {
  return spawnSync('pkg-config', ['--exists', module]).status === 0;
}

/** Every missing prerequisite with the Debian package that provides it. */
function missingPrerequisites() {
  const missing = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 20) missing.push({ what: `Node 20 (code-server ${CODE_SERVER_VERSION} requires it; this is ${process.version})`, apt: 'nodejs (20.x)' });
  if (!which('chromium') && !existsSync('/usr/bin/chromium')) missing.push({ what: 'Chromium (runs the workbench)', apt: 'chromium' });
  if (!which('rg')) missing.push({ what: 'ripgrep (VS Code search; its npm installer downloads from GitHub)', apt: 'ripgrep' });
  const hasPkgConfig = Boolean(which('pkg-config'));
  if (!hasPkgConfig) missing.push({ what: 'pkg-config', apt: 'pkg-config' });
  const libraries = [
    { module: 'krb5-gssapi', what: 'Kerberos headers (kerberos native module)', apt: 'libkrb5-dev' },
    { module: 'x11', what: 'X11 headers', apt: 'libx11-dev' },
    { module: 'xkbfile', what: 'xkbfile headers', apt: 'libxkbfile-dev' },
    { module: 'libsecret-1', what: 'libsecret headers', apt: 'libsecret-1-dev' },
  ];
  for (const library of libraries) {
    if (hasPkgConfig && !pkgConfigHas(library.module)) missing.push(library);
  }
  for (const [tool, apt] of [['make', 'make'], ['c++', 'g++'], ['python3', 'python3']]) {
    if (!which(tool)) missing.push({ what: `${tool} (node-gyp builds native modules)`, apt });
  }
  return missing;
}

/** Runs a command; its output is shown only when it fails, so a good install stays readable. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_loglevel: 'error' } });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd} (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

/** npm's bundled node-gyp: the one `npm install` would use. */
function nodeGypScript() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmCli = realpathSync(which('npm'));
  const script = path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(script)) throw new Error(`node-gyp not found next to npm (${script})`);
  return script;
}

/** Local Node headers when present (no network); otherwise node-gyp fetches them itself. */
function nodeGypArgs() {
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? [`--nodedir=${prefix}`] : [];
}

function timed(label, action) {
  const start = Date.now();
  console.log(`[setup-vscode] ${label}...`);
  action();
  console.log(`[setup-vscode] ${label}: ${((Date.now() - start) / 1000).toFixed(1)}s`);
}

function install() {
  const partialDir = `${installDir}.partial`;
  rmSync(installDir, { recursive: true, force: true });
  rmSync(partialDir, { recursive: true, force: true });
  mkdirSync(path.dirname(installDir), { recursive: true });
  const downloadDir = mkdtempSync(path.join(path.dirname(installDir), 'download-'));
  try {
    timed('npm pack', () => {
      run('npm', ['pack', `code-server@${CODE_SERVER_VERSION}`, '--pack-destination', downloadDir, '--silent'], downloadDir);
      run('tar', ['xzf', path.join(downloadDir, `code-server-${CODE_SERVER_VERSION}.tgz`), '-C', downloadDir]);
      renameSync(path.join(downloadDir, 'package'), partialDir);
    });
  } finally {
    rmSync(downloadDir, { recursive: true, force: true });
  }
  const vscodeDir = path.join(partialDir, 'lib', 'vscode');
  timed('npm install (code-server)', () => run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], partialDir));
  timed('npm install (lib/vscode)', () => run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir));
  const gyp = nodeGypScript();
  for (const module of nativeModules) {
    timed(`node-gyp rebuild ${module}`, () =>
      run(process.execPath, [gyp, 'rebuild', ...nodeGypArgs()], path.join(vscodeDir, 'node_modules', module)));
  }
  const ripgrepBin = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(ripgrepBin, { recursive: true });
  copyFileSync(realpathSync(which('rg')), path.join(ripgrepBin, 'rg'));
  chmodSync(path.join(ripgrepBin, 'rg'), 0o755);
  // The server resolves some modules through `node_modules.asar`, which only exists in packaged builds.
  symlinkSync('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  timed('npm install (built-in extensions)', () =>
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], path.join(vscodeDir, 'extensions')));
  renameSync(partialDir, installDir);
  writeFileSync(markerFile, markerContent);
}

export function isInstalled() {
  return existsSync(markerFile) && readFileSync(markerFile, 'utf8') === markerContent && existsSync(serverMain);
}

function main() {
  if (process.argv.includes('--unless-electron') && process.env.LORE_TEST_ELECTRON === '1') {
    console.log('[setup-vscode] LORE_TEST_ELECTRON=1: the tests use the desktop VS Code; nothing to install');
    return;
  }
  if (isInstalled()) {
    console.log(`[setup-vscode] VS Code server (code-server ${CODE_SERVER_VERSION}) already installed in ${path.relative(repoRoot, installDir)}`);
    return;
  }
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    console.error('[setup-vscode] Missing prerequisites:');
    for (const item of missing) console.error(`  - ${item.what}`);
    const aptPackages = [...new Set(missing.map((item) => item.apt).filter((apt) => !apt.includes(' ')))];
    if (aptPackages.length > 0) console.error(`Install them with:\n  sudo apt-get install -y ${aptPackages.join(' ')}`);
    process.exit(1);
  }
  const start = Date.now();
  install();
  console.log(`[setup-vscode] installed VS Code server in ${path.relative(repoRoot, installDir)} (${((Date.now() - start) / 1000).toFixed(0)}s)`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
