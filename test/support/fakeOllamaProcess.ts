// The fake Ollama server (fakeOllamaMain) as a separate process, for harnesses whose tests run in
// another process (the VS Code extension host) and so cannot share an in-process FakeOllama.
import * as path from 'node:path';
import { spawnManaged } from './processes';

export interface FakeOllamaProcess {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** `env` is passed on top of this process's (FAKE_OLLAMA_MODELS, FAKE_OLLAMA_REPLY, ...). */
export async function startFakeOllamaProcess(env: NodeJS.ProcessEnv = {}): Promise<FakeOllamaProcess> {
  const main = path.join(__dirname, 'fakeOllamaMain.js');
  const fake = spawnManaged(process.execPath, [main], { env: { ...process.env, ...env } });
  try {
    const [, url] = await fake.waitForOutput(/FAKE_OLLAMA_URL=(\S+)/, 15_000);
    return { url, stop: () => fake.stop() };
  } catch (err) {
    await fake.stop();
    throw err;
  }
}
