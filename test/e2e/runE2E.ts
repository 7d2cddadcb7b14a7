// End-to-end test of "Ask the codebase" as a user meets it (`npm run test:e2e`, after the build): the
// VS Code server with Lore installed in its extensions folder (no test runner inside), the workbench
// in headless Chromium on a copy of test/fixtures/workspace, and the test Ollama-API server answering
// with markdown, a citation, a code block and hostile HTML. Drives the chat view through its nested
// webview iframes, reads the editor and status bar, and asks the Ollama server what it received.
// Screenshots go to .vscode-test/e2e-*.png; the last line printed is `N passed, N failed`.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { cleanupStack } from '../support/processes';
import { startFakeOllamaProcess } from '../support/fakeOllamaProcess';
import { isAnswerRequest, observedRequests, setFakeChat, userPromptOf } from '../support/fakeOllamaClient';
import { makeTempDir, removeDir } from '../support/tempTree';
import { openWorkbench, REPO_ROOT, startVSCodeServer, type Workbench } from '../support/vscodeServer';

const SCREENSHOT_DIR = path.join(REPO_ROOT, '.vscode-test');
const MANIFEST = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
/** The key VS Code stores the extension's workspace state under. */
const EXTENSION_ID = `${MANIFEST.publisher}.${MANIFEST.name}`;
const FIRST_QUESTION = 'How is the total price of an order computed?';
const SECOND_QUESTION = 'Which countries have which VAT rate?';
/** Between streamed tokens: the answer visibly streams, and the second one is still going when Stop is pressed. */
const TOKEN_DELAY_MS = 15;
const SLOW_TOKEN_DELAY_MS = 150;

/** What the model "answers": the parts a real answer has, and the attacks a poisoned source could smuggle in. */
const REPLY = [
  'The total applies the **volume discount** first, then the VAT of the warehouse country [1].',
  '',
  '- `volumeDiscount(units)` gives 5% from 100 units and 12% from 500 [1].',
  '- *VAT* rates come from `VAT_RATES`.',
  '',
  '```ts',
  'const net = unitPriceCents * units * (1 - volumeDiscount(units));',
  '```',
  '',
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '',
  'Try [this link](javascript:window.__pwned=3) or [quit](command:workbench.action.quit).',
].join('\n');

interface Context {
  workbench: Workbench;
  page: Page;
  /** The chat webview's content frame (VS Code nests it: iframe.webview > iframe#active-frame). */
  chat: FrameLocator;
  ollamaUrl: string;
  workspace: string;
}

interface Step {
  name: string;
  run(ctx: Context): Promise<void>;
}

/** Stops whatever was started, also when the run is interrupted. */
const cleanups = cleanupStack();

async function waitUntil<T>(what: string, attempt: () => Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${limitMs} ms waiting until ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

/** The workspace state `extensionId` has in the web workbench's IndexedDB storage, as stored (JSON text). */
function storedWorkspaceState(page: Page, extensionId: string): Promise<string[]> {
  return page.evaluate(async (key) => {
    const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const found: string[] = [];
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await request(indexedDB.open(name));
      try {
        if (!db.objectStoreNames.contains('ItemTable')) continue;
        const value = await request(db.transaction('ItemTable').objectStore('ItemTable').get(key));
        if (typeof value === 'string') found.push(value);
      } finally {
        db.close();
      }
    }
    return found;
  }, extensionId);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `e2e-${name}.png`) });
}

function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

function lastAnswer(ctx: Context): Locator {
  return ctx.chat.locator('.turn-assistant').last();
}

/** Every frame of the page: the workbench, each webview's outer frame and its content frame. */
async function pwnedFrames(page: Page): Promise<string[]> {
  const hits: string[] = [];
  for (const frame of page.frames()) {
    const value = await frame.evaluate('window.__pwned').catch(() => undefined);
    if (value !== undefined) hits.push(`${frame.url().slice(0, 80)}: __pwned=${String(value)}`);
  }
  return hits;
}

