// What `lore ask` actually sends the model: runAsk against the test Ollama server at Lore's default
// context (8192 tokens) and k, and which of the prompt's numbered sources hold the gold line. Retrieval
// can find the answer and the prompt still lose it (long merged excerpts use the budget up), so the
// eval reports both.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runAsk } from '../src/core/ask';
import { showsLine, type Retriever } from '../src/core/retrieve';
import type { FakeOllama } from '../test/support/fakeOllama';
import { isAnswerRequest, promptSources, userPromptOf, type PromptSource } from '../test/support/fakeOllamaClient';
import type { EvalQuery } from './corpora';
import { firstGoldRank } from './metrics';

/** `lore ask`'s default number of sources (src/cli.ts). */
export const ASK_K = 8;

/** For each question, the 1-based position of the first prompt source holding a gold line (undefined: none does). */
export async function promptGoldRanks(fake: FakeOllama, root: string, retriever: Retriever, queries: readonly EvalQuery[]): Promise<Array<number | undefined>> {
  const ranks: Array<number | undefined> = [];
  for (const query of queries) {
    fake.requests.length = 0;
    await runAsk({ root, host: fake.url, model: 'llama3.2', question: query.question, k: ASK_K, retriever, readCurrent: (rel) => readFile(path.join(root, rel), 'utf8').catch(() => undefined), onToken: () => {} });
    const answer = fake.requests.find(isAnswerRequest);
    if (!answer) throw new Error('runAsk sent no answer request to the test server');
    ranks.push(firstGoldRank(promptSources(userPromptOf(answer)), (source) => holdsGold(source, query)));
  }
  return ranks;
}

function holdsGold(source: PromptSource, query: EvalQuery): boolean {
  return query.goldLines.some((g) => g.path === source.path && showsLine(source, g.line));
}
