// Kills a writing process at random moments; every reopen must find each file wholly old or new.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { LoreStore } from '../../../src/core/store';
import { makeTempDir, removeDir } from '../../support/tempTree';
import { chunksFor, vectorFor } from './crashWriter';
import { seededRandom } from './helpers';

function runUntilKilled(dir: string, seed: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'crashWriter.js'), dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited with ${code}: ${stderr}`))));
  });
}

describe('LoreStore crash consistency', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = makeTempDir('lore-crash-');
  });

  after(() => removeDir(dir));

  it('reopens after kills at random points with every file whole', async () => {
    const random = seededRandom(2024);
    let filesSeen = 0;
    for (let run = 1; run <= 5; run++) {
      await runUntilKilled(dir, run, 100 + Math.floor((random() + 0.5) * 400));
      const store = await LoreStore.open(dir);
      try {
        assert.equal(store.recovered, undefined, `run ${run}`);
        const files = [...store.files()];
        filesSeen += files.length;
        for (const file of files) {
          const chunks = store.chunksOf(file.path);
          assert.deepEqual(chunks, chunksFor(file.path, file.hash, chunks.length), `${file.path} mixes versions`);
          assert.deepEqual(file.chunkIds, chunks.map((chunk) => chunk.id));
          for (const chunk of chunks) assert.deepEqual(store.getChunk(chunk.id), chunk);
          const found = new Set(store.lexicalSearch(`marker${file.hash}`, 1000).map((hit) => hit.chunk.id));
          for (const chunk of chunks) assert.ok(found.has(chunk.id), `${chunk.id} is not in the lexical index`);
        }
        const withoutVectors = new Set((await store.chunksWithoutVectors()).map((chunk) => chunk.id));
        const chunkIds = files.flatMap((file) => file.chunkIds);
        assert.equal(store.vectorCount(), chunkIds.length - withoutVectors.size);
        for (const id of chunkIds.filter((id) => !withoutVectors.has(id)).slice(0, 20)) {
          assert.equal(store.vectorSearch(vectorFor(id), 1)[0].chunk.id, id);
        }
      } finally {
        await store.close();
      }
    }
    assert.ok(filesSeen > 0, 'the writer never committed anything before being killed');
  });
});