async function ask(ctx: Context, question: string): Promise<void> {
  const input = ctx.chat.locator('textarea#question');
  await input.click();
  await input.fill(question);
  await input.press('Enter');
}

/** The text of the newest answer so far; '' while it only shows the "Searching…" placeholder. */
async function answerText(ctx: Context): Promise<string> {
  const answer = lastAnswer(ctx).locator('.answer');
  if ((await answer.locator('.pending').count()) > 0) return '';
  return (await answer.textContent()) ?? '';
}

async function isStreaming(ctx: Context): Promise<boolean> {
  return (await lastAnswer(ctx).locator('.answer.streaming').count()) > 0;
}

/**
 * Shows the chat view whatever layout the workbench restored. Clicking the icon of the container the
 * side bar shows would close it, and the restored layout settles a moment after the icon appears, so
 * look, click only when Lore is not shown, and look again.
 */
async function openChatView(ctx: Context): Promise<void> {
  const icon = ctx.page.locator('.activitybar .action-item a[aria-label="Lore"]');
  const shown = ctx.page.locator('.activitybar .action-item.checked a[aria-label="Lore"]');
  const input = ctx.chat.locator('textarea#question');
  await icon.waitFor({ timeout: 30_000 });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const showsLore = (await ctx.page.locator('.part.sidebar').isVisible()) && (await shown.count()) > 0;
    if (!showsLore) await icon.click();
    if (await input.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
  }
  throw new Error('the chat view did not show after three tries');
}

/** The `Ln x, Col y (n selected)` status-bar entry of the active editor. */
async function selectionStatus(page: Page): Promise<string> {
  return ((await page.locator('[id="status.editor.selection"]').textContent()) ?? '').trim();
}

