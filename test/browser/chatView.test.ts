// The chat webview in a real browser: builds dist/webview.js, serves it on loopback in a page that
// stands in for VS Code's webview (strict CSP with a nonce, dark theme variables, a fake
// acquireVsCodeApi that records what the view posts) and drives it with Chromium.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebview, IndexStateMessage, InitMessage, SourceRef, WebviewToHost } from '../../src/shared/protocol';

const ROOT = path.resolve(__dirname, '../../..');
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/lore-chat.png';

/** VS Code's Dark Modern values for the variables the view uses. */
const DARK_THEME = `
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif;
  --vscode-font-size: 13px; --vscode-font-weight: normal;
  --vscode-editor-font-family: "DejaVu Sans Mono", "Droid Sans Mono", monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-errorForeground: #f85149;
  --vscode-disabledForeground: #cccccc80; --vscode-icon-foreground: #cccccc; --vscode-focusBorder: #0078d4;
  --vscode-sideBar-background: #181818; --vscode-sideBarSectionHeader-border: #2b2b2b; --vscode-panel-border: #2b2b2b;
  --vscode-widget-border: #313131; --vscode-editor-background: #1f1f1f; --vscode-editor-foreground: #cccccc;
  --vscode-editorCursor-foreground: #aeafad;
  --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c;
  --vscode-input-placeholderForeground: #989898;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-hoverBackground: #026ec1;
  --vscode-button-border: #ffffff12; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-dropdown-background: #313131; --vscode-dropdown-border: #3c3c3c; --vscode-dropdown-foreground: #cccccc;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-progressBar-background: #0078d4;
  --vscode-toolbar-hoverBackground: #5a5d5e50; --vscode-list-hoverBackground: #2a2d2e;
  --vscode-list-inactiveSelectionBackground: #37373d;
  --vscode-textLink-foreground: #4daafc; --vscode-textLink-activeForeground: #4daafc;
  --vscode-textPreformat-foreground: #d0d0d0; --vscode-textPreformat-background: #3c3c3c;
  --vscode-textCodeBlock-background: #2b2b2b; --vscode-textBlockQuote-background: #2b2b2b; --vscode-textBlockQuote-border: #616161b3;
  --vscode-inputValidation-errorBackground: #5a1d1d; --vscode-inputValidation-errorBorder: #be1100;
  --vscode-inputValidation-warningBackground: #352a05; --vscode-inputValidation-warningBorder: #b89500;
  --vscode-debugTokenExpression-name: #c586c0; --vscode-debugTokenExpression-string: #ce9178;
  --vscode-debugTokenExpression-number: #b5cea8; --vscode-debugTokenExpression-boolean: #4e94ce;
  --vscode-debugTokenExpression-error: #f48771; --vscode-symbolIcon-functionForeground: #b180d7;
  --vscode-symbolIcon-classForeground: #ee9d28;`;

interface Recorded {
  posted: WebviewToHost[];
  violations: string[];
  errors: string[];
}

const INDEX: IndexStateMessage = { state: 'idle', files: 1284, chunks: 9731, vectors: 9731, mode: 'hybrid' };
const SOURCES: SourceRef[] = [
  { n: 1, path: 'src/core/retrieve/retriever.ts', startLine: 42, endLine: 88, symbol: 'Retriever.search' },
  { n: 2, path: 'docs/architecture.md', startLine: 10, endLine: 24, symbol: 'Architecture > Retrieval' },
];

function init(overrides: Partial<InitMessage> = {}): InitMessage {
  return {
    type: 'init', conversationId: 'c1', turns: [], conversations: [], models: ['llama3.2', 'qwen2.5-coder:7b'], selectedModel: 'llama3.2',
    indexState: INDEX, host: 'http://127.0.0.1:11434', ...overrides,
  };
}

