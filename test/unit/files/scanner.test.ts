// scanFolder and IgnoreRules on real trees in temp folders: git's ignore semantics, Lore's own rules,
// secrets, symlinks, files that change under the scan, and the two always agreeing.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { IgnoreRules, scanFolder } from '../../../src/core/files';
import type { ScanResult } from '../../../src/core/files';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const MAX = 4096;

const PROJECT: Record<string, string | Buffer> = {
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/info/exclude': 'local-notes.md\n',
  '.gitignore': '# build products\n*.log\n!keep.log\n/generated/\ntmp-*\nlogs/\n!logs/important.txt\n\\#private.md\n',
  '.loreignore': 'docs/drafts/\n',
  'local-notes.md': 'mine\n',
  'README.md': '# Demo\n',
  'src/app.ts': 'export const app = 1;\n',
  'src/debug.log': 'noise\n',
  'src/keep.log': 'kept by a negation\n',
  'src/generated/model.ts': 'not the root generated/\n',
  'src/feature/.gitignore': 'fixtures/\n!tmp-allowed.txt\n/local-only.ts\n',
  'src/feature/index.ts': 'export {};\n',
  'src/feature/tmp-allowed.txt': 'negated in the subfolder\n',
  'src/feature/tmp-other.txt': 'ignored by the root rule\n',
  'src/feature/local-only.ts': 'anchored rule\n',
  'src/feature/deeper/local-only.ts': 'anchored rule does not reach here\n',
  'src/feature/fixtures/data.json': '{}\n',
  'src/config.ts': `export const gh = "${'ghp_' + 'R8x2kQ7mZ4vN1pL6sT9wY3cB5dF0gH2jK4aE'}";\nexport const aws = "${'AKIA' + 'IOSFODNN7EXAMPLE'}";\n`,
  'src/blob.ts': Buffer.from([0, 1, 2, 3, 0, 255]),
  'generated/out.ts': 'ignored\n',
  'logs/app.txt': 'ignored folder\n',
  'logs/important.txt': 'a negation cannot re-include a file in an excluded folder\n',
  '#private.md': 'escaped hash rule\n',
  'docs/guide.md': '# Guide\n',
  'docs/drafts/wip.md': 'excluded by .loreignore\n',
  'node_modules/lib/index.js': 'module.exports = 1;\n',
  'dist/bundle.js': 'built\n',
  'package-lock.json': '{}\n',
  'vendor/lib.go': 'package lib\n',
  'scripts/build': '#!/bin/sh\necho build is a file here, not a build folder\n',
  'assets/logo.png': 'PNG',
  'assets/fonts/Inter.WOFF2': 'font',
  'web/app.min.js': 'min',
  'web/app.js.map': '{}',
  'data/cache.sqlite': 'db',
  '.env': 'SECRET=hunter2\n',
  'config/.env.example': 'SECRET=\n',
  'keys/server.pem': '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  'big.txt': 'x'.repeat(MAX + 1),
  'empty.txt': '',
  'dir with space/naïve 文件 #1.md': 'unicode, spaces and a hash\n',
};

const EXPECTED_FILES = [
  '.gitignore',
  '.loreignore',
  'README.md',
  'config/.env.example',
  'dir with space/naïve 文件 #1.md',
  'docs/guide.md',
  'empty.txt',
  'scripts/build',
  'src/app.ts',
  'src/blob.ts',
  'src/config.ts',
  'src/feature/.gitignore',
  'src/feature/deeper/local-only.ts',
  'src/feature/index.ts',
  'src/feature/tmp-allowed.txt',
  'src/generated/model.ts',
  'src/keep.log',
  'vendor/lib.go',
];

/** Every regular file under `root` (symlinks not followed), POSIX relative. */
function allFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel))) {
    const child = rel ? `${rel}/${name}` : name;
    const stat = lstatSync(path.join(root, child));
    if (stat.isDirectory()) out.push(...allFiles(root, child));
    else if (stat.isFile()) out.push(child);
  }
  return out;
}

const paths = (r: ScanResult) => r.files.map((f) => f.path);

