// The folder walk shared by the scanner and IgnoreRules: reads each folder once, loads its
// `.gitignore` before judging its entries, never descends into an excluded folder, and stays
// polite to the extension host (bounded concurrent stats, a yield every few hundred entries).
import type { Dirent, Stats } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { maxBytesFor } from '../docs/formats';
import type { ScannedFile, SkippedFile } from '../types';
import { tooLargeReason } from './read';
import { RuleSet } from './rules';
import { isSecretPath } from './secrets';

/** Stats in flight at once: enough to hide disk latency, few enough not to starve other I/O. */
const STAT_CONCURRENCY = 16;
/** Entries handled between yields to the event loop. */
const ENTRIES_PER_YIELD = 200;

const SECRET_REASON = 'secret file: never indexed';

export interface WalkOptions {
  root: string;
  excludes?: readonly string[];
  signal?: AbortSignal;
  /**
   * Absent: only the rules are wanted (IgnoreRules), files are neither stat'ed nor listed.
   * `linksOutside`: index files that symlinks lead to outside the root (a docs folder the user chose,
   * such as Debian's /usr/share/doc/r-doc-pdf/manual, is often made of links); never in a workspace.
   */
  files?: { maxFileBytes: number; onProgress?: (filesSeen: number) => void; linksOutside?: boolean };
}

export interface WalkResult {
  files: ScannedFile[];
  skipped: SkippedFile[];
  rules: RuleSet;
  /** The root with symlinks resolved. */
  rootReal: string;
}

interface DirToRead {
  rel: string;
  abs: string;
  /** Real path, to follow each folder once whatever links lead to it (no loops, no duplicates). */
  real: string;
}

type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export async function walkTree(options: WalkOptions): Promise<WalkResult> {
  const root = await checkRoot(options.root);
  const rules = await RuleSet.load(root.abs, options.excludes ?? []);
  const walk = new TreeWalk(root, rules, options);
  await walk.run();
  return { files: walk.files.sort(byPath), skipped: walk.skipped.sort(byPath), rules, rootReal: root.real };
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

async function checkRoot(root: string): Promise<{ abs: string; real: string }> {
  if (!path.isAbsolute(root)) throw new RangeError(`The folder to index must be an absolute path, got "${root}"`);
  const abs = path.resolve(root);
  let stat: Stats;
  try {
    stat = await fs.stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`Cannot index ${abs}: the folder does not exist`);
    throw new Error(`Cannot index ${abs}: ${code ?? String(err)}`);
  }
  if (!stat.isDirectory()) throw new Error(`Cannot index ${abs}: it is not a folder`);
  return { abs, real: await fs.realpath(abs) };
}

function abortError(what: string): Error {
  const err = new Error(`${what} was cancelled`);
  err.name = 'AbortError';
  return err;
}

