// `lore mcp` as an agent meets it: the built dist/cli.js spawned by the official MCP SDK's Client over
// stdio (code that is not Lore's), on real folders, with no Ollama running (lexical search).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileLinesOf } from '../../../src/core/retrieve';
import { assertCliBuilt, CLI, closedPortUrl, lore, REPO } from '../../support/cli';
import { makeTempDir, removeDir, writeTree } from '../../support/tempTree';

interface SearchResult {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  text: string;
}

interface ToolAnswer {
  isError?: boolean;
  content: Array<{ type: string; text: string }>;
  structuredContent?: { mode?: string; results?: SearchResult[]; [key: string]: unknown };
}

interface Server {
  client: Client;
  stderr(): string;
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  search(args: Record<string, unknown>): Promise<SearchResult[]>;
  close(): Promise<void>;
}

async function startServer(folder: string, args: string[]): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', folder, ...args],
    env: { ...(process.env as Record<string, string>), OLLAMA_HOST: '', OLLAMA_API_KEY: '' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, a: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: a })) as ToolAnswer;
  return {
    client,
    stderr: () => stderr,
    call,
    async search(a) {
      const answer = await call('search', a);
      assert.ok(!answer.isError, answer.content[0]?.text);
      return answer.structuredContent!.results!;
    },
    close: () => client.close(),
  };
}

