// The bug-report development set: real issue reports from public Python, JavaScript and TypeScript
// repositories, each paired with the files (and the functions or classes) the commit that fixed it
// changed, judged on the repository as it was at the fix's parent commit. eval/devset.json holds
// what was derived from each fixing commit (ids, commits, gold files and definitions); the issue
// texts and the repositories are not in this repository: they are third-party text and code, kept
// in a local cache (README, "Retrieval quality").
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { showsLine } from '../src/core/retrieve';

export type DevSetLanguage = 'python' | 'javascript' | 'typescript';

export interface GoldDefinition {
  path: string;
  name: string;
  /** The definition's first line (its `def`, `function` or `class` line) at the base commit. */
  line: number;
  endLine: number;
}

export interface DevSetInstance {
  id: string;
  repo: string;
  language: DevSetLanguage;
  issue: string;
  baseCommit: string;
  fixCommit: string;
  /** Source files the fix modified (tests, docs and build files left out). */
  goldFiles: string[];
  /** The innermost named definitions holding the lines the fix changed. */
  goldDefinitions: GoldDefinition[];
}

export interface DevSetCase extends DevSetInstance {
  question: string;
  root: string;
}

export interface DevSetLocation {
  /** Issue texts (`issues/<id>.md`) and materialised trees (`repos/<id>/`). */
  cache: string;
  /** Git directories of the repositories, `<owner>+<name>/repo` (the search tool's mirror layout). */
  mirror: string;
}

export function devSetLocation(env: NodeJS.ProcessEnv = process.env): DevSetLocation {
  return {
    cache: env.LORE_EVAL_CACHE || path.join(os.homedir(), '.cache', 'lore-eval'),
    mirror: env.LORE_EVAL_MIRROR || '/work/.mirror',
  };
}

export function loadDevSet(file = path.resolve(__dirname, '../../eval/devset.json')): DevSetInstance[] {
  return JSON.parse(readFileSync(file, 'utf8')) as DevSetInstance[];
}

/**
 * The instances whose issue text and repository are at hand, each materialised at its base commit
 * (once; later runs reuse the tree), and what is missing for the others.
 */
export function prepareDevSet(instances: DevSetInstance[], where: DevSetLocation): { cases: DevSetCase[]; missing: string[] } {
  const cases: DevSetCase[] = [];
  const missing: string[] = [];
  for (const instance of instances) {
    const issueFile = path.join(where.cache, 'issues', `${instance.id}.md`);
    const gitDir = path.join(where.mirror, instance.repo.replace('/', '+'), 'repo');
    if (!existsSync(issueFile)) missing.push(`${instance.id}: no issue text at ${issueFile}`);
    else if (!existsSync(gitDir)) missing.push(`${instance.id}: no git directory at ${gitDir}`);
    else cases.push({ ...instance, question: readFileSync(issueFile, 'utf8').trim(), root: materialise(instance, gitDir, where.cache) });
  }
  return { cases, missing };
}

/** The tree at the base commit, written to a temp folder and renamed into place so a broken run leaves nothing half-written. */
function materialise(instance: DevSetInstance, gitDir: string, cache: string): string {
  const root = path.join(cache, 'repos', `${instance.id}@${instance.baseCommit.slice(0, 12)}`);
  if (existsSync(root)) return root;
  const partial = `${root}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  const archive = execFileSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', instance.baseCommit], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', partial], { input: archive, maxBuffer: 1 << 30 });
  renameSync(partial, root);
  return root;
}

/**
 * True when an excerpt or prompt source shows one of the instance's gold definitions (its first
 * line): within its range and not among the lines it marks as left out.
 */
export function holdsDefinition(instance: DevSetInstance, source: { path: string; startLine: number; endLine: number; text: string }): boolean {
  return instance.goldDefinitions.some((d) => d.path === source.path && showsLine(source, d.line));
}
