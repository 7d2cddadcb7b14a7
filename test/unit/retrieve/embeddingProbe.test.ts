import * as assert from 'node:assert/strict';
import { MEANINGLESS_VECTOR_SHARE, Retriever } from '../../../src/core/retrieve';
import { embeddingsCarryMeaning } from '../../../src/core/retrieve/embeddingProbe';
import { fakeEmbedding } from '../../support/fakeOllama';
import { makeChunk, MemoryIndex } from './memoryIndex';

/** An embedding model that knows what the probe's sentences mean: one direction per topic. */
const TOPICS: Array<[RegExp, number]> = [
  [/account|profile/, 0],
  [/connection|network/, 1],
  [/sort|order/, 2],
  [/bread|flowers|cat/, 3],
];
async function understanding(text: string): Promise<Float32Array> {
  const vector = new Float32Array(5).fill(0.1);
  for (const [pattern, dim] of TOPICS) if (pattern.test(text)) vector[dim] = 1;
  return vector;
}

describe('embeddingsCarryMeaning', () => {
  it('passes a model that puts a paraphrase closer than an unrelated sentence', async () => {
    assert.equal(await embeddingsCarryMeaning(understanding), true);
  });

  it("fails the test server's hashed bag of words, and a model that answers the same vector for everything", async () => {
    assert.equal(await embeddingsCarryMeaning(async (text) => Float32Array.from(fakeEmbedding(text, 64))), false);
    assert.equal(await embeddingsCarryMeaning(async () => Float32Array.from([1, 0, 0])), false);
  });

  it('rejects when the model cannot be asked', async () => {
    await assert.rejects(embeddingsCarryMeaning(async () => Promise.reject(new Error('Ollama is down'))), /Ollama is down/);
  });
});

describe('Retriever, vectors of a model that fails the meaning probe', () => {
  function corpus(): MemoryIndex {
    const index = new MemoryIndex();
    index.add(makeChunk('src/config.ts', 1, ['export function parseConfig(text) {', '  return JSON.parse(text);', '}']), [1, 0, 0]);
    index.add(makeChunk('src/noise.ts', 1, ['export const unrelated = 1;']), [0, 1, 0]);
    return index;
  }

  it('weighs its ranking at a quarter, so the lexical ranking leads; a model that passes weighs fully', async () => {
    const question = 'where is parseConfig defined?';
    const noise = new Retriever(corpus(), async (text) => (text === question ? Float32Array.from([0, 1, 0]) : Float32Array.from([1, 0, 0])));
    const ranked = (await noise.retrieve(question, { k: 2 })).results;
    assert.deepEqual(ranked.map((r) => [r.chunk.path, r.score]), [
      ['src/config.ts', 1 / 61 + MEANINGLESS_VECTOR_SHARE / 62],
      ['src/noise.ts', MEANINGLESS_VECTOR_SHARE / 61],
    ]);
    const meaningful = new Retriever(corpus(), async (text) => (text === question ? Float32Array.from([0, 1, 0]) : understanding(text)));
    const full = (await meaningful.retrieve(question, { k: 2 })).results;
    assert.deepEqual(full.map((r) => r.score), [1 / 61 + 1 / 62, 1 / 61]);
  });

  it('asks again after the probe could not run, and keeps full weight meanwhile', async () => {
    let down = true;
    const calls: string[] = [];
    const retriever = new Retriever(corpus(), async (text) => {
      calls.push(text);
      if (down && text !== 'parseConfig') throw new Error('Ollama is down');
      return Float32Array.from([1, 0, 0]);
    });
    const first = (await retriever.retrieve('parseConfig', { k: 1 })).results;
    assert.equal(first[0].score, 1 / 61 + 1 / 61, 'full weight while the probe cannot run');
    down = false;
    const second = (await retriever.retrieve('parseConfig', { k: 1 })).results;
    assert.equal(second[0].score, 1 / 61 + MEANINGLESS_VECTOR_SHARE / 61, 'a constant vector fails the probe once it can be asked');
    const probes = calls.filter((text) => text !== 'parseConfig').length;
    await retriever.retrieve('parseConfig', { k: 1 });
    assert.equal(calls.filter((text) => text !== 'parseConfig').length, probes, 'the verdict is kept');
  });
});
