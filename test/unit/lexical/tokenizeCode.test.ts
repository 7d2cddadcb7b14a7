import * as assert from 'node:assert/strict';
import { tokenizeCode } from '../../../src/core/lexical';

describe('tokenizeCode', () => {
  it('keeps a camelCase identifier whole and adds its parts, lowercased', () => {
    assert.deepEqual(tokenizeCode('parseConfigFile'), ['parseconfigfile', 'parse', 'config', 'file']);
    assert.deepEqual(tokenizeCode('ParseConfig'), ['parseconfig', 'parse', 'config']);
  });

  it('splits acronyms, digits, snake_case and kebab-case', () => {
    assert.deepEqual(tokenizeCode('HTTPServer2Config'), ['httpserver2config', 'http', 'server', '2', 'config']);
    assert.deepEqual(tokenizeCode('snake_case_name'), ['snake_case_name', 'snake', 'case', 'name']);
    assert.deepEqual(tokenizeCode('MAX_RETRY_COUNT'), ['max_retry_count', 'max', 'retry', 'count']);
    assert.deepEqual(tokenizeCode('my-component'), ['my-component', 'my', 'component']);
    assert.deepEqual(tokenizeCode('__init__'), ['__init__', 'init']);
  });

  it('splits paths into segments, stem and extension', () => {
    assert.deepEqual(tokenizeCode('src/core/lore-store.test.ts'), ['src', 'core', 'lore-store', 'lore', 'store', 'test', 'ts']);
    assert.deepEqual(tokenizeCode('C:\\work\\ReadMe.md'), ['work', 'readme', 'read', 'me', 'md']);
  });

  it('splits on everything that cannot be part of an identifier', () => {
    assert.deepEqual(tokenizeCode('a.b(cd, ef) => gh[ij]; // kl'), ['cd', 'ef', 'gh', 'ij', 'kl']);
    assert.deepEqual(tokenizeCode('x--  --flag a-'), ['flag']);
  });

  it('drops one-character tokens except digits, and joiner-only runs', () => {
    assert.deepEqual(tokenizeCode('a b 7 _ $ __ x1'), ['7', 'x1', '1']);
  });

  it('keeps letters and digits of other scripts, with their case', () => {
    assert.deepEqual(tokenizeCode('ÉtéFoo naïve'), ['étéfoo', 'été', 'foo', 'naïve']);
    assert.deepEqual(tokenizeCode('日本語 テキスト'), ['日本語', 'テキスト']);
  });

  it('drops absurdly long tokens such as base64 blobs', () => {
    const blob = 'A'.repeat(65);
    assert.deepEqual(tokenizeCode(`before ${blob} after`), ['before', 'after']);
    assert.deepEqual(tokenizeCode('A'.repeat(64)), ['a'.repeat(64)]);
  });

  it('returns [] for empty or punctuation-only text', () => {
    assert.deepEqual(tokenizeCode(''), []);
    assert.deepEqual(tokenizeCode('?!.,;:()[]{} -- // **'), []);
  });

  it('gives a query the same tokens a document has', () => {
    const document = new Set(tokenizeCode('function parseConfigFile() {}'));
    for (const query of ['parse config', 'config', 'parseConfigFile', 'ParseConfigFile']) {
      for (const token of tokenizeCode(query)) assert.ok(document.has(token), `${query}: ${token}`);
    }
  });
});
