// The slice of the `vscode` API that the chat view (src/host/chat/) uses, backed by the real file system and
// recording what the provider asks VS Code to do. Importing it makes `require('vscode')` load this
// module, so the provider runs in plain Node.
import { promises as fsp, statSync } from 'node:fs';
import Module from 'node:module';
import * as nodePath from 'node:path';

export class Uri {
  private constructor(readonly scheme: string, readonly authority: string, readonly path: string, readonly query = '', readonly fragment = '') {}

  static file(fsPath: string): Uri {
    return new Uri('file', '', nodePath.resolve(fsPath));
  }

  static parse(value: string, strict = false): Uri {
    const url = new URL(value);
    if (strict && !url.protocol) throw new Error(`no scheme: ${value}`);
    return new Uri(url.protocol.replace(/:$/, ''), url.host, decodeURIComponent(url.pathname), url.search.replace(/^\?/, ''), url.hash.replace(/^#/, ''));
  }

  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, base.authority, nodePath.posix.join(base.path, ...segments));
  }

  get fsPath(): string {
    return this.path;
  }

  toString(): string {
    if (this.scheme === 'file') return `file://${this.path}`;
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
}

export class Range {
  constructor(readonly startLine: number, readonly startCharacter: number, readonly endLine: number, readonly endCharacter: number) {}
}

export enum FileType {
  Unknown = 0,
  File = 1,
  Directory = 2,
}

export class Disposable {
  constructor(private readonly onDispose: () => void) {}
  static from(...disposables: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => disposables.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

export interface FakeTextDocument {
  uri: Uri;
  lineCount: number;
  lineAt(line: number): { text: string };
}

export interface FakeEditor {
  document: FakeTextDocument;
  viewColumn: number;
  selections: Range[];
  edits: Array<{ range: Range; text: string }>;
  edit(build: (edit: { replace(range: Range, text: string): void }) => void): Promise<boolean>;
}

/** What the provider did, for the tests to check; `reset()` between tests. */
export const recorded = {
  commands: [] as string[],
  clipboard: [] as string[],
  external: [] as string[],
  shown: [] as Array<{ path: string; selection?: Range }>,
  warnings: [] as string[],
  infos: [] as string[],
};

export const state = {
  folders: [] as Array<{ uri: Uri; name: string; index: number }>,
  activeEditor: undefined as FakeEditor | undefined,
  /** Registered webview view providers by view id, with their options. */
  viewProviders: new Map<string, { provider: unknown; options: unknown }>(),
};

export function reset(): void {
  for (const list of Object.values(recorded)) list.length = 0;
  state.folders = [];
  state.activeEditor = undefined;
  state.viewProviders.clear();
}

export function fakeEditor(document: FakeTextDocument, selections: Range[]): FakeEditor {
  const editor: FakeEditor = {
    document,
    viewColumn: 1,
    selections,
    edits: [],
    async edit(build) {
      build({ replace: (range, text) => editor.edits.push({ range, text }) });
      return true;
    },
  };
  return editor;
}

export const commands = {
  async executeCommand(command: string): Promise<void> {
    recorded.commands.push(command);
  },
};

export const env = {
  clipboard: {
    async writeText(text: string): Promise<void> {
      recorded.clipboard.push(text);
    },
  },
  async openExternal(uri: Uri): Promise<boolean> {
    recorded.external.push(uri.toString());
    return true;
  },
};

export const window = {
  registerWebviewViewProvider(viewId: string, provider: unknown, options: unknown): Disposable {
    state.viewProviders.set(viewId, { provider, options });
    return new Disposable(() => state.viewProviders.delete(viewId));
  },
  get activeTextEditor(): FakeEditor | undefined {
    return state.activeEditor;
  },
  get visibleTextEditors(): FakeEditor[] {
    return state.activeEditor ? [state.activeEditor] : [];
  },
  async showWarningMessage(message: string): Promise<undefined> {
    recorded.warnings.push(message);
    return undefined;
  },
  async showInformationMessage(message: string): Promise<undefined> {
    recorded.infos.push(message);
    return undefined;
  },
  async showTextDocument(document: FakeTextDocument, options?: { selection?: Range } | number): Promise<void> {
    recorded.shown.push({ path: document.uri.fsPath, selection: typeof options === 'object' ? options.selection : undefined });
  },
};

export const workspace = {
  get workspaceFolders() {
    return state.folders.length ? state.folders : undefined;
  },
  fs: {
    async stat(uri: Uri): Promise<{ type: FileType }> {
      const stats = statSync(uri.fsPath);
      return { type: stats.isFile() ? FileType.File : stats.isDirectory() ? FileType.Directory : FileType.Unknown };
    },
  },
  async openTextDocument(uri: Uri): Promise<FakeTextDocument> {
    const lines = (await fsp.readFile(uri.fsPath, 'utf8')).split('\n');
    return { uri, lineCount: lines.length, lineAt: (line: number) => ({ text: lines[line] }) };
  },
};

// Importing this module makes `require('vscode')` resolve to it; import it before the provider.
const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolveFilename = loader._resolveFilename;
loader._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? __filename : resolveFilename.call(this, request, ...rest);
};
