// Runs FakeOllama as its own process for the VS Code integration harness and the CLI tests:
//   node out/test/support/fakeOllamaMain.js [port]
// Port from argv or $FAKE_OLLAMA_PORT (default: any free port); installed models from
// $FAKE_OLLAMA_MODELS (a JSON array of FakeModel) or the defaults; a fixed chat reply from
// $FAKE_OLLAMA_REPLY; with $FAKE_OLLAMA_API_KEY every request needs that bearer key. Prints `FAKE_OLLAMA_URL=<url>` once listening; stops on SIGTERM/SIGINT.
// Other processes read what it received and change its reply through the `/__` control endpoints
// (see FakeOllama.control).
import { FakeOllama, type FakeModel } from './fakeOllama';

async function main(): Promise<void> {
  const portText = process.argv[2] ?? process.env.FAKE_OLLAMA_PORT ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${portText}"`);
  const models = process.env.FAKE_OLLAMA_MODELS ? (JSON.parse(process.env.FAKE_OLLAMA_MODELS) as FakeModel[]) : undefined;

  const fake = await FakeOllama.start({ port, models, apiKey: process.env.FAKE_OLLAMA_API_KEY || undefined });
  if (process.env.FAKE_OLLAMA_REPLY) fake.chat.reply = process.env.FAKE_OLLAMA_REPLY;
  process.stdout.write(`FAKE_OLLAMA_URL=${fake.url}\n`);

  const shutdown = (): void => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake ollama: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