describe('scanFolder', () => {
  let root: string;
  const at = (rel: string) => path.join(root, ...rel.split('/'));

  beforeEach(() => {
    root = makeTempDir('lore-scan-');
    writeTree(root, PROJECT);
  });
  afterEach(() => removeDir(root));

  it('lists exactly the files git and Lore rules leave, sorted, with stat data', async () => {
    const result = await scanFolder({ root, maxFileBytes: MAX });
    assert.deepEqual(paths(result), EXPECTED_FILES);
    const app = result.files.find((f) => f.path === 'src/app.ts')!;
    const stat = lstatSync(at('src/app.ts'));
    assert.deepEqual(app, { path: 'src/app.ts', absPath: at('src/app.ts'), size: stat.size, mtimeMs: stat.mtimeMs });
    assert.equal(result.files.find((f) => f.path === 'empty.txt')!.size, 0);
  });

  it('reports secret and oversized files with a reason, and nothing that a rule excludes', async () => {
    const { skipped } = await scanFolder({ root, maxFileBytes: MAX });
    assert.deepEqual(skipped, [
      { path: '.env', reason: 'secret file: never indexed' },
      { path: 'big.txt', reason: 'too large: 4097 bytes (limit 4096 bytes)' },
      { path: 'keys/server.pem', reason: 'secret file: never indexed' },
    ]);
  });

  it('applies the user excludes as gitignore patterns', async () => {
    const result = await scanFolder({ root, maxFileBytes: MAX, excludes: ['**/*.md', 'vendor/', ' ', '# comment'] });
    assert.deepEqual(
      paths(result),
      EXPECTED_FILES.filter((p) => !p.endsWith('.md') && !p.startsWith('vendor/')),
    );
  });

  it('lets a .loreignore negation bring back a built-in exclude', async () => {
    writeFileSync(at('.loreignore'), 'docs/drafts/\n!dist/\n!*.min.js\n');
    const result = await scanFolder({ root, maxFileBytes: MAX });
    assert.deepEqual(paths(result), [...EXPECTED_FILES, 'dist/bundle.js', 'web/app.min.js'].sort());
  });

  it('indexes paths with spaces, unicode and # as they are', async () => {
    const result = await scanFolder({ root, maxFileBytes: MAX });
    const file = result.files.find((f) => f.path === 'dir with space/naïve 文件 #1.md');
    assert.ok(file);
    assert.equal(file.absPath, path.join(root, 'dir with space', 'naïve 文件 #1.md'));
  });

  it('follows symlinks inside the folder once, never out of it, and survives loops', async function () {
    if (process.platform === 'win32') return; // symlinks need privileges there
    const outside = makeTempDir('lore-outside-');
    try {
      writeTree(outside, { 'elsewhere.ts': 'outside\n', 'dir/inner.ts': 'outside\n' });
      writeTree(root, { 'build/api/ref.md': '# generated API reference\n' });
      symlinkSync('..', at('src/loop-to-root'));
      symlinkSync('.', at('src/feature/self'));
      symlinkSync(outside, at('outside-dir'));
      symlinkSync(path.join(outside, 'elsewhere.ts'), at('outside-file.ts'));
      symlinkSync('app.ts', at('src/app-alias.ts'));
      symlinkSync('../.env', at('src/settings.txt'));
      symlinkSync('build/api', at('api-docs'));
      symlinkSync('missing.ts', at('broken.ts'));
      symlinkSync('cycle-b', at('cycle-a'));
      symlinkSync('cycle-a', at('cycle-b'));

      const result = await scanFolder({ root, maxFileBytes: MAX });
      assert.deepEqual(paths(result), [...EXPECTED_FILES, 'api-docs/ref.md', 'src/app-alias.ts'].sort());
      assert.deepEqual(result.skipped, [
        { path: '.env', reason: 'secret file: never indexed' },
        { path: 'big.txt', reason: 'too large: 4097 bytes (limit 4096 bytes)' },
        { path: 'keys/server.pem', reason: 'secret file: never indexed' },
        { path: 'outside-dir', reason: 'symlink to a folder outside the indexed folder: not followed' },
        { path: 'outside-file.ts', reason: 'symlink to a file outside the indexed folder: not indexed' },
        { path: 'src/settings.txt', reason: 'secret file: never indexed' },
      ]);
    } finally {
      removeDir(outside);
    }
  });

  it('drops files and folders that vanish during the scan', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 250; i++) many[`bulk/f${String(i).padStart(3, '0')}.txt`] = 'x';
    writeTree(root, { ...many, 'bulk/zz-doomed/inner.ts': 'x' });
    let deleted = false;
    const result = await scanFolder({
      root,
      maxFileBytes: MAX,
      onProgress: () => {
        // The first progress report comes while `bulk/` is being listed: later entries are already read.
        if (deleted) return;
        deleted = true;
        rmSync(at('bulk/f249.txt'));
        rmSync(at('bulk/zz-doomed'), { recursive: true });
      },
    });
    assert.ok(deleted);
    const bulk = paths(result).filter((p) => p.startsWith('bulk/'));
    assert.equal(bulk.length, 249);
    assert.ok(!bulk.includes('bulk/f249.txt'));
    assert.ok(!bulk.some((p) => p.startsWith('bulk/zz-doomed')));
    assert.ok(!result.skipped.some((s) => s.path.startsWith('bulk/')), JSON.stringify(result.skipped));
  });

  it('reports a folder it cannot read and indexes the rest', async () => {
    // A path longer than PATH_MAX cannot be opened by any user, root included.
    const segment = 'd'.repeat(200);
    const previous = process.cwd();
    mkdirSync(at('deep'));
    process.chdir(at('deep'));
    try {
      for (let i = 0; i < 24; i++) {
        mkdirSync(segment);
        process.chdir(segment);
      }
      writeFileSync('lost.ts', 'x');
    } finally {
      process.chdir(previous);
    }
    try {
      const result = await scanFolder({ root, maxFileBytes: MAX });
      assert.deepEqual(paths(result), EXPECTED_FILES);
      const unreadable = result.skipped.filter((s) => s.path.startsWith('deep/'));
      assert.equal(unreadable.length, 1, JSON.stringify(result.skipped));
      assert.match(unreadable[0].reason, /^folder could not be read \(ENAMETOOLONG\): its files are not indexed$/);
    } finally {
      execFileSync('rm', ['-rf', at('deep')]);
    }
  });

  it('reports progress and ends with the number of files seen', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 450; i++) many[`bulk/f${i}.txt`] = 'x';
    writeTree(root, many);
    const reports: number[] = [];
    await scanFolder({ root, maxFileBytes: MAX, onProgress: (n) => reports.push(n) });
    assert.ok(reports.length >= 3, String(reports));
    assert.deepEqual([...reports].sort((a, b) => a - b), reports, 'progress never goes back');
    // Files seen include ignored ones, but not those inside folders never entered (.git, node_modules).
    const last = reports[reports.length - 1];
    assert.ok(last >= 450 + EXPECTED_FILES.length && last < allFiles(root).length, `${last}`);
  });

  it('rejects a folder that does not exist, naming it', async () => {
    const missing = path.join(root, 'no-such-folder');
    await assert.rejects(scanFolder({ root: missing, maxFileBytes: MAX }), (err: Error) => {
      assert.equal(err.message, `Cannot index ${missing}: the folder does not exist`);
      return true;
    });
  });

  it('rejects a file given as the folder, a relative folder and a bad size cap', async () => {
    await assert.rejects(scanFolder({ root: at('README.md'), maxFileBytes: MAX }), /it is not a folder/);
    await assert.rejects(scanFolder({ root: 'relative/path', maxFileBytes: MAX }), /must be an absolute path, got "relative\/path"/);
    await assert.rejects(scanFolder({ root, maxFileBytes: Number.NaN }), /maxFileBytes must be a non-negative number/);
  });

  it('rejects with an AbortError when cancelled before or during the scan', async () => {
    const before = new AbortController();
    before.abort();
    await assert.rejects(scanFolder({ root, maxFileBytes: MAX, signal: before.signal }), { name: 'AbortError' });

    const many: Record<string, string> = {};
    for (let i = 0; i < 600; i++) many[`bulk/f${i}.txt`] = 'x';
    writeTree(root, many);
    const during = new AbortController();
    let reports = 0;
    await assert.rejects(
      scanFolder({ root, maxFileBytes: MAX, signal: during.signal, onProgress: () => (reports++, during.abort()) }),
      { name: 'AbortError' },
    );
    assert.equal(reports, 1, 'stops at the first check after the abort');
  });

  describe('inside a git work tree', () => {
    it('applies .gitignore files above the folder and .git/info/exclude, relative to where they are', async () => {
      writeTree(root, {
        'packages/app/src/main.ts': 'x',
        'packages/app/src/main.gen.ts': 'x',
        'packages/app/coverage-report.txt': 'x',
        'packages/app/notes.md': 'x',
        'packages/app/.gitignore': '!notes.md\n',
        'packages/.gitignore': '/app/coverage-report.txt\n',
      });
      writeFileSync(at('.gitignore'), '*.gen.ts\n*.md\n');
      const result = await scanFolder({ root: at('packages/app'), maxFileBytes: MAX });
      assert.deepEqual(paths(result), ['.gitignore', 'notes.md', 'src/main.ts']);
      const rules = await IgnoreRules.load(at('packages/app'));
      assert.equal(rules.ignores('src/main.gen.ts'), true);
      assert.equal(rules.ignores('coverage-report.txt'), true);
      assert.equal(rules.ignores('notes.md'), false);
    });

    it('indexes a folder git ignores when the user opens it directly', async () => {
      writeTree(root, { 'generated/more.ts': 'x' });
      const result = await scanFolder({ root: at('generated'), maxFileBytes: MAX });
      assert.deepEqual(paths(result), ['more.ts', 'out.ts']);
    });
  });
});

