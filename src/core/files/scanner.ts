// Which files of a folder Lore indexes: the full scan (scanFolder) and the per-path decision for
// file-watcher events (IgnoreRules). Both walk the tree the same way, so they always agree.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ScannedFile, SkippedFile } from '../types';
import { assertValidMaxFileBytes } from './read';
import type { RuleSet } from './rules';
import { isSecretPath } from './secrets';
import { isInside, posixRelative, walkTree } from './walk';

export interface ScanOptions {
  /** Absolute folder to index. */
  root: string;
  /** Files larger are skipped with a reason. */
  maxFileBytes: number;
  /** Extra gitignore-style patterns (the `lore.exclude` setting and VS Code's `files.exclude` globs). */
  excludes?: string[];
  /** Cancels the scan: it rejects with an error named 'AbortError'. */
  signal?: AbortSignal;
  onProgress?: (filesSeen: number) => void;
  /** Index files symlinks lead to outside `root`: only for a docs folder the user chose (see WalkOptions). */
  linksOutside?: boolean;
}

export interface ScanResult {
  /** Sorted by path. */
  files: ScannedFile[];
  /** Files a user should hear about (too large, secret, unreadable folder), sorted by path. Files excluded by a rule are not listed. */
  skipped: SkippedFile[];
}

/**
 * Lists the files of `root` that Lore indexes. Rejects, naming the folder, when it does not exist or
 * cannot be read; problems below it (a folder that cannot be read, a vanished file) never stop the scan.
 */
export async function scanFolder(opts: ScanOptions): Promise<ScanResult> {
  assertValidMaxFileBytes(opts.maxFileBytes);
  const { files, skipped } = await walkTree({
    root: opts.root,
    excludes: opts.excludes,
    signal: opts.signal,
    files: { maxFileBytes: opts.maxFileBytes, onProgress: opts.onProgress, linksOutside: opts.linksOutside },
  });
  return { files, skipped };
}

/**
 * Decides whether one path (from a file watcher event) should be indexed, without a full scan.
 * `ignores` judges the path as written; `ignoresOnDisk` also resolves symlinks, as the scan does.
 */
export class IgnoreRules {
  /** Bumped by each reload; only the latest reload's rules are kept. */
  private generation = 0;

  private constructor(
    private readonly root: string,
    private readonly excludes: readonly string[],
    private rules: RuleSet,
    private rootReal: string,
  ) {}

  /** Reads every `.gitignore` the scan would read (walking folders only, no file stats). */
  static async load(root: string, excludes: readonly string[] = []): Promise<IgnoreRules> {
    const { rules, rootReal } = await walkTree({ root, excludes });
    return new IgnoreRules(root, [...excludes], rules, rootReal);
  }

  /**
   * `relPath` is POSIX, relative to the root; a trailing slash marks a folder. True when a built-in
   * exclude, a secret path, `.loreignore`, any `.gitignore` on the way down, or an exclude matches,
   * and for paths outside the root ('../x'), which this folder never indexes.
   */
  ignores(relPath: string): boolean {
    if (relPath === '' || path.posix.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) {
      throw new RangeError(`IgnoreRules.ignores expects a path relative to ${this.root}, got "${relPath}"`);
    }
    const isDir = relPath.endsWith('/');
    const rel = path.posix.normalize(relPath).replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../')) return true;
    if (rel === '.') throw new RangeError(`IgnoreRules.ignores expects a path below ${this.root}, got "${relPath}"`);
    return isSecretPath(isDir ? rel + '/' : rel) || this.rules.ignores(rel, isDir);
  }

  /**
   * `ignores`, plus what only the disk can tell: true when the path leads through a symlink outside
   * the folder or to a secret file, which the scan skips too. Check watcher paths with this before
   * reading them: a link created after the scan must not carry outside files into the index.
   */
  async ignoresOnDisk(relPath: string): Promise<boolean> {
    if (this.ignores(relPath)) return true;
    const real = await fs.realpath(path.join(this.root, ...relPath.split('/'))).catch(() => undefined);
    // Gone (or a broken link): there is nothing to read, the caller drops it from the index.
    if (!real) return false;
    return !isInside(this.rootReal, real) || isSecretPath(posixRelative(this.rootReal, real));
  }

  /** Re-reads the rules; call when a `.gitignore` or `.loreignore` changed (the watcher saw it). */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    const { rules, rootReal } = await walkTree({ root: this.root, excludes: this.excludes });
    if (generation === this.generation) [this.rules, this.rootReal] = [rules, rootReal];
  }
}
