// Chunking on worker threads: the same chunks as in the calling thread, one failing file failing
// alone, a fallback when no worker starts, and workers that never keep a process alive.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Chunker, ChunkingError, defaultChunkWorkers } from '../../../src/core/chunk';
import { lexicalTermsOf, packLexicalTerms, rememberLexicalTerms, visitLexicalTerms, type LexicalDocument, type LexicalTerms } from '../../../src/core/lexical';
import { FIXTURE_DIR } from './helpers';

const REPO = path.resolve(__dirname, '../../../..');
const CRASHING_WORKER = path.join(__dirname, 'crashingWorker.js');
const CHUNK_MODULE = path.resolve(__dirname, '../../../src/core/chunk');

/** Real files: the chunk fixtures, the fixture workspace and a few dependencies' sources and docs. */
function realFiles(): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), childRel);
      else files.push({ path: childRel.replace(/\.fixture$/, ''), text: readFileSync(path.join(dir, entry.name), 'utf8') });
    }
  };
  walk(FIXTURE_DIR, 'chunk');
  walk(path.join(REPO, 'test/fixtures/workspace'), 'workspace');
  for (const dependency of ['minisearch/src/MiniSearch.ts', 'mocha/lib/runner.js', 'ignore/index.js', 'protobufjs/src/reader.js',
    '@types/node/worker_threads.d.ts', 'ignore/README.md']) {
    files.push({ path: `node_modules/${dependency}`, text: readFileSync(path.join(REPO, 'node_modules', dependency), 'utf8') });
  }
  return files;
}

/** The terms the index would file for the chunk (those it came with, once), as Maps per field. */
function termsFiled(chunk: LexicalDocument): LexicalTerms {
  const terms: LexicalTerms = [];
  const sizes = visitLexicalTerms(chunk, (field, term, count) => (terms[field] ??= new Map()).set(term, count));
  return sizes.map((size, field) => {
    assert.equal(terms[field]?.size ?? 0, size);
    return terms[field] ?? new Map();
  });
}

