// Files that break naive indexers: bad encodings, empty and huge files, very long lines, deep
// nesting, symlink loops, odd names, files that vanish or change during the scan. Each is indexed
// correctly or skipped with a reason that `lore status` / Show Index Status (Indexer.skipped) lists.
import * as assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, removeDir, writeTree } from '../support/tempTree';
import { assertCliBuilt, lore, snapshotStore } from './helpers';
import { openPipeline } from './pipeline';

describe('reliability: bad files', function () {
  this.timeout(60_000);
  let root: string;
  let scratch: string;

  before(assertCliBuilt);
  beforeEach(() => {
    root = makeTempDir('lore-rel-bad-');
    scratch = makeTempDir('lore-rel-bad-store-');
  });
  afterEach(() => {
    removeDir(root);
    removeDir(scratch);
  });

  it('indexes what is text, skips the rest with a reason, and says so in Indexer.skipped and the CLI', async () => {
    const deep = Array.from({ length: 60 }, (_, i) => `d${i}`).join('/');
    writeTree(root, {
      'bad-utf8.txt': Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe, 0xfd, 0x80, 0x81, 0x82]),
      'latin1.txt': Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e is a dessert with plenty of ordinary words', 'latin1'),
      'utf16.ts': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('export const utf16Marker = "wide";\n', 'utf16le')]),
      'utf16be.md': Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('# Big endian heading bigEndianMarker\n', 'utf16le').swap16()]),
      'empty.ts': '',
      'long-line.js': `const longLineMarker = [${Array.from({ length: 40_000 }, (_, i) => i).join(',')}];\n`,
      [`${deep}/deepMarker.ts`]: 'export const deepNestingMarker = 1;\n',
      'with space/file name.ts': 'export const spacedMarker = 1;\n',
      'ünïcödé/日本語.md': '# Unicode unicodeMarker\n',
      'hash#dir/a#b.ts': 'export const hashMarker = 1;\n',
      'binary.dat.ts': Buffer.from([0x00, 0x01, 0x02, 0x03, 0x00, 0x00]),
    });
    // 50 MB, far over the default 1 MiB limit.
    const big = await fs.open(path.join(root, 'huge.log'), 'w');
    await big.truncate(50 * 1024 * 1024);
    await big.write('tail', 50 * 1024 * 1024 - 4);
    await big.close();
    mkdirSync(path.join(root, 'loop'));
    symlinkSync('..', path.join(root, 'loop', 'up'));
    symlinkSync('self', path.join(root, 'self'));

    const storeDir = path.join(scratch, 'store');
    const p = await openPipeline({ root, storeDir });
    const result = await p.indexer.syncAll();
    const skipped = new Map(p.indexer.skipped.map((s) => [s.path, s.reason]));
    const indexed = new Set([...p.store.files()].map((f) => f.path));
    for (const f of ['latin1.txt', 'utf16.ts', 'utf16be.md', 'empty.ts', 'long-line.js', `${deep}/deepMarker.ts`, 'with space/file name.ts', 'ünïcödé/日本語.md', 'hash#dir/a#b.ts']) {
      assert.ok(indexed.has(f), `${f} is indexed (skipped: ${skipped.get(f)})`);
    }
    assert.match(skipped.get('bad-utf8.txt') ?? '', /binary|UTF-8/);
    assert.match(skipped.get('binary.dat.ts') ?? '', /binary/);
    assert.match(skipped.get('huge.log') ?? '', /too large: 50 MB/);
    assert.ok(!indexed.has('bad-utf8.txt') && !indexed.has('huge.log') && !indexed.has('binary.dat.ts'));
    assert.ok(![...indexed].some((f) => f.startsWith('loop/')), 'a symlink loop is followed at most once');
    assert.equal(result.files, indexed.size);

    // The content is right, not just present: decoded text is searchable, line numbers are sane.
    for (const [marker, file] of [
      ['utf16Marker', 'utf16.ts'],
      ['bigEndianMarker', 'utf16be.md'],
      ['deepNestingMarker', `${deep}/deepMarker.ts`],
      ['spacedMarker', 'with space/file name.ts'],
      ['unicodeMarker', 'ünïcödé/日本語.md'],
      ['hashMarker', 'hash#dir/a#b.ts'],
    ]) {
      assert.equal(p.store.lexicalSearch(marker, 3)[0]?.chunk.path, file, marker);
    }
    assert.deepEqual(p.store.chunksOf('empty.ts'), []);
    const longChunks = p.store.chunksOf('long-line.js');
    assert.ok(longChunks.length >= 1 && longChunks.every((c) => c.text.length < 200_000));
    await p.close();

    // The CLI run over the same folder lists the skipped files with their reasons.
    const cli = await lore(['index', root, '--store', path.join(scratch, 'cli'), '--no-embed']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /skipped huge\.log: too large/);
    assert.match(cli.stdout, /skipped bad-utf8\.txt: binary/);
  });

  it('files that vanish or change while the index runs leave it consistent with the disk', async () => {
    const count = 300;
    for (let i = 0; i < count; i++) writeTree(root, { [`f/file${i}.ts`]: `export const value${i} = ${i};\n` });
    const storeDir = path.join(scratch, 'store');
    const p = await openPipeline({ root, storeDir });
    const run = p.indexer.syncAll();
    // Meanwhile: delete a third, rewrite a third.
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) await fs.rm(path.join(root, 'f', `file${i}.ts`));
      else if (i % 3 === 1) await fs.writeFile(path.join(root, 'f', `file${i}.ts`), `export const changed${i} = ${i};\n`);
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await run;
    // What a watcher would deliver afterwards: the touched paths.
    await p.indexer.syncPaths(Array.from({ length: count }, (_, i) => `f/file${i}.ts`).filter((_, i) => i % 3 !== 2));
    const byPath = new Map([...p.store.files()].map((f) => [f.path, f]));
    for (let i = 0; i < count; i++) {
      const rel = `f/file${i}.ts`;
      if (i % 3 === 0) assert.ok(!byPath.has(rel), `${rel} was deleted`);
      else {
        const text = p.store.chunksOf(rel).map((c) => c.text).join('\n');
        assert.match(text, i % 3 === 1 ? new RegExp(`changed${i}\\b`) : new RegExp(`value${i}\\b`), rel);
      }
    }
    await p.close();
    assert.equal((await snapshotStore(storeDir)).files.size, count - count / 3);
  });
});
