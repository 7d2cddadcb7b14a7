// Opt-in: the embedder against a REAL Ollama (`npm run test:ollama`, never in CI).
//   OLLAMA_HOST       default http://127.0.0.1:11434
//   LORE_EMBED_MODEL  default nomic-embed-text (must be pulled: `ollama pull <model>`)
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Embedder, EmbeddingCache, type EmbedProbe } from '../../src/core/embed';
import { ModelMissingError, normalizeHost } from '../../src/core/ollama';
import { contentHash } from '../../src/core/hash';

const host = normalizeHost(process.env.OLLAMA_HOST);
const model = process.env.LORE_EMBED_MODEL?.trim() || 'nomic-embed-text';

function item(text: string): { hash: string; text: string } {
  return { hash: contentHash(text), text };
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * b[i], 0);
}

describe(`Embedder against a real Ollama (${host}, ${model})`, () => {
  let probe: EmbedProbe & { ok: true };
  let dir: string;

  before(async () => {
    const result = await new Embedder({ host, model }).probe();
    if (!result.ok) {
      throw new Error(
        `Lore's Ollama tests cannot run (${result.reason}): ${result.message}\n` +
          `They need Ollama running at ${host} with "${model}" pulled (\`ollama pull ${model}\`); set OLLAMA_HOST / LORE_EMBED_MODEL to use others.`,
      );
    }
    probe = result;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lore-ollama-'));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('probes a plausible context length and vector size', () => {
    assert.ok(probe.contextLength >= 128, `context length ${probe.contextLength}`);
    if (probe.dims !== undefined) assert.ok(probe.dims >= 64, `dims ${probe.dims}`);
  });

  it('embeds a batch into unit vectors, in order, that match single embeddings', async () => {
    const texts = [
      'function parseConfig(file: string): Config { return JSON.parse(readFileSync(file, "utf8")); }',
      '# Installation\n\nRun `npm install` and then `npm run build`.',
      'class HttpServer { listen(port: number) { /* ... */ } }',
    ];
    const embedder = new Embedder({ host, model, batchSize: 2 });
    const batch = await embedder.embed(texts.map(item));
    assert.equal(batch.length, texts.length);
    for (const v of batch) {
      if (probe.dims !== undefined) assert.equal(v.length, probe.dims);
      assert.ok(Math.abs(cosine(v, v) - 1) < 1e-3);
    }
    for (const [i, text] of texts.entries()) {
      const single = await new Embedder({ host, model }).embed([item(text)]);
      assert.ok(cosine(batch[i], single[0]) > 0.99, `text ${i} differs between batch and single`);
    }
    assert.equal(embedder.sentCount, texts.length);
  });

  it('places a question nearer the code that answers it', async () => {
    const embedder = new Embedder({ host, model });
    const [config, install, server] = await embedder.embed([
      item('export function loadSettings(path) { const raw = fs.readFileSync(path, "utf8"); return yaml.parse(raw); }'),
      item('## Install\nDownload the installer and run it. Then restart your computer.'),
      item('const server = http.createServer(handler); server.listen(8080);'),
    ]);
    const question = await embedder.embedQuery('where are the settings read from the yaml file?');
    assert.ok(cosine(question, config) > cosine(question, install), 'config code should beat install docs');
    assert.ok(cosine(question, config) > cosine(question, server), 'config code should beat the server code');
  });

  it('serves repeated chunks from the cache across reopen', async () => {
    const file = path.join(dir, `${model.replace(/[^\w.-]+/g, '_')}.bin`);
    const items = ['alpha one', 'beta two'].map(item);
    const first = await EmbeddingCache.open(file, model);
    const before = await new Embedder({ host, model }, first).embed(items);
    await first.flush();
    const again = new Embedder({ host, model }, await EmbeddingCache.open(file, model));
    const after = await again.embed(items);
    assert.equal(again.sentCount, 0);
    after.forEach((v, i) => assert.deepEqual([...v], [...before[i]]));
  });

  it('embeds an input longer than the context only as a recorded last resort', async () => {
    const embedder = new Embedder({ host, model });
    // About twice the context at any tokenizer's rate (~4 characters per token of code).
    const line = 'const value = compute(input, options);\n';
    const long = line.repeat(Math.ceil((probe.contextLength * 8) / line.length));
    const [short, truncated] = await embedder.embed([item('a short chunk'), item(long)]);
    assert.ok(short.length > 0 && truncated.length === short.length);
    assert.deepEqual(embedder.truncatedHashes, [contentHash(long)]);
  });

  it('reports a model that is not installed', async () => {
    const missing = `lore-missing-model-${process.pid}`;
    await assert.rejects(new Embedder({ host, model: missing }).embed([item('x')]), ModelMissingError);
    const result = await new Embedder({ host, model: missing }).probe();
    assert.equal(result.ok ? 'ok' : result.reason, 'model-missing');
  });
});
