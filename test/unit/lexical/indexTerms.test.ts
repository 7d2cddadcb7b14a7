import * as assert from 'node:assert/strict';
import { indexTerms, weightedQueryTerms } from '../../../src/core/lexical';

describe('indexTerms', () => {
  it('keeps a compound identifier whole (unstemmed) and adds its stemmed parts', () => {
    assert.deepEqual(indexTerms('parseTextFiles'), ['parsetextfiles', 'pars', 'text', 'file']);
    assert.deepEqual(indexTerms('no-unused-vars'), ['no-unused-vars', 'no', 'unus', 'var', 'variabl']);
    assert.deepEqual(indexTerms('_private'), ['_private', 'privat']);
  });

  it('also files common code abbreviations under their spelled-out stem', () => {
    assert.deepEqual(indexTerms('dupeArgs'), ['dupeargs', 'dupe', 'duplic', 'arg', 'argument']);
    const document = new Set(indexTerms('function checkDupeArgs(fn) {}'));
    for (const term of indexTerms('duplicate arguments')) assert.ok(document.has(term), term);
  });

  it('stems prose and drops English stop words', () => {
    assert.deepEqual(indexTerms('Disallow the declarations of unused variables'), ['disallow', 'declar', 'unus', 'variabl']);
    assert.deepEqual(indexTerms('what is it and where'), []);
  });

  it('meets a question in words with the identifier it describes', () => {
    const document = new Set(indexTerms('function handleRetries(requests) {}'));
    for (const term of indexTerms('how are retries handled for a request')) assert.ok(document.has(term), term);
  });

  it('keeps words of other scripts and digits as they are', () => {
    assert.deepEqual(indexTerms('Что делает функция 404'), ['что', 'делает', 'функция', '404']);
    assert.deepEqual(indexTerms('日本語 テキスト'), ['日本語', 'テキスト']);
  });

  it('returns [] for empty, punctuation-only and regex-metacharacter text', () => {
    assert.deepEqual(indexTerms(''), []);
    assert.deepEqual(indexTerms('(.*+?[]{}\\^$|) "\' `'), []);
  });
});

describe('weightedQueryTerms', () => {
  it('weighs an identifier whole at 1 and its parts at half, and adds up repeats to a cap', () => {
    assert.deepEqual([...weightedQueryTerms('parseConfig')], [['parseconfig', 1], ['pars', 0.5], ['config', 0.5]]);
    assert.deepEqual([...weightedQueryTerms('retry retry')], [['retri', 2]]);
    assert.deepEqual([...weightedQueryTerms('retry retry retry retry retry')], [['retri', 3]]);
  });

  it('without compound parts, takes an identifier whole and a plain word as usual', () => {
    assert.deepEqual([...weightedQueryTerms('parseConfig retry util_1', false)], [['parseconfig', 1], ['retri', 1], ['util_1', 1]]);
  });

  it('is empty for stop words, punctuation and empty input', () => {
    assert.equal(weightedQueryTerms('the of and is').size, 0);
    assert.equal(weightedQueryTerms('').size, 0);
    assert.equal(weightedQueryTerms('?!()[]').size, 0);
  });
});
