import * as assert from 'node:assert/strict';
import { extractQueryTerms, lexicalQueryFor, lexicalQueryWithRewrite, standsAlone } from '../../../src/core/retrieve';

describe('extractQueryTerms', () => {
  it('pulls camelCase, PascalCase, snake_case, SCREAMING_CASE and dotted identifiers out of prose', () => {
    const terms = extractQueryTerms('Why does parseConfig call LoreStore.open and read MAX_FILE_SIZE via embed_batch in HttpServer?');
    assert.deepEqual(terms.identifiers, ['parseConfig', 'LoreStore.open', 'MAX_FILE_SIZE', 'embed_batch', 'HttpServer']);
    assert.deepEqual(terms.keywords, ['call', 'read']);
  });

  it('recognises file paths, normalised to the index form, and bare file names by extension', () => {
    const terms = extractQueryTerms('Compare ./src/core/config.ts with .\\lib\\util.py, config.json and core/retrieve/ at src/x.ts:42:7.');
    assert.deepEqual(terms.paths, ['src/core/config.ts', 'lib/util.py', 'config.json', 'core/retrieve/', 'src/x.ts']);
    assert.ok(!terms.keywords.includes('42'), 'line positions are not keywords');
  });

  it('keeps prose slashes and abbreviations out of paths and identifiers', () => {
    const terms = extractQueryTerms('Is the client/server split, e.g. the and/or logic, in version 1.2.3?');
    assert.deepEqual(terms.paths, []);
    assert.deepEqual(terms.identifiers, []);
    assert.deepEqual(terms.keywords, ['client', 'server', 'split', 'logic', 'version']);
  });

  it('keeps `backticked code` and "quoted strings" as exact phrases and scans them for terms', () => {
    const terms = extractQueryTerms('Where does `retry(fetchUser)` log "connection refused"?');
    assert.deepEqual(terms.quoted, ['retry(fetchUser)', 'connection refused']);
    assert.deepEqual(terms.identifiers, ['fetchUser']);
    assert.deepEqual(terms.keywords, ['log', 'connection', 'refused']);
  });

  it('takes terms from fenced code blocks without quoting the whole block', () => {
    const terms = extractQueryTerms('What is wrong here?\n```ts\nconst total = computeTotal(order_items);\n```');
    assert.deepEqual(terms.quoted, []);
    assert.deepEqual(terms.identifiers, ['computeTotal', 'order_items']);
    assert.deepEqual(terms.keywords, ['wrong']);
  });

  it('drops stop words, one-letter words and short numbers; keeps any script', () => {
    assert.deepEqual(extractQueryTerms('What is the a of it?').keywords, []);
    assert.deepEqual(extractQueryTerms('这个函数做什么').keywords, ['这个函数做什么']);
    assert.deepEqual(extractQueryTerms('Что делает функция поиска?').keywords, ['что', 'делает', 'функция', 'поиска']);
    assert.deepEqual(extractQueryTerms('status 404 on page 2').keywords, ['status', '404', 'page']);
  });

  it('names the exception of a pasted stack trace and its message words', () => {
    const terms = extractQueryTerms("TypeError: Cannot read properties of undefined (reading 'map')\n    at render (src/ui/list.tsx:42:13)");
    assert.equal(terms.identifiers[0], 'TypeError');
    assert.deepEqual(terms.keywords.slice(0, 5), ['read', 'properties', 'undefined', 'reading', 'map']);
    assert.deepEqual(terms.paths, ['src/ui/list.tsx']);
  });

  it('returns empty lists, never throws, for empty, non-string and punctuation-only input', () => {
    const empty = { identifiers: [], paths: [], quoted: [], keywords: [] };
    assert.deepEqual(extractQueryTerms(''), empty);
    assert.deepEqual(extractQueryTerms('   \n\t '), empty);
    assert.deepEqual(extractQueryTerms(undefined as unknown as string), empty);
    assert.deepEqual(extractQueryTerms('(.*+?[]{}\\^$|) ``` "" ` '), empty);
  });
});

