import * as assert from 'node:assert/strict';
import { ChunkOwners } from '../../../src/core/store/chunkOwners';
import { freezeRecord, type FileEntry } from '../../../src/core/store/shardFormat';

function entry(path: string, chunkIds: string[]): FileEntry {
  return { record: freezeRecord({ path, hash: `${path}-hash`, size: 1, mtimeMs: 0, chunkIds }), shard: 0, packOffset: 0, packLength: 0 };
}

function own(owners: ChunkOwners, file: FileEntry): void {
  for (const id of file.record.chunkIds) owners.set(id, file);
}

describe('ChunkOwners', () => {
  it('answers which file holds a chunk as a Map would, through saves that keep, move and drop chunks', () => {
    const owners = new ChunkOwners();
    const files = Array.from({ length: 2_000 }, (_, f) => entry(`src/f${f}.ts`, Array.from({ length: 1 + (f % 9) }, (_, c) => `${f}-${c}`)));
    const reference = new Map<string, FileEntry>();
    for (const file of files) {
      own(owners, file);
      for (const id of file.record.chunkIds) reference.set(id, file);
    }
    // A file saved again: some chunks kept, one new, the others dropped (as applyFile does it).
    for (let f = 0; f < files.length; f += 3) {
      const old = files[f];
      const saved = entry(old.record.path, [...old.record.chunkIds.slice(0, 1), `${f}-new`]);
      for (const id of old.record.chunkIds.slice(1)) {
        assert.equal(owners.delete(id), true);
        reference.delete(id);
      }
      own(owners, saved);
      for (const id of saved.record.chunkIds) reference.set(id, saved);
    }
    // Files removed.
    for (let f = 1; f < files.length; f += 7) {
      for (const id of reference.get(files[f].record.chunkIds[0])!.record.chunkIds) {
        owners.delete(id);
        reference.delete(id);
      }
    }
    assert.equal(owners.size, reference.size);
    for (const [id, file] of reference) assert.equal(owners.get(id), file, id);
    assert.deepEqual(new Map(owners), reference);
    assert.equal(owners.has('1-1'), false);
    assert.equal(owners.get('no such chunk'), undefined);
    assert.equal(owners.delete('no such chunk'), false);
    owners.clear();
    assert.equal(owners.size, 0);
    assert.equal(owners.get('0-0'), undefined);
    own(owners, files[4]);
    assert.equal(owners.get('4-0'), files[4]);
  });

  it('tells a file\'s packed chunk ids from a run of hex that straddles two of them', () => {
    const [a, b] = ['ab'.repeat(12), 'cd'.repeat(12)];
    const straddling = (a + b).slice(1, 25);
    const owners = new ChunkOwners();
    const file = entry('src/a.ts', [a, b]);
    own(owners, file);
    assert.equal(file.record.holdsChunk(straddling), false);
    assert.equal(owners.get(straddling), undefined);
    assert.equal(owners.get(b), file);
    // The same run, once it is an id of the file, is found past the place it straddles.
    const widened = entry('src/a.ts', [a, b, straddling]);
    own(owners, widened);
    assert.equal(widened.record.holdsChunk(straddling), true);
    assert.equal(owners.get(straddling), widened);
    assert.equal(widened.record.holdsChunk(a.slice(1)), false);
  });
});
