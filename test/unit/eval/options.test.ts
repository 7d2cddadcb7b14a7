import * as assert from 'node:assert/strict';
import { evenSample, EvalUsageError, parseEvalOptions } from '../../../eval/options';

describe('eval options', () => {
  it('without options: the committed record, on the test server, no rerank', () => {
    assert.deepEqual(parseEvalOptions([]), { lexicalOnly: false, ollama: undefined, rerank: undefined, sample: undefined, fusion: undefined, devSetOnly: false, resultsFile: 'results.json' });
    assert.equal(parseEvalOptions(['--lexical-only']).resultsFile, 'results.json');
    assert.equal(parseEvalOptions(['--devset-only']).resultsFile, 'results.local.json', 'a dev-set-only run is not the committed record');
  });

  it('--ollama with models and --rerank: real embeddings and chat model, written to results.local.json', () => {
    const options = parseEvalOptions(['--ollama', '127.0.0.1:11434', '--embed-model', 'mxbai-embed-large', '--rerank', '--chat-model', 'qwen2.5-coder:7b', '--rerank-timeout-ms', '30000', '--sample', '50']);
    assert.deepEqual(options, {
      lexicalOnly: false,
      ollama: { host: 'http://127.0.0.1:11434', embedModel: 'mxbai-embed-large' },
      rerank: { kind: 'ollama', chatModel: 'qwen2.5-coder:7b', timeoutMs: 30000 },
      sample: 50,
      fusion: undefined,
      devSetOnly: false,
      resultsFile: 'results.local.json',
    });
    assert.deepEqual(parseEvalOptions(['--ollama', 'http://gpu-box:11434', '--rerank']).rerank, { kind: 'ollama', chatModel: 'llama3.2', timeoutMs: undefined });
    assert.equal(parseEvalOptions(['--ollama', 'http://gpu-box:11434']).ollama?.embedModel, 'nomic-embed-text');
  });

  it('--rrf-k and --vector-weight set the hybrid fusion, defaults for the one not given, and do not overwrite the record', () => {
    const options = parseEvalOptions(['--ollama', 'http://gpu-box:11434', '--rrf-k', '20', '--vector-weight', '1.5']);
    assert.deepEqual(options.fusion, { rrfK: 20, vectorWeight: 1.5 });
    assert.equal(options.resultsFile, 'results.local.json');
    assert.deepEqual(parseEvalOptions(['--vector-weight', '0']).fusion, { rrfK: 60, vectorWeight: 0 });
  });

  it('--rerank-plumbing runs on the test server and does not overwrite the record', () => {
    const options = parseEvalOptions(['--rerank-plumbing']);
    assert.deepEqual(options.rerank, { kind: 'plumbing', timeoutMs: undefined });
    assert.equal(options.ollama, undefined);
    assert.equal(options.resultsFile, 'results.local.json');
  });

  for (const [args, message] of [
    [['--rerank'], /--rerank needs --ollama/],
    [['--embed-model', 'x'], /--embed-model needs --ollama/],
    [['--ollama', 'http://h', '--chat-model', 'x'], /--chat-model is for --rerank/],
    [['--ollama', 'http://h', '--rerank-plumbing'], /with --ollama use --rerank/],
    [['--rerank-timeout-ms', '100'], /--rerank-timeout-ms is for/],
    [['--rerank-plumbing', '--rerank-timeout-ms', '0'], /whole number/],
    [['--sample', '-3'], /sample/],
    [['--sample', '2.5'], /whole number/],
    [['--ollama', 'ftp://h'], /http/],
    [['--ollama', 'http://h', '--embed-model', ' '], /needs a model name/],
    [['--ollama'], /argument missing/],
    [['--bogus'], /bogus/],
    [['--rrf-k=-1'], /--rrf-k takes a number >= 0/],
    [['--vector-weight', 'heavy'], /--vector-weight takes a number >= 0/],
    [['--vector-weight', ''], /--vector-weight takes a number >= 0/],
    [['--lexical-only', '--rrf-k', '10'], /--lexical-only skips/],
    [['positional'], /positional/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => parseEvalOptions(args), (err: Error) => err instanceof EvalUsageError && message.test(err.message));
    });
  }

  it('samples evenly, in order, and everything when asked for more than there is', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(evenSample(items, 5), [0, 2, 4, 6, 8]);
    assert.deepEqual(evenSample(items, 3), [0, 3, 6]);
    assert.deepEqual(evenSample(items, 1), [0]);
    assert.deepEqual(evenSample(items, 10), items);
    assert.deepEqual(evenSample(items, 50), items);
  });
});
