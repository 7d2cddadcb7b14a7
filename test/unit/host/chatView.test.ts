// ChatViewProvider against a fake `vscode` (real files in a temp workspace) and a scripted backend:
// the protocol as the host speaks it, persistence, and what it refuses to open.
import * as fake from './fakeVscode';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { AnswerSink, ChatBackend, ChatRequest, PullProgress } from '../../../src/host/chat/backend';
import { toAnswerError } from '../../../src/host/chat/backend';
import { ChatViewProvider } from '../../../src/host/chat/chatView';
import { historyBefore, MAX_CONVERSATIONS } from '../../../src/host/chat/conversations';
import { parseWebviewMessage } from '../../../src/shared/protocol';
import type { ChatTurn, HostToWebview, IndexStateMessage, InitMessage } from '../../../src/shared/protocol';

type Answer = (req: ChatRequest, sink: AnswerSink, signal: AbortSignal) => Promise<void>;

class FakeBackend implements ChatBackend {
  requests: ChatRequest[] = [];
  signals: AbortSignal[] = [];
  answer: Answer = async (_req, sink) => {
    sink.sources([{ n: 1, path: 'src/a.ts', startLine: 2, endLine: 4 }]);
    sink.token('Hello ');
    sink.token('[1]');
  };
  models = ['qwen2.5-coder:7b', 'llama3.2'];
  pull: (model: string, onProgress: (p: PullProgress) => void, signal: AbortSignal) => Promise<void> = async () => undefined;
  reindexCount = 0;
  index: IndexStateMessage = { state: 'idle', files: 2, chunks: 5, vectors: 5, mode: 'hybrid' };
  readonly listeners = new Set<(s: IndexStateMessage) => void>();

  ask(req: ChatRequest, sink: AnswerSink, signal: AbortSignal): Promise<void> {
    this.requests.push(JSON.parse(JSON.stringify(req)));
    this.signals.push(signal);
    return this.answer(req, sink, signal);
  }
  async listModels(): Promise<string[]> {
    return this.models;
  }
  pullModel(model: string, onProgress: (p: PullProgress) => void, signal: AbortSignal): Promise<void> {
    return this.pull(model, onProgress, signal);
  }
  defaultModel(): string {
    return 'llama3.2';
  }
  host(): string {
    return 'http://127.0.0.1:11434';
  }
  indexState(): IndexStateMessage {
    return this.index;
  }
  onDidChangeIndexState(listener: (s: IndexStateMessage) => void): vscode.Disposable {
    this.listeners.add(listener);
    return new fake.Disposable(() => this.listeners.delete(listener));
  }
  openDocumentSource(): Promise<boolean> {
    return Promise.resolve(false);
  }

  reindex(): void {
    this.reindexCount++;
  }
  setIndexState(s: IndexStateMessage): void {
    this.index = s;
    for (const l of this.listeners) l(s);
  }
}

class FakeMemento implements vscode.Memento {
  readonly values = new Map<string, string>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    const raw = this.values.get(key);
    return raw === undefined ? defaultValue : (JSON.parse(raw) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }
}

class FakeView {
  readonly posted: HostToWebview[] = [];
  visible = true;
  showCalls = 0;
  private onMessage?: (m: unknown) => void;
  private readonly visibilityListeners = new Set<() => void>();
  private readonly disposeListeners = new Set<() => void>();
  readonly webview = {
    options: {} as vscode.WebviewOptions,
    html: '',
    cspSource: 'https://csp.test',
    asWebviewUri: (uri: fake.Uri) => ({ toString: () => `https://webview.test${uri.path}` }),
    postMessage: async (message: HostToWebview) => {
      this.posted.push(JSON.parse(JSON.stringify(message)));
      return true;
    },
    onDidReceiveMessage: (listener: (m: unknown) => void) => {
      this.onMessage = listener;
      return new fake.Disposable(() => (this.onMessage = undefined));
    },
  };

