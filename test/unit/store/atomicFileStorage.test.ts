import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isTempFile, writeFileAtomic } from '../../../src/core/fsAtomic';
import { AtomicFileStorage } from '../../../src/core/store/atomicFileStorage';
import { makeTempDir, removeDir } from '../../support/tempTree';

describe('AtomicFileStorage', () => {
  let dir: string;
  const storage = new AtomicFileStorage();

  beforeEach(() => {
    dir = makeTempDir('lore-atomic-');
  });

  afterEach(() => removeDir(dir));

  it('replaces a file whole and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'index.pb');
    await storage.upsertFile(file, 'first version');
    await storage.upsertFile(file, Buffer.from('second'));
    assert.equal(readFileSync(file, 'utf8'), 'second');
    assert.deepEqual(readdirSync(dir), ['index.pb']);
    assert.deepEqual(await storage.readFile(file), Buffer.from('second'));
  });

  it('leaves the old file and no temporary file when the replacement fails', async () => {
    const target = path.join(dir, 'taken');
    mkdirSync(path.join(target, 'child'), { recursive: true });
    await assert.rejects(writeFileAtomic(target, 'data'));
    assert.deepEqual(readdirSync(dir), ['taken']);
    assert.deepEqual(readdirSync(target), ['child']);
  });

  it('createFile refuses an existing file and keeps its content', async () => {
    const file = path.join(dir, 'a.json');
    await storage.createFile(file, 'original');
    await assert.rejects(storage.createFile(file, 'other'), /already exists/);
    assert.equal(readFileSync(file, 'utf8'), 'original');
  });

  it('lists, inspects and deletes like vectra expects', async () => {
    await storage.createFolder(path.join(dir, 'sub', 'deeper'));
    writeFileSync(path.join(dir, 'f.txt'), 'x');
    assert.deepEqual((await storage.listFiles(dir, 'files')).map((f) => f.name), ['f.txt']);
    assert.deepEqual((await storage.listFiles(dir, 'folders')).map((f) => f.name), ['sub']);
    assert.equal((await storage.listFiles(dir)).length, 2);
    assert.equal((await storage.getDetails(path.join(dir, 'sub'))).isFolder, true);
    assert.equal(await storage.pathExists(path.join(dir, 'f.txt')), true);
    await storage.deleteFile(path.join(dir, 'f.txt'));
    await storage.deleteFile(path.join(dir, 'f.txt'));
    assert.equal(await storage.pathExists(path.join(dir, 'f.txt')), false);
    await storage.deleteFolder(path.join(dir, 'sub'));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('names its temporary files so that a later open can recognise them', () => {
    assert.ok(isTempFile('index.pb.tmp-0a1b2c3d4e5f'));
    assert.ok(!isTempFile('index.pb'));
  });
});
