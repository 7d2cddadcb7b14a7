// Lore's index as MCP tools, with the official SDK: `search` (excerpts as text for the model, and the
// same results as structured content for programs) and `status`. Whatever an agent sends, a call
// ends in a result: bad input comes back as a tool error whose text says what to fix.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { formatExcerpts, MAX_SEARCH_K, SEARCH_PARAMETERS, SEARCH_TOOL_DESCRIPTION, type AgentSearchOutput } from '../core/retrieve';
import type { LiveStatus } from './liveIndex';

/** What the tools need from the index (the live index, or a stand-in in tests). */
export interface McpIndex {
  search(input: unknown, signal?: AbortSignal): Promise<AgentSearchOutput & { indexing?: boolean }>;
  status(): Promise<LiveStatus>;
}

const resultShape = z.object({
  path: z.string().describe('POSIX path relative to the folder'),
  startLine: z.number().int().describe('first line, 1-based'),
  endLine: z.number().int().describe('last line, inclusive'),
  score: z.number(),
  text: z.string().describe('the excerpt, secrets masked'),
  symbol: z.string().optional(),
  language: z.string(),
});

export function createMcpServer(index: McpIndex, version: string): McpServer {
  const server = new McpServer({ name: 'lore', title: 'Lore', version });

  server.registerTool(
    'search',
    {
      title: 'Search the codebase (Lore)',
      description: SEARCH_TOOL_DESCRIPTION,
      inputSchema: {
        query: z.string().describe(SEARCH_PARAMETERS.query),
        k: z.number().int().min(1).max(MAX_SEARCH_K).optional().describe(SEARCH_PARAMETERS.k),
        path: z.string().optional().describe(SEARCH_PARAMETERS.path),
      },
      outputSchema: { mode: z.enum(['hybrid', 'lexical']), results: z.array(resultShape) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      const output = await index.search(args, extra.signal);
      const note = output.indexing ? '\n\n(Lore is still indexing this folder: results may be incomplete.)' : '';
      const structured = { mode: output.mode, results: output.results };
      return { content: [{ type: 'text', text: formatExcerpts(args.query, output) + note }], structuredContent: structured };
    },
  );

  server.registerTool(
    'status',
    {
      title: 'Index status (Lore)',
      description: "The state of Lore's index of this folder: files, chunks, vectors, search mode (hybrid or lexical), whether it is indexing, and when it last changed.",
      outputSchema: {
        folder: z.string(),
        store: z.string(),
        access: z.enum(['write', 'read-only']),
        indexing: z.boolean(),
        files: z.number(),
        chunks: z.number(),
        vectors: z.number(),
        mode: z.enum(['hybrid', 'lexical']),
        embedModel: z.string().optional(),
        lastIndexed: z.string().optional(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const status = await index.status();
      const text =
        `${status.files} files, ${status.chunks} chunks, ${status.vectors} vectors; ${status.mode} search` +
        `${status.indexing ? '; indexing' : ''}; ${status.access === 'write' ? 'kept fresh by this server' : 'read-only (another Lore process writes it)'}` +
        `${status.lastIndexed ? `; last changed ${status.lastIndexed}` : ''}.`;
      return { content: [{ type: 'text', text }], structuredContent: { ...status } };
    },
  );
  return server;
}
