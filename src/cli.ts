// `lore index|query|status|ask|pack`: the headless face of the same core the extension uses.
// Exit codes: 0 ok, 1 a failure the user must fix (missing folder, unreadable store, Ollama needed
// but unreachable for `ask`), 2 usage errors. Never a stack trace.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BundleError, packStore, seedFromBundle } from './core/bundle';
import { docFileCounts, resolveIndexedPath } from './core/files';
import { locationOf, sourceLabel } from './core/location';
import { normalizeHost } from './core/ollama';
import { documentAwareReader } from './core/retrieve';
import { MAX_CONTEXT_TOKENS, MIN_CONTEXT_TOKENS, runAsk } from './core/ask';
import { DEFAULT_CHAT_MODEL, DEFAULT_EMBED_MODEL } from './core/defaults';
import { searchMode } from './core/searchMode';
import { defaultStoreDir } from './core/storeLocation';
import { DEFAULT_MAX_FILE_BYTES, openWorkspaceIndex, type WorkspaceIndex } from './core/workspaceIndex';
import { runMcpServer } from './mcp';
import { version as LORE_VERSION } from '../package.json';

const USAGE = `Usage:
  lore index  <folder> [--docs DIR]... [--store DIR] [--host URL]... [--embed-model NAME] [--no-embed] [--from BUNDLE] [--json]
  lore query  <folder> <question> [--docs DIR]... [-k N] [--store DIR] [--host URL] [--json]
  lore ask    <folder> <question> [--docs DIR]... [--model NAME] [--host URL] [--store DIR] [-k N] [--max-context TOKENS] [--rerank]
  lore status <folder> [--docs DIR]... [--store DIR] [--json]
  lore pack   <folder> --out BUNDLE [--store DIR] [--json]
  lore mcp    <folder> [--docs DIR]... [--store DIR] [--host URL] [--read-only]

The Ollama host defaults to $OLLAMA_HOST, then http://127.0.0.1:11434. Give --host more than once to
'lore index' to spread embeddings over several hosts serving the same model. A server that wants an
API key gets $OLLAMA_API_KEY as a bearer token. 'lore pack' writes the index (chunks and vectors,
no absolute paths) to a bundle that 'lore index --from' seeds another checkout's index with: only
files that differ are chunked and embedded there.
--docs DIR adds a docs folder outside <folder> (a manual, a handbook export) to <folder>'s index;
repeat it for several. 'lore index' without a folder it indexed before drops that folder's files.
'lore mcp' serves the folder's index to agents over MCP (stdio): tools 'search' and 'status'. It keeps
the index fresh while it runs, or searches it read-only while another Lore process writes it.
The index is kept outside the folder, in $LORE_HOME or ~/.cache/lore/<folder>-<id>, unless --store is given.`;

class UsageError extends Error {}
class UserError extends Error {}


const OPTION_SPECS = {
  index: { store: 'string', host: 'string', 'embed-model': 'string', 'no-embed': 'boolean', from: 'string', json: 'boolean', docs: 'string' },
  query: { store: 'string', host: 'string', k: 'string', json: 'boolean', docs: 'string' },
  ask: { store: 'string', host: 'string', k: 'string', model: 'string', rerank: 'boolean', docs: 'string', 'max-context': 'string' },
  status: { store: 'string', json: 'boolean', docs: 'string' },
  pack: { store: 'string', out: 'string', json: 'boolean' },
  mcp: { store: 'string', host: 'string', 'read-only': 'boolean', docs: 'string' },
} as const;
type Command = keyof typeof OPTION_SPECS;
const POSITIONALS: Record<Command, number> = { index: 1, query: 2, ask: 2, status: 1, pack: 1, mcp: 1 };

interface Parsed {
  command: Command;
  folder: string;
  question?: string;
  values: Record<string, string | boolean | undefined>;
  /** Every --host given, in order (several only for `index`). */
  hosts: string[];
  /** `--docs` folders, as given. */
  docs: string[];
}