describe('chat webview in Chromium', function () {
  this.timeout(60_000);
  let server: http.Server;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
    await esbuild.build({
      entryPoints: { webview: path.join(ROOT, 'src/webview/main.ts') },
      outdir: path.join(ROOT, 'dist'),
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      sourcemap: true,
      logLevel: 'silent',
    });
    // The sanitizer on its own, to test the second wall directly.
    await esbuild.build({
      stdin: {
        contents: `import { sanitizeHtml } from './src/webview/sanitize';
          window.__sanitize = (html) => { const d = document.createElement('div'); d.append(sanitizeHtml(html)); return d.innerHTML; };`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      outfile: path.join(ROOT, 'out/test/browser/sanitizeProbe.js'),
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      logLevel: 'silent',
    });
    server = http.createServer((req, res) => serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 420, height: 760 } });
    dialogs = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterEach(async function () {
    const recorded = await page.evaluate(() => (window as unknown as { __lore: Recorded }).__lore).catch(() => undefined);
    await page.close();
    if (this.currentTest?.state === 'failed') return;
    assert.deepEqual(recorded?.violations, [], 'no Content-Security-Policy violations');
    assert.deepEqual(recorded?.errors, [], 'no script errors');
    assert.deepEqual(dialogs, [], 'no dialogs');
  });

  function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const files: Record<string, [string, string]> = {
      '/dist/webview.js': [path.join(ROOT, 'dist/webview.js'), 'text/javascript'],
      '/probe/sanitize.js': [path.join(ROOT, 'out/test/browser/sanitizeProbe.js'), 'text/javascript'],
      '/media/chat.css': [path.join(ROOT, 'media/chat.css'), 'text/css'],
      '/codicons/codicon.css': [path.join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.css'), 'text/css'],
      '/codicons/codicon.ttf': [path.join(ROOT, 'node_modules/@vscode/codicons/dist/codicon.ttf'), 'font/ttf'],
    };
    if (url.pathname === '/' || url.pathname === '/probe') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(testPage(url.pathname === '/probe' ? '/probe/sanitize.js' : '/dist/webview.js', url.searchParams.get('state')));
      return;
    }
    const file = files[url.pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[1] });
    res.end(readFileSync(file[0]));
  }

  /** What VS Code's webview would serve: the provider's CSP with a nonce, plus the fake API. */
  function testPage(script: string, savedState: string | null): string {
    const nonce = randomBytes(16).toString('base64');
    const csp = `default-src 'none'; style-src 'self' 'nonce-${nonce}'; font-src 'self'; img-src 'self' data:; script-src 'nonce-${nonce}'`;
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">html { ${DARK_THEME} }</style>
<link rel="stylesheet" nonce="${nonce}" href="/codicons/codicon.css">
<link rel="stylesheet" nonce="${nonce}" href="/media/chat.css">
<script nonce="${nonce}">
  window.__lore = { posted: [], violations: [], errors: [], state: ${savedState ?? 'undefined'} };
  document.addEventListener('securitypolicyviolation', (e) => window.__lore.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.addEventListener('error', (e) => window.__lore.errors.push(String(e.message)));
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__lore.posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__lore.state,
    setState: (s) => { window.__lore.state = s; },
  });
