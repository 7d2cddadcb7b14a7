import * as assert from 'node:assert/strict';
import { MarkdownRenderer, renderCodeBlock, sourceLabel } from '../../../src/webview/markdown';
import type { SourceRef } from '../../../src/shared/protocol';

const SOURCES: SourceRef[] = [
  { n: 1, path: 'src/a.ts', startLine: 1, endLine: 5, symbol: 'alpha' },
  { n: 2, path: 'docs/b.md', startLine: 3, endLine: 3 },
];

describe('webview markdown', () => {
  const md = new MarkdownRenderer();

  it('renders markdown', () => {
    assert.equal(md.render('Hello **world**', []), '<p>Hello <strong>world</strong></p>\n');
    assert.match(md.render('- one\n- two', []), /<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
  });

  it('turns [n] into a link to source n, with its location as title', () => {
    const html = md.render('See [2].', SOURCES);
    assert.match(html, /<a class="citation" href="#" data-source="2" title="docs\/b\.md:3" aria-label="Source 2: docs\/b\.md:3">2<\/a>/);
  });

  it('links each number of a grouped citation and of adjacent ones', () => {
    const grouped = md.render('Both [1, 2].', SOURCES);
    assert.match(grouped, /data-source="1"[^>]*>1<\/a><a class="citation" href="#" data-source="2"/);
    const adjacent = md.render('Both [1][2].', SOURCES);
    assert.equal((adjacent.match(/class="citation"/g) ?? []).length, 2);
  });

  it('leaves citations of unknown sources as the model wrote them', () => {
    assert.equal(md.render('See [7].', SOURCES), '<p>See [7].</p>\n');
    assert.equal(md.render('See [1].', []), '<p>See [1].</p>\n');
    assert.match(md.render('See [1, 7].', SOURCES), /data-source="1"[^>]*>1<\/a>\[7\]/);
  });

  it('does not link citations inside code or markdown links', () => {
    assert.equal(md.render('`arr[1]`', SOURCES), '<p><code>arr[1]</code></p>\n');
    assert.doesNotMatch(md.render('```\nx = arr[1]\n```', SOURCES), /citation/);
    assert.doesNotMatch(md.render('[1](https://example.com)', SOURCES), /citation/);
  });

  it('shows raw HTML in model output as text', () => {
    const html = md.render('Hi <script>alert(1)</script> <img src=x onerror="alert(1)">\n\n<iframe src="https://evil.test"></iframe>', []);
    assert.doesNotMatch(html, /<script|<img|<iframe/);
    assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    assert.match(html, /&#60;img src=x onerror=&#34;alert\(1\)&#34;&#62;/);
  });

  it('renders blocked links as plain text and keeps allowed ones', () => {
    const html = md.render('[a](javascript:alert(1)) [b](command:workbench.action.reloadWindow) [c](https://example.com/x) [d](src/a.ts#L3)', []);
    assert.match(html, /<span class="blocked-link" title="Link not opened: javascript: links are not opened">a<\/span>/);
    assert.match(html, /<span class="blocked-link" title="Link not opened: command: links are not opened">b<\/span>/);
    assert.match(html, /<a href="https:\/\/example\.com\/x" title="https:\/\/example\.com\/x">c<\/a>/);
    assert.match(html, /<a href="src\/a\.ts#L3" title="src\/a\.ts#L3">d<\/a>/);
    assert.doesNotMatch(html, /href="(javascript|command):/);
  });

  it('escapes quotes in link targets so they cannot add attributes', () => {
    const html = md.render('[x](https://example.com/"onmouseover="alert(1))', []);
    assert.doesNotMatch(html, /"onmouseover=/);
  });

  it('turns images into links, so answers load nothing remote', () => {
    const html = md.render('![diagram](https://example.com/d.png) ![t](javascript:alert(1))', []);
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /<a href="https:\/\/example\.com\/d\.png"[^>]*>diagram<\/a>/);
    assert.match(html, /<span class="blocked-link"[^>]*>t<\/span>/);
  });

  it('highlights fenced code in known languages and escapes the rest', () => {
    const ts = md.render('```ts\nconst a = 1;\n```', []);
    assert.match(ts, /<pre data-lang="ts"><code class="hljs language-ts"><span class="hljs-keyword">const<\/span>/);
    const unknown = md.render('```brainfog\n<b>&\n```', []);
    assert.equal(unknown, '<pre data-lang="brainfog"><code>&#60;b&#62;&#38;</code></pre>\n');
    assert.equal(renderCodeBlock('x', 'a"b'), '<pre><code>x</code></pre>\n');
    assert.match(renderCodeBlock('let x = 1', 'typescriptreact'), /class="hljs language-typescriptreact"/);
  });

  it('renders a half-streamed code fence as code', () => {
    assert.match(md.render('Here:\n\n```python\ndef f(', []), /<pre data-lang="python"><code class="hljs language-python"><span class="hljs-keyword">def<\/span>/);
  });

  it('labels sources by path and line range', () => {
    assert.equal(sourceLabel(SOURCES[0]), 'src/a.ts:1-5');
    assert.equal(sourceLabel(SOURCES[1]), 'docs/b.md:3');
  });

  it('labels documents by page or cell, and marks files from outside the repository', () => {
    const doc = { n: 1, startLine: 40, endLine: 52 };
    assert.equal(sourceLabel({ ...doc, path: '/usr/share/doc/R-intro.pdf', page: 15, outside: true }), 'R-intro.pdf p. 15 (outside the repository)');
    assert.equal(sourceLabel({ ...doc, path: 'notebooks/analysis.ipynb', cell: 4 }), 'analysis.ipynb cell 4');
    assert.equal(sourceLabel({ ...doc, path: '/srv/handbook/setup.md', outside: true }), 'setup.md:40-52 (outside the repository)');
  });
});
