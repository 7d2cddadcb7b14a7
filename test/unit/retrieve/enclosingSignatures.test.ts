import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Chunker } from '../../../src/core/chunk';
import { Indexer } from '../../../src/core/indexer';
import { buildPrompt } from '../../../src/core/prompt';
import { elisionLine, fileLinesOf, Retriever, showsLine } from '../../../src/core/retrieve';
import { LoreStore } from '../../../src/core/store';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

/** A class whose one method is far too long for a chunk: the chunker splits it and keeps the signatures as context. */
function longMethodFile(): string {
  const body = Array.from({ length: 300 }, (_, i) => (i === 250 ? '        total += reconcile_wombat_ledger(entry)' : `        total += entry.amount_${i} * rate_${i}`));
  return ['import os', '', '', 'class LedgerBook:', '    """Keeps the books."""', '', '    def settle(self, entries, rate):', '        total = 0', ...body, '        return total', ''].join('\n');
}

describe('Retriever, enclosing signatures of a piece of a long declaration', function () {
  this.timeout(30_000);
  let root: string;
  let store: LoreStore;
  let chunker: Chunker;
  const file = 'books/ledger.py';
  const read = (text: string) => async (rel: string) => (rel === file ? text : undefined);

  before(async () => {
    root = makeTempDir('lore-signatures-');
    writeTree(root, { [file]: longMethodFile() });
    store = await LoreStore.open(path.join(root, '.store'));
    chunker = await Chunker.create(undefined, { workers: 0 });
    await new Indexer({ root, store, chunker, maxFileBytes: 1 << 20 }).syncAll();
  });

  after(async () => {
    await store.close();
    await chunker.dispose();
    removeDir(root);
  });

  it('shows the class and method lines above the piece, with their line numbers, and marks the lines left out', async () => {
    const { results } = await new Retriever(store).retrieve('reconcile_wombat_ledger', { k: 1 });
    const [top] = results;
    assert.equal(top.chunk.startLine, 4, 'starts at the class line');
    const lines = top.chunk.text.split('\n');
    // A gap of two lines is shown rather than marked; the method's body up to the piece is left out.
    const pieceStart = Number(/^⋮ lines 8-(\d+) left out$/.exec(lines[4])?.[1]) + 1;
    assert.deepEqual(lines.slice(0, 4), ['class LedgerBook:', '    """Keeps the books."""', '', '    def settle(self, entries, rate):']);
    assert.ok(pieceStart > 8 && pieceStart <= 258, lines[4]);
    assert.match(top.chunk.text, /reconcile_wombat_ledger/);
    assert.ok(showsLine(top.chunk, 4) && showsLine(top.chunk, 7), 'the class and def lines are shown');
    assert.ok(!showsLine(top.chunk, 8) && !showsLine(top.chunk, pieceStart - 1), 'lines left out are not shown');
    assert.ok(showsLine(top.chunk, pieceStart));
    // Every line shown is the file's line of that number.
    const fileLines = longMethodFile().split('\n');
    fileLinesOf(top.chunk.startLine, top.chunk.text).forEach((line, i) => {
      if (line !== undefined) assert.equal(lines[i], fileLines[line - 1], `line ${line}`);
    });
  });

  it('checks the signature lines against the file as it is now, and shows the piece alone when they changed', async () => {
    const retriever = new Retriever(store);
    const same = await retriever.retrieve('reconcile_wombat_ledger', { k: 1, readCurrent: read(longMethodFile()) });
    assert.equal(same.results[0].chunk.startLine, 4);
    const renamed = longMethodFile().replace('def settle(', 'def settle_all(');
    const changed = await retriever.retrieve('reconcile_wombat_ledger', { k: 1, readCurrent: read(renamed) });
    const [piece] = changed.results;
    assert.ok(piece.chunk.startLine > 7, 'the piece alone');
    assert.doesNotMatch(piece.chunk.text, /⋮|def settle/);
  });

  it('keeps the end line true when the prompt shortens such an excerpt: shown last, or marked as left out up to it', async () => {
    const { results } = await new Retriever(store).retrieve('reconcile_wombat_ledger', { k: 1 });
    const { sources } = buildPrompt({ question: 'Where is the wombat ledger reconciled?', sources: results, history: [], contextWindow: 700, reserveForAnswer: 0 });
    const [shortened] = sources;
    assert.ok(shortened.chunk.text.length < results[0].chunk.text.length);
    const lastLine = shortened.chunk.text.replace(/\n… \[truncated\]$/, '').split('\n').at(-1)!;
    const marker = /^⋮ lines (\d+)-(\d+) left out$/.exec(lastLine);
    const shown = fileLinesOf(shortened.chunk.startLine, shortened.chunk.text.replace(/\n… \[truncated\]$/, '')).filter((l) => l !== undefined);
    assert.equal(shortened.chunk.endLine, marker ? Number(marker[2]) : shown[shown.length - 1]);
    assert.ok(shown.length < results[0].chunk.text.split('\n').length);
  });
});

describe('showsLine and fileLinesOf', () => {
  it('maps each line of an excerpt to its file line, skipping the lines a marker leaves out', () => {
    const text = ['class A:', elisionLine(2, 9), '    def f(self):', '        return 1'].join('\n');
    assert.deepEqual(fileLinesOf(1, text), [1, undefined, 10, 11]);
    const source = { startLine: 1, endLine: 11, text };
    assert.deepEqual([1, 5, 10, 11, 12].map((line) => showsLine(source, line)), [true, false, true, true, false]);
  });

  it('reads an excerpt without markers as consecutive lines', () => {
    assert.deepEqual(fileLinesOf(40, 'a\nb\nc'), [40, 41, 42]);
  });
});
