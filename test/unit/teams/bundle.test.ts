// An index built once and reused: `lore pack` on one checkout, `lore index --from` on another, as a
// team's CI and its developers would run them.
import * as assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FakeOllama } from '../../support/fakeOllama';
import { assertCliBuilt, lore } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const SECRET = 'ghp_' + 'Zq8rT3vW9xY2aB4cD6eF8gH0iJ2kL4mN6oP8';

function project(): Record<string, string> {
  const tree: Record<string, string> = {
    'src/ledger.ts': 'export function reconcileLedger(entries: number[]): number {\n  return entries.reduce((a, b) => a + b, 0);\n}\n',
    'src/config.ts': `export const deployToken = '${SECRET}';\n\nexport function readDeployConfig(): string {\n  return deployToken;\n}\n`,
    'docs/guide.md': '# Guide\n\n## Ledger\n\nThe ledger is reconciled nightly by reconcileLedger.\n',
  };
  for (let i = 0; i < 20; i++) tree[`src/feature${i}.ts`] = `export function feature${i}Handler(input: string): string {\n  return input + '${i}';\n}\n`;
  return tree;
}

describe('lore pack and lore index --from', function () {
  this.timeout(120_000);
  let ollama: FakeOllama;
  let scratch: string;
  let ciCheckout: string;
  let devCheckout: string;
  let bundle: string;

  before(assertCliBuilt);

  beforeEach(async () => {
    ollama = await FakeOllama.start();
    scratch = makeTempDir('lore-bundle-');
    ciCheckout = path.join(scratch, 'ci-runner', 'build', 'repo');
    devCheckout = path.join(scratch, 'home', 'dev', 'repo');
    writeTree(ciCheckout, project());
    writeTree(devCheckout, project());
    bundle = path.join(scratch, 'index.lorepack');
    const indexed = await lore(['index', ciCheckout, '--store', path.join(scratch, 'ci-store'), '--host', ollama.url, '--json']);
    assert.equal(indexed.code, 0, indexed.stderr);
    const packed = await lore(['pack', ciCheckout, '--store', path.join(scratch, 'ci-store'), '--out', bundle, '--json']);
    assert.equal(packed.code, 0, packed.stderr);
    const summary = JSON.parse(packed.stdout);
    assert.equal(summary.files, 23);
    assert.equal(summary.vectors, summary.chunks);
    assert.equal(statSync(bundle).size, summary.bytes);
  });

  afterEach(async () => {
    await ollama.stop();
    removeDir(scratch);
  });

  function embeddedTexts(since: number): string[] {
    return ollama.requests.slice(since).filter((r) => r.path === '/api/embed' && r.status === 200).flatMap((r) => (Array.isArray(r.body.input) ? r.body.input : [String(r.body.input)]));
  }

  it('seeds another checkout with one file changed: only that file is embedded, old and new code are both found', async () => {
    writeFileSync(path.join(devCheckout, 'src/ledger.ts'), 'export function reconcileLedger(entries: number[]): number {\n  return entries.reduce((a, b) => a + b, 0);\n}\n\nexport function auditLedgerTrail(entries: number[]): boolean {\n  return entries.every((e) => e >= 0);\n}\n');
    const store = path.join(scratch, 'dev-store');
    const since = ollama.requests.length;
    const run = await lore(['index', devCheckout, '--store', store, '--host', ollama.url, '--from', bundle, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.mode, 'hybrid');
    const texts = embeddedTexts(since);
    assert.ok(texts.length >= 1, 'the changed file was embedded');
    assert.ok(texts.every((t) => t.startsWith('src/ledger.ts')), `only src/ledger.ts was embedded, got: ${texts.map((t) => t.split('\n')[0]).join(', ')}`);
    assert.ok(summary.embedded <= 2 && summary.embedded === texts.length, JSON.stringify(summary));
    const status = JSON.parse((await lore(['status', devCheckout, '--store', store, '--json'])).stdout);
    assert.equal(status.vectors, status.chunks);
    assert.equal(status.files, 23);

    const newCode = JSON.parse((await lore(['query', devCheckout, 'auditLedgerTrail', '--store', store, '--host', ollama.url, '--json', '-k', '3'])).stdout);
    assert.equal(newCode.results[0].path, 'src/ledger.ts');
    assert.match(newCode.results[0].text, /auditLedgerTrail/);
    const oldCode = JSON.parse((await lore(['query', devCheckout, 'feature7Handler', '--store', store, '--host', ollama.url, '--json', '-k', '3'])).stdout);
    assert.equal(oldCode.results[0].path, 'src/feature7.ts');
  });

  it('holds no absolute path of the packing machine and no secret', () => {
    const bytes = readFileSync(bundle);
    const headerLength = bytes.readUInt32BE(8);
    const header = bytes.subarray(12, 12 + headerLength).toString('utf8');
    const payload = gunzipSync(bytes.subarray(12 + headerLength)).toString('latin1');
    for (const text of [header, payload]) {
      assert.ok(!text.includes(scratch), 'an absolute path of the packing machine');
      assert.ok(!text.includes('ci-runner'), 'a folder name above the packed folder');
      assert.ok(!text.includes(SECRET), 'the planted secret');
    }
    assert.match(payload, /readDeployConfig/, 'the file holding the secret is in the bundle, masked');
    assert.equal(JSON.parse(header).embedModel, 'nomic-embed-text');
  });

  for (const damage of ['truncated', 'a flipped byte', 'not a bundle', 'another model', 'a future version'] as const) {
    it(`exits 1 for a bundle with a problem (${damage}), saying why, and leaves the existing index as it was`, async () => {
      const store = path.join(scratch, 'dev-store');
      writeFileSync(path.join(devCheckout, 'src/extra.ts'), 'export const onlyHere = 1;\n');
      const first = await lore(['index', devCheckout, '--store', store, '--no-embed', '--json']);
      assert.equal(first.code, 0, first.stderr);
      const before = (await lore(['status', devCheckout, '--store', store, '--json'])).stdout;
      const bad = path.join(scratch, 'bad.lorepack');
      copyFileSync(bundle, bad);
      const bytes = readFileSync(bad);
      let expected: RegExp;
      let args: string[] = [];
      switch (damage) {
        case 'truncated':
          writeFileSync(bad, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
          expected = /truncated/;
          break;
        case 'a flipped byte':
          bytes[bytes.length - 40] ^= 0xff;
          writeFileSync(bad, bytes);
          expected = /checksum does not match/;
          break;
        case 'not a bundle':
          writeFileSync(bad, 'hello, this is a text file\n');
          expected = /not a Lore index bundle/;
          break;
        case 'another model':
          args = ['--embed-model', 'all-minilm'];
          expected = /vectors are of embedding model "nomic-embed-text", not "all-minilm"/;
          break;
        case 'a future version': {
          const headerLength = bytes.readUInt32BE(8);
          const header = bytes.subarray(12, 12 + headerLength).toString('utf8').replace('"version":1', '"version":9');
          writeFileSync(bad, Buffer.concat([bytes.subarray(0, 12), Buffer.from(header), bytes.subarray(12 + headerLength)]));
          expected = /format version 9; this Lore reads version 1/;
          break;
        }
      }
      const run = await lore(['index', devCheckout, '--store', store, '--no-embed', '--from', bad, ...args]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, expected);
      assert.match(run.stderr, /the index was not changed/);
      assert.ok(!/\n\s+at /.test(run.stderr), 'no stack trace');
      assert.equal((await lore(['status', devCheckout, '--store', store, '--json'])).stdout, before);
    });
  }

  it('refuses to pack an index without vectors, and needs --out', async () => {
    const store = path.join(scratch, 'lexical-store');
    await lore(['index', devCheckout, '--store', store, '--no-embed']);
    const run = await lore(['pack', devCheckout, '--store', store, '--out', path.join(scratch, 'x.lorepack')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no embedding model: index it with embeddings before packing/);
    const usage = await lore(['pack', devCheckout, '--store', store]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs --out FILE/);
  });
});