  onDidChangeVisibility(listener: () => void): vscode.Disposable {
    this.visibilityListeners.add(listener);
    return new fake.Disposable(() => this.visibilityListeners.delete(listener));
  }
  onDidDispose(listener: () => void): vscode.Disposable {
    this.disposeListeners.add(listener);
    return new fake.Disposable(() => this.disposeListeners.delete(listener));
  }
  show(): void {
    this.showCalls++;
  }
  send(message: unknown): void {
    this.onMessage?.(message);
  }
  setVisible(visible: boolean): void {
    this.visible = visible;
    for (const l of this.visibilityListeners) l();
  }
  dispose(): void {
    for (const l of [...this.disposeListeners]) l();
  }
  get subscriptions(): number {
    return this.visibilityListeners.size + this.disposeListeners.size + (this.onMessage ? 1 : 0);
  }
  types(): string[] {
    return this.posted.map((m) => m.type);
  }
  last<T extends HostToWebview['type']>(type: T): Extract<HostToWebview, { type: T }> {
    const found = [...this.posted].reverse().find((m) => m.type === type);
    assert.ok(found, `a ${type} message was posted`);
    return found as Extract<HostToWebview, { type: T }>;
  }
}

/** Lets pending promise callbacks (the backend's answer, Memento writes) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (bounded) for work that touches the disk, such as opening a document. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A backend answer that streams `first`, then waits until aborted (or `release` is called). */
function hangingAnswer(first: string): { answer: Answer; release: () => void; lateToken: () => void } {
  let release = () => {};
  let lateSink: AnswerSink | undefined;
  const answer: Answer = (_req, sink, signal) => new Promise<void>((resolve, reject) => {
    lateSink = sink;
    sink.sources([]);
    sink.token(first);
    release = resolve;
    signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
  });
  return { answer, release: () => release(), lateToken: () => lateSink?.token(' late') };
}

