import * as assert from 'node:assert/strict';
import { classifyLink, normalizeRelativePath } from '../../../src/shared/linkPolicy';

describe('webview link policy', () => {
  describe('classifyLink', () => {
    it('accepts http and https URLs, normalised', () => {
      assert.deepEqual(classifyLink('https://example.com/docs?q=1#x'), { kind: 'external', url: 'https://example.com/docs?q=1#x' });
      assert.deepEqual(classifyLink('HTTP://Example.COM'), { kind: 'external', url: 'http://example.com/' });
    });

    it('blocks script, command and other schemes, however they are disguised', () => {
      for (const href of [
        'javascript:alert(1)',
        'JavaScript:alert(1)',
        ' javascript:alert(1)',
        'java\tscript:alert(1)',
        'java\nscript:alert(1)',
        '\u0001javascript:alert(1)',
        'command:workbench.action.terminal.new',
        'command:_workbench.downloadResource?%5B%22x%22%5D',
        'vscode://ms-vscode.something',
        'data:text/html,<script>alert(1)</script>',
        'vbscript:msgbox(1)',
        'mailto:a@b.c',
      ]) {
        assert.equal(classifyLink(href).kind, 'blocked', href);
      }
    });

    it('blocks URLs whose shown host is not the real one, and network paths', () => {
      assert.equal(classifyLink('https://docs.example.com@evil.test/').kind, 'blocked');
      assert.equal(classifyLink('//evil.test/x').kind, 'blocked');
      assert.equal(classifyLink('\\\\server\\share\\file').kind, 'blocked');
      assert.equal(classifyLink('#heading').kind, 'blocked');
      assert.equal(classifyLink('').kind, 'blocked');
      assert.equal(classifyLink('http://[::1').kind, 'blocked');
    });

    it('reads relative paths as workspace files, with GitHub-style or colon line ranges', () => {
      assert.deepEqual(classifyLink('src/a.ts'), { kind: 'file', path: 'src/a.ts', absolute: false });
      assert.deepEqual(classifyLink('./src/a.ts#L10-L20'), { kind: 'file', path: 'src/a.ts', absolute: false, startLine: 10, endLine: 20 });
      assert.deepEqual(classifyLink('src/a.ts#L7'), { kind: 'file', path: 'src/a.ts', absolute: false, startLine: 7, endLine: 7 });
      assert.deepEqual(classifyLink('src/a.ts:3-5'), { kind: 'file', path: 'src/a.ts', absolute: false, startLine: 3, endLine: 5 });
      assert.deepEqual(classifyLink('docs/My%20Guide.md'), { kind: 'file', path: 'docs/My Guide.md', absolute: false });
      assert.deepEqual(classifyLink('src/a.ts#L9-L2'), { kind: 'file', path: 'src/a.ts', absolute: false, startLine: 9, endLine: 9 });
    });

    it('blocks relative paths that climb out of the workspace', () => {
      assert.equal(classifyLink('../secrets.txt').kind, 'blocked');
      assert.equal(classifyLink('src/../../etc/passwd').kind, 'blocked');
      assert.equal(classifyLink('src\\..\\..\\x').kind, 'blocked');
      assert.equal(classifyLink('%2e%2e/x').kind, 'blocked');
    });

    it('passes absolute and file: paths on as absolute, for the host to check against the workspace', () => {
      assert.deepEqual(classifyLink('/home/u/p/a.ts'), { kind: 'file', path: '/home/u/p/a.ts', absolute: true });
      assert.deepEqual(classifyLink('file:///home/u/p/a%20b.ts#L4'), { kind: 'file', path: '/home/u/p/a b.ts', absolute: true, startLine: 4, endLine: 4 });
      assert.deepEqual(classifyLink('file:///C:/p/a.ts'), { kind: 'file', path: 'C:/p/a.ts', absolute: true });
      assert.deepEqual(classifyLink('C:\\p\\a.ts'), { kind: 'file', path: 'C:\\p\\a.ts', absolute: true });
      assert.equal(classifyLink('file://server/share/a.ts').kind, 'blocked');
    });
  });

  describe('normalizeRelativePath', () => {
    it('resolves . and inner .. and backslashes', () => {
      assert.equal(normalizeRelativePath('./src//a/../b.ts'), 'src/b.ts');
      assert.equal(normalizeRelativePath('src\\b.ts'), 'src/b.ts');
    });

    it('rejects absolute, empty, NUL and escaping paths', () => {
      for (const p of ['', '.', '/etc/passwd', '\\x', 'C:/x', 'c:x', 'a\0b', '..', '../a', 'a/../../b']) {
        assert.equal(normalizeRelativePath(p), undefined, JSON.stringify(p));
      }
    });
  });
});
