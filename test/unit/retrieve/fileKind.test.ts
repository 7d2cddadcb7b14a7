import * as assert from 'node:assert/strict';
import { fileKindOf, kindWeights, Retriever } from '../../../src/core/retrieve';
import { makeChunk, MemoryIndex } from './memoryIndex';
import { REPORT_BODY } from './reportText';

describe('fileKindOf', () => {
  it('tells test files by folder or name, in Python and JavaScript layouts', () => {
    for (const path of ['tests/unit/test_isort.py', '__tests__/frozen.js', 'spec/strict.js', 'src/test/moment/create.js', 'typing-tests/moment-tests.ts', 'ts3.1-typing-tests/x.ts', 'pkg/conftest.py', 'src/a.test.ts', 'src/a.spec.jsx', 'app/models_test.py']) {
      assert.equal(fileKindOf(path), 'test', path);
    }
  });

  it('tells prose: Markdown, reStructuredText, text and changelogs', () => {
    for (const path of ['README.md', 'docs/guide.mdx', 'docs/index.rst', 'CHANGELOG', 'HISTORY.txt', 'changes.md']) assert.equal(fileKindOf(path), 'docs', path);
  });

  it('leaves code alone, even where a folder or name merely contains "test"', () => {
    for (const path of ['src/latest/a.js', 'lib/contest/a.js', 'src/testament.ts', 'isort/settings.py', 'lib/handlebars/runtime.js', 'src/attestation.py']) {
      assert.equal(fileKindOf(path), 'code', path);
    }
  });
});

describe('kindWeights', () => {
  it('weighs tests and prose down for a question about code', () => {
    const weights = kindWeights('`enableMapSet()` no longer freezes Map values: Object.isFrozen returns false');
    assert.equal(weights.code, 1);
    assert.ok(weights.test < 1 && weights.docs < 1);
  });

  it('keeps prose at full weight for a question in plain words, and tests when the question asks about them', () => {
    assert.equal(kindWeights('how do I install and configure the plugin').docs, 1);
    assert.equal(kindWeights('where are the unit tests for date parsing').test, 1);
  });
});

describe('Retriever, file kinds', () => {
  it('ranks the code under test above its test file that repeats the report word for word', async () => {
    const index = new MemoryIndex();
    index.add(makeChunk('tests/test_split.py', 1, ['def test_split_begin_transaction():', '    sql = "BEGIN TRANSACTION; DELETE FROM t; END TRANSACTION;"', '    assert len(sqlparse.split(sql)) == 3']));
    index.add(makeChunk('sqlparse/engine/statement_splitter.py', 1, ['def _change_splitlevel(self, ttype, value):', '    if value == "BEGIN TRANSACTION":', '        return 0']));
    const question = '`sqlparse.split()` fails to split BEGIN TRANSACTION; DELETE FROM t; END TRANSACTION;';
    const { files } = await new Retriever(index).rankFiles(question, { k: 2 });
    assert.deepEqual(files.map((f) => f.path), ['sqlparse/engine/statement_splitter.py', 'tests/test_split.py']);
  });

  it("finds a report's code excerpt ranked below dozens of test chunks that repeat the report more (retrieve)", async () => {
    // 59 test chunks match all three words, the code one match two and ranks 60th: at half weight
    // the tests score below it, but only a pool that reaches it lets it move up.
    const index = new MemoryIndex();
    for (let i = 0; i < 59; i++) index.add(makeChunk(`test/cart${i}.test.js`, 1, [`cart coupon total ${i}`]));
    index.add(makeChunk('src/cart.js', 1, ['function applyCoupon(cart) {', '  return cart.total;', '}']));
    const report = `Cart coupon total is wrong\n\n${REPORT_BODY}`;
    const { results } = await new Retriever(index).retrieve(report, { k: 5 });
    assert.equal(results[0]?.chunk.path, 'src/cart.js', results.map((r) => r.chunk.path).join(' '));
  });
});