/** Polls `status` until the first full index is done. */
async function whenIndexed(server: Server): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const status = (await server.call('status')).structuredContent!;
    if (!status.indexing && (status.files as number) > 0) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never indexed; stderr: ${server.stderr()}`);
}

/** The lines a result claims, read from the file on disk. */
/** The file's lines as the result shows them: an excerpt with enclosing signatures marks the lines it leaves out (`⋮ lines a-b left out`). */
function linesOnDisk(root: string, r: SearchResult): string {
  const file = readFileSync(path.join(root, r.path), 'utf8').split('\n');
  const shown = fileLinesOf(r.startLine, r.text);
  assert.equal(shown.at(-1), r.endLine, `${r.path}:${r.startLine}-${r.endLine} does not end where it says`);
  return shown.map((line, i) => (line === undefined ? r.text.split('\n')[i] : file[line - 1])).join('\n');
}

describe('lore mcp (MCP over stdio, official SDK client)', function () {
  this.timeout(90_000);
  let root: string;
  let storeDir: string;
  let host: string;
  const servers: Server[] = [];
  const start = async (args: string[] = []) => {
    const server = await startServer(root, ['--store', storeDir, '--host', host, ...args]);
    servers.push(server);
    return server;
  };

  before(assertCliBuilt);

  beforeEach(async () => {
    root = makeTempDir('lore-mcp-');
    storeDir = path.join(makeTempDir('lore-mcp-store-'), 'store');
    host = await closedPortUrl();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    removeDir(root);
    removeDir(path.dirname(storeDir));
  });

  it('lists search (with a query parameter and a real description) and status', async () => {
    writeTree(root, { 'a.ts': 'export const a = 1;\n' });
    const server = await start();
    const { tools } = await server.client.listTools();
    const search = tools.find((t) => t.name === 'search');
    assert.ok(search, JSON.stringify(tools.map((t) => t.name)));
    assert.deepEqual(search.inputSchema.required, ['query']);
    assert.equal((search.inputSchema.properties as Record<string, { type: string }>).query.type, 'string');
    assert.deepEqual(Object.keys(search.inputSchema.properties!).sort(), ['k', 'path', 'query']);
    assert.ok(search.description && search.description.length > 200, search.description);
    assert.match(search.description!, /grep/);
    assert.equal(search.annotations?.readOnlyHint, true);
    assert.ok(tools.some((t) => t.name === 'status'));
  });

  it('answers a question on a real code base lexically (no Ollama) with the right file and lines', async () => {
    cpSync(path.join(REPO, 'node_modules/ignore'), root, { recursive: true });
    const server = await start();
    const status = await whenIndexed(server);
    assert.equal(status.mode, 'lexical');
    assert.equal(status.access, 'write');
    const answer = await server.call('search', { query: 'where does it check that a path is a relative path string?', k: 5 });
    assert.ok(!answer.isError);
    const results = answer.structuredContent!.results!;
    assert.equal(answer.structuredContent!.mode, 'lexical');
    const hit = results.find((r) => /checkPath\s*=/.test(r.text));
    assert.ok(hit, `checkPath not among ${results.map((r) => `${r.path}:${r.startLine}`).join(', ')}`);
    assert.ok(['index.js', 'legacy.js'].includes(hit.path), hit.path);
    for (const r of results) assert.equal(r.text, linesOnDisk(root, r), `${r.path}:${r.startLine}-${r.endLine} is not what the file holds there`);
    // The text for the model numbers the excerpts and heads each with its path and line range.
    const text = answer.content[0].text;
    assert.match(text, new RegExp(`\\[${results.indexOf(hit) + 1}\\] ${hit.path}:${hit.startLine}-${hit.endLine}`));

    const onlyDocs = await server.search({ query: 'how do I check a path', path: '*.md' });
    assert.ok(onlyDocs.length > 0);
    assert.ok(onlyDocs.every((r) => r.path.endsWith('.md')), onlyDocs.map((r) => r.path).join(', '));
  });

  it('keeps a secret planted in a file masked in tool results', async () => {
    const token = 'ghp_' + 'Zq7rT2mB9xK4vW8nL1pS6dF3hJ0cY5gA2eR7';
    writeTree(root, { 'deploy/publish.ts': `export function publishRelease() {\n  const githubToken = "${token}";\n  return uploadAssets(githubToken);\n}\n` });
    const server = await start();
    await whenIndexed(server);
    const answer = await server.call('search', { query: 'publishRelease uploadAssets githubToken' });
    const results = answer.structuredContent!.results!;
    assert.equal(results[0]?.path, 'deploy/publish.ts');
    assert.match(results[0].text, /«secret:github-token»/);
    assert.ok(!JSON.stringify(answer).includes(token.slice(4)), 'the token leaked into the answer');
  });

  it('answers bad input with a tool error and stays up', async () => {
    writeTree(root, { 'lib/retry.ts': 'export async function fetchWithRetry(url: string) {\n  return fetch(url);\n}\n' });
    const server = await start();
    await whenIndexed(server);
    const empty = await server.call('search', { query: '   ' });
    assert.equal(empty.isError, true);
    assert.match(empty.content[0].text, /query is empty/);
    assert.equal((await server.search({ query: 'fetchWithRetry' }))[0].path, 'lib/retry.ts');

    const tooMany = await server.call('search', { query: 'fetch', k: 500 });
    assert.equal(tooMany.isError, true);
    assert.match(tooMany.content[0].text, /k/);
    const noQuery = await server.call('search', { k: 3 });
    assert.equal(noQuery.isError, true);
    const unknown = await server.call('delete_everything', {});
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text, /delete_everything/);
    assert.equal((await server.search({ query: 'fetchWithRetry' }))[0].path, 'lib/retry.ts');
  });

  it('finds a function added to a file on disk while it runs within 4 seconds', async function () {
    writeTree(root, { 'src/math.ts': 'export function add(a: number, b: number) {\n  return a + b;\n}\n' });
    const server = await start();
    await whenIndexed(server);
    assert.equal((await server.search({ query: 'computeLoyaltyDiscount' })).length, 0);
    const written = Date.now();
    writeFileSync(path.join(root, 'src/math.ts'), 'export function add(a: number, b: number) {\n  return a + b;\n}\n\nexport function computeLoyaltyDiscount(total: number) {\n  return total * 0.05;\n}\n');
    let found: SearchResult | undefined;
    while (!found && Date.now() - written < 4000) {
      found = (await server.search({ query: 'computeLoyaltyDiscount' })).find((r) => r.text.includes('computeLoyaltyDiscount'));
    }
    const elapsed = Date.now() - written;
    assert.ok(found, `not found within 4 s; stderr: ${server.stderr()}`);
    assert.equal(found.path, 'src/math.ts');
    assert.equal(found.text, linesOnDisk(root, found));
    assert.ok(elapsed < 4000, `${elapsed} ms`);
    this.test!.title += ` (found after ${elapsed} ms)`;
  });

  it('searches a docs folder given with --docs, cited by absolute path, and keeps it fresh', async () => {
    writeTree(root, { 'src/app.ts': 'export function startApp() {}\n' });
    const docs = makeTempDir('lore-mcp-docs-');
    try {
      cpSync(path.join(REPO, 'test/fixtures/docs/python-heapq.html'), path.join(docs, 'heapq.html'));
      const server = await start(['--docs', docs]);
      await whenIndexed(server);
      const [top] = await server.search({ query: 'heappushpop push then pop the smallest item' });
      assert.equal(top?.path, `${docs.split(path.sep).join('/')}/heapq.html`);
      assert.doesNotMatch(top.text, /<\/?(span|div|a|p)\b/);
      const note = path.join(docs, 'oncall.md');
      writeFileSync(note, '# On call\n\nPage the quokkaEscalationRota first.\n');
      const written = Date.now();
      let found: SearchResult | undefined;
      while (!found && Date.now() - written < 10_000) found = (await server.search({ query: 'quokkaEscalationRota' })).find((r) => r.path === note.split(path.sep).join('/'));
      assert.ok(found, `a file added to the docs folder was not found; stderr: ${server.stderr()}`);
      assert.equal(found.text, readFileSync(note, 'utf8').split('\n').slice(found.startLine - 1, found.endLine).join('\n'));
    } finally {
      removeDir(docs);
    }
  });

  it('serves read-only beside another writer of the store and sees what that writer indexes', async () => {
    writeTree(root, { 'src/one.ts': 'export function alpha() {\n  return 1;\n}\n' });
    const writer = await start();
    await whenIndexed(writer);
    const reader = await start();
    const status = (await reader.call('status')).structuredContent!;
    assert.equal(status.access, 'read-only');
    assert.equal((await reader.search({ query: 'alpha' }))[0].path, 'src/one.ts');
    assert.match(reader.stderr(), /another Lore process/);

    writeTree(root, { 'src/two.ts': 'export function bravoHandler() {\n  return 2;\n}\n' });
    const written = Date.now();
    let found = false;
    while (!found && Date.now() - written < 10_000) {
      found = (await reader.search({ query: 'bravoHandler' })).some((r) => r.path === 'src/two.ts');
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, `the reader never saw the writer's update; stderr: ${reader.stderr()}`);
  });

  it('writes nothing but protocol frames to stdout, and its logs to stderr', async () => {
    writeTree(root, { 'a.ts': 'export function frameCheck() {}\n' });
    const child = spawn(process.execPath, [CLI, 'mcp', root, '--store', storeDir, '--host', host], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const send = (message: object) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'search', arguments: { query: 'frameCheck' } } });
    send({ id: 3, method: 'tools/call', params: { name: 'search', arguments: { query: '' } } });
    const deadline = Date.now() + 30_000;
    while (!(stdout.includes('"id":2') && stdout.includes('"id":3')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.end();
    const code = await new Promise((resolve) => child.on('close', resolve));
    const lines = stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 3, stdout);
    for (const line of lines) assert.equal(JSON.parse(line).jsonrpc, '2.0');
    assert.match(stderr, /lore mcp: serving/);
    assert.equal(code, 0, stderr);
  });

  it('reports a missing folder (exit 1) and a missing folder argument (exit 2) without starting', async () => {
    const missing = await lore(['mcp', path.join(root, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /folder not found/);
    assert.equal(missing.stdout, '');
    const usage = await lore(['mcp']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /takes a folder/);
  });
});
