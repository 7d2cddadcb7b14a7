// readTextFile on real files: what is text, what is not, and every failure as a reason.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readTextFile } from '../../../src/core/files';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

describe('readTextFile', () => {
  let root: string;
  const at = (rel: string) => path.join(root, ...rel.split('/'));

  beforeEach(() => {
    root = makeTempDir('lore-read-');
  });
  afterEach(() => removeDir(root));

  /** The result without the file's size and mtime, once they are checked against the file's own stat. */
  async function read(content: string | Buffer, maxFileBytes = 1 << 20) {
    writeTree(root, { 'file.txt': content });
    const result = await readTextFile(at('file.txt'), maxFileBytes);
    if (!result.ok) return result;
    const { size, mtimeMs, ...rest } = result;
    const stat = statSync(at('file.txt'));
    assert.deepEqual({ size, mtimeMs }, { size: stat.size, mtimeMs: stat.mtimeMs });
    return rest;
  }

  it('reads UTF-8 text as it is', async () => {
    assert.deepEqual(await read('const café = "☕";\n'), { ok: true, text: 'const café = "☕";\n' });
  });

  it('reads a 0-byte file as empty text', async () => {
    assert.deepEqual(await read(''), { ok: true, text: '' });
  });

  it('normalises CRLF (and lone CR, as editors count lines) to LF', async () => {
    assert.deepEqual(await read('one\r\ntwo\r\nthree\rfour\n'), { ok: true, text: 'one\ntwo\nthree\nfour\n' });
  });

  it('strips a UTF-8 BOM', async () => {
    assert.deepEqual(await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# Title\n')])), { ok: true, text: '# Title\n' });
  });

  it('decodes UTF-16 LE with a BOM, CRLF included', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo\r\nwörld ✓\r\n', 'utf16le')]);
    assert.deepEqual(await read(bytes), { ok: true, text: 'héllo\nwörld ✓\n' });
  });

  it('decodes UTF-16 BE with a BOM', async () => {
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('Grüße 漢字\n', 'utf16le').swap16()]);
    assert.deepEqual(await read(bytes), { ok: true, text: 'Grüße 漢字\n' });
  });

  it('decodes mostly-valid UTF-8 with U+FFFD for the bad bytes (a Latin-1 accent)', async () => {
    const bytes = Buffer.concat([Buffer.from('// caf'), Buffer.from([0xe9]), Buffer.from(' au lait, ordinary code comment\nconst x = 1;\n')]);
    assert.deepEqual(await read(bytes), { ok: true, text: '// caf\uFFFD au lait, ordinary code comment\nconst x = 1;\n' });
  });

  it('keeps a real U+FFFD in valid UTF-8 and does not count it as invalid', async () => {
    assert.deepEqual(await read('replacement: \uFFFD\uFFFD\uFFFD\n'), { ok: true, text: 'replacement: \uFFFD\uFFFD\uFFFD\n' });
  });

  it('calls mostly-invalid UTF-8 binary', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = 0x80 + ((i * 37) % 0x7f);
    const result = await read(bytes);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /^binary/);
  });

  it('catches a binary file with a source extension (NUL bytes)', async () => {
    writeTree(root, { 'src/blob.ts': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]) });
    const result = await readTextFile(at('src/blob.ts'), 1 << 20);
    assert.deepEqual(result, { ok: false, reason: 'binary file (contains NUL bytes)' });
  });

  it('catches a binary without NUL bytes by its control characters', async () => {
    const bytes = Buffer.alloc(1000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 3 === 0 ? 0x01 + (i % 7) : 0x41 + (i % 26);
    const result = await read(bytes);
    assert.deepEqual(result, { ok: false, reason: 'binary file (mostly control characters)' });
  });

  it('keeps text with tabs, form feeds and ANSI colour escapes', async () => {
    const text = '\tindented\f\n\x1b[31mred\x1b[0m log line\n';
    assert.deepEqual(await read(text), { ok: true, text });
  });

  it('refuses a file over the cap, naming its size and the cap', async () => {
    const result = await read('x'.repeat(3000), 2048);
    assert.deepEqual(result, { ok: false, reason: 'too large: 2.9 KB (limit 2 KB)' });
  });

  it('reads a file exactly at the cap', async () => {
    assert.deepEqual(await read('y'.repeat(100), 100), { ok: true, text: 'y'.repeat(100) });
  });

  it('reports a vanished file as a reason, without throwing', async () => {
    writeTree(root, { 'gone.ts': 'x' });
    rmSync(at('gone.ts'));
    assert.deepEqual(await readTextFile(at('gone.ts'), 1000), { ok: false, reason: 'file no longer exists', absent: true });
    // A file where a folder was: Windows says ENOENT, POSIX says ENOTDIR; both mean nothing is there.
    writeTree(root, { 'plain.ts': 'x' });
    const under = await readTextFile(at('plain.ts/inner.ts'), 1000);
    assert.equal(!under.ok && under.absent, true);
  });

  it('reports a folder as a reason', async () => {
    writeTree(root, { 'dir/inner.ts': 'x' });
    const result = await readTextFile(at('dir'), 1000);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /folder|regular file/);
    assert.equal(!result.ok && result.absent, true);
  });

  it('does not hang on a named pipe', async function () {
    if (process.platform === 'win32') return; // no mkfifo; Windows pipes do not live in the tree
    execFileSync('mkfifo', [at('pipe')]);
    assert.deepEqual(await readTextFile(at('pipe'), 1000), { ok: false, reason: 'not a regular file', absent: true });
  });

  it('rejects a cap that is not a size', async () => {
    writeTree(root, { 'a.txt': 'a' });
    await assert.rejects(readTextFile(at('a.txt'), Number.NaN), /maxFileBytes must be a non-negative number/);
    await assert.rejects(readTextFile(at('a.txt'), -1), RangeError);
  });
});
