// Child processes for the integration and end-to-end harnesses (VS Code server, fake Ollama): each runs
// in its own process group so that stopping it also stops what it spawned (the extension host, the
// pty host, file watchers), and every live group is killed if the harness itself exits abruptly.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

const OUTPUT_TAIL_LIMIT = 200_000;

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Combined stdout and stderr seen so far (the most recent part when it is long). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on timeout or early exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnManaged(command: string, args: string[], options: Omit<SpawnOptions, 'detached' | 'stdio'> = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  liveGroups.add(pid);

  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_LIMIT);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      for (const listener of listeners) listener();
      resolve();
    });
  });

  return {
    child,
    output: () => output,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern);
          if (match) finish(() => resolve(match));
          else if (exitCode !== undefined) finish(() => reject(new Error(`${command} exited (code ${exitCode}) before printing ${pattern}:\n${output.slice(-4000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`))), timeoutMs);
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (exitCode === undefined) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(pid, 'SIGKILL'); // the leader is gone; what it spawned may not be
      liveGroups.delete(pid);
    },
  };
}

/**
 * A stack of clean-ups for a test runner's processes and folders, run in reverse on `run()` and on
 * Ctrl+C / SIGTERM, so an interrupted run leaves nothing behind.
 */
export function cleanupStack(): { push(cleanup: () => Promise<void>): void; run(): Promise<void> } {
  const cleanups: Array<() => Promise<void>> = [];
  const run = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => console.error(`cleanup failed: ${String(err)}`));
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping VS Code, the browser and the fake Ollama`);
      void run().finally(() => process.exit(130));
    });
  }
  return { push: (cleanup) => cleanups.push(cleanup), run };
}
