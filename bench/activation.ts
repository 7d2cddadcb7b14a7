// Extension activation time: dist/extension.js is required and activated in plain Node with a stand-in
// `vscode` module that accepts any call, and timed until `activate` returns (Lore opens its indexes
// on a later turn, so that is all the extension host waits for).
import { mkdirSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Any property, call or `new` on it gives another one (assignments are kept): enough for wiring code. */
function anything(): unknown {
  const assigned = new Map<string | symbol, unknown>();
  const target = function () {} as unknown as object;
  return new Proxy(target, {
    get: (_, key) => {
      if (assigned.has(key)) return assigned.get(key);
      if (key === 'then') return undefined;
      if (key === Symbol.toPrimitive) return () => '';
      if (key === Symbol.iterator) return [][Symbol.iterator];
      return anything();
    },
    set: (_, key, value) => {
      assigned.set(key, value);
      return true;
    },
    apply: () => anything(),
    construct: () => anything() as object,
  });
}

function fileUri(fsPath: string): unknown {
  return { fsPath, path: fsPath, scheme: 'file', toString: () => `file://${fsPath}` };
}

/**
 * The bundler copies the module's own properties, so the stand-in gets one per name the VS Code API
 * exports (read from @types/vscode), each accepting anything.
 */
function standInVscode(): Record<string, unknown> {
  const types = readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
  const names = new Set([...types.matchAll(/^\s*export (?:namespace|class|enum|const|function|let) ([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]));
  return Object.fromEntries([...names].map((name) => [name, anything()]));
}

export async function measureActivation(dir: string): Promise<Record<string, number>> {
  const extensionPath = path.resolve(__dirname, '../..');
  const bundlePath = path.join(extensionPath, 'dist', 'extension.js');
  const vscode = standInVscode();
  const moduleWithLoad = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = moduleWithLoad._load;
  moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const state = new Map<string, unknown>();
  const memento = { get: (key: string, fallback?: unknown) => state.get(key) ?? fallback, update: async (key: string, value: unknown) => void state.set(key, value), keys: () => [...state.keys()] };
  const context = {
    subscriptions: [] as Array<{ dispose(): unknown }>,
    extensionPath,
    extensionUri: fileUri(extensionPath),
    storageUri: fileUri(path.join(dir, 'storage')),
    globalStorageUri: fileUri(path.join(dir, 'global')),
    logUri: fileUri(path.join(dir, 'log')),
    workspaceState: memento,
    globalState: { ...memento, setKeysForSync: () => undefined },
    secrets: anything(),
    extensionMode: 1,
    // The host reads its version here (for the MCP server definition).
    extension: { packageJSON: JSON.parse(readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as unknown },
  };
  const started = performance.now();
  // Loaded as CommonJS by path, as the extension host loads it.
  const extension = Module.createRequire(__filename)(bundlePath) as { activate(context: unknown): unknown };
  const required = performance.now();
  extension.activate(context);
  const activated = performance.now();
  return { activationMs: Math.round((activated - started) * 10) / 10, requireMs: Math.round((required - started) * 10) / 10 };
}