</script></head>
<body class="vscode-dark"><script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  async function open(savedState?: unknown): Promise<void> {
    const query = savedState === undefined ? '' : `?state=${encodeURIComponent(JSON.stringify(savedState))}`;
    await page.goto(`${baseUrl}/${query}`);
    await page.waitForFunction(() => (window as unknown as { __lore: Recorded }).__lore.posted.some((m) => m.type === 'ready'));
  }

  async function openWith(message: InitMessage = init()): Promise<void> {
    await open();
    await host(message);
  }

  /** Posts messages as the host would and waits until the view has handled and rendered them. */
  async function host(...messages: HostToWebview[]): Promise<void> {
    await page.evaluate((batch) => new Promise<void>((resolve) => {
      // Messages dispatch in order, so once the marker arrives the view has handled the batch; its
      // render is queued for the next animation frame, and a frame callback queued now runs after it.
      const marker = `sync-${Math.random()}`;
      const onMessage = (event: MessageEvent) => {
        if (event.data !== marker) return;
        window.removeEventListener('message', onMessage);
        requestAnimationFrame(() => resolve());
      };
      window.addEventListener('message', onMessage);
      for (const m of batch) window.postMessage(m, '*');
      window.postMessage(marker, '*');
    }), messages);
  }

  async function posted(): Promise<WebviewToHost[]> {
    return page.evaluate(() => (window as unknown as { __lore: Recorded }).__lore.posted);
  }

  async function clearPosted(): Promise<void> {
    await page.evaluate(() => {
      (window as unknown as { __lore: Recorded }).__lore.posted = [];
    });
  }

  async function streamAnswer(turnId: string, text: string, sources: SourceRef[] = []): Promise<void> {
    // In several pieces, as Ollama streams them.
    const tokens = (text.match(/[\s\S]{1,7}/g) ?? []).map((piece): HostToWebview => ({ type: 'token', turnId, text: piece }));
    await host({ type: 'answerStart', turnId, model: 'llama3.2' }, { type: 'sources', turnId, sources }, ...tokens);
  }

  it('posts ready first and renders init: model picker, host, index state', async () => {
    await open();
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
    await host(init());
    assert.deepEqual(await page.$$eval('.model-picker option', (os) => os.map((o) => (o as HTMLOptionElement).value)), ['llama3.2', 'qwen2.5-coder:7b']);
    assert.equal(await page.inputValue('.model-picker'), 'llama3.2');
    assert.equal(await page.textContent('.host-label'), 'http://127.0.0.1:11434');
    assert.match((await page.textContent('.index-status')) ?? '', /1,284 files · 9,731 chunks/);
    await page.selectOption('.model-picker', 'qwen2.5-coder:7b');
    assert.deepEqual((await posted()).slice(1), [{ type: 'selectModel', model: 'qwen2.5-coder:7b' }]);
  });

  it('sends the question on Enter, not when empty, and shows it at once', async () => {
    await openWith();
    assert.equal(await page.isDisabled('.send-button'), true, 'send is disabled while empty');
    await page.focus('.question');
    await page.keyboard.press('Enter');
    await page.keyboard.type('   ');
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).filter((m) => m.type === 'ask'), [], 'blank questions are not sent');
    await page.fill('.question', 'How does retrieval rank chunks?');
    assert.equal(await page.isDisabled('.send-button'), false);
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).filter((m) => m.type === 'ask'), [{ type: 'ask', text: 'How does retrieval rank chunks?', model: 'llama3.2' }]);
    assert.equal(await page.inputValue('.question'), '');
    await host();
    assert.equal(await page.textContent('.turn-user .user-text'), 'How does retrieval rank chunks?');
  });

  it('inserts a newline on Shift+Enter and grows the input', async () => {
    await openWith();
    await page.focus('.question');
    const before = await page.$eval('.question', (el) => el.getBoundingClientRect().height);
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line three');
    assert.equal(await page.inputValue('.question'), 'line one\nline two\nline three');
    assert.deepEqual((await posted()).filter((m) => m.type === 'ask'), []);
    const after = await page.$eval('.question', (el) => el.getBoundingClientRect().height);
    assert.ok(after > before + 20, `input grew from ${before}px to ${after}px`);
  });

  it('renders streamed tokens as markdown with highlighted code, Copy and Insert', async () => {
    await openWith();
    await host({ type: 'answerStart', turnId: 'a1', model: 'llama3.2' });
    assert.equal(await page.getAttribute('.answer', 'aria-live'), 'polite');
    assert.equal(await page.getAttribute('.answer', 'aria-busy'), 'true');
    await streamAnswer('a1', 'Use **hybrid** search:\n\n```ts\nconst hits = retriever.search(query, 8);\n```\n\n- vectors\n- BM25');
    assert.equal(await page.textContent('.answer strong'), 'hybrid');
    assert.equal(await page.$$eval('.answer li', (lis) => lis.length), 2);
    assert.equal(await page.textContent('.code-block .code-lang'), 'ts');
    assert.ok(await page.$('.code-block code.hljs .hljs-keyword'), 'code is highlighted');
    await host({ type: 'answerEnd', turnId: 'a1' });
    assert.equal(await page.getAttribute('.answer', 'aria-busy'), 'false');
    await clearPosted();
    await page.click('.code-block [data-action="copy"]');
    await page.click('.code-block [data-action="insert"]');
    assert.deepEqual(await posted(), [
      { type: 'copy', code: 'const hits = retriever.search(query, 8);' },
      { type: 'insertAtCursor', code: 'const hits = retriever.search(query, 8);' },
    ]);
    assert.equal(await page.getAttribute('.code-block [data-action="copy"]', 'aria-label'), 'Copy');
  });

  it('keeps script, handlers, javascript: and command: links in model output inert', async () => {
    await openWith();
    await streamAnswer('a1', [
      'Careful: <script>alert("script")</script> and <img src=x onerror="alert(\'img\')"> and <a href="javascript:alert(\'raw\')">raw</a>',
      '',
      '[run me](javascript:alert("md")) [reload](command:workbench.action.reloadWindow) [docs](https://example.com/docs)',
      '',
      '<iframe src="https://evil.test"></iframe><form action="https://evil.test"><input name=x></form><style>body{display:none}</style>',
    ].join('\n'));
    await host({ type: 'answerEnd', turnId: 'a1' });
    const found = await page.evaluate(() => {
      const all = Array.from(document.querySelectorAll('*'));
      return {
        handlers: all.filter((el) => Array.from(el.attributes).some((a) => a.name.toLowerCase().startsWith('on'))).map((el) => el.outerHTML),
        dangerous: document.querySelectorAll('.answer script, .answer img, .answer iframe, .answer form, .answer input, .answer style').length,
        badHrefs: Array.from(document.querySelectorAll('a[href]')).map((a) => a.getAttribute('href')).filter((h) => !/^(#|https:)/.test(h ?? '')),
        text: document.querySelector('.answer')?.textContent ?? '',
      };
    });
    assert.deepEqual(found.handlers, []);
    assert.equal(found.dangerous, 0);
    assert.deepEqual(found.badHrefs, []);
    assert.match(found.text, /<script>alert\("script"\)<\/script>/, 'raw HTML is shown as text');
    const before = page.url();
    await clearPosted();
    for (const text of ['run me', 'reload']) await page.click(`.answer :text-is("${text}")`);
    assert.deepEqual(await posted(), [], 'blocked links post nothing');
    await page.click('.answer a:text-is("docs")');
    assert.deepEqual(await posted(), [{ type: 'openLink', href: 'https://example.com/docs' }]);
    assert.equal(page.url(), before, 'the webview never navigates');
  });

  it('sanitizes HTML on its own, as a second wall behind the renderer', async () => {
    await page.goto(`${baseUrl}/probe`);
    const clean = await page.evaluate(() => (window as unknown as { __sanitize(h: string): string }).__sanitize(
      '<div onclick="alert(1)">x<script>alert(2)</script><img src=x onerror=alert(3)><a href="javascript:alert(4)">j</a>' +
      '<a href="command:workbench.action.reloadWindow">c</a><iframe src="https://e.test"></iframe><form><button>b</button></form>' +
      '<style>*{}</style><svg><script>alert(5)</script></svg><a href="https://ok.test" data-source="1" style="color:red">ok</a></div>'));
    // Forbidden elements go; the text of a button or form stays as plain text.
    assert.equal(clean, '<div>x<a>j</a><a>c</a>b<a href="https://ok.test" data-source="1">ok</a></div>');
    // Parsing that input trips the page's CSP, which blocks the inline handlers and style: a third wall.
    await host();
    const violations = await page.evaluate(() => {
      const lore = (window as unknown as { __lore: Recorded }).__lore;
      return lore.violations.splice(0);
    });
    assert.ok(violations.every((v) => / inline$/.test(v)), violations.join(', '));
  });

  it('lists sources and opens them, from the list and from [n] citations', async () => {
    await openWith();
    await streamAnswer('a1', 'Ranking fuses both lists [1]; the design is described in [2].', SOURCES);
    await host({ type: 'answerEnd', turnId: 'a1' });
    assert.deepEqual(await page.$$eval('.source-path', (els) => els.map((e) => e.textContent)), ['src/core/retrieve/retriever.ts:42-88', 'docs/architecture.md:10-24']);
    await clearPosted();
    await page.click('.source-link[data-source="1"]');
    await page.click('.answer a.citation[data-source="2"]');
    assert.deepEqual(await posted(), [
      { type: 'openSource', path: 'src/core/retrieve/retriever.ts', startLine: 42, endLine: 88 },
      { type: 'openSource', path: 'docs/architecture.md', startLine: 10, endLine: 24 },
    ]);
    // Keyboard users reach the source list and open it with Enter.
    await clearPosted();
    await page.focus('.source-link[data-source="2"]');
    await page.keyboard.press('Enter');
    assert.deepEqual(await posted(), [{ type: 'openSource', path: 'docs/architecture.md', startLine: 10, endLine: 24 }]);
  });

  it('stops the stream from the Stop button and with Esc', async () => {
    await openWith();
    await page.fill('.question', 'Explain the indexer');
    await page.keyboard.press('Enter');
    await host({ type: 'answerStart', turnId: 'a1', model: 'llama3.2' }, { type: 'token', turnId: 'a1', text: 'The indexer' });
    assert.equal(await page.getAttribute('.send-button', 'aria-label'), 'Stop');
    await clearPosted();
    await page.click('.send-button');
    await page.keyboard.press('Escape');
    assert.deepEqual(await posted(), [{ type: 'stop', turnId: 'a1' }, { type: 'stop', turnId: 'a1' }]);
    await host({ type: 'answerEnd', turnId: 'a1', stopped: true });
    assert.equal(await page.getAttribute('.send-button', 'aria-label'), 'Send');
    assert.match((await page.textContent('.stopped-note')) ?? '', /Stopped/);
    assert.equal((await page.textContent('.answer'))?.trim(), 'The indexer', 'the partial answer stays');
  });

  it('shows errors in place, keeps the partial answer and retries', async () => {
    await openWith();
    await streamAnswer('a1', 'Partial answer before the');
    await host({ type: 'answerError', turnId: 'a1', kind: 'timeout', message: 'No token for 60 s.' });
    assert.equal((await page.textContent('.answer'))?.trim(), 'Partial answer before the');
    assert.equal(await page.getAttribute('.error-box', 'role'), 'alert');
    assert.match((await page.textContent('.error-box')) ?? '', /took too long.*No token for 60 s\./);
    await clearPosted();
    await page.click('.error-box [data-action="retry"]');
    assert.deepEqual(await posted(), [{ type: 'retry', turnId: 'a1' }]);
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'question', 'focus returns to the input');
    await host({ type: 'answerStart', turnId: 'a1', model: 'llama3.2' }, { type: 'answerError', turnId: 'a1', kind: 'ollama-down', message: 'connect ECONNREFUSED' });
    assert.match((await page.textContent('.error-box')) ?? '', /How to start Ollama: run ollama serve/);
    assert.match((await page.textContent('.error-box')) ?? '', /at http:\/\/127\.0\.0\.1:11434/);
    assert.ok(await page.$('.error-box [data-action="retry"]'));
  });

  it('offers to pull a missing model, shows progress, then Retry', async () => {
    await openWith();
    await host({ type: 'answerStart', turnId: 'a1', model: 'llama3.2' },
      { type: 'answerError', turnId: 'a1', kind: 'model-missing', message: 'model "llama3.2" not found', model: 'llama3.2' });
    await clearPosted();
    await page.click('.error-box [data-action="pull"]');
    assert.deepEqual(await posted(), [{ type: 'pullModel', model: 'llama3.2' }]);
    await host({ type: 'pullProgress', model: 'llama3.2', status: 'pulling 6a0746a1ec1a', completed: 500_000_000, total: 2_000_000_000 });
    assert.equal(await page.getAttribute('.error-box [role="progressbar"]', 'aria-valuenow'), '25');
    assert.match((await page.textContent('.pull-status')) ?? '', /500\.0 MB \/ 2\.0 GB/);
    assert.equal(await page.$('.error-box [data-action="pull"]'), null);
    await host({ type: 'pullProgress', model: 'llama3.2', status: 'success', done: true });
    assert.match((await page.textContent('.error-box')) ?? '', /llama3\.2 is ready/);
    await clearPosted();
    await page.click('.error-box [data-action="retry"]');
    assert.deepEqual(await posted(), [{ type: 'retry', turnId: 'a1' }]);
  });

  it('explains a too-small context with a hint', async () => {
    await openWith();
    await host({ type: 'answerStart', turnId: 'a1', model: 'llama3.2' },
      { type: 'answerError', turnId: 'a1', kind: 'context-too-small', message: 'The prompt needs 9000 tokens; the model has 4096.' });
    assert.match((await page.textContent('.error-box')) ?? '', /narrower question.*larger context window/);
    await clearPosted();
    await page.click('.error-box [data-action="new-chat"]');
    assert.deepEqual(await posted(), [{ type: 'newChat' }]);
  });

  it('says when there is no index and offers to build one', async () => {
    await openWith(init({ indexState: { state: 'no-index', files: 0, chunks: 0, vectors: 0, mode: 'lexical' } }));
    assert.match((await page.textContent('.index-status')) ?? '', /No index yet/);
    assert.match((await page.textContent('.empty')) ?? '', /not indexed yet/);
    assert.equal(await page.$('.index-status [data-action="reindex"]'), null, 'one offer at a time');
    await clearPosted();
    await page.click('.empty [data-action="reindex"]');
    assert.deepEqual(await posted(), [{ type: 'reindex' }]);
    // With a conversation on screen, the offer moves to the status line.
    await page.fill('.question', 'Where is the manifest written?');
    await page.keyboard.press('Enter');
    await host();
    assert.equal(await page.isHidden('.empty'), true);
    await clearPosted();
    await page.click('.index-status [data-action="reindex"]');
    assert.deepEqual(await posted(), [{ type: 'reindex' }]);
    await host({ type: 'indexState', state: 'indexing', files: 10, chunks: 40, vectors: 0, done: 10, total: 40, mode: 'lexical' });
    assert.match((await page.textContent('.index-status')) ?? '', /Indexing 10\/40 files.*keyword search only/);
  });

  it('opens and deletes conversations from the history, and starts a new chat', async () => {
    await openWith(init({ conversations: [
      { id: 'c1', title: 'How does retrieval rank chunks?', updatedAt: Date.now() - 60_000, turnCount: 2 },
      { id: 'c0', title: 'Where is the manifest written?', updatedAt: Date.now() - 86_400_000, turnCount: 4 },
    ] }));
    await page.click('[data-action="toggle-history"]');
    assert.equal(await page.getAttribute('[data-action="toggle-history"]', 'aria-expanded'), 'true');
    assert.deepEqual(await page.$$eval('.history-title', (els) => els.map((e) => e.textContent)), ['How does retrieval rank chunks?', 'Where is the manifest written?']);
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id), 'c1', 'focus goes to the current conversation');
    await clearPosted();
    await page.click('.history-entry:nth-child(2) [data-action="delete-conversation"]', { force: true });
    await page.click('.history-open[data-id="c0"]');
    assert.equal(await page.isHidden('.history'), true);
    assert.deepEqual(await posted(), [{ type: 'deleteConversation', id: 'c0' }, { type: 'openConversation', id: 'c0' }]);
    // New Chat is the view's title action (lore.newChat), not a second button inside the page.
    assert.equal(await page.locator('.topbar [data-action="new-chat"]').count(), 0);
    await page.click('[data-action="toggle-history"]');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('.history'), true);
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.action), 'toggle-history');
  });

  it('shows the selection of an Explain with Context turn and opens it', async () => {
    await openWith();
    await host({ type: 'explain', turn: { role: 'user', id: 'u1', text: 'Explain src/a.ts:3-4', selection: { path: 'src/a.ts', startLine: 3, endLine: 4, language: 'typescript', text: 'export function a() {\n  return 1;\n}' } } });
    assert.ok(await page.$('.turn-user .code-block code.hljs'));
    await clearPosted();
    await page.click('.selection-ref');
    assert.deepEqual(await posted(), [{ type: 'openSource', path: 'src/a.ts', startLine: 3, endLine: 4 }]);
  });

  it('paints the saved state at once after being hidden, before the host answers', async () => {
    await openWith();
    await streamAnswer('a1', 'Saved **answer**');
    await host({ type: 'answerEnd', turnId: 'a1' });
    await page.fill('.question', 'half-typed follow-up');
    await page.waitForFunction(() => (window as unknown as { __lore: { state?: { draft?: string } } }).__lore.state?.draft === 'half-typed follow-up');
    const saved = await page.evaluate(() => (window as unknown as { __lore: { state: unknown } }).__lore.state);
    await page.close();
    page = await browser.newPage({ viewport: { width: 420, height: 760 } });
    await open(saved);
    await host();
    assert.equal(await page.textContent('.answer strong'), 'answer');
    assert.equal(await page.inputValue('.question'), 'half-typed follow-up');
  });

  it('looks like a VS Code chat (screenshot)', async () => {
    await openWith(init({ conversations: [{ id: 'c1', title: 'How does retrieval rank chunks?', updatedAt: Date.now(), turnCount: 2 }] }));
    await page.fill('.question', 'How does retrieval rank chunks?');
    await page.keyboard.press('Enter');
    await streamAnswer('a1', [
      'Retrieval runs **two searches in parallel** and fuses them [1]:',
      '',
      '1. a vector search over chunk embeddings, and',
      '2. a lexical (BM25-style) search over identifiers and words [2].',
      '',
      'The lists are merged with reciprocal rank fusion:',
      '',
      '```ts',
      'function fuse(lists: SearchHit[][], k = 60): Map<string, number> {',
      '  const scores = new Map<string, number>();',
      '  for (const list of lists) list.forEach((hit, rank) => {',
      '    scores.set(hit.chunk.id, (scores.get(hit.chunk.id) ?? 0) + 1 / (k + rank));',
      '  });',
      '  return scores;',
      '}',
      '```',
      '',
      'Neighbouring chunks of the same file are then merged, so `Retriever.search` returns whole units.',
    ].join('\n'), SOURCES);
    await host({ type: 'answerEnd', turnId: 'a1' });
    await page.fill('.question', 'And how are stale chunks detected?');
    await page.evaluate(() => document.querySelector('.conversation')?.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    assert.ok(existsSync(SCREENSHOT));
  });
});
