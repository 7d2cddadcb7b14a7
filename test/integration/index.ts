// Loaded by the extension host as `extensionTestsPath`: runs every compiled integration test
// (`out/test/integration/**/*.test.js`) with mocha inside the host, where `require('vscode')` is the
// real API, and records each outcome in the results file named by $LORE_TEST_RESULTS.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { RESULTS_FILE_ENV, writeResults, type IntegrationResults, type TestOutcome } from './results';

export async function run(): Promise<void> {
  const resultsFile = process.env[RESULTS_FILE_ENV];
  if (!resultsFile) throw new Error(`${RESULTS_FILE_ENV} is not set: the harness passes the results file path in it`);
  const results: IntegrationResults = { vscodeVersion: vscode.version, passed: 0, failed: 0, pending: 0, tests: [] };
  try {
    await runMocha(results);
  } catch (err) {
    results.fatalError = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  writeResults(resultsFile, results);
  if (results.failed > 0 || results.fatalError) throw new Error(`${results.failed} integration test(s) failed${results.fatalError ? '; the suite could not run' : ''}`);
}

async function runMocha(results: IntegrationResults): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60_000,
    color: false,
    forbidOnly: true,
    grep: process.env.LORE_TEST_GREP,
  });
  const testFiles = (readdirSync(__dirname, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.test.js'))
    .sort();
  if (testFiles.length === 0) throw new Error(`no *.test.js files under ${__dirname}`);
  for (const file of testFiles) mocha.addFile(path.join(__dirname, file));
  await mocha.loadFilesAsync();

  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    const record = (test: Mocha.Runnable, state: TestOutcome['state'], err?: Error): void => {
      results.tests.push({
        suites: test.titlePath().slice(0, -1),
        title: test.title,
        state,
        durationMs: test.duration,
        error: err ? { message: err.message, stack: err.stack } : undefined,
      });
    };
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => {
      results.passed++;
      record(test, 'passed');
    });
    // Also fires for failed hooks, which must count: a failing `before` skips its tests silently.
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
      results.failed++;
      record(test, 'failed', err);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => {
      results.pending++;
      record(test, 'pending');
    });
  });
}