export function parseCommandLine(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') throw new UsageError('');
  if (!command) throw new UsageError('a command is needed');
  if (!(command in OPTION_SPECS)) throw new UsageError(`unknown command '${command}'`);
  const cmd = command as Command;
  const spec = OPTION_SPECS[cmd];
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, type]) => [name, name === 'k' ? { type, short: 'k' } : (cmd === 'index' && name === 'host') || name === 'docs' ? { type, multiple: true } : { type }]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const want = POSITIONALS[cmd];
  if (parsed.positionals.length !== want) {
    throw new UsageError(`'lore ${cmd}' takes ${want === 1 ? 'a folder' : 'a folder and a question'}, got ${parsed.positionals.length} argument(s)`);
  }
  const { host, docs = [], ...others } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const hosts = host === undefined ? [] : Array.isArray(host) ? host : [String(host)];
  const values = { ...others, host: hosts[0] } as Parsed['values'];
  if (values.k !== undefined && !/^[1-9]\d{0,3}$/.test(String(values.k))) throw new UsageError(`-k takes a whole number from 1 to 9999, got '${values.k}'`);
  const maxContext = values['max-context'];
  if (maxContext !== undefined && !(/^\d{1,7}$/.test(String(maxContext)) && Number(maxContext) >= MIN_CONTEXT_TOKENS && Number(maxContext) <= MAX_CONTEXT_TOKENS)) {
    throw new UsageError(`--max-context takes a number of tokens from ${MIN_CONTEXT_TOKENS} to ${MAX_CONTEXT_TOKENS}, got '${maxContext}'`);
  }
  if (cmd === 'pack' && !values.out) throw new UsageError("'lore pack' needs --out FILE");
  for (const h of hosts) {
    try {
      normalizeHost(h);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { command: cmd, folder: parsed.positionals[0], question: parsed.positionals[1], values, hosts, docs: docs as string[] };
}

async function main(argv: string[]): Promise<number> {
  const { command, folder, question, values, hosts, docs } = parseCommandLine(argv);
  const root = path.resolve(folder);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) throw new UserError(`folder not found: ${folder}`);
  const docFolders = await resolveDocFolders(root, docs);
  const storeDir = path.resolve((values.store as string | undefined) ?? defaultStoreDir(root));
  const host = normalizeHost(values.host as string | undefined);
  const json = values.json === true;
  const warn = (line: string) => process.stderr.write(`lore: ${line}\n`);
  if (command === 'mcp') {
    await runMcpServer({ root, storeDir, host, docFolders, readOnly: values['read-only'] === true, version: LORE_VERSION });
    return 0;
  }

  if (command !== 'index' && !(await storeExists(storeDir))) {
    throw new UserError(`no index at ${storeDir}: run 'lore index ${folder}' first`);
  }

  const embedModel = command === 'index' ? (values['no-embed'] ? undefined : ((values['embed-model'] as string) ?? DEFAULT_EMBED_MODEL)) : undefined;
  const bundle = values.from === undefined ? undefined : path.resolve(String(values.from));
  // Only `index` writes; the others read beside a running writer (another CLI, the extension).
  const embedHosts = hosts.length > 1 ? hosts.map((h) => normalizeHost(h)) : undefined;
  const index = await openIndex({ root, storeDir, host, embedHosts, embedModel, docFolders, log: warn, access: command === 'index' ? 'write' : 'read' });
  try {
    if (command !== 'index') warnAboutUnindexedDocs(index, docFolders, folder, warn);
    switch (command) {
      case 'index':
        if (bundle) await seedIndex(index, bundle, (values['embed-model'] as string) ?? DEFAULT_EMBED_MODEL, warn);
        return await runIndex(index, json, warn);
      case 'pack':
        return await runPack(index, path.resolve(String(values.out)), json);
      case 'status':
        return await runStatus(index, storeDir, docFolders, json);
      case 'query':
        return await runQuery(root, storeDir, host, question!, Number(values.k ?? 8), json, warn);
      case 'ask':
        return await runAskCommand(root, storeDir, host, question!, {
          model: (values.model as string) ?? DEFAULT_CHAT_MODEL,
          k: values.k === undefined ? undefined : Number(values.k),
          maxContextTokens: values['max-context'] === undefined ? undefined : Number(values['max-context']),
          rerank: values.rerank === true,
        }, warn);
    }
  } finally {
    await index.close();
  }
}