describe('IgnoreRules', () => {
  let root: string;
  const at = (rel: string) => path.join(root, ...rel.split('/'));

  beforeEach(() => {
    root = makeTempDir('lore-rules-');
    writeTree(root, PROJECT);
  });
  afterEach(() => removeDir(root));

  it('agrees with scanFolder on every file of the tree', async () => {
    const excludes = ['vendor/'];
    const [scan, rules] = await Promise.all([scanFolder({ root, maxFileBytes: MAX, excludes }), IgnoreRules.load(root, excludes)]);
    const listed = new Set(paths(scan));
    const tooLarge = new Set(scan.skipped.filter((s) => s.reason.startsWith('too large')).map((s) => s.path));
    const everything = allFiles(root);
    assert.ok(everything.length > 40);
    for (const rel of everything) {
      const indexable = listed.has(rel) || tooLarge.has(rel);
      assert.equal(rules.ignores(rel), !indexable, rel);
    }
  });

  it('judges folders (trailing slash), secret folders and paths outside the root', async () => {
    const rules = await IgnoreRules.load(root);
    assert.equal(rules.ignores('logs/'), true);
    assert.equal(rules.ignores('src/'), false);
    assert.equal(rules.ignores('node_modules/'), true);
    assert.equal(rules.ignores('home/.ssh/'), true);
    assert.equal(rules.ignores('new-folder/new-file.ts'), false);
    assert.equal(rules.ignores('./src/app.ts'), false);
    assert.equal(rules.ignores('../other/app.ts'), true);
  });

  it('resolves symlinks on request, as the scan does', async function () {
    if (process.platform === 'win32') return; // symlinks need privileges there
    const outside = makeTempDir('lore-outside-');
    try {
      writeTree(outside, { 'id.txt': 'outside\n' });
      symlinkSync(path.join(outside, 'id.txt'), at('notes.txt'));
      symlinkSync(outside, at('linked'));
      symlinkSync('.env', at('settings.txt'));
      symlinkSync('src/app.ts', at('app-alias.ts'));
      const rules = await IgnoreRules.load(root);
      assert.equal(rules.ignores('notes.txt'), false, 'by name alone it looks fine');
      assert.equal(await rules.ignoresOnDisk('notes.txt'), true);
      assert.equal(await rules.ignoresOnDisk('linked/id.txt'), true);
      assert.equal(await rules.ignoresOnDisk('settings.txt'), true);
      assert.equal(await rules.ignoresOnDisk('app-alias.ts'), false);
      assert.equal(await rules.ignoresOnDisk('src/app.ts'), false);
      assert.equal(await rules.ignoresOnDisk('src/debug.log'), true);
      assert.equal(await rules.ignoresOnDisk('src/deleted-meanwhile.ts'), false);
      const scan = await scanFolder({ root, maxFileBytes: MAX });
      for (const rel of ['notes.txt', 'settings.txt', 'app-alias.ts']) {
        assert.equal(await rules.ignoresOnDisk(rel), !paths(scan).includes(rel), rel);
      }
    } finally {
      removeDir(outside);
    }
  });

  it('rejects paths that are not relative with a clear error', async () => {
    const rules = await IgnoreRules.load(root);
    assert.throws(() => rules.ignores(''), /expects a path relative to/);
    assert.throws(() => rules.ignores(at('src/app.ts')), RangeError);
    assert.throws(() => rules.ignores('.'), /expects a path below/);
  });

  it('picks up a changed .gitignore, a new nested one and .loreignore on reload', async () => {
    const rules = await IgnoreRules.load(root);
    assert.equal(rules.ignores('src/app.ts'), false);
    assert.equal(rules.ignores('docs/guide.md'), false);
    writeFileSync(at('.gitignore'), 'src/app.ts\n');
    writeFileSync(at('.loreignore'), 'docs/\n');
    writeTree(root, { 'vendor/.gitignore': '*.go\n' });
    assert.equal(rules.ignores('src/app.ts'), false, 'no change before reload');
    await rules.reload();
    assert.equal(rules.ignores('src/app.ts'), true);
    assert.equal(rules.ignores('docs/guide.md'), true);
    assert.equal(rules.ignores('vendor/lib.go'), true);
    assert.equal(rules.ignores('src/debug.log'), false, 'the old *.log rule is gone');
  });

  it('keeps its rules when a reload fails', async () => {
    const rules = await IgnoreRules.load(root);
    const moved = root + '-moved';
    renameSync(root, moved);
    try {
      await assert.rejects(rules.reload(), { message: `Cannot index ${root}: the folder does not exist` });
      assert.equal(rules.ignores('src/debug.log'), true);
      assert.equal(rules.ignores('src/app.ts'), false);
    } finally {
      renameSync(moved, root);
    }
  });

  it('rejects a folder that does not exist, naming it', async () => {
    const missing = at('nope');
    await assert.rejects(IgnoreRules.load(missing), { message: `Cannot index ${missing}: the folder does not exist` });
  });
});
