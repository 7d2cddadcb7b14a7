/** Polls `attempt` until it returns a value; fails naming `what` after `limitMs`. */
export async function waitFor<T>(what: string, attempt: () => Promise<T | undefined>, limitMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const value = await attempt();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${limitMs} ms waiting until ${what}`);
}
