import * as assert from 'node:assert/strict';
import type { HostToWebview, IndexStateMessage } from '../../../src/shared/protocol';
import { INITIAL_STATE, addQuestion, reduce, restoreState, retryableTurnId, type ViewState } from '../../../src/webview/state';

const INDEX: IndexStateMessage = { state: 'idle', files: 3, chunks: 9, vectors: 9, mode: 'hybrid' };

function run(state: ViewState, ...messages: HostToWebview[]): ViewState {
  return messages.reduce(reduce, state);
}

function initState(): ViewState {
  return run(INITIAL_STATE, {
    type: 'init', conversationId: 'c1', turns: [], conversations: [], models: ['llama3.2'], selectedModel: 'llama3.2', indexState: INDEX, host: 'http://127.0.0.1:11434',
  });
}

describe('webview state', () => {
  it('takes everything from init', () => {
    const s = initState();
    assert.equal(s.conversationId, 'c1');
    assert.deepEqual(s.models, ['llama3.2']);
    assert.deepEqual(s.indexState, INDEX);
    assert.equal(s.host, 'http://127.0.0.1:11434');
    assert.equal(s.streamingTurnId, undefined);
  });

  it('streams an answer: start, sources, tokens, instructions, end', () => {
    let s = addQuestion(initState(), 'What is x?', 'u1');
    s = run(s,
      { type: 'answerStart', turnId: 'a1', model: 'llama3.2' },
      { type: 'sources', turnId: 'a1', sources: [{ n: 1, path: 'x.ts', startLine: 1, endLine: 2 }] },
      { type: 'token', turnId: 'a1', text: 'x is ' },
      { type: 'token', turnId: 'a1', text: '**one** [1]' },
      { type: 'instructionsUsed', turnId: 'a1', paths: ['.lore/instructions.md'] });
    assert.equal(s.streamingTurnId, 'a1');
    assert.deepEqual(s.turns.map((t) => t.role), ['user', 'assistant']);
    const answer = s.turns[1];
    assert.ok(answer.role === 'assistant');
    assert.equal(answer.text, 'x is **one** [1]');
    assert.equal(answer.sources.length, 1);
    assert.deepEqual(answer.instructions, ['.lore/instructions.md']);
    s = reduce(s, { type: 'answerEnd', turnId: 'a1' });
    assert.equal(s.streamingTurnId, undefined);
    assert.equal(retryableTurnId(s), undefined);
  });

  it('keeps the partial answer when it fails, and makes it retryable', () => {
    let s = run(addQuestion(initState(), 'q', 'u1'),
      { type: 'answerStart', turnId: 'a1', model: 'm' },
      { type: 'token', turnId: 'a1', text: 'partial' },
      { type: 'answerError', turnId: 'a1', kind: 'timeout', message: 'took too long' });
    const answer = s.turns[1];
    assert.ok(answer.role === 'assistant');
    assert.equal(answer.text, 'partial');
    assert.deepEqual(answer.error, { kind: 'timeout', message: 'took too long' });
    assert.equal(s.streamingTurnId, undefined);
    assert.equal(retryableTurnId(s), 'a1');
    // Retry restarts the same turn in place.
    s = reduce(s, { type: 'answerStart', turnId: 'a1', model: 'm2' });
    assert.equal(s.turns.length, 2);
    const retried = s.turns[1];
    assert.ok(retried.role === 'assistant');
    assert.equal(retried.text, '');
    assert.equal(retried.error, undefined);
    assert.equal(retried.model, 'm2');
    assert.equal(retryableTurnId(s), undefined, 'not while streaming');
  });

  it('marks a stopped answer and offers retry only on the last turn', () => {
    let s = run(addQuestion(initState(), 'q', 'u1'), { type: 'answerStart', turnId: 'a1', model: 'm' }, { type: 'answerEnd', turnId: 'a1', stopped: true });
    const answer = s.turns[1];
    assert.ok(answer.role === 'assistant' && answer.stopped);
    assert.equal(retryableTurnId(s), 'a1');
    s = addQuestion(s, 'next', 'u2');
    assert.equal(retryableTurnId(s), undefined);
  });

  it('ignores messages about turns it does not have', () => {
    const s = initState();
    assert.equal(run(s, { type: 'token', turnId: 'nope', text: 'x' }, { type: 'sources', turnId: 'nope', sources: [] }), s);
    // A late end of an old stream leaves the current one streaming.
    const streaming = reduce(addQuestion(s, 'q', 'u'), { type: 'answerStart', turnId: 'a2', model: 'm' });
    assert.equal(reduce(streaming, { type: 'answerEnd', turnId: 'old', stopped: true }).streamingTurnId, 'a2');
  });

  it('ignores message types it does not know (a newer host)', () => {
    const s = initState();
    assert.equal(reduce(s, { type: 'somethingNew' } as unknown as HostToWebview), s);
  });

  it('does not let a user turn take tokens', () => {
    const s = addQuestion(initState(), 'q', 'u1');
    assert.equal(reduce(s, { type: 'token', turnId: 'u1', text: 'x' }), s);
  });

  it('replaces the turns when another conversation becomes current', () => {
    const s = run(addQuestion(initState(), 'q', 'u1'), { type: 'conversation', conversationId: 'c2', turns: [] });
    assert.equal(s.conversationId, 'c2');
    assert.deepEqual(s.turns, []);
  });

  it('adds an explain turn, and tracks index state, models, conversations and pulls', () => {
    const s = run(initState(),
      { type: 'explain', turn: { role: 'user', id: 'u9', text: 'Explain a.ts:1-2', selection: { path: 'a.ts', startLine: 1, endLine: 2, text: 'x()' } } },
      { type: 'indexState', state: 'indexing', files: 1, chunks: 2, vectors: 0, done: 1, total: 4, mode: 'lexical' },
      { type: 'models', models: ['a', 'b'], selectedModel: 'b' },
      { type: 'conversations', conversations: [{ id: 'c1', title: 'q', updatedAt: 1, turnCount: 2 }] },
      { type: 'pullProgress', model: 'b', status: 'pulling', completed: 5, total: 10 });
    assert.equal(s.turns[0].role === 'user' && s.turns[0].selection?.path, 'a.ts');
    assert.deepEqual(s.indexState, { state: 'indexing', files: 1, chunks: 2, vectors: 0, done: 1, total: 4, mode: 'lexical' });
    assert.equal(s.selectedModel, 'b');
    assert.equal(s.conversations.length, 1);
    assert.deepEqual(s.pulls.b, { status: 'pulling', completed: 5, total: 10, done: false, error: undefined });
  });

  it('restores a saved state but never a stale stream, and rejects foreign shapes', () => {
    const saved = { ...addQuestion(initState(), 'q', 'u1'), streamingTurnId: 'a1', draft: 'half typed' };
    const restored = restoreState(JSON.parse(JSON.stringify(saved)));
    assert.equal(restored.turns.length, 1);
    assert.equal(restored.draft, 'half typed');
    assert.equal(restored.streamingTurnId, undefined);
    for (const bad of [undefined, null, 42, 'x', { turns: 'no' }, { turns: [] }]) assert.equal(restoreState(bad), INITIAL_STATE);
  });
});
