import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Chunker, DEFAULT_CHUNK_OPTIONS } from '../../../src/core/chunk';
import type { Chunk } from '../../../src/core/types';
import { assertAllProperties, chunksAt, endLineOf, lineOf, readFixture } from './helpers';

/** The symbol of the one chunk holding `needle`'s line. */
function symbolAt(chunks: Chunk[], text: string, needle: string): string | undefined {
  const holders = chunksAt(chunks, lineOf(text, needle));
  assert.equal(holders.length, 1, `${needle} is in ${holders.length} chunks`);
  return holders[0].symbol;
}

describe('Chunker: documents and text', () => {
  let chunker: Chunker;
  before(async () => {
    chunker = await Chunker.create();
  });

  describe('markdown', () => {
    const text = readFixture('guide.md');

    it('names each section by its heading path', async () => {
      const chunks = await chunker.chunk('docs/guide.md', text, { maxTokens: 40 });
      assertAllProperties(text, chunks, 40, 'docs/guide.md', 'markdown');
      assert.equal(symbolAt(chunks, text, '# Guide'), 'Guide');
      assert.equal(symbolAt(chunks, text, '## Install'), 'Guide > Install');
      assert.equal(symbolAt(chunks, text, 'Download the install script'), 'Guide > Install > Linux');
      assert.equal(symbolAt(chunks, text, '### macOS'), 'Guide > Install > macOS');
      assert.equal(symbolAt(chunks, text, 'Advanced\n--------'), 'Guide > Advanced', 'setext heading');
      assert.equal(chunksAt(chunks, 1)[0].symbol, undefined, 'front matter and preamble have no heading');
    });

    it('does not take # inside fences, #hashtags or indented code for headings', async () => {
      const chunks = await chunker.chunk('docs/guide.md', text, { maxTokens: 40 });
      const symbols = chunks.map((c) => c.symbol ?? '').join('\n');
      assert.doesNotMatch(symbols, /comment, not a heading|hashtags|indented code/);
      for (const chunk of chunksAt(chunks, lineOf(text, '# This is a comment'))) {
        assert.equal(chunk.symbol, 'Guide > Install > Linux');
      }
    });

    it('splits an oversized section by blocks, keeping the heading path as context and fences whole', async () => {
      const chunks = await chunker.chunk('docs/guide.md', text, { maxTokens: 60 });
      assertAllProperties(text, chunks, 60, 'docs/guide.md', 'markdown');
      const linux = chunks.filter((c) => c.symbol === 'Guide > Install > Linux');
      assert.ok(linux.length > 1, 'the Linux section is split');
      for (const piece of linux) assert.equal(piece.context, 'Guide > Install > Linux');
      const fenceStart = lineOf(text, '```bash');
      const fenceEnd = endLineOf(text, 'ollama pull nomic-embed-text\n```');
      const holders = chunksAt(chunks, fenceStart);
      assert.equal(holders.length, 1);
      assert.ok(holders[0].endLine >= fenceEnd, 'the fence is in one chunk');
    });

    it('splits a fence only when it alone exceeds the budget', async () => {
      const code = Array.from({ length: 80 }, (_, i) => `echo "step ${i}"`).join('\n');
      const doc = `# Script\n\nRun this:\n\n\`\`\`sh\n${code}\n\`\`\`\n`;
      const chunks = await chunker.chunk('run.md', doc, { maxTokens: 100 });
      assertAllProperties(doc, chunks, 100, 'run.md', 'markdown');
      assert.ok(chunks.length > 3);
      for (const chunk of chunks) assert.equal(chunk.symbol, 'Script');
    });

    it('merges tiny sections with the next while within budget, and keeps substantial ones apart', async () => {
      const doc = '# API\n\n## get\n\nReturns a value.\n\n## set\n\nStores a value.\n';
      const merged = await chunker.chunk('api.md', doc);
      assert.equal(merged.length, 1);
      assert.equal(merged[0].symbol, 'API');
      assert.equal(merged[0].endLine, lineOf(doc, 'Stores a value.'));

      const paragraph = 'This section explains the behaviour in detail, with enough words to matter. '.repeat(5);
      const big = `# One\n\n${paragraph}\n\n# Two\n\n${paragraph}\n`;
      const apart = await chunker.chunk('big.md', big, { maxTokens: 200 });
      assert.deepEqual(apart.map((c) => c.symbol), ['One', 'Two']);
    });

    it('treats .mdx and .markdown as markdown', async () => {
      for (const name of ['page.mdx', 'notes.markdown']) {
        const chunks = await chunker.chunk(name, '# Title\n\nBody.\n');
        assert.equal(chunks[0].language, 'markdown');
        assert.equal(chunks[0].symbol, 'Title');
      }
    });
  });

  describe('reStructuredText', () => {
    const text = readFixture('manual.rst');

    it('names sections by underline and overline headings, in order of first use', async () => {
      const chunks = await chunker.chunk('docs/manual.rst', text, { maxTokens: 40 });
      assertAllProperties(text, chunks, 40, 'docs/manual.rst', 'restructuredtext');
      assert.equal(chunksAt(chunks, 1)[0].symbol, 'Lore Manual');
      assert.equal(symbolAt(chunks, text, 'Installation\n'), 'Lore Manual > Installation');
      assert.equal(symbolAt(chunks, text, 'Clone the repository'), 'Lore Manual > Installation > From source');
      assert.equal(symbolAt(chunks, text, 'Usage\n'), 'Lore Manual > Usage');
      assert.equal(symbolAt(chunks, text, 'Check that Ollama runs.'), 'Lore Manual > Usage > Troubleshooting');
    });

    it('does not take a transition for a heading and keeps literal blocks and directives whole', async () => {
      const chunks = await chunker.chunk('docs/manual.rst', text, { maxTokens: 40 });
      const transition = text.split('\n').indexOf('----') + 1;
      assert.ok(transition > 0);
      assert.equal(chunksAt(chunks, transition)[0].symbol, 'Lore Manual > Usage');
      const literal = chunksAt(chunks, lineOf(text, 'git clone'));
      assert.equal(literal.length, 1);
      assert.ok(literal[0].endLine >= lineOf(text, 'npm ci && npm run build'), 'the literal block is one piece');
      const directive = chunksAt(chunks, lineOf(text, '.. code-block:: python'));
      assert.ok(directive[0].endLine >= lineOf(text, 'print("hello")'));
    });

    it('does not take a short underline for a heading', async () => {
      const doc = 'Paragraph text here\n--\n\nShort\n=====\n';
      const chunks = await chunker.chunk('x.rst', doc, { maxTokens: 5 });
      assertAllProperties(doc, chunks, 5, 'x.rst', 'restructuredtext');
      assert.equal(chunksAt(chunks, 1)[0].symbol, undefined);
      assert.equal(chunksAt(chunks, 4)[0].symbol, 'Short');
    });
  });

  describe('line windows', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${String(i + 1).padStart(3, '0')} of the plain notes file`).join('\n');

    it('covers other text with windows that overlap by overlapLines', async () => {
      const chunks = await chunker.chunk('notes.txt', text, { maxTokens: 130, overlapLines: 3 });
      assertAllProperties(text, chunks, 130, 'notes.txt', 'plaintext');
      assert.ok(chunks.length > 5);
      for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].startLine, chunks[i - 1].endLine - 2);
      for (const chunk of chunks) assert.equal(chunk.symbol, undefined);
    });

    it('makes contiguous windows without overlap', async () => {
      const chunks = await chunker.chunk('notes.txt', text, { maxTokens: 130, overlapLines: 0 });
      assertAllProperties(text, chunks, 130, 'notes.txt', 'plaintext');
      for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].startLine, chunks[i - 1].endLine + 1);
    });

    it('never overlaps more than half a window, so windows always advance', async () => {
      const chunks = await chunker.chunk('notes.txt', text, { maxTokens: 40, overlapLines: 10 });
      assertAllProperties(text, chunks, 40, 'notes.txt', 'plaintext');
      for (let i = 1; i < chunks.length; i++) {
        assert.ok(chunks[i].startLine > chunks[i - 1].startLine);
        assert.ok(chunks[i].endLine > chunks[i - 1].endLine);
      }
    });

    it('chunks the notes fixture, unknown extensions and well-known names', async () => {
      const notes = readFixture('notes.txt');
      for (const [name, language] of [['notes.txt', 'plaintext'], ['data.unknownext', 'plaintext'], ['Dockerfile', 'dockerfile'], ['Makefile', 'makefile'], ['styles.css', 'css']]) {
        const chunks = await chunker.chunk(name, notes, { maxTokens: 30 });
        assertAllProperties(notes, chunks, 30, name, language);
      }
    });

    it('hard-splits a 100 KB single line in a text file', async () => {
      const line = 'word '.repeat(20_500);
      const doc = `header\n${line}\nfooter`;
      const chunks = await chunker.chunk('huge.txt', doc);
      assertAllProperties(doc, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, 'huge.txt', 'plaintext');
      const pieces = chunks.filter((c) => c.startLine === 2 && c.endLine === 2);
      assert.equal(pieces.map((c) => c.text).join(''), line);
      for (const piece of pieces.slice(0, -1)) assert.ok(piece.text.endsWith(' '), 'pieces break after whitespace');
    });

    it('hard-splits without cutting a surrogate pair', async () => {
      const line = '😀'.repeat(5000);
      const chunks = await chunker.chunk('emoji.txt', line, { maxTokens: 51 });
      assertAllProperties(line, chunks, 51, 'emoji.txt', 'plaintext');
      for (const chunk of chunks) assert.equal(chunk.text, '😀'.repeat(chunk.text.length / 2));
    });
  });

  describe('notebook code cells (monthly-means.ipynb from xarray\'s docs)', () => {
    const notebook = readFileSync(path.resolve(__dirname, '../../../../test/fixtures/docs/xarray-monthly-means.ipynb'), 'utf8');

    it('files a cell that defines a function under its name, after its heading path, parsed in the kernel\'s language', async () => {
      const chunks = await chunker.chunk('examples/monthly-means.ipynb', notebook);
      const defining = chunks.filter((c) => c.symbol?.endsWith(' > season_mean'));
      assert.ok(defining.length > 0, JSON.stringify(chunks.map((c) => [c.cell, c.symbol])));
      assert.ok(defining.every((c) => c.cell === 10 && c.text.includes('def season_mean(')));
      assert.match(defining[0].symbol!, /^Calculating Seasonal Averages/);
      const others = chunks.filter((c) => c.cell !== 10);
      assert.ok(others.every((c) => !c.symbol?.includes('season_mean')), 'a cell that only calls it, or prose, is not filed under it');
    });

    it('keeps the heading path alone where the kernel\'s language has no grammar', async () => {
      const other = JSON.parse(notebook);
      other.metadata.kernelspec.language = other.metadata.language_info.name = 'idl';
      const chunks = await chunker.chunk('examples/monthly-means.ipynb', JSON.stringify(other));
      assert.ok(chunks.some((c) => c.cell === 10));
      assert.ok(chunks.every((c) => !c.symbol?.includes('season_mean')));
    });
  });

  it('keeps the properties for documents at every budget', async () => {
    for (const [file, path, language] of [['guide.md', 'guide.md', 'markdown'], ['manual.rst', 'manual.rst', 'restructuredtext'], ['notes.txt', 'notes.txt', 'plaintext']]) {
      const text = readFixture(file);
      for (const maxTokens of [1, 3, 10, 50, DEFAULT_CHUNK_OPTIONS.maxTokens]) {
        for (const overlapLines of [0, 2, 50]) {
          assertAllProperties(text, await chunker.chunk(path, text, { maxTokens, overlapLines }), maxTokens, path, language);
        }
      }
    }
  });
});
