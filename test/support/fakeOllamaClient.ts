// Talks to a FakeOllama running in another process through its test-only `/__` endpoints: what it
// received, and the reply it streams. Used from the VS Code extension host and the end-to-end runner.
import type { RecordedRequest } from './fakeOllama';

export interface ObservedRequests {
  /** Every Ollama-API request so far, oldest first. */
  requests: RecordedRequest[];
  /** Streamed chat answers whose client disconnected before the end. */
  abortedChats: number;
}

export async function observedRequests(baseUrl: string): Promise<ObservedRequests> {
  const res = await fetch(`${baseUrl}/__requests`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/__requests answered HTTP ${res.status}`);
  return (await res.json()) as ObservedRequests;
}

export async function setFakeChat(baseUrl: string, settings: { reply?: string; tokenDelayMs?: number }): Promise<void> {
  const res = await fetch(`${baseUrl}/__chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
  if (!res.ok) throw new Error(`POST ${baseUrl}/__chat answered HTTP ${res.status}: ${await res.text()}`);
}

/** A streamed `/api/chat` request: an answer (the follow-up rewrite is a non-streamed one). */
export function isAnswerRequest(request: RecordedRequest): boolean {
  return request.method === 'POST' && request.path === '/api/chat' && request.body?.stream !== false;
}

/** The last user message of a chat request: where the sources, the selection and the question are. */
export function userPromptOf(request: RecordedRequest): string {
  const messages: Array<{ role: string; content: string }> = Array.isArray(request.body?.messages) ? request.body.messages : [];
  return messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
}

export interface PromptSource {
  n: number;
  path: string;
  startLine: number;
  endLine: number;
  /** The source's text, between its fences. */
  text: string;
}

/** The numbered `[n] path:start-end (language)` source blocks of a prompt, in order. */
export function promptSources(prompt: string): PromptSource[] {
  const sources: PromptSource[] = [];
  for (const m of prompt.matchAll(/^\[(\d+)\] (\S+):(\d+)-(\d+) \([^\n]*\)\n(`{3,})[^\n]*\n([\s\S]*?)\n\5$/gm)) {
    sources.push({ n: Number(m[1]), path: m[2], startLine: Number(m[3]), endLine: Number(m[4]), text: m[6] });
  }
  return sources;
}