/** Runs a script in a fresh Node process; resolves with its exit code and output, or rejects if it outlives `ms`. */
function runNode(script: string, ms = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data));
    child.stderr.on('data', (data: Buffer) => (stderr += data));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not exit within ${ms} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('Chunker on worker threads', function () {
  this.timeout(60_000);
  const disposeAfter: Chunker[] = [];
  let inThread: Chunker;

  before(async () => {
    inThread = await Chunker.create(undefined, { workers: 0 });
  });

  afterEach(async () => {
    await Promise.all(disposeAfter.splice(0).map((chunker) => chunker.dispose()));
  });

  async function pool(workers: number, workerScript?: string): Promise<Chunker> {
    const chunker = await Chunker.create(undefined, { workers, workerScript });
    disposeAfter.push(chunker);
    return chunker;
  }

  it('leaves one core to the calling thread and runs 1 to 4 workers', () => {
    assert.ok(defaultChunkWorkers() >= 1 && defaultChunkWorkers() <= 4);
  });

  it('gives exactly the chunks of in-thread chunking on real files, one by one and all at once', async () => {
    const chunker = await pool(2);
    assert.equal(chunker.workerCount, 2);
    assert.equal(chunker.workerProblem, undefined);
    assert.equal(inThread.workerCount, 0);
    const files = realFiles();
    assert.ok(files.length > 20);
    for (const maxTokens of [384, 60]) {
      const together = await Promise.all(files.map((file) => chunker.chunk(file.path, file.text, { maxTokens })));
      for (let i = 0; i < files.length; i++) {
        const expected = await inThread.chunk(files[i].path, files[i].text, { maxTokens });
        assert.ok(expected.length > 0, files[i].path);
        assert.deepEqual(together[i], expected, `${files[i].path} at ${maxTokens} tokens`);
        assert.deepEqual(await chunker.chunk(files[i].path, files[i].text, { maxTokens }), expected);
      }
    }
  });

  it('hands over the lexical terms of each chunk, the same the index would compute, to be taken once', async () => {
    const chunker = await pool(1);
    for (const file of realFiles().slice(0, 8)) {
      for (const chunk of await chunker.chunk(file.path, file.text, { maxTokens: 384 })) {
        const computedHere = lexicalTermsOf(chunk);
        assert.deepEqual(termsFiled(chunk), computedHere, chunk.id);
        assert.ok(computedHere.some((field) => field.size > 0));
      }
    }
    // In-thread chunks come without terms; the index computes them when it needs them.
    const [chunk] = await inThread.chunk('a.ts', 'export function parseConfig() {}', {});
    assert.deepEqual(termsFiled(chunk), lexicalTermsOf(chunk));
    // Terms that came with a chunk are what the index files, once; after that it computes them.
    const handedOver: LexicalTerms = [new Map([['handed', 2]]), new Map(), new Map([['over', 1], ['terms', 3]]), new Map(), new Map()];
    rememberLexicalTerms(chunk, packLexicalTerms(handedOver));
    assert.deepEqual(termsFiled(chunk), handedOver);
    assert.deepEqual(termsFiled(chunk), lexicalTermsOf(chunk));
  });

  it('checks options in the calling thread, and answers a blank file without a worker', async () => {
    const chunker = await pool(1);
    await assert.rejects(chunker.chunk('a.ts', 'const a = 1;', { maxTokens: 0 }), { name: 'RangeError', message: /maxTokens/ });
    assert.deepEqual(await chunker.chunk('a.ts', ' \n\t\n'), []);
    await assert.rejects(Chunker.create(undefined, { workers: -1 }), { name: 'RangeError', message: /workers/ });
    await assert.rejects(Chunker.create(undefined, { workers: 1.5 }), { name: 'RangeError', message: /workers/ });
  });

  it('fails only the file a worker dies on, names it, and chunks the rest with a fresh worker', async () => {
    const chunker = await pool(1, CRASHING_WORKER);
    const files = realFiles().slice(0, 12);
    const doomed = { path: 'src/crash-me.ts', text: files[0].text };
    const results = await Promise.allSettled([...files.slice(0, 6), doomed, ...files.slice(6)].map((file) => chunker.chunk(file.path, file.text)));
    const failure = results[6];
    assert.equal(failure.status, 'rejected');
    const err = (failure as PromiseRejectedResult).reason;
    assert.ok(err instanceof ChunkingError);
    assert.equal(err.path, 'src/crash-me.ts');
    assert.match(err.message, /src\/crash-me\.ts could not be chunked: the chunk worker stopped while chunking it \(exit code 3\)/);
    const others = results.filter((_, i) => i !== 6);
    for (let i = 0; i < files.length; i++) {
      const result = others[i];
      assert.equal(result.status, 'fulfilled', files[i].path);
      assert.deepEqual((result as PromiseFulfilledResult<unknown>).value, await inThread.chunk(files[i].path, files[i].text, { maxTokens: 384 }));
    }
    assert.equal(chunker.workerCount, 1);
  });

  it('sends a big file\'s chunks in parts, and replaces a worker that has read a file of a megabyte or more', async () => {
    const chunker = await pool(1, CRASHING_WORKER);
    const thread = async (): Promise<string> => (await chunker.chunk('which-thread.txt', 'x'))[0].text;
    const first = await thread();
    let text = '';
    while (text.length < 1024 * 1024) for (const file of realFiles()) text += file.text;
    const bytes = new TextEncoder().encode(text);
    const small = bytes.slice(0, 64 * 1024);
    assert.deepEqual(await chunker.chunk('notes.txt', small), await inThread.chunk('notes.txt', small));
    assert.equal(await thread(), first, 'a small document keeps its worker');
    const [big, after] = await Promise.all([chunker.chunk('big.txt', bytes, { maxTokens: 64 }), chunker.chunk(realFiles()[0].path, realFiles()[0].text)]);
    const expected = await inThread.chunk('big.txt', bytes, { maxTokens: 64 });
    assert.ok(expected.length > 2 * 500, `${expected.length} chunks: more than two replies' worth`);
    assert.deepEqual(big, expected);
    assert.deepEqual(termsFiled(big[expected.length - 1]), lexicalTermsOf(expected[expected.length - 1]));
    assert.deepEqual(after, await inThread.chunk(realFiles()[0].path, realFiles()[0].text), 'the request held behind the big one is answered');
    const second = await thread();
    assert.match(second, /^thread \d+$/);
    assert.notEqual(second, first, 'a fresh worker after the big document');
    assert.equal(chunker.workerCount, 1);
  });

  it('fails a file whose chunking throws in the worker, with the message, and keeps the worker', async () => {
    const chunker = await pool(1, CRASHING_WORKER);
    const [thrown, fine] = await Promise.allSettled([
      chunker.chunk('lib/throw-me.py', 'def f():\n    return 1\n'),
      chunker.chunk('lib/fine.py', 'def g():\n    return 2\n'),
    ]);
    assert.equal(thrown.status, 'rejected');
    const err = (thrown as PromiseRejectedResult).reason as ChunkingError;
    assert.ok(err instanceof ChunkingError);
    assert.equal(err.message, 'Lore chunker: lib/throw-me.py could not be chunked: planted failure on lib/throw-me.py');
    assert.equal(fine.status, 'fulfilled');
    assert.deepEqual((fine as PromiseFulfilledResult<unknown>).value, await inThread.chunk('lib/fine.py', 'def g():\n    return 2\n', { maxTokens: 384 }));
    assert.equal(chunker.workerCount, 1);
  });

  it('fails the file a worker dies on with the error that killed it, even with two workers busy', async () => {
    const chunker = await pool(2, CRASHING_WORKER);
    const files = realFiles().slice(0, 20);
    const doomed = { path: 'src/uncaught-me.ts', text: files[0].text };
    const results = await Promise.allSettled([...files.slice(0, 10), doomed, ...files.slice(10)].map((file) => chunker.chunk(file.path, file.text)));
    const err = (results[10] as PromiseRejectedResult).reason as ChunkingError;
    assert.ok(err instanceof ChunkingError, String(err));
    assert.match(err.message, /src\/uncaught-me\.ts could not be chunked: the chunk worker stopped while chunking it \(planted crash on src\/uncaught-me\.ts\)/);
    const others = results.filter((_, i) => i !== 10);
    for (let i = 0; i < files.length; i++) {
      assert.equal(others[i].status, 'fulfilled', files[i].path);
      assert.deepEqual((others[i] as PromiseFulfilledResult<unknown>).value, await inThread.chunk(files[i].path, files[i].text, { maxTokens: 384 }));
    }
    assert.equal(chunker.workerCount, 2);
  });

  it('chunks in the calling thread, with the same results, when no worker can start, and says why', async () => {
    const missing = path.join(__dirname, 'no-such-worker.js');
    const chunker = await pool(2, missing);
    assert.equal(chunker.workerCount, 0);
    assert.match(chunker.workerProblem ?? '', /no-such-worker\.js/);
    for (const file of realFiles().slice(0, 8)) {
      assert.deepEqual(await chunker.chunk(file.path, file.text), await inThread.chunk(file.path, file.text, { maxTokens: 384 }));
    }
  });

  it('terminates its workers on dispose and rejects requests still waiting', async () => {
    const chunker = await Chunker.create(undefined, { workers: 2 });
    assert.equal(chunker.workerCount, 2);
    const big = realFiles().find((file) => file.path.endsWith('MiniSearch.ts'))!;
    const waiting = Array.from({ length: 6 }, (_, i) => chunker.chunk(`copy${i}.ts`, big.text).then(() => 'chunked', (err: Error) => err.message));
    await chunker.dispose();
    assert.equal(chunker.workerCount, 0);
    assert.deepEqual(await Promise.all(waiting), Array(6).fill('Lore chunker: disposed'));
    await assert.rejects(chunker.chunk('a.ts', 'const a = 1;'), /disposed/);
    await chunker.dispose(); // twice is harmless
  });

  it('never keeps a process alive: it exits after chunking without dispose, and at once after dispose', async () => {
    const idle = await runNode(`
      const { Chunker } = require(${JSON.stringify(CHUNK_MODULE)});
      Chunker.create(undefined, { workers: 2 }).then(async (chunker) => {
        const chunks = await chunker.chunk('a.ts', 'export function a() {\\n  return 1;\\n}\\n');
        console.log(chunker.workerCount, chunks.length, chunks[0].symbol);
      });`);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout.trim(), '2 1 a');

    const disposed = await runNode(`
      const { Chunker } = require(${JSON.stringify(CHUNK_MODULE)});
      Chunker.create(undefined, { workers: 2 }).then(async (chunker) => {
        const text = 'export const x = 1;\\n'.repeat(20000);
        const pending = [1, 2, 3].map((n) => chunker.chunk('big' + n + '.ts', text).then(() => 'done', (err) => err.message));
        await chunker.dispose();
        console.log(chunker.workerCount, (await Promise.all(pending)).join(','));
      });`);
    assert.equal(disposed.code, 0, disposed.stderr);
    assert.match(disposed.stdout.trim(), /^0 (Lore chunker: disposed,?){3}$/);
  });
});
