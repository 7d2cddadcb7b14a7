// Ignore rules with git's semantics: `.gitignore` at every level applies relative to its folder,
// deeper files override shallower ones, a negation cannot re-include a file whose folder is
// excluded. On top of git's rules, Lore's own: built-ins, `.loreignore` and the user's excludes.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import { BUILTIN_EXCLUDES } from './builtinExcludes';

/** Git compares paths case-insensitively where the file system usually does (`core.ignorecase`). */
const GIT_IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

/** The git rules that apply inside one folder: its own `.gitignore` and every one above it. */
interface GitChain {
  /** Rebased to the git work tree's top, shallowest first, so the last match is the deepest rule. */
  patterns: readonly string[];
  matcher: ignore.Ignore;
}

function makeChain(patterns: readonly string[]): GitChain {
  return { patterns, matcher: ignore({ ignorecase: GIT_IGNORE_CASE }).add(patterns) };
}

export function parentDir(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

export function splitPatternLines(content: string): string[] {
  return content.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/**
 * Rewrites a gitignore line from the folder `dir` (relative to the work tree's top) so that it
 * means the same thing in one rule list for the whole tree. Like git: a pattern with a slash
 * before its end is anchored to its folder, one without matches at any depth below it.
 */
export function rebasePattern(line: string, dir: string): string | undefined {
  if (line.trim() === '' || line.startsWith('#')) return undefined;
  if (dir === '') return line;
  const negated = line.startsWith('!');
  // Trailing spaces are not part of a pattern unless escaped with a backslash.
  const body = (negated ? line.slice(1) : line).replace(/(?<!\\)[ \t]+$/, '');
  const withoutTrailingSlash = body.replace(/\/+$/, '');
  if (withoutTrailingSlash === '') return undefined;
  const anchored = withoutTrailingSlash.includes('/');
  const rebased = anchored ? `${dir}/${body.replace(/^\/+/, '')}` : `${dir}/**/${body}`;
  return (negated ? '!' : '') + rebased;
}

function rebaseAll(content: string, dir: string): string[] {
  return splitPatternLines(content)
    .map((line) => rebasePattern(line, dir))
    .filter((p): p is string => p !== undefined);
}

async function readOptional(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

/** The nearest folder at or above `root` that holds a `.git` (folder, or file in submodules and worktrees). */
async function findGitTop(root: string): Promise<string | undefined> {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * All rules for one indexed folder. `.gitignore` files below the root are added by the tree walk as
 * it enters each folder (parents before children); a folder without one uses its parent's chain.
 */
export class RuleSet {
  private readonly chains = new Map<string, GitChain>();

  private constructor(
    /** Built-ins, `.loreignore`, then excludes: relative to the indexed folder. */
    private readonly lore: ignore.Ignore,
    /** Where the indexed folder sits in the git work tree ('' or 'packages/app/'): git rules see paths as git does. */
    private readonly topPrefix: string,
    /** Rules from above the indexed folder: `.git/info/exclude` and `.gitignore` files of parent folders. */
    private readonly outer: GitChain,
  ) {}

  static async load(root: string, excludes: readonly string[]): Promise<RuleSet> {
    const lore = ignore({ ignorecase: true })
      .add(BUILTIN_EXCLUDES)
      .add(splitPatternLines((await readOptional(path.join(root, '.loreignore'))) ?? ''))
      .add(excludes);

    const top = (await findGitTop(root)) ?? root;
    const topPrefix = top === root ? '' : path.relative(top, root).split(path.sep).join('/') + '/';
    // Lowest precedence first: info/exclude, then each parent folder's .gitignore, top down.
    const outerPatterns = rebaseAll((await readOptional(path.join(top, '.git', 'info', 'exclude'))) ?? '', '');
    const between = topPrefix.split('/').filter(Boolean);
    for (let depth = 0; depth < between.length; depth++) {
      const dir = between.slice(0, depth).join('/');
      const content = await readOptional(path.join(top, ...between.slice(0, depth), '.gitignore'));
      if (content) outerPatterns.push(...rebaseAll(content, dir));
    }
    let outer = makeChain(outerPatterns);
    // The user opened a folder git ignores (say node_modules/some-lib): index it as a project of its own.
    if (topPrefix && outer.matcher.ignores(topPrefix)) outer = makeChain([]);
    return new RuleSet(lore, topPrefix, outer);
  }

  /** Adds the `.gitignore` of folder `dirRel` ('' for the root). Call for a folder before its subfolders. */
  addGitignore(dirRel: string, content: string): void {
    const own = rebaseAll(content, (this.topPrefix + dirRel).replace(/\/$/, ''));
    if (!own.length) return;
    const inherited = dirRel === '' ? this.outer : this.chainFor(parentDir(dirRel));
    this.chains.set(dirRel, makeChain([...inherited.patterns, ...own]));
  }

  /**
   * Whether `rel` (POSIX, relative to the indexed folder, no leading or trailing slash) is excluded by
   * a rule, itself or through one of its folders.
   */
  ignores(rel: string, isDir: boolean): boolean {
    const candidate = isDir ? rel + '/' : rel;
    if (this.lore.ignores(candidate)) return true;
    const chain = this.chainFor(parentDir(rel));
    return chain.patterns.length > 0 && chain.matcher.ignores(this.topPrefix + candidate);
  }

  private chainFor(dirRel: string): GitChain {
    for (let dir = dirRel; ; dir = parentDir(dir)) {
      const chain = this.chains.get(dir);
      if (chain) return chain;
      if (dir === '') return this.outer;
    }
  }
}
