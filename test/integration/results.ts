// The result file the integration suite writes inside the extension host and the harness reads: the
// extension host's exit code says nothing under the VS Code server (0 even when run() rejected), so
// this file is the only verdict, and a missing file is a failure.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Names the results file; the extension host inherits it from the server (or from runTests). */
export const RESULTS_FILE_ENV = 'LORE_TEST_RESULTS';

export interface TestOutcome {
  /** Titles of the enclosing suites, outermost first. */
  suites: string[];
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: { message: string; stack?: string };
}

export interface IntegrationResults {
  vscodeVersion: string;
  passed: number;
  failed: number;
  pending: number;
  tests: TestOutcome[];
  /** Set when the suite could not run at all (no test files, a file that failed to load). */
  fatalError?: string;
}

/** Write-then-rename, so the harness, polling for the file, never reads half of it. */
export function writeResults(file: string, results: IntegrationResults): void {
  const partial = `${file}.partial`;
  writeFileSync(partial, JSON.stringify(results, null, 2));
  renameSync(partial, file);
}

export function readResults(file: string): IntegrationResults {
  let parsed: Partial<IntegrationResults>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<IntegrationResults>;
  } catch (err) {
    throw new Error(`cannot read the integration results ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed.passed !== 'number' || typeof parsed.failed !== 'number' || !Array.isArray(parsed.tests)) {
    throw new Error(`${file} is not an integration results file`);
  }
  return parsed as IntegrationResults;
}

/** Mocha-style report; its last line is exactly `N passed, N failed` (CI reads it). */
export function formatResults(results: IntegrationResults): string {
  const lines: string[] = [`VS Code ${results.vscodeVersion}`, ''];
  let previousSuites: string[] = [];
  const failures: TestOutcome[] = [];
  for (const test of results.tests) {
    const common = commonPrefixLength(previousSuites, test.suites);
    test.suites.slice(common).forEach((suite, i) => lines.push(`${'  '.repeat(common + i + 1)}${suite}`));
    previousSuites = test.suites;
    const indent = '  '.repeat(test.suites.length + 1);
    if (test.state === 'passed') lines.push(`${indent}✔ ${test.title}${test.durationMs === undefined ? '' : ` (${test.durationMs}ms)`}`);
    else if (test.state === 'pending') lines.push(`${indent}- ${test.title}`);
    else {
      failures.push(test);
      lines.push(`${indent}${failures.length}) ${test.title}`);
    }
  }
  failures.forEach((test, i) => {
    lines.push('', `  ${i + 1}) ${[...test.suites, test.title].join(' ')}:`);
    lines.push(indentBlock(test.error?.stack ?? test.error?.message ?? 'failed without an error', '     '));
  });
  if (results.fatalError) lines.push('', 'The suite could not run:', indentBlock(results.fatalError, '  '));
  if (results.pending > 0) lines.push('', `${results.pending} pending`);
  lines.push('', `${results.passed} passed, ${results.failed} failed`);
  return lines.join('\n');
}

/** A run is good only if tests ran, none failed, and nothing stopped the suite. */
export function resultsSucceeded(results: IntegrationResults): boolean {
  return results.failed === 0 && results.passed > 0 && !results.fatalError;
}

function commonPrefixLength(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function indentBlock(text: string, indent: string): string {
  return text.split('\n').map((line) => indent + line).join('\n');
}
