// A docs folder outside the workspace (`lore.docFolders`, user settings) in a real VS Code: its files
// join the index under their absolute paths, are listed in the status, are searched and cited as
// outside the repository, and are kept fresh as files there are created and deleted.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoreApi } from '../../src/host/lore';
import { waitFor } from '../support/wait';

const REPO = path.resolve(__dirname, '../../..');

async function lore(): Promise<LoreApi> {
  const ext = vscode.extensions.getExtension<LoreApi>('lore-dev.lore');
  assert.ok(ext, 'Lore is not loaded');
  return ext.activate();
}

/** The absolute index key of a docs-folder file (POSIX). */
function keyOf(file: string): string {
  return file.split(path.sep).join('/');
}

describe('docs folders outside the workspace (real VS Code)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lore-docs-'));
  const config = () => vscode.workspace.getConfiguration('lore');

  after(async () => {
    await config().update('docFolders', undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes, lists, cites and keeps fresh a docs folder from the user settings', async () => {
    const api = await lore();
    copyFileSync(path.join(REPO, 'test/fixtures/docs/python-heapq.html'), path.join(dir, 'heapq.html'));
    await config().update('docFolders', [dir], vscode.ConfigurationTarget.Global);
    const page = keyOf(path.join(dir, 'heapq.html'));
    // Every folder's index takes the docs folder in (the harness opens two).
    const docFilesEverywhere = async (files: number) => {
      const status = await api.status();
      return status.length === vscode.workspace.workspaceFolders?.length && status.every((s) => JSON.stringify(s.docFolders) === JSON.stringify([{ folder: dir, files }]));
    };
    await waitFor('the docs folder is indexed, and listed in every folder\'s status', async () => (await docFilesEverywhere(1)) || undefined, 60_000, 100);
    // Top 3: the test server's embeddings are hashes, so the vector side of hybrid search is noise.
    const hits = await api.query('heappushpop push item on the heap then pop', 5);
    const found = hits.slice(0, 3).find((hit) => hit.chunk.path === page);
    assert.ok(found, JSON.stringify(hits.map((hit) => hit.chunk.path)));
    assert.doesNotMatch(found.chunk.text, /<\/?(span|div|a|p)\b/, 'extracted text, not markup');

    const { sources } = await api.ask('What does heappushpop do?');
    const cited = sources.filter((source) => source.path === page);
    assert.ok(cited.length > 0, JSON.stringify(sources));
    assert.ok(cited.every((source) => source.outside), 'labelled as outside the repository');
    const places = cited.map((source) => `${source.startLine}-${source.endLine}`);
    assert.equal(new Set(places).size, places.length, 'each excerpt once, though both folders\' indexes hold it');

    const note = path.join(dir, 'runbook.md');
    const marker = `zephyrRunbookStep${Date.now()}`;
    await vscode.workspace.fs.writeFile(vscode.Uri.file(note), new TextEncoder().encode(`# Runbook\n\nRestart with ${marker} first.\n`));
    await waitFor('a file created in the docs folder is indexed', async () => (await api.query(marker, 5)).some((hit) => hit.chunk.path === keyOf(note)) || undefined, 30_000, 100);
    await waitFor('the new file is counted', async () => (await docFilesEverywhere(2)) || undefined, 30_000, 100);
    await vscode.workspace.fs.delete(vscode.Uri.file(note));
    await waitFor('a file deleted from the docs folder leaves the index', async () => !(await api.query(marker, 5)).some((hit) => hit.chunk.path === keyOf(note)) || undefined, 30_000, 100);
  });
});