describe('lexicalQueryFor', () => {
  it('repeats exact terms before the keywords', () => {
    assert.equal(lexicalQueryFor('where is `parseConfig` called in src/core/config.ts?'), 'src/core/config.ts src/core/config.ts parseConfig parseConfig called');
  });

  it('returns an empty query for empty and stop-words-only questions', () => {
    for (const q of ['', '   ', 'what is the', 'How does it work?', '?!?', '``', '""']) assert.equal(lexicalQueryFor(q), '', JSON.stringify(q));
  });

  it('passes regex metacharacters and quotes through harmlessly', () => {
    for (const q of ['(.*+?[]{}\\^$|)', 'a[b]* "unterminated', "it's `weird`` text", '\u0000\uffff\ud800', 'foo(.*) bar$']) {
      assert.equal(typeof lexicalQueryFor(q), 'string');
    }
    assert.equal(lexicalQueryFor('match /^foo.*bar$/ in regexHelper'), 'regexHelper regexHelper match foo bar');
  });

  it('keeps a non-Latin question', () => {
    assert.equal(lexicalQueryFor('検索はどこで実行されますか'), '検索はどこで実行されますか');
  });

  it('bounds the query for a 100 KB paste and keeps the exception, project paths and identifiers first', () => {
    const frames = Array.from({ length: 2500 }, (_, i) => `    at Object.handler${i}Step (node_modules/lib/f${i}.js:1:1)`);
    const paste = [
      'RangeError: Maximum call stack size exceeded',
      '    at walkTree (src/core/tree.ts:10:5)',
      ...frames,
      'lorem ipsum '.repeat(2000),
    ].join('\n');
    assert.ok(paste.length > 100_000);
    const query = lexicalQueryFor(paste);
    assert.ok(query.length <= 1200, `query has ${query.length} chars`);
    const words = query.split(' ');
    assert.deepEqual(words.slice(0, 2), ['RangeError', 'RangeError']);
    assert.ok(words.indexOf('src/core/tree.ts') < words.indexOf('node_modules/lib/f0.js'), 'project path before library path');
    assert.ok(words.includes('walkTree') && words.includes('maximum') && words.includes('exceeded'));
  });

  it('reads a Python traceback: exception, frame functions, project paths before library paths, absolute paths trimmed', () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/home/me/shop/app/views.py", line 12, in post',
      '  File "/usr/lib/python3.11/site-packages/django/db/models/base.py", line 814, in save_base',
      "KeyError: 'manager'",
    ].join('\n');
    assert.equal(
      lexicalQueryFor(traceback),
      'KeyError KeyError manager post post save_base save_base shop/app/views.py shop/app/views.py ' +
        'site-packages/django/db/models/base.py site-packages/django/db/models/base.py',
    );
  });

  it('reads a JavaScript stack: frame functions and files, without the frame boilerplate', () => {
    const stack = 'Error at startup\n    at async Object.<anonymous> (/Users/x/web/src/server.js:4:1)\n    at new Router (src/router.js:9:3)';
    assert.equal(lexicalQueryFor(stack), 'Router Router web/src/server.js web/src/server.js src/router.js src/router.js error startup');
  });

  it("weighs a long report's title, and drops template words, log levels, hex addresses and long numbers", () => {
    const report = `Crash when saving a cart with coupons\n\nSteps to reproduce: open the page. Expected behavior: saved. 12:00:01 ERROR 0x7fff12ab deadbeef1234 1700000000 failed. ${'More words here. '.repeat(20)}`;
    const words = lexicalQueryFor(report).split(' ');
    assert.deepEqual(words.slice(0, 8), ['crash', 'crash', 'saving', 'saving', 'cart', 'cart', 'coupons', 'coupons']);
    for (const noise of ['reproduce', 'expected', 'behavior', 'ERROR', '0x7fff12ab', 'deadbeef1234', '1700000000']) assert.ok(!words.includes(noise), noise);
    assert.ok(words.includes('failed'));
  });

  it("drops links (a playground's encoded state, hosts, issue pages) but keeps the file path of a repository link", () => {
    const report =
      'Modifier handler breaks in a loop\n\nSee https://play.vuejs.org/#eNp9U01v1DAQ/SuDL9mVSiIEp212BVSVgAMgQOKAOaTZSerWsS3b2a4U5b93bCfpblX1Fs and ' +
      '[the docs](https://vuejs.org/guide/essentials/event-handling.html?x=1), www.example.com/page, and ' +
      'https://github.com/vuejs/core/blob/main/packages/runtime-dom/src/directives/vOn.ts#L12 where withModifiers runs.';
    const terms = extractQueryTerms(report);
    assert.deepEqual(terms.paths, ['packages/runtime-dom/src/directives/vOn.ts']);
    assert.deepEqual(terms.identifiers, ['withModifiers']);
    for (const noise of ['https', 'play', 'vuejs', 'org', 'github', 'guide', 'example', 'www']) assert.ok(!terms.keywords.includes(noise), noise);
    assert.ok(terms.keywords.includes('docs'), 'the text of a markdown link stays');
  });

  it('drops blobs (base64, minified lines) instead of letting them fill the query', () => {
    const blob = 'QUJD'.repeat(25_000);
    assert.equal(lexicalQueryFor(blob), '');
    assert.equal(lexicalQueryFor(`${blob} in tokenCache`), 'tokenCache tokenCache');
  });
});

describe('standsAlone', () => {
  it('is true for a question that names what it is about and refers to nothing before it', () => {
    assert.equal(standsAlone('where is the marmalade wombat ledger reconciled?'), true);
    assert.equal(standsAlone('What does parseConfig do?'), true);
    assert.equal(standsAlone('Explain src/core/ask.ts'), true);
  });

  it('is false for a follow-up that continues the last answer or points back into it', () => {
    assert.equal(standsAlone('and where is it called?'), false);
    assert.equal(standsAlone('What about the tests?'), false);
    assert.equal(standsAlone('where is that wombat ledger reconciled?'), false);
    assert.equal(standsAlone('and where is `parseConfig` called in src/app.ts?'), false);
    assert.equal(standsAlone('why?'), false);
  });

  it('is false, never throws, for empty and non-string input', () => {
    assert.equal(standsAlone(''), false);
    assert.equal(standsAlone(undefined as unknown as string), false);
  });
});

describe('lexicalQueryWithRewrite', () => {
  it("keeps the question's query whole and adds only the rewrite's new terms, once each", () => {
    const own = lexicalQueryFor('where is the marmalade wombat ledger reconciled?');
    const query = lexicalQueryWithRewrite('where is the marmalade wombat ledger reconciled?', 'banana spaceship wombat parseConfig');
    assert.ok(query.startsWith(own), query);
    assert.deepEqual(query.slice(own.length).trim().split(' '), ['parseConfig', 'banana', 'spaceship']);
  });

  it("is the rewrite's terms when the question has none of its own", () => {
    assert.equal(lexicalQueryWithRewrite('and?', 'callers of parseConfig'), 'parseConfig callers');
  });
});
