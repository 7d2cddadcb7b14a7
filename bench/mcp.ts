// `search` over MCP against the search `lore query` runs, on the same store in the same run: the
// MCP figure is the round trip an agent sees (official SDK client, stdio, a `lore mcp` process that
// keeps the index open); the query figure is `lore query`'s own search step (open the index as the
// CLI does, then retrieve with the freshness check), and the CLI's whole run is shown beside them.
// Both search hybrid: a fake Ollama on loopback embeds the questions with the store's model.
import { execFile } from 'node:child_process';
import { mkdirSync, promises as fs, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoreStore } from '../src/core/store';
import { DEFAULT_MAX_FILE_BYTES, openWorkspaceIndex } from '../src/core/workspaceIndex';
import { FakeOllama } from '../test/support/fakeOllama';
import { median } from './measure';
import { DIMS } from './synthetic';

const CLI = path.resolve(__dirname, '../../dist/cli.js');
const QUESTIONS = 20;
const WARMUP = 3;
const CLI_RUNS = 3;
const K = 8;

export async function measureMcpSearch(storeDir: string): Promise<Record<string, number>> {
  const folder = `${storeDir}-folder`;
  const questions = await writeFolderFromStore(storeDir, folder);
  const ollama = await FakeOllama.start({ models: [{ name: 'synthetic', kind: 'embed', dims: DIMS }] });
  try {
    const mcp = await timeMcpSearches(folder, storeDir, ollama.url, questions);
    const query = await timeQuerySearches(folder, storeDir, ollama.url, questions);
    const cli: number[] = [];
    for (let run = 0; run < CLI_RUNS; run++) {
      const t = performance.now();
      // Not execFileSync: the fake Ollama that embeds the CLI's question answers from this process.
      await promisify(execFile)(process.execPath, [CLI, 'query', folder, questions[run], '--store', storeDir, '--host', ollama.url, '-k', String(K), '--json'], { maxBuffer: 1 << 24 });
      cli.push(performance.now() - t);
    }
    return {
      mcpSearchP50Ms: round1(median(mcp)),
      querySearchP50Ms: round1(median(query)),
      cliQueryWallMs: Math.round(median(cli)),
    };
  } finally {
    await ollama.stop();
    await fs.rm(folder, { recursive: true, force: true });
  }
}

/**
 * The folder the store indexes, written from the store itself (each file is its chunks, in order),
 * with the stat the manifest records, so the server's start-up sync finds nothing to redo. Returns
 * questions made of real words from chunks spread over the store.
 */
async function writeFolderFromStore(storeDir: string, folder: string): Promise<string[]> {
  const store = await LoreStore.open(storeDir);
  const questions: string[] = [];
  try {
    const files = [...store.files()];
    files.forEach((record, n) => {
      const chunks = store.chunksOf(record.path);
      const abs = path.join(folder, ...record.path.split('/'));
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, chunks.map((c) => c.text).join('\n'));
      utimesSync(abs, record.mtimeMs / 1000, record.mtimeMs / 1000);
      if (n % Math.floor(files.length / (QUESTIONS + WARMUP)) === 0 && questions.length < QUESTIONS + WARMUP) {
        const words = chunks[0].text.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? ['function'];
        questions.push(`how does ${[0, 3, 7, 11].map((i) => words[(i * 31) % words.length]).join(' ')} work`);
      }
    });
  } finally {
    await store.close();
  }
  return questions;
}

async function timeMcpSearches(folder: string, storeDir: string, host: string, questions: string[]): Promise<number[]> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', folder, '--store', storeDir, '--host', host], stderr: 'inherit' });
  const client = new Client({ name: 'lore-bench', version: '1.0.0' });
  await client.connect(transport);
  try {
    // Until the start-up sync has found every file unchanged.
    for (;;) {
      const status = (await client.callTool({ name: 'status', arguments: {} })).structuredContent as { indexing: boolean; mode: string };
      if (!status.indexing) {
        if (status.mode !== 'hybrid') throw new Error(`the MCP server searches ${status.mode}, not hybrid`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const times: number[] = [];
    for (const [n, query] of questions.entries()) {
      const t = performance.now();
      const answer = await client.callTool({ name: 'search', arguments: { query, k: K } });
      if (n >= WARMUP) times.push(performance.now() - t);
      const results = (answer.structuredContent as { results?: unknown[] } | undefined)?.results;
      if (answer.isError || !results?.length) throw new Error(`MCP search found nothing for "${query}"`);
    }
    return times;
  } finally {
    await client.close();
  }
}

/** `lore query`'s search: the index opened read-only with the store's model, then retrieve with the freshness check. */
async function timeQuerySearches(folder: string, storeDir: string, host: string, questions: string[]): Promise<number[]> {
  const index = await openWorkspaceIndex({ root: folder, storeDir, host, embedModel: 'synthetic', maxFileBytes: DEFAULT_MAX_FILE_BYTES, access: 'read' });
  try {
    const probe = await index.probeEmbeddings();
    if (!probe?.ok) throw new Error('the fake Ollama did not embed');
    const readCurrent = (rel: string) => fs.readFile(path.join(folder, ...rel.split('/')), 'utf8').catch(() => undefined);
    const times: number[] = [];
    for (const [n, query] of questions.entries()) {
      const t = performance.now();
      const { mode, results } = await index.retriever.retrieve(query, { k: K, readCurrent });
      if (n >= WARMUP) times.push(performance.now() - t);
      if (mode !== 'hybrid' || !results.length) throw new Error(`query found nothing for "${query}" (${mode})`);
    }
    return times;
  } finally {
    await index.close();
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
