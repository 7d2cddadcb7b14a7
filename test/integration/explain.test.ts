// "Explain with Context" in a real VS Code: a selection in the fixture workspace becomes a chat request
// whose prompt holds the selection, the definition of the function it calls (found by the built-in
// TypeScript server through vscode.executeDefinitionProvider) and numbered sources. What the model
// received is read back from the test Ollama-API server.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { allFoldersIndexed } from './indexed';
import type { LoreApi } from '../../src/host/lore';
import { isAnswerRequest, observedRequests, promptSources, userPromptOf } from '../support/fakeOllamaClient';
import { waitFor } from '../support/wait';

function fakeOllamaUrl(): string {
  const url = process.env.OLLAMA_HOST;
  assert.ok(url, 'OLLAMA_HOST is not set in the extension host');
  return url;
}

async function lore(): Promise<LoreApi> {
  const ext = vscode.extensions.getExtension<LoreApi>('lore-dev.lore');
  assert.ok(ext, 'Lore is not loaded');
  return ext.activate();
}


/** 0-based line and column of the first `text` at or after line `fromLine`. */
function positionOf(doc: vscode.TextDocument, text: string, fromLine = 0): vscode.Position {
  for (let line = fromLine; line < doc.lineCount; line++) {
    const column = doc.lineAt(line).text.indexOf(text);
    if (column >= 0) return new vscode.Position(line, column);
  }
  throw new Error(`"${text}" is not in ${doc.uri.fsPath}`);
}

/** Resolves once the TypeScript server (started by the first .ts file) finds the definition at `target`. */
async function waitForDefinition(doc: vscode.TextDocument, call: vscode.Position, target: vscode.Uri, targetLine: number): Promise<void> {
  await waitFor(`the TypeScript server resolves the call at ${call.line + 1}:${call.character + 1}`, async () => {
    const locations = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink>>('vscode.executeDefinitionProvider', doc.uri, call);
    const found = locations?.some((l) => {
      const [uri, range] = 'targetUri' in l ? [l.targetUri, l.targetRange] : [l.uri, l.range];
      return uri.toString() === target.toString() && range.start.line <= targetLine && targetLine <= range.end.line;
    });
    return found ? true : undefined;
  }, 60_000);
}

/** Selects whole lines `first..last` (0-based), runs Explain with Context, returns the prompt the model got. */
async function explainLines(editor: vscode.TextEditor, first: number, last: number): Promise<string> {
  const doc = editor.document;
  editor.selection = new vscode.Selection(first, 0, last, doc.lineAt(last).text.length);
  const { requests: before } = await observedRequests(fakeOllamaUrl());
  await vscode.commands.executeCommand('lore.explainWithContext');
  const request = await waitFor('the model receives the explain request', async () => {
    const { requests } = await observedRequests(fakeOllamaUrl());
    return requests.slice(before.length).find(isAnswerRequest);
  });
  return userPromptOf(request);
}

async function indexReady(): Promise<LoreApi> {
  const api = await lore();
  await waitFor('the index is built with embeddings', async () => (allFoldersIndexed(await api.status(), (s) => s.mode === 'hybrid') ? true : undefined));
  await api.whenIdle();
  return api;
}

function workspaceUri(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the fixture workspace is not open');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}

describe('Explain with Context (real VS Code)', function () {
  this.timeout(120_000);

  it('sends the selection, the definition of the function it calls and numbered sources to the model', async () => {
    await indexReady();
    const doc = await vscode.workspace.openTextDocument(workspaceUri('src', 'pricing.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    // orderTotalCents calls volumeDiscount, defined above it in the same file.
    const definitionLine = positionOf(doc, 'export function volumeDiscount').line;
    const first = positionOf(doc, 'export function orderTotalCents').line;
    const call = positionOf(doc, 'volumeDiscount(units)', first);
    const last = positionOf(doc, '}', call.line).line;
    await waitForDefinition(doc, call, doc.uri, definitionLine);

    const prompt = await explainLines(editor, first, last);
    const selectedText = doc.getText(new vscode.Range(first, 0, last + 1, 0)).replace(/\n$/, '');
    assert.ok(prompt.includes(`Selected code: src/pricing.ts:${first + 1}-${last + 1} (typescript)`), `no selection header in:\n${prompt}`);
    assert.ok(prompt.includes(selectedText), `the selection is not in the prompt:\n${prompt}`);

    const sources = promptSources(prompt);
    assert.ok(sources.length >= 2, `expected numbered sources in:\n${prompt}`);
    assert.deepEqual(sources.map((s) => s.n), sources.map((_, i) => i + 1), 'sources are numbered 1..n in order');
    const definition = sources.find((s) => s.path === 'src/pricing.ts' && s.startLine <= definitionLine + 1 && definitionLine + 1 <= s.endLine);
    assert.ok(definition, `no source holds volumeDiscount's definition (line ${definitionLine + 1}):\n${prompt}`);
    assert.ok(definition.text.includes(doc.lineAt(definitionLine).text), `the definition's source lacks its signature:\n${definition.text}`);
    assert.ok(definition.text.includes('if (units >= 500) return 0.12;'), `the definition's body is missing:\n${definition.text}`);
  });

  it('puts a definition from another file first, ahead of what retrieval ranks highest', async () => {
    const api = await indexReady();
    // Written at run time so the fixture stays as the other suites expect it.
    const zones = workspaceUri('src', 'zones.ts');
    const shipping = workspaceUri('src', 'shipping.ts');
    await vscode.workspace.fs.writeFile(zones, new TextEncoder().encode(
      "/** Extra charge per delivery zone; islands cost most. */\nexport function zoneSurchargeCents(zone: 'mainland' | 'island'): number {\n  return zone === 'island' ? 900 : 0;\n}\n"));
    await vscode.workspace.fs.writeFile(shipping, new TextEncoder().encode(
      "import { zoneSurchargeCents } from './zones';\n\nexport function shippingCostCents(weightKg: number, zone: 'mainland' | 'island'): number {\n  return Math.ceil(weightKg) * 120 + zoneSurchargeCents(zone);\n}\n"));
    try {
      await waitFor('both new files are indexed', async () => {
        const paths = new Set((await api.query('shippingCostCents zoneSurchargeCents', 8)).map((r) => r.chunk.path));
        return paths.has('src/zones.ts') && paths.has('src/shipping.ts') ? true : undefined;
      });
      const doc = await vscode.workspace.openTextDocument(shipping);
      const editor = await vscode.window.showTextDocument(doc);
      const first = positionOf(doc, 'export function shippingCostCents').line;
      const call = positionOf(doc, 'zoneSurchargeCents(zone)', first);
      await waitForDefinition(doc, call, zones, 1);
      const selection = doc.getText(new vscode.Range(first, 0, first + 3, 0));
      // Without the definition provider the selection's own file would come first.
      const [top] = await api.query(`Explain src/shipping.ts:${first + 1}-${first + 3}\n${selection}`, 8);
      assert.equal(top?.chunk.path, 'src/shipping.ts', 'retrieval alone ranks the selection\'s file first');

      const sources = promptSources(await explainLines(editor, first, first + 2));
      assert.equal(sources[0]?.path, 'src/zones.ts', `source [1] is ${sources[0]?.path}`);
      assert.ok(sources[0].text.includes("export function zoneSurchargeCents(zone: 'mainland' | 'island'): number {"), sources[0].text);
      assert.ok(sources.some((s) => s.path === 'src/shipping.ts'), 'the retrieved sources follow the definition');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(shipping);
      await vscode.workspace.fs.delete(zones);
    }
  });
});
