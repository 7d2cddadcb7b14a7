// `lore mcp`: the MCP server over stdio. stdout carries protocol frames only; every log line goes to
// stderr. The server answers `initialize` at once and opens the index meanwhile: tool calls wait for it.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { LiveIndex, type LiveIndexOptions } from './liveIndex';
import { createMcpServer, type McpIndex } from './server';

export async function runMcpServer(options: Omit<LiveIndexOptions, 'log'> & { version: string }): Promise<void> {
  const log = (line: string) => process.stderr.write(`lore mcp: ${line}\n`);
  // Anything a library prints to stdout would corrupt the protocol stream.
  console.log = console.info = console.debug = (...args: unknown[]) => log(args.map(String).join(' '));

  const opening = LiveIndex.open({ ...options, log });
  opening.catch((err) => log(`cannot open the index at ${options.storeDir}: ${err instanceof Error ? err.message : err}`));
  const index: McpIndex = {
    search: async (input, signal) => (await opening).search(input, signal),
    status: async () => (await opening).status(),
  };
  const server = createMcpServer(index, options.version);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
  log(`serving ${options.root} (index at ${options.storeDir})`);

  // The client ends the session by closing stdin (or with a signal).
  process.stdin.on('end', () => void server.close());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close());
  await closed;
  await (await opening.catch(() => undefined))?.close();
}
