// The key sent to Ollama servers behind an authenticating reverse proxy (a team's shared GPU host).
// `OLLAMA_API_KEY` is the name Ollama's own clients read; the extension may set one from VS Code's
// SecretStorage instead, which wins. The key only ever goes into the Authorization header.

let keyFromUser: string | undefined;

/** The key the user set in the editor (undefined or blank: fall back to `OLLAMA_API_KEY`). */
export function setOllamaApiKey(key: string | undefined): void {
  keyFromUser = key?.trim() || undefined;
}

export function ollamaApiKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return keyFromUser ?? (env.OLLAMA_API_KEY?.trim() || undefined);
}

/** What a 401 or 403 means to the user, and what to do about it. */
export function authFailureMessage(host: string, status: number, env: NodeJS.ProcessEnv = process.env): string {
  const action = 'set OLLAMA_API_KEY, or run "Lore: Set Ollama API Key" in VS Code';
  return ollamaApiKey(env)
    ? `The server at ${host} refused the API key (HTTP ${status}): check the key (${action}).`
    : `The server at ${host} needs an API key (HTTP ${status}): ${action}.`;
}

export function isAuthStatus(status: number): boolean {
  return status === 401 || status === 403;
}
