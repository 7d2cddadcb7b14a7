import * as assert from 'node:assert/strict';
import { parseWebviewMessage, type WebviewToHost } from '../../../src/shared/protocol';

/** One well-formed message of every type the webview sends (typed: a new type must be added here). */
const EXAMPLES: { [K in WebviewToHost['type']]: Extract<WebviewToHost, { type: K }> } = {
  ready: { type: 'ready' },
  ask: { type: 'ask', text: 'where is parseConfig?', model: 'llama3.2' },
  stop: { type: 'stop', turnId: 't1' },
  newChat: { type: 'newChat' },
  openSource: { type: 'openSource', path: 'nb/a.ipynb', startLine: 1, endLine: 3, cell: 4 },
  openLink: { type: 'openLink', href: 'https://example.com' },
  copy: { type: 'copy', code: 'x' },
  insertAtCursor: { type: 'insertAtCursor', code: 'x' },
  selectModel: { type: 'selectModel', model: 'llama3.2' },
  pullModel: { type: 'pullModel', model: 'llama3.2' },
  retry: { type: 'retry', turnId: 't1' },
  reindex: { type: 'reindex' },
  openConversation: { type: 'openConversation', id: 'c1' },
  deleteConversation: { type: 'deleteConversation', id: 'c1' },
};

describe('webview -> host protocol', () => {
  for (const example of Object.values(EXAMPLES)) {
    it(`accepts a well-formed ${example.type}, keeping only its own fields`, () => {
      assert.deepEqual(parseWebviewMessage({ ...example, injected: '<script>' }), example);
    });
  }

  it('rejects unknown types, prototype names and non-objects', () => {
    for (const raw of [{ type: 'deleteEverything' }, { type: 'constructor' }, { type: '__proto__' }, { type: 'toString' }, {}, null, 'ready', 42, ['ready']]) {
      assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
    }
  });

  it('rejects known types with missing or mistyped fields', () => {
    const bad: unknown[] = [
      { type: 'ask', text: 'q' },
      { type: 'ask', text: 1, model: 'm' },
      { type: 'stop' },
      { type: 'openSource', path: 'a', startLine: 0, endLine: 1 },
      { type: 'openSource', path: 'a', startLine: 1.5, endLine: 2 },
      { type: 'openSource', startLine: 1, endLine: 2 },
      { type: 'openLink', href: null },
      { type: 'copy' },
      { type: 'pullModel', model: ['x'] },
      { type: 'openConversation', id: 7 },
      { type: 'ask', text: 'q', model: null },
      { type: 'retry', turnId: {} },
      { type: 'openSource', path: 'a', startLine: '1', endLine: 2 },
      { type: 'openSource', path: 'a', startLine: 1, endLine: -3 },
      { type: 'openSource', path: 'a.ipynb', startLine: 1, endLine: 2, cell: -1 },
      { type: 'openSource', path: 'a.ipynb', startLine: 1, endLine: 2, cell: '4' },
      { type: 'openSource', path: 'a', startLine: 1 },
      { type: 'insertAtCursor', code: 3 },
      { type: 'selectModel' },
      { type: 'deleteConversation', id: 1 },
    ];
    for (const raw of bad) assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
  });
});
