// The search contract shared by the MCP server and the VS Code language model tool.
import * as assert from 'node:assert/strict';
import { checkSearchInput, formatExcerpts, pathMatcher, SearchInputError } from '../../../src/core/retrieve';

describe('agent search contract', () => {
  it('checks input and says what to fix', () => {
    assert.deepEqual(checkSearchInput({ query: 'retry' }), { query: 'retry', k: 8 });
    assert.deepEqual(checkSearchInput({ query: 'retry', k: 3, path: ' src/** ' }), { query: 'retry', k: 3, path: 'src/**' });
    const bad: Array<[unknown, RegExp]> = [
      [undefined, /query is missing/],
      [{ query: 42 }, /query is missing/],
      [{ query: ' \n ' }, /query is empty/],
      [{ query: 'x'.repeat(20_001) }, /keep it under/],
      [{ query: 'a', k: 0 }, /k must be a whole number from 1 to 50, got 0/],
      [{ query: 'a', k: 2.5 }, /got 2.5/],
      [{ query: 'a', k: '3' }, /got "3"/],
      [{ query: 'a', path: '' }, /path must be a non-empty glob/],
    ];
    for (const [input, message] of bad) assert.throws(() => checkSearchInput(input), (err: Error) => err instanceof SearchInputError && message.test(err.message));
  });

  it('matches paths with .gitignore globs', () => {
    const md = pathMatcher('*.md');
    assert.ok(md('README.md') && md('docs/guide.md') && !md('src/a.ts'));
    const src = pathMatcher('./src/');
    assert.ok(src('src/a.ts') && src('src/deep/b.py') && !src('lib/src.ts'));
    const deep = pathMatcher('lib/**/*.py');
    assert.ok(deep('lib/x/y.py') && !deep('lib/x/y.ts') && !deep('other/lib/y.py'));
  });

  it('numbers excerpts under their path and lines, in a fence their text cannot close', () => {
    const text = formatExcerpts('how?', {
      mode: 'lexical',
      results: [
        { path: 'a.ts', startLine: 3, endLine: 4, score: 1, text: 'const a = 1;\nconst b = 2;', symbol: 'a', language: 'typescript' },
        { path: 'README.md', startLine: 1, endLine: 3, score: 0.5, text: '```js\nx()\n```', language: 'markdown' },
      ],
    });
    assert.match(text, /^Lore found 2 excerpt\(s\) for "how\?" \(lexical search/);
    assert.match(text, /\[1\] a\.ts:3-4 \(a\)\n```typescript\nconst a = 1;\nconst b = 2;\n```/);
    assert.match(text, /\[2\] README\.md:1-3\n````markdown\n```js\nx\(\)\n```\n````/);
    assert.match(formatExcerpts('nothing', { mode: 'hybrid', results: [] }), /found nothing/);
  });
});
