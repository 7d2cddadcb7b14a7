import * as assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatResults, readResults, resultsSucceeded, writeResults, type IntegrationResults } from '../../integration/results';
import { makeTempDir, removeDir } from '../../support/tempTree';

function results(overrides: Partial<IntegrationResults> = {}): IntegrationResults {
  return {
    vscodeVersion: '1.100.3',
    passed: 2,
    failed: 1,
    pending: 0,
    tests: [
      { suites: ['Lore', 'commands'], title: 'registers reindex', state: 'passed', durationMs: 12 },
      { suites: ['Lore', 'commands'], title: 'registers clear', state: 'failed', durationMs: 3, error: { message: 'missing', stack: 'AssertionError: missing\n    at smoke.test.js:1:1' } },
      { suites: ['Lore', 'view'], title: 'opens', state: 'passed' },
    ],
    ...overrides,
  };
}

describe('integration results file', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('round-trips through the file and leaves no partial file behind', () => {
    const file = path.join(dir, 'results.json');
    writeResults(file, results());
    assert.deepEqual(readResults(file), results());
    assert.equal(existsSync(`${file}.partial`), false);
  });

  it('names the file when it is not JSON', () => {
    const file = path.join(dir, 'results.json');
    writeFileSync(file, '{"passed": 1,');
    assert.throws(() => readResults(file), (err: Error) => err.message.includes(file) && /cannot read the integration results/.test(err.message));
  });

  it('rejects JSON that is not a results file', () => {
    for (const content of ['null', '[]', '{"passed": 1}', '{"passed": "1", "failed": 0, "tests": []}']) {
      const file = path.join(dir, 'other.json');
      writeFileSync(file, content);
      assert.throws(() => readResults(file), /is not an integration results file/, content);
    }
  });

  it('names a missing file', () => {
    assert.throws(() => readResults(path.join(dir, 'absent.json')), /absent\.json/);
  });
});

describe('formatResults', () => {
  it('prints suites once, numbers failures with their stack, and ends with the summary line', () => {
    const lines = formatResults(results()).split('\n');
    assert.equal(lines.at(-1), '2 passed, 1 failed');
    assert.equal(lines.filter((line) => line.trim() === 'Lore').length, 1);
    assert.ok(lines.includes('      ✔ registers reindex (12ms)'));
    assert.ok(lines.includes('      1) registers clear'));
    assert.ok(lines.includes('  1) Lore commands registers clear:'));
    assert.ok(lines.includes('     AssertionError: missing'));
  });

  it('reports a suite that could not run', () => {
    const text = formatResults(results({ passed: 0, failed: 0, tests: [], fatalError: 'Error: cannot load x.test.js' }));
    assert.match(text, /The suite could not run:\n  Error: cannot load x\.test\.js/);
    assert.equal(text.split('\n').at(-1), '0 passed, 0 failed');
  });
});

describe('resultsSucceeded', () => {
  it('needs at least one test, no failure and no fatal error', () => {
    assert.equal(resultsSucceeded(results({ failed: 0 })), true);
    assert.equal(resultsSucceeded(results()), false);
    assert.equal(resultsSucceeded(results({ passed: 0, failed: 0, tests: [] })), false);
    assert.equal(resultsSucceeded(results({ failed: 0, fatalError: 'boom' })), false);
  });
});