const steps: Step[] = [
  {
    name: 'the status bar shows the index is ready',
    async run({ page }) {
      const label = await waitUntil('the Lore status-bar item reports a built index', async () => {
        const text = await page.locator('[aria-label^="Lore index:"]').first().getAttribute('aria-label', { timeout: 1000 });
        return text && /^Lore index: [1-9]\d* files, [1-9]\d* chunks/.test(text) ? text : undefined;
      }, 60_000);
      console.log(`    (${label})`);
    },
  },
  {
    name: 'the Lore icon in the activity bar opens the chat view',
    async run(ctx) {
      await openChatView(ctx);
      await waitUntil('the view shows the index state', async () => ((await ctx.chat.locator('.index-status[data-state="idle"]').count()) > 0 ? true : undefined));
      await screenshot(ctx.page, 'empty');
    },
  },
  {
    name: 'a question sent with Enter is answered, streaming in',
    async run(ctx) {
      await setFakeChat(ctx.ollamaUrl, { tokenDelayMs: TOKEN_DELAY_MS });
      await ask(ctx, FIRST_QUESTION);
      await waitUntil('the question shows as a turn', async () => ((await ctx.chat.locator('.turn-user .user-text', { hasText: FIRST_QUESTION }).count()) > 0 ? true : undefined));
      // Seen part-way: text present while the answer is still marked as streaming.
      const partial = await waitUntil('part of the answer shows while it streams', async () => {
        const text = await answerText(ctx);
        return text.length > 0 && (await isStreaming(ctx)) ? text : undefined;
      });
      await waitUntil('the answer completes', async () => (!(await isStreaming(ctx)) && (await answerText(ctx)).includes('quit') ? true : undefined));
      const full = await answerText(ctx);
      check(full.length > partial.length, `the answer did not grow: "${partial}" then "${full}"`);
      check(full.includes('The total applies the volume discount first'), `unexpected answer: ${full}`);
      const strong = await lastAnswer(ctx).locator('.answer strong').textContent();
      check(strong === 'volume discount', `markdown bold not rendered: ${strong}`);
      check((await lastAnswer(ctx).locator('.answer li').count()) === 2, 'the list has 2 items');
      const code = await lastAnswer(ctx).locator('.code-block pre code.hljs').textContent();
      check(code?.includes('const net = unitPriceCents'), `code block not rendered: ${code}`);
      check((await lastAnswer(ctx).locator('.code-block button[title="Copy"]').count()) === 1, 'the code block has a Copy button');
      await screenshot(ctx.page, 'answer');
    },
  },
  {
    name: 'the sources list shows path:start-end entries, the ones the model was given',
    async run(ctx) {
      const labels = await lastAnswer(ctx).locator('.source-list .source-path').allTextContents();
      check(labels.length > 0, 'no sources listed');
      for (const label of labels) check(/^[\w./-]+:\d+(-\d+)?$/.test(label), `not a path:start-end label: ${label}`);
      check(labels.some((l) => l.startsWith('src/pricing.ts:')), `src/pricing.ts is not among ${labels.join(', ')}`);
      const { requests } = await observedRequests(ctx.ollamaUrl);
      const prompt = userPromptOf(requests.filter(isAnswerRequest).at(-1)!);
      labels.forEach((label, i) => {
        const [file, lines] = label.split(':');
        const range = lines.includes('-') ? lines : `${lines}-${lines}`;
        check(prompt.includes(`[${i + 1}] ${file}:${range} (`), `source ${i + 1} (${label}) is not [${i + 1}] in the prompt`);
      });
      // The side bar is wide enough for every path here; a long symbol name must not cut one short.
      // Measured unrounded: an ellipsis shows as soon as the text is a fraction of a pixel too wide.
      const cut = await lastAnswer(ctx).locator('.source-list .source-path').evaluateAll((els) =>
        els.filter((el) => {
          const text = document.createRange();
          text.selectNodeContents(el);
          return text.getBoundingClientRect().width > el.getBoundingClientRect().width + 0.01;
        }).map((el) => el.textContent));
      check(cut.length === 0, `source paths cut short: ${cut.join(', ')}`);
      const citation = lastAnswer(ctx).locator('.answer a.citation').first();
      check((await citation.getAttribute('title')) === labels[0], 'the [1] citation names source 1');
    },
  },
  {
    name: 'the hostile HTML in the answer is inert',
    async run(ctx) {
      const answer = lastAnswer(ctx).locator('.answer');
      for (const selector of ['img', 'script', 'iframe', '[onerror]', '[onclick]', 'a[href^="javascript:"]', 'a[href^="command:"]']) {
        check((await answer.locator(selector).count()) === 0, `the rendered answer holds ${selector}`);
      }
      const text = (await answer.textContent()) ?? '';
      check(text.includes('<img src=x onerror="window.__pwned=1">'), 'the raw HTML is shown as text');
      check(text.includes('<script>window.__pwned=2</script>'), 'the script tag is shown as text');
      const pwned = await pwnedFrames(ctx.page);
      check(pwned.length === 0, `script ran: ${pwned.join('; ')}`);
    },
  },
  {
    name: 'clicking the javascript: and command: links does nothing',
    async run(ctx) {
      const urlBefore = ctx.page.url();
      for (const text of ['this link', 'quit']) {
        const link = lastAnswer(ctx).locator('.answer .blocked-link', { hasText: text });
        check((await link.count()) === 1, `"${text}" is not rendered as a blocked link`);
        await link.click();
      }
      await sleep(1500);
      const pwned = await pwnedFrames(ctx.page);
      check(pwned.length === 0, `script ran: ${pwned.join('; ')}`);
      check(ctx.page.url() === urlBefore, `the workbench navigated to ${ctx.page.url()}`);
      check(ctx.workbench.browser.contexts().flatMap((c) => c.pages()).length === 1, 'a new page opened');
      check(await ctx.page.locator('.monaco-workbench').isVisible(), 'the workbench is gone');
      check((await answerText(ctx)).includes('The total applies'), 'the chat view is gone');
    },
  },
  {
    name: 'clicking a source opens its file with its lines selected',
    async run(ctx) {
      const sources = lastAnswer(ctx).locator('.source-list .source-link');
      const labels = await lastAnswer(ctx).locator('.source-list .source-path').allTextContents();
      const index = labels.findIndex((l) => /^src\/pricing\.ts:\d+-\d+$/.test(l));
      check(index >= 0, `no multi-line src/pricing.ts source in ${labels.join(', ')}`);
      const [, start, end] = /:(\d+)-(\d+)$/.exec(labels[index])!.map(Number);
      await sources.nth(index).click();
      const tab = await waitUntil('pricing.ts is the active editor tab', async () => {
        const title = (await ctx.page.locator('.tabs-container .tab.active .label-name').first().textContent({ timeout: 1000 }))?.trim();
        return title === 'pricing.ts' ? title : undefined;
      });
      // The whole lines start..end are selected: VS Code counts their characters and line breaks.
      const lines = readFileSync(path.join(ctx.workspace, 'src', 'pricing.ts'), 'utf8').split('\n');
      const selected = lines.slice(start - 1, end).join('\n').length;
      const expected = `Ln ${end}, Col ${lines[end - 1].length + 1} (${selected} selected)`;
      const status = await waitUntil(`the status bar shows "${expected}"`, async () => {
        const shown = await selectionStatus(ctx.page);
        return shown === expected ? shown : undefined;
      }, 10_000).catch(async (err: Error) => {
        throw new Error(`${err.message}; it shows "${await selectionStatus(ctx.page)}"`);
      });
      console.log(`    (${tab}: ${status})`);
      await screenshot(ctx.page, 'source-opened');
    },
  },
  {
    name: 'Stop ends a streaming answer, and Ollama sees the request dropped',
    async run(ctx) {
      const { abortedChats: abortedBefore } = await observedRequests(ctx.ollamaUrl);
      await setFakeChat(ctx.ollamaUrl, { tokenDelayMs: SLOW_TOKEN_DELAY_MS });
      await ask(ctx, SECOND_QUESTION);
      await waitUntil('the second answer starts streaming', async () =>
        (await ctx.chat.locator('.turn-assistant').count()) === 2 && (await answerText(ctx)).length > 0 && (await isStreaming(ctx)) ? true : undefined);
      const stop = ctx.chat.locator('button.send-button.stop');
      check((await stop.getAttribute('aria-label')) === 'Stop', 'the send button turned into Stop');
      await stop.click();
      await lastAnswer(ctx).locator('.stopped-note').waitFor({ timeout: 5000 });
      const atStop = await answerText(ctx);
      await sleep(SLOW_TOKEN_DELAY_MS * 8);
      const later = await answerText(ctx);
      check(later === atStop, `the answer kept growing after Stop: ${atStop.length} -> ${later.length} chars`);
      check(!later.includes('quit'), 'the answer ran to its end');
      check(!(await isStreaming(ctx)), 'the answer is still marked as streaming');
      await waitUntil('Ollama sees the answer request dropped', async () =>
        (await observedRequests(ctx.ollamaUrl)).abortedChats > abortedBefore ? true : undefined, 5000);
      check((await ctx.chat.locator('button.send-button').getAttribute('aria-label')) === 'Send', 'the Stop button turned back into Send');
      await screenshot(ctx.page, 'stopped');
    },
  },
  {
    name: 'the conversation is still there after the window reloads',
    async run(ctx) {
      await setFakeChat(ctx.ollamaUrl, { tokenDelayMs: 0 });
      // The web workbench writes workspace state to the browser's IndexedDB a moment after each
      // change, and a reload before that loses it (a fixed 2 s wait once was not enough under load):
      // reload once the stopped answer is in the stored state itself.
      await waitUntil('the workbench has stored the stopped answer', async () =>
        (await storedWorkspaceState(ctx.page, EXTENSION_ID)).some((state) => state.includes('"stopped":true')) ? true : undefined, 30_000);
      await ctx.page.reload();
      await ctx.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const questions = ctx.chat.locator('.turn-user .user-text');
      await openChatView(ctx);
      const shown = await waitUntil('both questions show again', async () => {
        const texts = await questions.allTextContents();
        return texts.length === 2 ? texts : undefined;
      }, 40_000);
      check(shown[0] === FIRST_QUESTION && shown[1] === SECOND_QUESTION, `restored questions: ${shown.join(' | ')}`);
      const first = ctx.chat.locator('.turn-assistant').first();
      check(((await first.locator('.answer').textContent()) ?? '').includes('The total applies'), 'the first answer is restored');
      check((await first.locator('.source-list .source-path').count()) > 0, 'its sources are restored');
      // The view paints its own saved state first; the host's stored conversation follows and wins.
      await waitUntil('the stopped answer is marked as stopped', async () =>
        (await ctx.chat.locator('.turn-assistant').last().locator('.stopped-note').count()) === 1 ? true : undefined, 10_000);
      await waitUntil('the view shows the reopened index', async () => ((await ctx.chat.locator('.index-status[data-state="idle"]').count()) > 0 ? true : undefined));
      await screenshot(ctx.page, 'reloaded');
    },
  },
  {
    name: 'a PDF source reads "R-intro.pdf p. N" and opens its extracted text at its lines',
    async run(ctx) {
      mkdirSync(path.join(ctx.workspace, 'manuals'));
      cpSync(path.join(DOC_FIXTURES, 'r-intro-p13-18.pdf'), path.join(ctx.workspace, 'manuals', 'R-intro.pdf'));
      const { label, index } = await sourceLabelled(ctx, 'How is a missing value NA marked, and what does is.na give?', /^R-intro\.pdf p\. (\d)$/);
      check(Math.abs(Number(/p\. (\d)/.exec(label)![1]) - 5) <= 1, `the missing-values passage is on page 5 of the fixture, the source says ${label}`);
      await lastAnswer(ctx).locator('.source-list .source-link').nth(index).click();
      await waitUntil('the extracted text is the active editor tab', async () =>
        (await activeTab(ctx.page)) === 'R-intro.pdf.txt' ? true : undefined);
      const status = await waitUntil('its lines are selected', async () => {
        const shown = await selectionStatus(ctx.page);
        return /\(\d+ selected\)/.test(shown) ? shown : undefined;
      }, 10_000);
      console.log(`    (${label}: ${status})`);
      await screenshot(ctx.page, 'pdf-source-opened');
    },
  },
  {
    name: 'a notebook source reads "code-cells.ipynb cell N" and opens the notebook editor at that cell',
    async run(ctx) {
      mkdirSync(path.join(ctx.workspace, 'notebooks'));
      cpSync(path.join(DOC_FIXTURES, 'nbsphinx-code-cells.ipynb'), path.join(ctx.workspace, 'notebooks', 'code-cells.ipynb'));
      const { label, index } = await sourceLabelled(ctx, 'Which cell magic runs bash, looping for i in 1 2 3 with echo?', /^code-cells\.ipynb cell \d+$/);
      const cell = Number(/cell (\d+)$/.exec(label)![1]);
      check(cell === 17, `the %%bash cell is cell 17 of the fixture, the source says ${label}`);
      await lastAnswer(ctx).locator('.source-list .source-link').nth(index).click();
      await waitUntil('the notebook is the active editor tab', async () => ((await activeTab(ctx.page)) === 'code-cells.ipynb' ? true : undefined));
      const focused = await waitUntil('a cell of the notebook editor is focused', async () =>
        (await ctx.page.locator('.notebook-editor .monaco-list-row.focused').first().getAttribute('data-index', { timeout: 1000 })) ?? undefined);
      check(Number(focused) === cell, `cell ${focused} is focused, not ${cell}`);
      await screenshot(ctx.page, 'notebook-source-opened');
    },
  },
];