/** Absolute docs folders; each must exist, be a folder and lie outside `root` (inside, its files are indexed anyway). */
async function resolveDocFolders(root: string, docs: string[]): Promise<string[]> {
  const folders: string[] = [];
  for (const dir of docs) {
    const abs = path.resolve(dir);
    if (!(await fs.stat(abs).catch(() => undefined))?.isDirectory()) throw new UserError(`docs folder not found: ${dir}`);
    const inside = path.relative(root, abs);
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) throw new UserError(`--docs ${dir} is inside ${root}, whose files are indexed anyway`);
    if (!folders.includes(abs)) folders.push(abs);
  }
  return folders;
}

function warnAboutUnindexedDocs(index: WorkspaceIndex, docFolders: string[], folder: string, warn: (l: string) => void): void {
  const counts = docFilesIn(index, docFolders);
  for (const dir of docFolders) {
    if (!counts.get(dir)) warn(`nothing from ${dir} is in the index: run 'lore index ${folder} --docs ${dir}' first`);
  }
}

/** Indexed files per docs folder. */
function docFilesIn(index: WorkspaceIndex, docFolders: string[]): Map<string, number> {
  return docFileCounts(docFolders, Array.from(index.store.files(), (file) => file.path));
}

async function openIndex(o: { root: string; storeDir: string; host: string; embedHosts?: string[]; embedModel?: string; docFolders?: string[]; log: (l: string) => void; access: 'write' | 'read' }): Promise<WorkspaceIndex> {
  try {
    return await openWorkspaceIndex({ ...o, maxFileBytes: DEFAULT_MAX_FILE_BYTES });
  } catch (err) {
    throw new UserError(`cannot open the index at ${o.storeDir}: ${(err as Error).message}`);
  }
}

async function runIndex(index: WorkspaceIndex, json: boolean, warn: (l: string) => void): Promise<number> {
  const probe = await index.probeEmbeddings();
  if (probe && !probe.ok) {
    warn(`${probe.message}; indexing lexical-only (embeddings catch up on the next run)`);
    index.setEmbeddingsEnabled(false);
  }
  for (const refusal of (probe?.ok && probe.refused) || []) warn(refusal);
  const result = await index.indexer.syncAll();
  if (result.embedError) warn(`embeddings incomplete: ${result.embedError.message}`);
  const summary = {
    files: result.files,
    chunks: result.chunks,
    embedded: result.embedded,
    skipped: result.skipped.length,
    durationMs: result.durationMs,
    mode: result.mode,
  };
  if (json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(
      `Indexed ${summary.files} files (${summary.chunks} chunks, ${result.changed} changed, ${result.removed} removed) in ${summary.durationMs} ms; ` +
        `embedded ${summary.embedded}; mode ${summary.mode}; skipped ${summary.skipped}\n`,
    );
    for (const s of result.skipped) process.stdout.write(`  skipped ${s.path}: ${s.reason}\n`);
  }
  return 0;
}

async function seedIndex(index: WorkspaceIndex, file: string, embedModel: string, warn: (l: string) => void): Promise<void> {
  try {
    const seeded = await seedFromBundle({ file, store: index.store, cache: index.embedCache, embedModel });
    warn(`seeded from ${path.basename(file)}: ${seeded.files} file(s) taken, ${seeded.vectors} vector(s) reusable`);
  } catch (err) {
    if (err instanceof BundleError) throw new UserError(`cannot use the bundle ${file}: ${err.message}; the index was not changed`);
    throw err;
  }
}