describe('ChatViewProvider', () => {
  let tmp: string;
  let workspaceDir: string;
  let otherDir: string;
  let backend: FakeBackend;
  let memento: FakeMemento;
  let provider: ChatViewProvider;
  let view: FakeView;

  function resolveView(): void {
    view = new FakeView();
    provider.resolveWebviewView(view as unknown as vscode.WebviewView);
  }

  function ready(): void {
    view.send({ type: 'ready' });
  }

  function storedConversations(): Array<{ id: string; title: string; turns: ChatTurn[] }> {
    return memento.get('lore.chat.conversations') ?? [];
  }

  beforeEach(() => {
    fake.reset();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'lore-chatview-'));
    workspaceDir = path.join(tmp, 'project');
    otherDir = path.join(tmp, 'other');
    mkdirSync(path.join(workspaceDir, 'src'), { recursive: true });
    mkdirSync(path.join(otherDir, 'lib'), { recursive: true });
    writeFileSync(path.join(workspaceDir, 'src/a.ts'), Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n'));
    writeFileSync(path.join(otherDir, 'lib/b.py'), 'def b():\n    return 2\n');
    writeFileSync(path.join(tmp, 'secret.txt'), 'outside the workspace\n');
    fake.state.folders = [
      { uri: fake.Uri.file(workspaceDir), name: 'project', index: 0 },
      { uri: fake.Uri.file(otherDir), name: 'other', index: 1 },
    ];
    backend = new FakeBackend();
    memento = new FakeMemento();
    provider = new ChatViewProvider(fake.Uri.file('/ext') as unknown as vscode.Uri, backend, memento);
    resolveView();
  });

  afterEach(() => {
    provider.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves a page with a nonce CSP, scripts on, and resources only from dist and media', () => {
    const html = view.webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'a random nonce');
    assert.match(html, new RegExp(`content="default-src 'none'; style-src https://csp.test 'nonce-${escapeRegExp(nonce)}'; font-src https://csp.test; img-src https://csp.test data:; script-src 'nonce-${escapeRegExp(nonce)}'"`));
    assert.match(html, new RegExp(`<script nonce="${escapeRegExp(nonce)}" src="https://webview.test/ext/dist/webview.js"></script>`));
    assert.match(html, /href="https:\/\/webview\.test\/ext\/media\/chat\.css"/);
    assert.match(html, /href="https:\/\/webview\.test\/ext\/dist\/codicons\/codicon\.css"/);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    assert.equal(view.webview.options.enableScripts, true);
    assert.deepEqual(view.webview.options.localResourceRoots?.map((u) => u.path), ['/ext/dist', '/ext/media']);
    // Each load gets a fresh nonce.
    resolveView();
    assert.notEqual(/script-src 'nonce-([^']+)'/.exec(view.webview.html)?.[1], nonce);
  });

  it('sends nothing before ready, then init, then the models and index changes', async () => {
    backend.setIndexState({ ...backend.index, state: 'indexing', done: 1, total: 2 });
    await settle();
    assert.deepEqual(view.posted, []);
    ready();
    await settle();
    const init = view.posted[0] as InitMessage;
    assert.equal(init.type, 'init');
    assert.deepEqual(init.indexState, { state: 'indexing', files: 2, chunks: 5, vectors: 5, mode: 'hybrid', done: 1, total: 2 });
    assert.equal(init.selectedModel, 'llama3.2');
    assert.equal(init.host, 'http://127.0.0.1:11434');
    assert.deepEqual(init.turns, []);
    assert.equal(init.streamingTurnId, undefined);
    assert.deepEqual(view.last('models'), { type: 'models', models: ['llama3.2', 'qwen2.5-coder:7b'], selectedModel: 'llama3.2' });
    backend.setIndexState({ state: 'no-index', files: 0, chunks: 0, vectors: 0, mode: 'lexical' });
    assert.deepEqual(view.last('indexState'), { type: 'indexState', state: 'no-index', files: 0, chunks: 0, vectors: 0, mode: 'lexical' });
  });

  it('streams an answer and saves the conversation, titled by its first question', async () => {
    ready();
    view.send({ type: 'ask', text: '  What does a do?  ', model: 'qwen2.5-coder:7b' });
    await settle();
    assert.deepEqual(backend.requests, [{ question: 'What does a do?', history: [], model: 'qwen2.5-coder:7b' }]);
    const start = view.last('answerStart');
    assert.deepEqual(view.types().filter((t) => t !== 'conversations' && t !== 'models').slice(1), ['answerStart', 'sources', 'token', 'token', 'answerEnd']);
    assert.deepEqual(view.last('answerEnd'), { type: 'answerEnd', turnId: start.turnId });
    const [saved] = storedConversations();
    assert.equal(saved.title, 'What does a do?');
    assert.deepEqual(saved.turns.map((t) => [t.role, t.text]), [['user', 'What does a do?'], ['assistant', 'Hello [1]']]);
    assert.deepEqual(view.last('conversations').conversations.map((c) => [c.title, c.turnCount]), [['What does a do?', 2]]);

    view.send({ type: 'ask', text: 'And b?', model: 'llama3.2' });
    await settle();
    assert.deepEqual(backend.requests[1].history, [{ role: 'user', content: 'What does a do?' }, { role: 'assistant', content: 'Hello [1]' }]);
  });

  it('relays the instruction files an answer used', async () => {
    backend.answer = async (_req, sink) => {
      sink.sources([]);
      sink.instructionsUsed(['.lore/instructions.md']);
      sink.token('ok');
    };
    ready();
    view.send({ type: 'ask', text: 'q', model: 'llama3.2' });
    await settle();
    assert.deepEqual(view.last('instructionsUsed'), { type: 'instructionsUsed', turnId: view.last('answerStart').turnId, paths: ['.lore/instructions.md'] });
    assert.deepEqual((storedConversations()[0].turns[1] as { instructions?: string[] }).instructions, ['.lore/instructions.md']);
  });

  it('stops at once on Stop, keeps the partial answer and ignores late tokens', async () => {
    const hanging = hangingAnswer('Partial');
    backend.answer = hanging.answer;
    ready();
    view.send({ type: 'ask', text: 'Long question', model: 'llama3.2' });
    await settle();
    const { turnId } = view.last('answerStart');
    view.send({ type: 'stop', turnId: 'some-other-turn' });
    assert.equal(backend.signals[0].aborted, false, 'a stop for another turn does nothing');
    view.send({ type: 'stop', turnId });
    assert.equal(backend.signals[0].aborted, true);
    assert.deepEqual(view.last('answerEnd'), { type: 'answerEnd', turnId, stopped: true });
    hanging.lateToken();
    await settle();
    assert.equal(view.posted.filter((m) => m.type === 'token').length, 1);
    assert.equal(view.posted.filter((m) => m.type === 'answerEnd').length, 1, 'ended once');
    const answer = storedConversations()[0].turns[1];
    assert.ok(answer.role === 'assistant');
    assert.equal(answer.text, 'Partial');
    assert.equal(answer.stopped, true);
  });

  it('refuses a second question while answering, and resyncs the view', async () => {
    backend.answer = hangingAnswer('...').answer;
    ready();
    view.send({ type: 'ask', text: 'first', model: 'llama3.2' });
    await settle();
    view.send({ type: 'ask', text: 'second', model: 'llama3.2' });
    await settle();
    assert.equal(backend.requests.length, 1);
    const resync = view.last('conversation');
    assert.deepEqual(resync.turns.map((t) => t.text), ['first', '...']);
    assert.equal(resync.streamingTurnId, view.last('answerStart').turnId);
  });

  it('rejects blank and over-long questions', async () => {
    ready();
    view.send({ type: 'ask', text: '   ', model: 'llama3.2' });
    view.send({ type: 'ask', text: 'x'.repeat(20_001), model: 'llama3.2' });
    await settle();
    assert.equal(backend.requests.length, 0);
    assert.equal(view.posted.filter((m) => m.type === 'conversation').length, 2);
  });

  it('shows backend errors by kind, keeps partial text, and retries the last turn in place', async () => {
    backend.answer = async (_req, sink) => {
      sink.sources([]);
      sink.token('Half an');
      throw Object.assign(new Error('model "llama3.2" not found'), { kind: 'model-missing', model: 'llama3.2' });
    };
    ready();
    view.send({ type: 'ask', text: 'q', model: 'llama3.2' });
    await settle();
    const { turnId } = view.last('answerStart');
    assert.deepEqual(view.last('answerError'), { type: 'answerError', turnId, kind: 'model-missing', message: 'model "llama3.2" not found', model: 'llama3.2' });
    const failed = storedConversations()[0].turns[1];
    assert.ok(failed.role === 'assistant');
    assert.equal(failed.text, 'Half an');
    assert.equal(failed.error?.kind, 'model-missing');

    backend.answer = async (_req, sink) => sink.token('Whole answer');
    view.send({ type: 'retry', turnId: 'not-the-last' });
    await settle();
    assert.equal(backend.requests.length, 1);
    view.send({ type: 'retry', turnId });
    await settle();
    assert.equal(backend.requests.length, 2);
    assert.deepEqual(backend.requests[1], { question: 'q', history: [], model: 'llama3.2' });
    assert.equal(view.last('answerStart').turnId, turnId, 'same turn');
    const turns = storedConversations()[0].turns;
    assert.equal(turns.length, 2);
    assert.deepEqual([turns[1].text, (turns[1] as { error?: unknown }).error], ['Whole answer', undefined]);
  });

  it('maps errors without a known kind to failed, and a throwing backend too', async () => {
    assert.deepEqual(toAnswerError(new Error('boom'), 'm'), { kind: 'failed', message: 'boom', model: 'm' });
    assert.deepEqual(toAnswerError(Object.assign(new Error('slow'), { kind: 'timeout' }), 'm'), { kind: 'timeout', message: 'slow', model: 'm' });
    assert.equal(toAnswerError(Object.assign(new Error('x'), { kind: 'weird' }), 'm').kind, 'failed');
    assert.equal(toAnswerError('plain string', 'm').message, 'plain string');
    backend.answer = () => {
      throw new Error('synchronous failure');
    };
    ready();
    view.send({ type: 'ask', text: 'q', model: 'llama3.2' });
    await settle();
    assert.equal(view.last('answerError').kind, 'failed');
    assert.equal(view.last('answerError').message, 'synchronous failure');
  });

  it('leaves failed, empty answers out of the history it sends', () => {
    const turns: ChatTurn[] = [
      { role: 'user', id: '1', text: 'unanswered' },
      { role: 'assistant', id: '2', model: 'm', text: '', sources: [], error: { kind: 'ollama-down', message: 'down' } },
      { role: 'user', id: '3', text: 'explain', selection: { path: 'a.ts', startLine: 1, endLine: 1, language: 'ts', text: 'x()' } },
      { role: 'assistant', id: '4', model: 'm', text: 'It calls x.', sources: [] },
      { role: 'user', id: '5', text: 'now' },
    ];
    assert.deepEqual(historyBefore(turns, turns[4] as Extract<ChatTurn, { role: 'user' }>), [
      { role: 'user', content: 'explain\n\n```ts\nx()\n```' },
      { role: 'assistant', content: 'It calls x.' },
    ]);
  });

  it('opens sources inside the workspace with their lines selected, clamped to the file', async () => {
    ready();
    for (const [p, startLine, endLine] of [['src/a.ts', 2, 4], ['src/a.ts', 9, 400], ['lib/b.py', 1, 1], ['other/lib/b.py', 2, 2]] as const) {
      const opened = fake.recorded.shown.length;
      view.send({ type: 'openSource', path: p, startLine, endLine });
      await until(() => fake.recorded.shown.length > opened || fake.recorded.warnings.length > 0, `${p} to open`);
    }
    assert.deepEqual(fake.recorded.shown, [
      { path: path.join(workspaceDir, 'src/a.ts'), selection: new fake.Range(1, 0, 3, 6) },
      { path: path.join(workspaceDir, 'src/a.ts'), selection: new fake.Range(8, 0, 9, 7) },
      { path: path.join(otherDir, 'lib/b.py'), selection: new fake.Range(0, 0, 0, 8) },
      { path: path.join(otherDir, 'lib/b.py'), selection: new fake.Range(1, 0, 1, 12) },
    ]);
    assert.deepEqual(fake.recorded.warnings, []);
  });

  it('refuses sources and links that leave the workspace, or do not exist', async () => {
    ready();
    for (const p of ['../secret.txt', 'src/../../secret.txt', path.join(tmp, 'secret.txt'), 'src/missing.ts', 'src']) {
      view.send({ type: 'openSource', path: p, startLine: 1, endLine: 1 });
    }
    view.send({ type: 'openLink', href: `file://${path.join(tmp, 'secret.txt')}` });
    view.send({ type: 'openLink', href: `file://${path.join(workspaceDir, '..', 'secret.txt')}` });
    view.send({ type: 'openLink', href: '../secret.txt' });
    await until(() => fake.recorded.warnings.length + fake.recorded.shown.length >= 7, 'every request to be answered');
    await settle();
    assert.deepEqual(fake.recorded.shown, []);
    assert.equal(fake.recorded.warnings.length, 7, fake.recorded.warnings.join('\n'));
    assert.deepEqual(fake.recorded.external, []);
  });

  it('opens http(s) links externally and workspace file links in the editor, and nothing else', async () => {
    ready();
    for (const href of ['javascript:alert(1)', 'command:workbench.action.reloadWindow', 'vscode://x.y/z', 'data:text/html,x', 'https://a.test@evil.test/']) {
      view.send({ type: 'openLink', href });
    }
    for (const href of ['https://example.com/docs', 'src/a.ts#L3', `file://${path.join(workspaceDir, 'src/a.ts')}`]) {
      const done = fake.recorded.shown.length + fake.recorded.external.length;
      view.send({ type: 'openLink', href });
      await until(() => fake.recorded.shown.length + fake.recorded.external.length > done || fake.recorded.warnings.length > 0, `${href} to open`);
    }
    assert.deepEqual(fake.recorded.external, ['https://example.com/docs']);
    assert.deepEqual(fake.recorded.shown, [
      { path: path.join(workspaceDir, 'src/a.ts'), selection: new fake.Range(2, 0, 2, 6) },
      { path: path.join(workspaceDir, 'src/a.ts'), selection: undefined },
    ]);
    assert.deepEqual(fake.recorded.commands, []);
  });

  it('ignores malformed messages', async () => {
    ready();
    await settle();
    const before = view.posted.length;
    for (const m of [null, 42, 'ready', {}, { type: 'nope' }, { type: 'openSource', path: 1, startLine: 1, endLine: 1 }, { type: 'openSource', path: 'src/a.ts', startLine: 0, endLine: 1 },
      { type: 'openSource', path: 'src/a.ts', startLine: 1.5, endLine: 2 }, { type: 'ask', text: 5, model: 'm' }, { type: 'stop' }, { type: 'copy' }]) {
      assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
      view.send(m);
    }
    await settle();
    assert.equal(view.posted.length, before);
    assert.deepEqual(fake.recorded.shown, []);
    assert.equal(backend.requests.length, 0);
  });

  it('copies, and inserts at the cursor of the active editor (or says there is none)', async () => {
    ready();
    view.send({ type: 'copy', code: 'const x = 1;' });
    view.send({ type: 'insertAtCursor', code: 'y()' });
    await settle();
    assert.deepEqual(fake.recorded.clipboard, ['const x = 1;']);
    assert.equal(fake.recorded.infos.length, 1);
    const document = await fake.workspace.openTextDocument(fake.Uri.file(path.join(workspaceDir, 'src/a.ts')));
    const editor = fake.fakeEditor(document, [new fake.Range(0, 0, 0, 0), new fake.Range(3, 1, 3, 4)]);
    fake.state.activeEditor = editor;
    view.send({ type: 'insertAtCursor', code: 'y()' });
    await until(() => editor.edits.length > 0, 'the edit');
    assert.deepEqual(editor.edits, [{ range: new fake.Range(0, 0, 0, 0), text: 'y()' }, { range: new fake.Range(3, 1, 3, 4), text: 'y()' }]);
  });

  it('keeps conversations: new chat, reopen, delete, at most 50, restored by a new provider', async () => {
    ready();
    view.send({ type: 'ask', text: 'first question', model: 'llama3.2' });
    await settle();
    const firstId = view.last('init').conversationId;
    view.send({ type: 'newChat' });
    const second = view.last('conversation');
    assert.notEqual(second.conversationId, firstId);
    assert.deepEqual(second.turns, []);
    view.send({ type: 'newChat' });
    assert.equal(view.last('conversation').conversationId, second.conversationId, 'an empty chat is reused');
    view.send({ type: 'ask', text: 'second question', model: 'llama3.2' });
    await settle();
    assert.deepEqual(view.last('conversations').conversations.map((c) => c.title), ['second question', 'first question']);

    view.send({ type: 'openConversation', id: firstId });
    assert.deepEqual(view.last('conversation').turns.map((t) => t.text), ['first question', 'Hello [1]']);

    const restored = new ChatViewProvider(fake.Uri.file('/ext') as unknown as vscode.Uri, backend, memento);
    const restoredView = new FakeView();
    restored.resolveWebviewView(restoredView as unknown as vscode.WebviewView);
    restoredView.send({ type: 'ready' });
    const init = restoredView.posted[0] as InitMessage;
    assert.equal(init.conversationId, firstId);
    assert.deepEqual(init.conversations.map((c) => c.title), ['second question', 'first question']);
    restored.dispose();

    view.send({ type: 'deleteConversation', id: firstId });
    assert.deepEqual(storedConversations().map((c) => c.title), ['second question']);
    assert.deepEqual(view.last('conversation').turns, [], 'deleting the open conversation opens a new one');

    for (let i = 0; i < MAX_CONVERSATIONS + 5; i++) {
      view.send({ type: 'newChat' });
      view.send({ type: 'ask', text: `question ${i}`, model: 'llama3.2' });
      await settle();
    }
    const stored = storedConversations();
    assert.equal(stored.length, MAX_CONVERSATIONS);
    assert.equal(stored[0].title, `question ${MAX_CONVERSATIONS + 4}`);
    assert.equal(stored.some((c) => c.title === 'second question'), false, 'the oldest went first');
  });

  it('reopens the last conversation in a new session', async () => {
    ready();
    view.send({ type: 'ask', text: 'only question', model: 'llama3.2' });
    await settle();
    const next = new ChatViewProvider(fake.Uri.file('/ext') as unknown as vscode.Uri, backend, memento);
    const nextView = new FakeView();
    next.resolveWebviewView(nextView as unknown as vscode.WebviewView);
    nextView.send({ type: 'ready' });
    assert.deepEqual((nextView.posted[0] as InitMessage).turns.map((t) => t.text), ['only question', 'Hello [1]']);
    next.dispose();
  });

  it('deletes a conversation while it is answering: stops the answer and forgets the conversation', async () => {
    ready();
    view.send({ type: 'ask', text: 'kept', model: 'llama3.2' });
    await settle();
    view.send({ type: 'newChat' });
    backend.answer = hangingAnswer('...').answer;
    view.send({ type: 'ask', text: 'deleted', model: 'llama3.2' });
    await settle();
    const streaming = view.last('conversations').conversations.find((c) => c.title === 'deleted');
    assert.ok(streaming);
    view.send({ type: 'deleteConversation', id: streaming.id });
    await settle();
    assert.equal(backend.signals[1].aborted, true);
    assert.deepEqual(storedConversations().map((c) => c.title), ['kept']);
    assert.deepEqual(view.last('conversations').conversations.map((c) => c.title), ['kept']);
    assert.deepEqual(view.last('conversation').turns, []);
  });

  it('explains a selection: reveals the view, shows the selection turn, sends it to the backend', async () => {
    ready();
    const selection = { path: 'src/a.ts', startLine: 2, endLine: 3, language: 'typescript', text: 'line 2\nline 3' };
    await provider.explainSelection(selection);
    await settle();
    assert.deepEqual(fake.recorded.commands, ['lore.chat.focus']);
    const explain = view.last('explain');
    assert.deepEqual(explain.turn.selection, selection);
    assert.equal(explain.turn.text, 'Explain src/a.ts:2-3');
    assert.ok(view.types().indexOf('explain') < view.types().indexOf('answerStart'));
    assert.deepEqual(backend.requests[0], { question: 'Explain src/a.ts:2-3', history: [], model: 'llama3.2', selection });
    assert.equal(storedConversations()[0].title, 'Explain src/a.ts:2-3');
  });

  it('re-initialises a view shown again mid-answer, with the partial text and the stream still marked', async () => {
    const hanging = hangingAnswer('First part');
    backend.answer = hanging.answer;
    ready();
    view.send({ type: 'ask', text: 'q', model: 'llama3.2' });
    await settle();
    view.setVisible(false);
    const before = view.posted.length;
    backend.setIndexState({ ...backend.index, files: 3 });
    assert.equal(view.posted.length, before, 'nothing is sent to a hidden view');
    view.setVisible(true);
    ready();
    const init = view.last('init');
    assert.deepEqual(init.turns.map((t) => t.text), ['q', 'First part']);
    assert.equal(init.streamingTurnId, view.last('answerStart').turnId);
    assert.equal(init.indexState.files, 3);
    hanging.release();
    await settle();
    assert.equal(view.last('answerEnd').stopped, undefined);
  });

  it('pulls a model with throttled progress, then refreshes the models', async () => {
    backend.pull = async (_model, onProgress) => {
      onProgress({ status: 'pulling manifest' });
      for (let i = 1; i <= 50; i++) onProgress({ status: 'pulling abc', completed: i, total: 50 });
      backend.models = [...backend.models, 'phi3'];
    };
    ready();
    await settle();
    view.send({ type: 'pullModel', model: 'bad model name;rm' });
    view.send({ type: 'pullModel', model: 'phi3' });
    await settle();
    const progress = view.posted.filter((m) => m.type === 'pullProgress');
    assert.ok(progress.every((m) => m.model === 'phi3'));
    assert.ok(progress.length < 10, `throttled: ${progress.length} updates`);
    assert.deepEqual(progress[progress.length - 1], { type: 'pullProgress', model: 'phi3', status: 'success', done: true });
    assert.ok(view.last('models').models.includes('phi3'));

    backend.pull = async () => {
      throw new Error('pull model manifest: file does not exist');
    };
    view.send({ type: 'pullModel', model: 'nope' });
    await settle();
    assert.deepEqual(view.last('pullProgress'), { type: 'pullProgress', model: 'nope', status: 'error', done: true, error: 'pull model manifest: file does not exist' });
  });

  it('remembers the picked model for this workspace', async () => {
    ready();
    view.send({ type: 'selectModel', model: 'qwen2.5-coder:7b' });
    view.send({ type: 'selectModel', model: 'evil model' });
    await settle();
    view.send({ type: 'ready' });
    assert.equal(view.last('init').selectedModel, 'qwen2.5-coder:7b');
  });

  it('reindexes on request', () => {
    ready();
    view.send({ type: 'reindex' });
    assert.equal(backend.reindexCount, 1);
  });

  it('disposes everything: listeners, view subscriptions, running answers and pulls', async () => {
    const hanging = hangingAnswer('...');
    backend.answer = hanging.answer;
    let pullSignal: AbortSignal | undefined;
    backend.pull = (_m, _p, signal) => new Promise((_resolve, reject) => {
      pullSignal = signal;
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
    ready();
    view.send({ type: 'ask', text: 'q', model: 'llama3.2' });
    view.send({ type: 'pullModel', model: 'phi3' });
    await settle();
    assert.ok(view.subscriptions > 0);
    provider.dispose();
    assert.equal(backend.listeners.size, 0);
    assert.equal(view.subscriptions, 0);
    assert.equal(backend.signals[0].aborted, true);
    assert.equal(pullSignal?.aborted, true);
  });

  it('registers for lore.chat without retained context, and unregisters and disposes together', () => {
    const registration = provider.register();
    assert.deepEqual(fake.state.viewProviders.get('lore.chat'), { provider, options: { webviewOptions: { retainContextWhenHidden: false } } });
    registration.dispose();
    assert.equal(fake.state.viewProviders.size, 0);
    assert.equal(backend.listeners.size, 0, 'the provider was disposed too');
  });

  it('lets go of a disposed view', () => {
    ready();
    view.dispose();
    assert.equal(view.subscriptions, 0);
    backend.setIndexState({ ...backend.index, files: 9 });
    assert.equal(view.posted.filter((m) => m.type === 'indexState').length, 0);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