class TreeWalk {
  readonly files: ScannedFile[] = [];
  readonly skipped: SkippedFile[] = [];
  private readonly visited = new Set<string>();
  private readonly queue: DirToRead[] = [];
  /** Symlinked folders, followed after the real tree so a real folder is always listed under its own path. */
  private readonly linkedDirs: DirToRead[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private filesSeen = 0;
  private sinceYield = 0;

  constructor(
    private readonly root: { abs: string; real: string },
    private readonly rules: RuleSet,
    private readonly options: WalkOptions,
  ) {}

  async run(): Promise<void> {
    this.throwIfAborted();
    this.visited.add(this.root.real);
    this.queue.push({ rel: '', abs: this.root.abs, real: this.root.real });
    for (;;) {
      for (let dir = this.queue.pop(); dir; dir = this.queue.pop()) await this.readDir(dir);
      while (this.inFlight.size) await Promise.all(this.inFlight);
      if (!this.linkedDirs.length) break;
      for (const dir of this.linkedDirs.sort(byRel).reverse()) {
        if (this.visited.has(dir.real)) continue;
        this.visited.add(dir.real);
        this.queue.push(dir);
      }
      this.linkedDirs.length = 0;
    }
    this.throwIfAborted();
    this.options.files?.onProgress?.(this.filesSeen);
  }

  private async readDir(dir: DirToRead): Promise<void> {
    this.throwIfAborted();
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir.abs, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (dir.rel === '') throw new Error(`Cannot index ${dir.abs}: the folder could not be read (${code ?? String(err)})`);
      // Deleted (or replaced by a file) since its parent was read: nothing left to index there.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      this.skipped.push({ path: dir.rel, reason: `folder could not be read (${code ?? String(err)}): its files are not indexed` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const gitignore = entries.find((e) => e.name === '.gitignore' && !e.isDirectory());
    if (gitignore) {
      const content = await fs.readFile(path.join(dir.abs, '.gitignore'), 'utf8').catch(() => undefined);
      if (content) this.rules.addGitignore(dir.rel, content);
    }

    for (const entry of entries) {
      await this.pace();
      const rel = dir.rel ? `${dir.rel}/${entry.name}` : entry.name;
      const abs = path.join(dir.abs, entry.name);
      const kind = await entryKind(entry, abs);
      if (kind === 'dir') {
        if (this.rules.ignores(rel, true)) continue;
        const real = path.join(dir.real, entry.name);
        if (this.visited.has(real)) continue;
        this.visited.add(real);
        this.queue.push({ rel, abs, real });
      } else if (kind === 'symlink') {
        await this.schedule(() => this.resolveLink(rel, abs));
      } else if (kind === 'file') {
        this.filesSeen++;
        if (!this.options.files || this.rules.ignores(rel, false)) continue;
        if (isSecretPath(rel)) {
          this.skipped.push({ path: rel, reason: SECRET_REASON });
          continue;
        }
        await this.schedule(() => this.statFile(rel, abs));
      }
    }
  }

  /** A symlink is judged by where it sits, followed only to a target inside the indexed folder. */
  private async resolveLink(rel: string, abs: string): Promise<void> {
    const target = await fs.stat(abs).catch(() => undefined);
    // Broken link or link loop (ELOOP): nothing to index.
    if (!target) return;
    if (target.isDirectory()) {
      if (this.rules.ignores(rel, true)) return;
      const real = await fs.realpath(abs).catch(() => undefined);
      if (!real) return;
      if (isInside(this.root.real, real)) this.linkedDirs.push({ rel, abs, real });
      else if (this.options.files) this.skipped.push({ path: rel, reason: 'symlink to a folder outside the indexed folder: not followed' });
      return;
    }
    if (!target.isFile()) return;
    this.filesSeen++;
    if (!this.options.files || this.rules.ignores(rel, false)) return;
    const real = await fs.realpath(abs).catch(() => undefined);
    if (!real) return;
    const inside = isInside(this.root.real, real);
    if (!inside && !this.options.files.linksOutside) {
      this.skipped.push({ path: rel, reason: 'symlink to a file outside the indexed folder: not indexed' });
      return;
    }
    // A harmless name can point at `.env`.
    if (isSecretPath(rel) || isSecretPath(inside ? posixRelative(this.root.real, real) : path.basename(real))) {
      this.skipped.push({ path: rel, reason: SECRET_REASON });
      return;
    }
    this.addFile(rel, abs, target);
  }

  private async statFile(rel: string, abs: string): Promise<void> {
    let stat: Stats;
    try {
      stat = await fs.stat(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Deleted between readdir and stat: simply no longer there.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.skipped.push({ path: rel, reason: `could not be read (${code ?? String(err)})` });
      return;
    }
    if (stat.isFile()) this.addFile(rel, abs, stat);
  }

  private addFile(rel: string, abs: string, stat: Stats): void {
    const maxFileBytes = maxBytesFor(rel, this.options.files!.maxFileBytes);
    if (stat.size > maxFileBytes) this.skipped.push({ path: rel, reason: tooLargeReason(stat.size, maxFileBytes) });
    else this.files.push({ path: rel, absPath: abs, size: stat.size, mtimeMs: stat.mtimeMs });
  }

  /** Starts `task` once fewer than STAT_CONCURRENCY are in flight. Tasks record their own failures. */
  private async schedule(task: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= STAT_CONCURRENCY) await Promise.race(this.inFlight);
    const running: Promise<void> = task().finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  private async pace(): Promise<void> {
    if (++this.sinceYield < ENTRIES_PER_YIELD) return;
    this.sinceYield = 0;
    await yieldToEventLoop();
    this.throwIfAborted();
    this.options.files?.onProgress?.(this.filesSeen);
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw abortError(`Scan of ${this.root.abs}`);
  }
}

/** Whether real path `real` is `parentReal` or below it. */
export function isInside(parentReal: string, real: string): boolean {
  const base = parentReal.endsWith(path.sep) ? parentReal : parentReal + path.sep;
  return real === parentReal || real.startsWith(base);
}

export function posixRelative(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join('/');
}

function byRel(a: DirToRead, b: DirToRead): number {
  return a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0;
}

async function entryKind(entry: Dirent, abs: string): Promise<EntryKind> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'dir';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return 'other';
  // Some file systems do not report entry types in readdir (DT_UNKNOWN).
  const stat = await fs.lstat(abs).catch(() => undefined);
  if (!stat) return 'other';
  return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
}
