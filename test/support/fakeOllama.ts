// A real HTTP server that speaks the parts of Ollama's REST API Lore uses, with knobs to inject the
// failures a shared local Ollama really shows (slow, down, hanging, 5xx, wrong model), so the embedder,
// the chat flow, the CLI and the VS Code harness are tested over loopback HTTP instead of mocks.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeModel {
  name: string;
  kind: 'embed' | 'chat';
  /** Embedding size (embed models); default 64. */
  dims?: number;
  /** Default 2048 for embed models, 8192 for chat models. */
  contextLength?: number;
}

export interface FakeOllamaOptions {
  /** Installed models; default `nomic-embed-text` (embed, 64 dims) and `llama3.2` (chat). */
  models?: FakeModel[];
  /** Models `/api/pull` can fetch from the fake "registry". */
  pullable?: FakeModel[];
  /** Default 0: any free port. */
  port?: number;
  /** Every Ollama-API request must carry `Authorization: Bearer <apiKey>` (none: 401, another key: 403), as behind a team's proxy. */
  apiKey?: string;
  /** Serve https:// with this certificate (PEM) instead of http://. */
  tls?: { key: string; cert: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body; `{ raw }` when it is not a JSON object; `{}` when empty. */
  body: OllamaRequestBody;
  /** The Authorization header, when one was sent. */
  authorization?: string;
  /** The HTTP status answered, once the answer is complete (none while in flight or when cut off). */
  status?: number;
}

/** The request fields of Ollama's API that the fake reads; anything else a client sent is kept too. */
export interface OllamaRequestBody {
  model?: string;
  name?: string;
  input?: string | string[];
  truncate?: boolean;
  messages?: Array<{ role: string; content: string }>;
  stream?: boolean;
  options?: { num_ctx?: number; temperature?: number; [option: string]: unknown };
  format?: unknown;
  keep_alive?: unknown;
  raw?: string;
  [field: string]: unknown;
}

export interface FakeFaults {
  /** Delay before every response. */
  latencyMs: number;
  /** The next N requests answer `failStatus` with an `{"error"}` body. */
  failNext: number;
  failStatus: number;
  /** Accept requests but never answer them; setting it back to false answers the held ones. */
  hang: boolean;
  /** Embeddings come back one dimension longer than the model's. */
  wrongDims: boolean;
}

export interface FakeChat {
  reply: string | ((messages: Array<{ role: string; content: string }>) => string);
  tokenDelayMs: number;
  /** After this many tokens the stream sends `{"error": ...}` and ends. */
  errorAfterTokens?: number;
}

export const DEFAULT_FAKE_MODELS: FakeModel[] = [
  { name: 'nomic-embed-text', kind: 'embed', dims: 64 },
  { name: 'llama3.2', kind: 'chat' },
];

export const FAKE_OLLAMA_VERSION = '0.9.6';
export const FAKE_STREAM_ERROR = 'fake stream failure';

const DEFAULT_EMBED_DIMS = 64;
/** Paths of the test-only control endpoints; Ollama has none under it. */
const CONTROL_PREFIX = '/__';
const CHAT_EMBEDDING_LENGTH = 3072;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeOllama {
  readonly requests: RecordedRequest[] = [];
  readonly chat: FakeChat = {
    reply: (messages) => `Fake answer to: ${messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''}`,
    tokenDelayMs: 0,
  };
  /** Delay between `/api/pull` progress lines. */
  pullStepDelayMs = 0;
  /** Requests currently being handled, and the most seen at once (for concurrency assertions). */
  inFlight = 0;
  maxInFlight = 0;
  /** Streamed chat responses the client disconnected from before the end. */
  abortedChats = 0;
  readonly faults: FakeFaults;

  private readonly models = new Map<string, FakeModel>();
  private readonly pullable = new Map<string, FakeModel>();
  private readonly sockets = new Set<Socket>();
  private readonly held: Array<() => void> = [];
  private readonly disconnected = new WeakSet<http.ServerResponse>();
  private server: http.Server;
  private port: number;
  private readonly apiKey: string | undefined;
  private readonly tls: FakeOllamaOptions['tls'];

  private constructor(options: FakeOllamaOptions) {
    for (const m of options.models ?? DEFAULT_FAKE_MODELS) this.addModel(m);
    for (const m of options.pullable ?? []) this.addPullable(m);
    this.port = options.port ?? 0;
    this.apiKey = options.apiKey;
    this.tls = options.tls;
    this.server = this.createServer();
    let hang = false;
    const held = this.held;
    this.faults = {
      latencyMs: 0,
      failNext: 0,
      failStatus: 500,
      wrongDims: false,
      get hang() {
        return hang;
      },
      set hang(value: boolean) {
        hang = value;
        if (!value) for (const release of held.splice(0)) release();
      },
    };
  }

  static async start(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
    const fake = new FakeOllama(options);
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  addModel(m: FakeModel): void {
    this.models.set(withTag(m.name), m);
  }

  removeModel(name: string): void {
    this.models.delete(withTag(name));
  }

  addPullable(m: FakeModel): void {
    this.pullable.set(withTag(m.name), m);
  }

  hasModel(name: string): boolean {
    return this.models.has(withTag(name));
  }

  /** Refuses connections (nothing listens on the port) until `restart()`. */
  async goDown(): Promise<void> {
    await this.closeServer();
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    if (this.server.listening) return;
    this.server = this.createServer();
    await this.listen();
  }

  async stop(): Promise<void> {
    this.held.length = 0;
    await this.closeServer();
  }

  private createServer(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.handle(req, res);
    const server = this.tls ? https.createServer({ key: this.tls.key, cert: this.tls.cert }, handler) : http.createServer(handler);
    // As Ollama's Go server: no idle timeout on kept-alive connections. Node's default (5 s) closed
    // them under a client in the same process that reused one after a long busy stretch (eval's
    // first \`lore ask\`: "connection reset").
    server.keepAliveTimeout = 0;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    if (!server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => {
      this.inFlight--;
      if (!res.writableFinished) this.disconnected.add(res);
    });
    try {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0];
      const body = parseBody(raw);
      if (path.startsWith(CONTROL_PREFIX)) return this.control(req.method ?? 'GET', path, body, res);
      const authorization = req.headers.authorization;
      const record: RecordedRequest = { method: req.method ?? 'GET', path, body, ...(authorization !== undefined ? { authorization } : {}) };
      this.requests.push(record);
      res.on('finish', () => (record.status = res.statusCode));
      if (this.apiKey !== undefined && authorization !== `Bearer ${this.apiKey}`) {
        throw authorization === undefined ? new HttpError(401, 'unauthorized') : new HttpError(403, 'forbidden: invalid API key');
      }
      if (this.faults.hang) await new Promise<void>((resolve) => this.held.push(resolve));
      if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
      if (this.disconnected.has(res)) return;
      if (this.faults.failNext > 0) {
        this.faults.failNext--;
        throw new HttpError(this.faults.failStatus, `fake failure (HTTP ${this.faults.failStatus})`);
      }
      if (body.raw !== undefined) throw new HttpError(400, 'invalid character in request body: not JSON');
      await this.route(req.method ?? 'GET', path, body, res);
    } catch (err) {
      if (res.headersSent || this.disconnected.has(res)) {
        res.destroy();
        return;
      }
      const status = err instanceof HttpError ? err.status : 500;
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Test-only endpoints, for tests that run in another process than the fake (the VS Code extension
   * host, an end-to-end runner): `GET /__requests` returns `{ requests, abortedChats }` (the
   * recorded Ollama-API requests, oldest first); `POST /__chat` sets `reply` and `tokenDelayMs`.
   * They are never recorded themselves.
   */
  private control(method: string, path: string, body: OllamaRequestBody, res: http.ServerResponse): void {
    if (method === 'GET' && path === `${CONTROL_PREFIX}requests`) return sendJson(res, 200, { requests: this.requests, abortedChats: this.abortedChats });
    if (method === 'POST' && path === `${CONTROL_PREFIX}chat`) {
      const { reply, tokenDelayMs } = body;
      if (reply !== undefined && typeof reply !== 'string') throw new HttpError(400, 'reply must be a string');
      if (tokenDelayMs !== undefined && !(typeof tokenDelayMs === 'number' && Number.isInteger(tokenDelayMs) && tokenDelayMs >= 0)) throw new HttpError(400, 'tokenDelayMs must be an integer >= 0');
      if (reply !== undefined) this.chat.reply = reply;
      if (tokenDelayMs !== undefined) this.chat.tokenDelayMs = tokenDelayMs;
      return sendJson(res, 200, { tokenDelayMs: this.chat.tokenDelayMs });
    }
    throw new HttpError(404, `unknown control endpoint ${method} ${path}`);
  }

  private async route(method: string, path: string, body: OllamaRequestBody, res: http.ServerResponse): Promise<void> {
    const get = method === 'GET' || method === 'HEAD';
    switch (`${get ? 'GET' : method} ${path}`) {
      case 'GET /':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(method === 'HEAD' ? undefined : 'Ollama is running');
        return;
      case 'GET /api/version':
        return sendJson(res, 200, { version: FAKE_OLLAMA_VERSION });
      case 'GET /api/tags':
        return sendJson(res, 200, { models: [...this.models.entries()].map(([name, m]) => tagEntry(name, m)) });
      case 'POST /api/show':
        return sendJson(res, 200, this.show(body));
      case 'POST /api/embed':
        return sendJson(res, 200, this.embed(body));
      case 'POST /api/chat':
        return this.chatResponse(body, res);
      case 'POST /api/pull':
        return this.pull(body, res);
    }
    const known = ['/', '/api/version', '/api/tags', '/api/show', '/api/embed', '/api/chat', '/api/pull'];
    res.writeHead(known.includes(path) ? 405 : 404, { 'Content-Type': 'text/plain' });
    res.end(known.includes(path) ? '405 method not allowed' : '404 page not found');
  }

  private requireModel(body: OllamaRequestBody): FakeModel {
    const name = body.model ?? body.name;
    if (typeof name !== 'string' || !name) throw new HttpError(400, 'model is required');
    const model = this.models.get(withTag(name));
    if (!model) throw new HttpError(404, `model "${name}" not found, try pulling it first`);
    return model;
  }

  private show(body: OllamaRequestBody): object {
    const model = this.requireModel(body);
    const arch = model.kind === 'embed' ? 'nomic-bert' : 'llama';
    return {
      license: '',
      modelfile: `FROM ${model.name}`,
      parameters: model.kind === 'chat' ? 'stop "<|eot_id|>"' : '',
      template: '{{ .Prompt }}',
      details: modelDetails(model),
      model_info: {
        'general.architecture': arch,
        [`${arch}.context_length`]: contextLengthOf(model),
        [`${arch}.embedding_length`]: model.kind === 'embed' ? dimsOf(model) : CHAT_EMBEDDING_LENGTH,
      },
      capabilities: model.kind === 'embed' ? ['embedding'] : ['completion', 'tools'],
      modified_at: new Date(0).toISOString(),
    };
  }

  private embed(body: OllamaRequestBody): object {
    const model = this.requireModel(body);
    if (model.kind !== 'embed') throw new HttpError(400, `"${model.name}" does not support embeddings`);
    const inputs: unknown[] = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
    if (!inputs.length || inputs.some((i) => typeof i !== 'string')) throw new HttpError(400, 'invalid input type: input must be a string or an array of strings');
    const maxChars = contextLengthOf(model) * 4;
    if (body.truncate === false && inputs.some((i) => (i as string).length > maxChars)) {
      throw new HttpError(400, 'the input length exceeds the context length');
    }
    const dims = dimsOf(model) + (this.faults.wrongDims ? 1 : 0);
    return {
      model: body.model,
      embeddings: inputs.map((i) => fakeEmbedding((i as string).slice(0, maxChars), dims)),
      total_duration: 1000,
      load_duration: 100,
      prompt_eval_count: inputs.reduce<number>((n, i) => n + Math.ceil((i as string).length / 4), 0),
    };
  }

  private async chatResponse(body: OllamaRequestBody, res: http.ServerResponse): Promise<void> {
    const model = this.requireModel(body);
    if (model.kind !== 'chat') throw new HttpError(400, `"${model.name}" does not support chat`);
    const messages: Array<{ role: string; content: string }> = Array.isArray(body.messages) ? body.messages : [];
    const reply = typeof this.chat.reply === 'function' ? this.chat.reply(messages) : this.chat.reply;
    const promptChars = messages.reduce((n, m) => n + String(m.content ?? '').length, 0);
    const stats = {
      done_reason: 'stop',
      total_duration: 2000,
      load_duration: 100,
      prompt_eval_count: Math.ceil(promptChars / 4),
      prompt_eval_duration: 500,
      eval_count: 0,
      eval_duration: 1000,
    };
    const tokens = splitTokens(reply);
    stats.eval_count = tokens.length;
    if (body.stream === false) {
      return sendJson(res, 200, { model: body.model, created_at: now(), message: { role: 'assistant', content: reply }, done: true, ...stats });
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    const { errorAfterTokens } = this.chat;
    for (const token of tokens.slice(0, errorAfterTokens ?? tokens.length)) {
      if (this.disconnected.has(res)) break;
      res.write(JSON.stringify({ model: body.model, created_at: now(), message: { role: 'assistant', content: token }, done: false }) + '\n');
      if (this.chat.tokenDelayMs > 0) await sleep(this.chat.tokenDelayMs);
    }
    if (this.disconnected.has(res)) {
      this.abortedChats++;
      return;
    }
    const last = errorAfterTokens !== undefined ? { error: FAKE_STREAM_ERROR } : { model: body.model, created_at: now(), message: { role: 'assistant', content: '' }, done: true, ...stats };
    res.end(JSON.stringify(last) + '\n');
  }

  private async pull(body: OllamaRequestBody, res: http.ServerResponse): Promise<void> {
    const name = body.model ?? body.name;
    if (typeof name !== 'string' || !name) throw new HttpError(400, 'model is required');
    const found = this.pullable.get(withTag(name)) ?? this.models.get(withTag(name));
    const failure = `pull model manifest: file does not exist`;
    if (body.stream === false) {
      if (!found) throw new HttpError(500, failure);
      this.addModel(found);
      return sendJson(res, 200, { status: 'success' });
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    const total = 1_000_000;
    const digest = `sha256:${hashWord(name).toString(16).padStart(8, '0').repeat(8)}`;
    const lines: object[] = found
      ? [
          { status: 'pulling manifest' },
          ...[0, 0.25, 0.5, 1].map((f) => ({ status: `pulling ${digest.slice(7, 19)}`, digest, total, completed: total * f })),
          { status: 'verifying sha256 digest' },
          { status: 'writing manifest' },
          { status: 'success' },
        ]
      : [{ status: 'pulling manifest' }, { error: failure }];
    for (const line of lines) {
      if (this.disconnected.has(res)) return;
      res.write(JSON.stringify(line) + '\n');
      if (this.pullStepDelayMs > 0) await sleep(this.pullStepDelayMs);
    }
    if (found && !this.disconnected.has(res)) this.addModel(found);
    res.end();
  }
}

/**
 * The deterministic embedding the fake returns: a hashed bag of words (lowercased identifier parts,
 * camelCase/snake_case split) projected to `dims`, L2-normalised, so texts sharing words are similar.
 */
export function fakeEmbedding(text: string, dims: number): number[] {
  const vector = new Array<number>(dims).fill(0);
  for (const word of identifierWords(text)) {
    const h = hashWord(word);
    vector[h % dims] += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  // A text without words still gets a valid unit vector, as a real model would give one.
  if (norm === 0) return vector.map((_, i) => (i === 0 ? 1 : 0));
  return vector.map((x) => x / norm);
}

/** `parseHTTPRequest_v2` -> parse, http, request, v, 2. */
export function identifierWords(text: string): string[] {
  return (text.match(/\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+/gu) ?? []).map((w) => w.toLowerCase());
}

/** Reply tokens: each word with the whitespace before it, so joining them gives the reply back. */
export function splitTokens(reply: string): string[] {
  return reply.match(/\s*\S+|\s+$/g) ?? [];
}

function hashWord(word: string): number {
  // FNV-1a, 32 bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

function dimsOf(m: FakeModel): number {
  return m.dims ?? DEFAULT_EMBED_DIMS;
}

function contextLengthOf(m: FakeModel): number {
  return m.contextLength ?? (m.kind === 'embed' ? 2048 : 8192);
}

function modelDetails(m: FakeModel): object {
  const family = m.kind === 'embed' ? 'nomic-bert' : 'llama';
  return { parent_model: '', format: 'gguf', family, families: [family], parameter_size: m.kind === 'embed' ? '137M' : '3.2B', quantization_level: 'F16' };
}

function tagEntry(name: string, m: FakeModel): object {
  const digest = hashWord(name).toString(16).padStart(8, '0').repeat(8);
  return { name, model: name, modified_at: new Date(0).toISOString(), size: m.kind === 'embed' ? 274_302_450 : 2_019_393_189, digest, details: modelDetails(m) };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): OllamaRequestBody {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as OllamaRequestBody;
  } catch {
    // not JSON: kept as text below
  }
  return { raw };
}

function sendJson(res: http.ServerResponse, status: number, value: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function now(): string {
  return new Date().toISOString();
}
