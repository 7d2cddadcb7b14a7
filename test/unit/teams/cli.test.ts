// Teams through the CLI, run as a user runs it: a shared Ollama behind a bearer key (over http and
// https with the team's own CA), and embeddings spread over several hosts, one of which fails.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FakeOllama } from '../../support/fakeOllama';
import { assertCliBuilt, lore, REPO } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

const TLS_DIR = path.join(REPO, 'test/fixtures/tls');

function sourceTree(files: number): Record<string, string> {
  const tree: Record<string, string> = { 'docs/guide.md': '# Guide\n\nThe ledger is reconciled by reconcileLedger.\n' };
  for (let i = 0; i < files; i++) {
    tree[`src/module${i}.ts`] = `export function handler${i}(input: string): string {\n  return input.repeat(${i + 1}) + 'step ${i}';\n}\n\nexport function helper${i}(n: number): number {\n  return n * ${i + 2};\n}\n`;
  }
  tree['src/ledger.ts'] = 'export function reconcileLedger(entries: number[]): number {\n  return entries.reduce((a, b) => a + b, 0);\n}\n';
  return tree;
}

function embeddedInputs(fake: FakeOllama): number {
  return fake.requests.filter((r) => r.path === '/api/embed' && r.status === 200).reduce((n, r) => n + (Array.isArray(r.body.input) ? r.body.input.length : 1), 0);
}

describe('lore CLI for teams', function () {
  this.timeout(120_000);
  let root: string;
  let storeDir: string;
  const servers: FakeOllama[] = [];

  before(assertCliBuilt);

  beforeEach(() => {
    root = makeTempDir();
    storeDir = path.join(makeTempDir('lore-teams-store-'), 'store');
    writeTree(root, sourceTree(3));
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  async function start(options: Parameters<typeof FakeOllama.start>[0] = {}): Promise<FakeOllama> {
    const fake = await FakeOllama.start(options);
    servers.push(fake);
    return fake;
  }

  it('a server that wants a key: without OLLAMA_API_KEY, index exits 0 lexical-only with one line naming the refusal; with it, every request carries the key and every chunk gets a vector', async () => {
    const ollama = await start({ apiKey: 'team-secret' });
    const without = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json']);
    assert.equal(without.code, 0, without.stderr);
    assert.equal(JSON.parse(without.stdout).mode, 'lexical');
    const lines = without.stderr.trim().split('\n');
    assert.equal(lines.length, 1, without.stderr);
    assert.match(lines[0], /needs an API key \(HTTP 401\).*OLLAMA_API_KEY/);
    assert.ok(!/does not answer like Ollama/.test(without.stderr));

    const sent = ollama.requests.length;
    const withKey = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json'], { OLLAMA_API_KEY: 'team-secret' });
    assert.equal(withKey.code, 0, withKey.stderr);
    const summary = JSON.parse(withKey.stdout);
    assert.equal(summary.mode, 'hybrid');
    assert.equal(summary.embedded, summary.chunks);
    const requests = ollama.requests.slice(sent);
    assert.ok(requests.some((r) => r.path === '/api/embed'));
    for (const r of requests) assert.equal(r.authorization, 'Bearer team-secret', `${r.method} ${r.path}`);

    ollama.chat.reply = 'reconcileLedger sums the entries [1].';
    const asked = await lore(['ask', root, 'how is the ledger reconciled?', '--store', storeDir, '--host', ollama.url], { OLLAMA_API_KEY: 'team-secret' });
    assert.equal(asked.code, 0, asked.stderr);
    assert.match(asked.stdout, /^reconcileLedger sums the entries \[1\]\./);
    assert.match(asked.stdout, /Sources:\n(\[\d\] .*\n)*\[\d\] src\/ledger\.ts:1-3\n/);
  });

  it('a wrong key: the refusal is said as such, and the key never appears in the output', async () => {
    const ollama = await start({ apiKey: 'team-secret' });
    const run = await lore(['index', root, '--store', storeDir, '--host', ollama.url], { OLLAMA_API_KEY: 'not-the-key' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /refused the API key \(HTTP 403\)/);
    assert.ok(!(run.stdout + run.stderr).includes('not-the-key'));
  });

  it('an https host signed by the team CA works with NODE_EXTRA_CA_CERTS, and without it says the certificate is not trusted', async () => {
    const ollama = await start({ apiKey: 'k', tls: { key: readFileSync(path.join(TLS_DIR, 'server.key'), 'utf8'), cert: readFileSync(path.join(TLS_DIR, 'server.pem'), 'utf8') } });
    assert.match(ollama.url, /^https:/);
    const untrusted = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json'], { OLLAMA_API_KEY: 'k', NODE_EXTRA_CA_CERTS: '' });
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.match(untrusted.stderr, /TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS/);
    const trusted = await lore(['index', root, '--store', storeDir, '--host', ollama.url, '--json'], { OLLAMA_API_KEY: 'k', NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'ca.pem') });
    assert.equal(trusted.code, 0, trusted.stderr);
    const summary = JSON.parse(trusted.stdout);
    assert.equal(summary.mode, 'hybrid');
    assert.equal(summary.embedded, summary.chunks);
  });

  it('index --host A --host B with B failing after a few batches: both got work, every chunk has a vector, none was embedded twice', async () => {
    writeTree(root, sourceTree(60));
    const a = await start();
    const b = await start();
    a.faults.latencyMs = 40;
    b.faults.latencyMs = 40;
    const watcher = setInterval(() => {
      if (b.requests.filter((r) => r.path === '/api/embed' && r.status === 200).length >= 2) {
        clearInterval(watcher);
        void b.goDown();
      }
    }, 2);
    try {
      const run = await lore(['index', root, '--store', storeDir, '--host', a.url, '--host', b.url, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.mode, 'hybrid', run.stderr);
      assert.equal(summary.embedded, summary.chunks);
      assert.ok(summary.chunks > 60, `${summary.chunks} chunks`);
      assert.ok(embeddedInputs(a) > 0 && embeddedInputs(b) > 0, `a embedded ${embeddedInputs(a)}, b ${embeddedInputs(b)}`);
      assert.equal(embeddedInputs(a) + embeddedInputs(b), summary.chunks, 'each chunk embedded exactly once');
      const status = JSON.parse((await lore(['status', root, '--store', storeDir, '--json'])).stdout);
      assert.equal(status.vectors, status.chunks);
    } finally {
      clearInterval(watcher);
    }
  });

  it('refuses an embedding host that serves the model with other dimensions, saying so, and embeds with the rest', async () => {
    const a = await start();
    const b = await start({ models: [{ name: 'nomic-embed-text', kind: 'embed', dims: 32 }] });
    const run = await lore(['index', root, '--store', storeDir, '--host', a.url, '--host', b.url, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`Embedding host ${b.url.replace(/[.:/]/g, '\\$&')} is not used: its "nomic-embed-text" makes 32-dimension vectors, not 64`));
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.embedded, summary.chunks);
    assert.equal(embeddedInputs(b), 0);
  });
});
