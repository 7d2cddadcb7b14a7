// Shorter views of a source for the prompt: the part a question is about, and a definition's
// signature alone. Every line they show must be the file's line at the number shown with it.
import * as assert from 'node:assert/strict';
import { buildPrompt } from '../../../src/core/prompt';
import { questionTermsOf, relevantPart, signatureOnly } from '../../../src/core/prompt/excerpts';
import { fileLinesOf } from '../../../src/core/retrieve';
import type { RetrievedChunk } from '../../../src/core/types';
import { promptSources } from '../../support/fakeOllamaClient';
import { makeChunk } from '../retrieve/memoryIndex';

function source(path: string, startLine: number, lines: string[], symbol?: string): RetrievedChunk {
  return { chunk: makeChunk(path, startLine, lines, symbol ? { symbol } : {}), score: 1, via: ['lexical'] };
}

/** A 200-line method starting at file line 41; only lines 161-164 compute the backoff delay. */
function longMethod(): RetrievedChunk {
  const lines = ['  def send(self, request, attempt=0):'];
  for (let i = 1; i < 200; i++) lines.push(`    step_${i} = self.transport.handle(request, ${i})`);
  lines.splice(120, 4, '    # wait before the next retry', '    delay = self.backoff_factor * (2 ** attempt)', '    delay = min(delay, self.max_backoff)', '    time.sleep(delay)');
  return source('client/session.py', 41, lines, 'Session.send');
}

/** Checks that every line `shown` shows is `original`'s line at that file line number. */
function assertTrueLines(shown: RetrievedChunk, original: RetrievedChunk): void {
  const originalNumbers = fileLinesOf(original.chunk.startLine, original.chunk.text);
  const originalLines = original.chunk.text.split('\n');
  const lines = shown.chunk.text.split('\n');
  fileLinesOf(shown.chunk.startLine, shown.chunk.text).forEach((line, i) => {
    if (line !== undefined) assert.equal(originalLines[originalNumbers.indexOf(line)].trim(), lines[i].trim(), `line ${line}`);
  });
}

describe('prompt excerpts', () => {
  const question = 'How long does the session wait between retries? The backoff delay seems to ignore max_backoff.';

  it('relevantPart: the signature, the lines about the question, the rest marked with its line numbers', () => {
    const method = longMethod();
    const part = relevantPart(method, questionTermsOf(question), 600)!;
    assert.ok(part.chunk.text.length <= 600, `${part.chunk.text.length} chars`);
    const lines = part.chunk.text.split('\n');
    assert.equal(lines[0], '  def send(self, request, attempt=0):');
    assert.match(lines[1], /^⋮ lines 42-\d+ left out$/);
    assert.ok(part.chunk.text.includes('    delay = min(delay, self.max_backoff)'));
    assert.ok(part.chunk.text.includes('    delay = self.backoff_factor * (2 ** attempt)'));
    assert.match(lines.at(-1)!, /^⋮ lines \d+-240 left out$/);
    assert.deepEqual([part.chunk.startLine, part.chunk.endLine], [41, 240], 'the range is the whole method');
    assertTrueLines(part, method);
    assert.ok(fileLinesOf(part.chunk.startLine, part.chunk.text).includes(162), 'the line computing the delay is shown at its own number');
  });

  it('relevantPart: nothing when no line holds a term of the question, or the source is short enough', () => {
    assert.equal(relevantPart(longMethod(), questionTermsOf('Which colour is the logo?'), 600), undefined);
    assert.equal(relevantPart(longMethod(), questionTermsOf(question), 1_000_000), undefined);
  });

  it('relevantPart keeps the numbers of an excerpt that already leaves lines out', () => {
    const excerpt = source('client/session.py', 10, ['class Session:', '⋮ lines 11-40 left out', ...longMethod().chunk.text.split('\n')], 'Session.send');
    excerpt.chunk.endLine = 240;
    const part = relevantPart(excerpt, questionTermsOf(question), 500)!;
    assert.equal(part.chunk.text.split('\n')[0], 'class Session:');
    assertTrueLines(part, excerpt);
    assert.ok(fileLinesOf(part.chunk.startLine, part.chunk.text).includes(162));
  });

  it("signatureOnly: the definition's own line, its range kept, its body marked as left out", () => {
    const lines = ['    @retry(3)', '    def compute_delay_max(self):', '        return 1', '', '    def compute_delay(self, attempt):', '        return 2 ** attempt'];
    const defined = source('client/retry.py', 20, lines, 'Retry.compute_delay');
    const signature = signatureOnly(defined)!;
    assert.equal(signature.chunk.text, 'def compute_delay(self, attempt):\n⋮ lines 25-25 left out');
    assert.deepEqual([signature.chunk.startLine, signature.chunk.endLine], [24, 25]);
    assert.equal(signatureOnly(source('notes.md', 1, ['# Retries', 'They back off.'])), undefined, 'not a definition');
    assert.equal(signatureOnly(source('a.ts', 1, ['  return total;', '}'], 'sumAll')), undefined, 'a piece without its signature');
  });

  it('buildPrompt: a definition with no room even for a part goes in as its signature, numbered in rank order', () => {
    const top = source('client/top.py', 1, Array.from({ length: 400 }, (_, i) => `top_${i} = retry(backoff_${i})`), 'top');
    const small = source('client/a.py', 5, ['def retry_later(request):', '    return queue.put(request)'], 'retry_later');
    const defined = source('client/retry.py', 20, ['def compute_delay(attempt):', ...Array.from({ length: 300 }, (_, i) => `    step_${i} = attempt * ${i}`)], 'compute_delay');
    const built = buildPrompt({ question, sources: [top, defined, small], history: [], contextWindow: 2048 });
    const shown = promptSources(built.messages.at(-1)!.content);
    assert.deepEqual(shown.map((s) => [s.n, s.path]), [[1, 'client/top.py'], [2, 'client/retry.py'], [3, 'client/a.py']]);
    assert.equal(shown[1].text, 'def compute_delay(attempt):\n⋮ lines 21-320 left out');
    assert.deepEqual([shown[1].startLine, shown[1].endLine], [20, 320]);
    assert.equal(shown[2].text, small.chunk.text, 'a later source that fits whole is not crowded out by the long one');
    assert.equal(built.droppedSources, 0);
  });

  it('buildPrompt: sources too long for the window go in by their relevant parts rather than being left out', () => {
    const long = (path: string, prefix: string) =>
      source(path, 1, Array.from({ length: 2000 }, (_, i) => (i === 1500 ? 'delay = min(delay, max_backoff)' : `${prefix}_${i} = step(${i})`)), prefix);
    const top = source('client/top.py', 1, ['def wait_between_retries(attempt):', '    return backoff(attempt)'], 'wait_between_retries');
    const [a, b] = [long('client/a.py', 'a'), long('client/b.py', 'b')];
    const built = buildPrompt({ question, sources: [top, a, b], history: [], contextWindow: 1024, reserveForAnswer: 0 });
    assert.ok(built.estimatedTokens <= 1024);
    assert.deepEqual(built.sources.map((s) => s.chunk.path), ['client/top.py', 'client/a.py', 'client/b.py']);
    for (const [i, s] of built.sources.slice(1).entries()) {
      assert.ok(s.chunk.text.includes('delay = min(delay, max_backoff)'), `source ${i + 2} shows the line about the question`);
      assert.ok(fileLinesOf(s.chunk.startLine, s.chunk.text).includes(1501));
      assertTrueLines(s, [a, b][i]);
    }
  });
});
