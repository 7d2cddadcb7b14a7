// Follow-ups through runAsk: the user's own words are always searched, and the chat model's rewrite
// only adds to them. A real folder indexed by the real pipeline, a real HTTP server speaking
// Ollama's API whose rewrites are nonsense that matches other files.
import * as assert from 'node:assert/strict';
import { runAsk } from '../../../src/core/ask';
import type { ChatMessage } from '../../../src/core/prompt';
import { FakeOllama, type RecordedRequest } from '../../support/fakeOllama';
import { isAnswerRequest, promptSources, userPromptOf } from '../../support/fakeOllamaClient';
import { indexedFolder, type IndexedFolder } from '../../support/indexedFolder';

const HISTORY: ChatMessage[] = [
  { role: 'user', content: 'How are invoices printed?' },
  { role: 'assistant', content: 'By the printer module [1].' },
];
/** What the test server answers to every rewrite request: words that match two unrelated files. */
const NONSENSE_REWRITE = 'banana spaceship invoice banana spaceship printer';

function isRewriteRequest(request: RecordedRequest): boolean {
  return request.path === '/api/chat' && request.body?.stream === false && /standalone search query/.test(request.body?.messages?.[0]?.content ?? '');
}

describe('runAsk with follow-up questions', function () {
  this.timeout(30_000);
  let folder: IndexedFolder;
  let fake: FakeOllama;

  before(async () => {
    folder = await indexedFolder('lore-ask-followup-', {
      'ledger.py': 'def wombat_ledger_reconcile(entries):\n    """Reconciles the marmalade ledger of a wombat."""\n    return sum(e.amount for e in entries)\n',
      'space.py': 'def banana_spaceship_invoice():\n    """Banana spaceship invoice banana spaceship."""\n    return "banana spaceship"\n',
      'printer.py': 'def print_invoice(invoice):\n    """Prints a spaceship invoice on the banana printer."""\n    return str(invoice)\n',
      'jobs.py': 'from ledger import wombat_ledger_reconcile\n\ndef nightly():\n    return wombat_ledger_reconcile([])\n',
    });
  });
  after(() => folder.dispose());

  beforeEach(async () => {
    fake = await FakeOllama.start();
    fake.chat.reply = (messages) => (/standalone search query/.test(messages[0]?.content ?? '') ? NONSENSE_REWRITE : 'An answer [1].');
  });
  afterEach(async () => {
    await fake.stop();
  });

  async function ask(question: string): Promise<{ sources: string[]; rewrites: number }> {
    await runAsk({
      root: folder.root,
      host: fake.url,
      model: 'llama3.2',
      question,
      history: HISTORY,
      k: 3,
      retriever: folder.retriever(),
      readCurrent: folder.readCurrent,
      onToken: () => {},
    });
    const answer = fake.requests.find(isAnswerRequest)!;
    return { sources: promptSources(userPromptOf(answer)).map((s) => s.path), rewrites: fake.requests.filter(isRewriteRequest).length };
  }

  it('searches a question that stands alone as asked, without a rewrite', async () => {
    const { sources, rewrites } = await ask('where is the marmalade wombat ledger reconciled?');
    assert.equal(rewrites, 0);
    assert.equal(sources[0], 'ledger.py');
  });

  it('still ranks the function the user named first when the rewrite of a follow-up is nonsense', async () => {
    const { sources, rewrites } = await ask('and where is that marmalade wombat ledger reconciled?');
    assert.equal(rewrites, 1, 'a follow-up that points back is rewritten');
    assert.equal(sources[0], 'ledger.py');
    assert.ok(sources.includes('space.py'), `the rewrite's candidates are added: ${sources.join(', ')}`);
  });

  it("finds through a sensible rewrite what the follow-up's own words cannot name", async () => {
    fake.chat.reply = (messages) => (/standalone search query/.test(messages[0]?.content ?? '') ? 'callers of wombat_ledger_reconcile' : 'An answer [1].');
    const { sources } = await ask('and who calls it?');
    assert.ok(sources.slice(0, 2).includes('jobs.py'), sources.join(', '));
  });
});
