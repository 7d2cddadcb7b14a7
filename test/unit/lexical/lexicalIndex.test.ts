import * as assert from 'node:assert/strict';
import { LexicalIndex, splitFields } from '../../../src/core/lexical';

function chunk(id: string, path: string, text: string, extra: { symbol?: string; context?: string } = {}) {
  return { id, path, text, ...extra };
}

describe('LexicalIndex', () => {
  it('splits a chunk into path, symbol, signature, doc comment and body fields', () => {
    const fields = splitFields(
      chunk('a', 'src/retry.ts', '/**\n * Retries a request with backoff.\n */\nexport function withRetry(fn) {\n  // wait longer each time\n  return fn();\n}', {
        symbol: 'withRetry',
      }),
    );
    assert.equal(fields.path, 'src/retry.ts');
    assert.equal(fields.symbol, 'withRetry');
    assert.equal(fields.signature, 'export function withRetry(fn) {');
    assert.equal(fields.doc, '/**\n * Retries a request with backoff.\n */\n  // wait longer each time');
    assert.equal(fields.body, '  return fn();\n}');
  });

  it('reads Python docstrings and Markdown headings as doc, and keeps a split declaration\'s context', () => {
    const python = splitFields(chunk('p', 'app/db.py', 'def connect(url):\n    """Opens a pooled\n    connection."""\n    return Pool(url)', { context: 'class Database:' }));
    assert.equal(python.signature, 'class Database:\ndef connect(url):');
    assert.equal(python.doc, '    """Opens a pooled\n    connection."""');
    assert.equal(python.body, '    return Pool(url)');
    const markdown = splitFields(chunk('m', 'docs/guide.md', '## Install\n\nRun npm ci.'));
    assert.equal(markdown.doc, '## Install');
  });

  it('ranks a chunk whose path and comments answer a question in words above one that only shares a word', () => {
    const index = new LexicalIndex();
    index.add([
      chunk('retry', 'src/http/retryPolicy.ts', '// Backoff between attempts when a request fails.\nexport function nextDelay(attempt) {\n  return 2 ** attempt;\n}'),
      chunk('other', 'src/ui/list.ts', 'export function render(items) {\n  // a request for items\n  return items.map(String);\n}'),
    ]);
    assert.deepEqual(
      index.search('where is the retry policy for failed requests?', 5).map((m) => m.id),
      ['retry', 'other'],
    );
  });

  it('counts and discards, and answers k < 1 and empty queries with nothing', () => {
    const index = new LexicalIndex();
    index.add([chunk('a', 'a.ts', 'alphaonly'), chunk('b', 'b.ts', 'betaonly')]);
    assert.equal(index.size, 2);
    assert.deepEqual(index.search('alphaonly', 0), []);
    assert.deepEqual(index.search('', 5), []);
    assert.deepEqual(index.search('the of is', 5), []);
    index.discard(['a', 'missing']);
    assert.deepEqual(index.search('alphaonly', 5), []);
    assert.deepEqual(index.search('betaonly', 5).map((m) => m.id), ['b']);
  });

  it('never throws on awkward queries', () => {
    const index = new LexicalIndex();
    index.add([chunk('a', 'a.ts', 'const pattern = /(.*)+$/; // "quoted" [brackets]')]);
    for (const q of ['(.*)+$', '"quoted"', "it's", '[brackets]', '\\', '日本語', 'مرحبا', 'x'.repeat(100_000), undefined as unknown as string]) {
      assert.ok(Array.isArray(index.search(q, 5)), JSON.stringify(q)?.slice(0, 20));
    }
    assert.deepEqual(index.search('"quoted" [brackets]', 5).map((m) => m.id), ['a']);
  });
});

describe('LexicalIndex on huge tokens', () => {
  it('indexes and searches a 100 KB one-word line (a minified bundle, a base64 blob) at once', () => {
    // Guards the stemmer against quadratic input: 100 KB of letters took 55 s before the length check.
    const blob = 'q'.repeat(100_000);
    const index = new LexicalIndex();
    index.add([chunk('blob', 'blob.txt', `${blob}\nvisibleWord`)]);
    assert.deepEqual(index.search(`${blob} visibleWord`, 5).map((m) => m.id), ['blob']);
  });
});
