// The built CLI (`dist/cli.js`) as a user runs it: a real child process, with no inherited OLLAMA_HOST
// or OLLAMA_API_KEY.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const CLI = path.join(REPO, 'dist/cli.js');

export function assertCliBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliRun>;
}

/** Starts `lore ...args`; `onStdout` sees the output so far as it arrives. */
export function startLore(args: string[], env: NodeJS.ProcessEnv = {}, onStdout?: (soFar: string) => void): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, OLLAMA_HOST: '', OLLAMA_API_KEY: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout);
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function lore(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return startLore(args, env).done;
}

/** A loopback port nothing listens on: connection refused, like a stopped Ollama. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}
