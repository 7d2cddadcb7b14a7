export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
const DEFAULT_OLLAMA_PORT = '11434';

/**
 * The Ollama base URL to talk to. Empty -> $OLLAMA_HOST -> the local default. Accepts what Ollama's own
 * CLI accepts in OLLAMA_HOST (`host`, `host:port`, `:port`, a full URL); a bare host gets Ollama's port.
 * `0.0.0.0` / `::` are addresses a server binds to, not ones a client can reach, so they become loopback.
 */
export function normalizeHost(host: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let text = host?.trim() || env.OLLAMA_HOST?.trim() || DEFAULT_OLLAMA_HOST;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (schemeMatch) {
    const scheme = schemeMatch[1].toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw new Error(`Unsupported Ollama host "${text}": use an http:// or https:// URL.`);
    }
  } else {
    if (text.startsWith(':')) text = `127.0.0.1${text}`;
    text = `http://${text}`;
  }

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Invalid Ollama host "${host?.trim() || env.OLLAMA_HOST}": expected a URL like ${DEFAULT_OLLAMA_HOST}.`);
  }
  if (!url.hostname) throw new Error(`Invalid Ollama host "${text}": no host name.`);
  // fetch refuses URLs with credentials, so say so here rather than on every request.
  if (url.username || url.password) throw new Error(`Ollama host "${url.host}" must not contain a user name or password.`);
  if (!schemeMatch && !url.port) url.port = DEFAULT_OLLAMA_PORT;
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}