async function runPack(index: WorkspaceIndex, out: string, json: boolean): Promise<number> {
  let packed;
  try {
    packed = await packStore(index.store, out);
  } catch (err) {
    throw new UserError(`cannot pack the index: ${(err as Error).message}`);
  }
  if (json) process.stdout.write(JSON.stringify({ out, ...packed }) + '\n');
  else process.stdout.write(`Packed ${packed.files} files (${packed.chunks} chunks, ${packed.vectors} vectors) into ${out} (${(packed.bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
  return 0;
}

async function runStatus(index: WorkspaceIndex, storeDir: string, docFolders: string[], json: boolean): Promise<number> {
  const stats = await index.store.stats();
  const docs = [...docFilesIn(index, docFolders)].map(([folder, files]) => ({ folder, files }));
  const status = { store: storeDir, ...stats, mode: searchMode({ chunks: stats.chunks, vectors: stats.vectors, embeddingsWork: true }), docFolders: docs };
  if (json) process.stdout.write(JSON.stringify(status) + '\n');
  else {
    process.stdout.write(
      [
        `Store:       ${storeDir}`,
        `Files:       ${stats.files}`,
        `Chunks:      ${stats.chunks}`,
        `Vectors:     ${stats.vectors}${stats.embedModel ? ` (${stats.embedModel}, ${stats.dims} dims)` : ''}`,
        `Mode:        ${status.mode}`,
        `Disk:        ${(stats.diskBytes / 1024 / 1024).toFixed(1)} MiB`,
        ...docs.map((d) => `Docs folder: ${d.folder} (${d.files} files, outside the repository)`),
      ].join('\n') + '\n',
    );
  }
  return 0;
}

/** Query and ask open the index with the model its vectors were made with, so the question is embedded alike. */
async function openForSearch(root: string, storeDir: string, host: string, warn: (l: string) => void): Promise<{ index: WorkspaceIndex; mode: 'hybrid' | 'lexical' }> {
  const probeIndex = await openIndex({ root, storeDir, host, log: warn, access: 'read' });
  const model = (await probeIndex.store.stats()).embedModel;
  if (!model || probeIndex.store.vectorCount() === 0) return { index: probeIndex, mode: 'lexical' };
  await probeIndex.close();
  const index = await openIndex({ root, storeDir, host, embedModel: model, log: warn, access: 'read' });
  const probe = await index.probeEmbeddings();
  if (probe && !probe.ok) {
    warn(`${probe.message}; searching lexical-only`);
    index.setEmbeddingsEnabled(false);
    return { index, mode: 'lexical' };
  }
  return { index, mode: 'hybrid' };
}

async function runQuery(root: string, storeDir: string, host: string, question: string, k: number, json: boolean, warn: (l: string) => void): Promise<number> {
  const { index } = await openForSearch(root, storeDir, host, warn);
  try {
    const { mode, results } = await index.retriever.retrieve(question, { k, readCurrent: readCurrent(root, index) });
    if (json) {
      const out = results.map((r) => ({
        path: r.chunk.path,
        startLine: r.chunk.startLine,
        endLine: r.chunk.endLine,
        ...locationOf(r.chunk),
        score: r.score,
        text: r.chunk.text,
        via: r.via,
      }));
      process.stdout.write(JSON.stringify({ mode, results: out }) + '\n');
    } else {
      if (!results.length) process.stdout.write('No results.\n');
      results.forEach((r, i) => {
        process.stdout.write(`[${i + 1}] ${sourceLabel(r.chunk)}${r.chunk.symbol ? `  ${r.chunk.symbol}` : ''}  (${r.via.join('+')}, ${r.score.toFixed(4)})\n`);
      });
    }
    return 0;
  } finally {
    await index.close();
  }
}

async function runAskCommand(
  root: string,
  storeDir: string,
  host: string,
  question: string,
  { model, k, maxContextTokens, rerank }: { model: string; k?: number; maxContextTokens?: number; rerank: boolean },
  warn: (l: string) => void,
): Promise<number> {
  const { index } = await openForSearch(root, storeDir, host, warn);
  try {
    const answer = await runAsk({
      root,
      host,
      model,
      question,
      k,
      maxContextTokens,
      retriever: index.retriever,
      rerank,
      readCurrent: readCurrent(root, index),
      onToken: (t) => process.stdout.write(t),
    });
    process.stdout.write('\n\nSources:\n');
    answer.sources.forEach((s, i) => process.stdout.write(`[${i + 1}] ${sourceLabel(s.chunk)}\n`));
    return 0;
  } catch (err) {
    throw new UserError((err as Error).message);
  } finally {
    await index.close();
  }
}

/** Current text for the freshness check: files as on disk, documents as indexed while unchanged. */
function readCurrent(root: string, index: WorkspaceIndex) {
  return documentAwareReader(root, index.store, (key) => fs.readFile(resolveIndexedPath(root, key), 'utf8').catch(() => undefined));
}

async function storeExists(dir: string): Promise<boolean> {
  return !!(await fs.stat(dir).catch(() => undefined))?.isDirectory();
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) {
        if (err.message) process.stderr.write(`lore: ${err.message}\n\n`);
        process.stderr.write(USAGE + '\n');
        process.exit(err.message ? 2 : 0);
      }
      process.stderr.write(`lore: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