const DOC_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'docs');

/** Asks until a source's label matches (the watcher indexes a file just copied in a moment later). */
async function sourceLabelled(ctx: Context, question: string, pattern: RegExp): Promise<{ label: string; index: number }> {
  return waitUntil(`a source labelled ${pattern}`, async () => {
    const before = await ctx.chat.locator('.turn-assistant').count();
    await ask(ctx, question);
    await waitUntil('the answer is complete', async () =>
      (await ctx.chat.locator('.turn-assistant').count()) > before && !(await isStreaming(ctx)) && (await answerText(ctx)).length > 0 ? true : undefined);
    const labels = await lastAnswer(ctx).locator('.source-list .source-path').allTextContents();
    const index = labels.findIndex((l) => pattern.test(l.trim()));
    return index >= 0 ? { label: labels[index].trim(), index } : undefined;
  }, 60_000);
}

async function activeTab(page: Page): Promise<string | undefined> {
  return (await page.locator('.tabs-container .tab.active .label-name').first().textContent({ timeout: 1000 }))?.trim();
}

/** The fixture copy the workbench opens. */
function prepareWorkspace(root: string): string {
  const workspace = path.join(root, 'workspace');
  cpSync(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  return workspace;
}

/** Installs this repository as `publisher.name-version` in a fresh extensions folder, as `npm start` does. */
function prepareExtensions(root: string): string {
  const extensionsDir = path.join(root, 'extensions');
  mkdirSync(extensionsDir);
  symlinkSync(REPO_ROOT, path.join(extensionsDir, `${EXTENSION_ID}-${MANIFEST.version}`));
  return extensionsDir;
}

async function main(): Promise<{ passed: number; failed: number }> {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const root = makeTempDir('lore-e2e-');
  cleanups.push(async () => removeDir(root));
  const workspace = prepareWorkspace(root);
  const ollama = await startFakeOllamaProcess({ FAKE_OLLAMA_REPLY: REPLY });
  cleanups.push(() => ollama.stop());
  const server = await startVSCodeServer({
    env: { OLLAMA_HOST: ollama.url },
    // VS Code's default theme on the desktop (the web build defaults to light).
    userSettings: { 'lore.ollamaHost': ollama.url, 'workbench.colorTheme': 'Default Dark Modern' },
    extensionsDir: prepareExtensions(root),
  });
  cleanups.push(() => server.stop());
  const workbench = await openWorkbench(server, { folder: workspace });
  cleanups.push(() => workbench.close());
  const ctx: Context = { workbench, page: workbench.page, chat: chatFrame(workbench.page), ollamaUrl: ollama.url, workspace };

  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let broken: string | undefined;
  console.log('Ask the codebase, end to end');
  for (const step of steps) {
    if (broken) {
      failed++;
      console.log(`  - ${step.name}: not run, an earlier step failed`);
      continue;
    }
    const stepStarted = Date.now();
    try {
      await step.run(ctx);
      passed++;
      console.log(`  ✔ ${step.name} (${Date.now() - stepStarted}ms)`);
    } catch (err) {
      failed++;
      broken = step.name;
      console.log(`  ✘ ${step.name}\n      ${err instanceof Error ? err.message : String(err)}`);
      await screenshot(ctx.page, 'failure').catch(() => undefined);
    }
  }
  if (failed > 0) {
    console.error(`--- extension host log (tail) ---\n${server.extensionHostLog().split('\n').slice(-40).join('\n')}`);
    console.error(`--- browser console errors (last 20) ---\n${workbench.consoleErrors.slice(-20).join('\n')}`);
  }
  console.log(`\nEnd-to-end steps took ${((Date.now() - started) / 1000).toFixed(0)}s; screenshots in ${path.relative(process.cwd(), SCREENSHOT_DIR)}/e2e-*.png`);
  return { passed, failed };
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return { passed: 0, failed: 1 };
  })
  .then(async ({ passed, failed }) => {
    await cleanups.run();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  });
