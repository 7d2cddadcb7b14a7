// One Ollama client call, bounded by the caller's signal and a deadline, with its failure sorted into
// what the callers act on.
import type { Ollama } from 'ollama';
import { createOllamaClient } from './client';

/** The request got no complete answer within its deadline (a hung or overloaded server). */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${formatSeconds(timeoutMs)}`);
  }
}

export type CallFailure =
  /** Ollama answered with an HTTP error status. */
  | { kind: 'http'; status: number; message: string }
  /** No connection, or it broke: refused, reset, closed mid-answer, host not found. */
  | { kind: 'network'; message: string }
  | { kind: 'timeout'; message: string }
  /** Anything else (a malformed answer, a bug): not worth retrying. */
  | { kind: 'other'; message: string };

/**
 * Runs `call` with a client whose every request carries `signal` and a `timeoutMs` deadline (none
 * when undefined). Rejects with the signal's reason when the caller aborted, `RequestTimeoutError`
 * when the deadline passed, otherwise with the client's own error.
 */
export async function callOllama<T>(host: string, timeoutMs: number | undefined, signal: AbortSignal | undefined, call: (client: Ollama) => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
  const bound = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  const client = createOllamaClient(host, bound);
  try {
    return await call(client);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function classifyFailure(err: unknown): CallFailure {
  if (err instanceof RequestTimeoutError) return { kind: 'timeout', message: err.message };
  if (isResponseError(err)) return { kind: 'http', status: err.status_code, message: err.error || err.message };
  // Node's fetch reports transport failures as `TypeError: fetch failed` (connect) or `terminated`
  // (body cut off), with the socket error as the cause.
  if (err instanceof TypeError && (err.message === 'fetch failed' || err.message === 'terminated')) {
    return { kind: 'network', message: describeNetworkError(err.cause) };
  }
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}

function isResponseError(err: unknown): err is Error & { status_code: number; error: string } {
  return err instanceof Error && err.name === 'ResponseError' && typeof (err as { status_code?: unknown }).status_code === 'number';
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** Certificate failures of an https:// host, most often a team's own CA that Node does not know. */
const UNTRUSTED_CERTIFICATE = /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/;

function describeNetworkError(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code];
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.test(code)) {
    return `its TLS certificate is not trusted (${code}); if it comes from your own CA, set NODE_EXTRA_CA_CERTS to that CA's PEM file`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'its TLS certificate is for another host name';
  if (typeof code === 'string') return code;
  return cause instanceof Error ? cause.message : 'connection failed';
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
