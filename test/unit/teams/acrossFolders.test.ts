import * as assert from 'node:assert/strict';
import { retrieverAcrossFolders, type FolderSearch } from '../../../src/core/retrieve';
import type { RetrievedChunk } from '../../../src/core/types';

function hit(path: string, line = 1): RetrievedChunk {
  return { chunk: { id: `${path}:${line}`, path, startLine: line, endLine: line + 2, language: 'typescript', text: `// ${path}`, hash: 'h' }, score: 0.5, via: ['lexical'] };
}

function folder(name: string, paths: string[], evidence: number, mode: 'hybrid' | 'lexical' = 'lexical'): FolderSearch & { asked: number } {
  const search = {
    name,
    asked: 0,
    retrieve: async (_question: string, options: { k: number }) => {
      search.asked++;
      return { mode, results: paths.slice(0, options.k).map((p) => hit(p)) };
    },
    bestLexicalScore: () => evidence,
  };
  return search;
}

describe('retrieverAcrossFolders', () => {
  it('interleaves the folders by rank, the folder with the stronger lexical match first, each path labelled', async () => {
    const app = folder('app', ['src/a.ts', 'src/b.ts'], 2.5);
    const docs = folder('docs', ['guide.md', 'faq.md', 'api.md'], 7.1);
    const { results, mode } = await retrieverAcrossFolders([app, docs]).retrieve('q', { k: 4 });
    assert.deepEqual(results.map((r) => r.chunk.path), ['docs/guide.md', 'app/src/a.ts', 'docs/faq.md', 'app/src/b.ts']);
    assert.equal(mode, 'lexical');
    assert.ok(results[0].score > results[2].score);
    assert.equal(app.asked, 1);
  });

  it('is hybrid only when every folder is, and answers within k', async () => {
    const a = folder('a', ['x.ts'], 1, 'hybrid');
    const b = folder('b', ['y.ts', 'z.ts'], 1, 'hybrid');
    const both = await retrieverAcrossFolders([a, b]).retrieve('q', { k: 2 });
    assert.equal(both.mode, 'hybrid');
    assert.equal(both.results.length, 2);
    const mixed = await retrieverAcrossFolders([a, folder('c', [], 0)]).retrieve('q', { k: 5 });
    assert.equal(mixed.mode, 'lexical');
    assert.deepEqual(mixed.results.map((r) => r.chunk.path), ['a/x.ts']);
  });

  it('keeps a docs-folder file\'s absolute path, and gives it once though every folder\'s index holds it', async () => {
    const manual = '/home/me/manuals/R-intro.pdf';
    const app = folder('app', [manual, 'src/a.ts'], 2.5);
    const lib = folder('lib', [manual, 'src/b.ts', 'src/c.ts'], 1);
    const { results } = await retrieverAcrossFolders([app, lib]).retrieve('q', { k: 4 });
    assert.deepEqual(results.map((r) => r.chunk.path), [manual, 'app/src/a.ts', 'lib/src/b.ts', 'lib/src/c.ts']);
  });

  it('rejects a k that is not a positive integer', async () => {
    await assert.rejects(retrieverAcrossFolders([folder('a', [], 0)]).retrieve('q', { k: 0 }), RangeError);
  });
});
