// Query processing: a question is split into the exact terms a lexical index matches well
// (identifiers, paths, quoted code) and the prose keywords left over. Exact terms carry most of the
// signal in code questions ("where is `parseConfig` called?"), so the lexical query repeats them.
//
// No pattern here can backtrack badly (each repeated group ends at a character it cannot contain),
// so a 100 KB paste costs a few linear passes.

export interface QueryTerms {
  identifiers: string[];
  paths: string[];
  quoted: string[];
  keywords: string[];
}

/** Exact terms appear this many times in the lexical query, so they outweigh prose keywords. */
const EXACT_TERM_WEIGHT = 2;
/** The lexical query stays this short whatever was pasted: enough for every useful term of a stack trace. */
const MAX_QUERY_CHARS = 1200;
/** How many terms of each kind go in before any kind may use the rest of the budget. */
const FIRST_SHARE = 12;
/** Longer tokens are hashes, base64 or minified code: never a useful search term. */
const MAX_TERM_CHARS = 80;
/** Longer quoted text is a pasted block, not a phrase to match; its identifiers are still used. */
const MAX_QUOTED_CHARS = 120;

/** Extensions that make `name.ext` a file name rather than a dotted identifier (`config.json` vs `os.path`). */
const FILE_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs json jsonc py pyi rs go java kt kts scala c h cc cpp cxx hpp hh cs fs rb php swift m mm ' +
    'md mdx markdown rst txt adoc html htm css scss sass less vue svelte astro sh bash zsh ps1 bat cmd sql graphql gql proto ' +
    'yaml yml toml ini cfg conf env lock xml gradle properties dart lua r jl ex exs erl hs ml clj tf dockerfile makefile csv ipynb'
  ).split(' '),
);

const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any are aren as at be because been before being below between both ' +
    'but by can cannot could did do does doing don done down during each either else etc even ever every few for from further ' +
    'get gets got had has have having he her here hers him his how however i if in into is isn it its itself just let lets like ' +
    'me might more most much must my need no nor not now of off on once only or other our ours out over own please same shall ' +
    'she should so some such than that the their theirs them then there these they this those through to too under until up ' +
    'upon us use used uses using very via was we were what whats when where wheres which while who whom whose why will with ' +
    'within without would yes yet you your yours ' +
    // Question scaffolding that says nothing about the code.
    'anyone explain explained show tell know want wondering help happens happening way ways work works thing things ' +
    'code codebase project repo repository file files ' +
    // Bug-report template and courtesy words: in every report, so they point at no file.
    'reproduce reproduction reproducible expected actual behavior behaviour bug screenshot screenshots describe ' +
    'hi hello thanks thank regards'
  ).split(' '),
);

const FENCED_BLOCK = /```[^\n`]*\n?([\s\S]*?)(?:```|$)/g;
const BACKTICKED = /`([^`\n]+)`/g;
const DOUBLE_QUOTED = /["\u201c\u201d]([^"\u201c\u201d\n]{1,400})["\u201c\u201d]/g;
/** A run of path/identifier characters; classified afterwards, which keeps the patterns simple and linear. */
const TOKEN = /(?:[A-Za-z]:[/\\]|\/)?[\p{L}\p{N}_$][\p{L}\p{N}_$.\-/\\]*/gu;
/** `TypeError: message` / `java.lang.IllegalStateException: message` at the start of a line of a stack trace. */
const EXCEPTION_LINE = /^[ \t]*(?:Uncaught |Caused by: )?(?:[\w$]+\.)*([A-Z][\w$]*(?:Error|Exception|Fault|Panic))\b:?[ \t]*([^\n]*)/gm;
/** Identifier-ish words: `camelCase`, `PascalCase` (two humps), `snake_case`, `SCREAMING_CASE`, `$scope`. */
const CAMEL = /^[a-z$][a-z0-9$]*[A-Z][\w$]*$/;
const PASCAL = /^(?:[A-Z][a-z0-9]+[A-Z]|[A-Z]{2,}[a-z])[\w$]*$/;
const SNAKE = /^[\p{L}$][\p{L}\p{N}$]*(?:_+[\p{L}\p{N}$]+)+_*$|^_+[\p{L}\p{N}$]+\w*$/u;
const ERROR_CODE = /^E[A-Z]{3,}$/;
/** Log levels look like error codes (`ERROR`) but name no code. */
const LOG_LEVELS = new Set(['ERROR', 'ERRORS', 'EVENT', 'EXIT', 'EXEC']);
/** Python traceback frame: `File "app/models.py", line 42, in save`, and the header above them. */
const PYTHON_FRAME = /^[ \t]*File "([^"\n]{1,400})", line \d+, in ([\w$.<>]{1,120})[^\n]*/gm;
const PYTHON_TRACEBACK_HEADER = /^[ \t]*Traceback \(most recent call last\):?/gm;
/** JavaScript stack frame: `at Foo.bar (src/x.js:1:2)`, `at async handle (...)`, `at new Foo (...)`. */
const JS_FRAME = /^[ \t]*at (?:async |new )?([\w$.<>]{1,120}) [(\[]([^)\]\n]{0,400})[^\n]*/gm;
/** Numbers, hex addresses and hashes from logs: never a search term. */
const NOISE_WORD = /^(?:\d{1,2}|\d{5,}|0x[0-9a-f]+|(?=[0-9a-f]*\d)[0-9a-f]{8,})$/;
/**
 * A link: `https://play.vuejs.org/#eNp9...`, an issue or a docs page. Its host and query words
 * (`https`, `github`, `vuejs`) match changelogs and docs that link the same sites, and a playground
 * link's encoded state splits into dozens of random "identifiers"; it names no code. Only a link to
 * a file of a repository (`.../blob/<ref>/src/x.ts`) says where to look: its path is kept.
 */
const URL = /\b(?:https?:\/\/|www\.)[^\s<>()[\]{}"'`]+/gi;
const REPOSITORY_FILE = /\/(?:blob|tree|raw)\/[^/]+\/([^?#]+)/;

/** A question this long is a report or a paste (its first line is its title), not a question typed in chat. */
const REPORT_MIN_CHARS = 300;

export function isReport(question: string): boolean {
  return question.length >= REPORT_MIN_CHARS;
}
const MAX_TITLE_CHARS = 200;
const IDENTIFIER_SEGMENT = /^[A-Za-z_$][\w$]*$/;

/**
 * Identifiers (camelCase, snake_case, PascalCase, dotted `a.b.c`), file paths (`src/x/y.ts`,
 * `foo.py`, made POSIX and relative), `backticked code` and "quoted strings", and the prose
 * keywords left over (lower-cased, stop words removed). Each list in order of first appearance.
 */
export function extractQueryTerms(question: string): QueryTerms {
  const { identifiers, paths, quoted, keywords } = analyze(question);
  return { identifiers, paths, quoted, keywords };
}

/**
 * The query for the lexical index: exact terms twice, then keywords; at most MAX_QUERY_CHARS
 * whatever was pasted, keeping the highest-signal terms (exception types and messages, project
 * paths, identifiers). '' when nothing is left to search for.
 */
export function lexicalQueryFor(question: string): string {
  const a = analyze(question);

  const parts: string[] = [];
  // Each term goes in once, at its first and highest-priority place.
  const used = new Set<string>();
  let length = 0;
  const take = (terms: string[], limit: number, times: number): void => {
    let taken = 0;
    for (const term of terms) {
      if (taken >= limit) return;
      if (used.has(term)) continue;
      const cost = (term.length + 1) * times;
      if (length + cost > MAX_QUERY_CHARS) continue;
      for (let i = 0; i < times; i++) parts.push(term);
      used.add(term);
      length += cost;
      taken++;
    }
  };
  // What failed leads; then a first share of each kind, so a long paste full of paths
  // cannot crowd out the identifiers and words; then the rest while the budget lasts.
  take(a.exceptionTypes, FIRST_SHARE, EXACT_TERM_WEIGHT);
  take(a.exceptionWords, 2 * FIRST_SHARE, 1);
  take(a.titleKeywords, FIRST_SHARE, EXACT_TERM_WEIGHT);
  // The innermost frames are printed last in Python and first in JavaScript: both ends go in.
  take(a.frameFunctions.slice(-FIRST_SHARE / 2), FIRST_SHARE / 2, EXACT_TERM_WEIGHT);
  take(a.frameFunctions, FIRST_SHARE / 2, EXACT_TERM_WEIGHT);
  const paths = rankPaths(a.paths);
  for (const limit of [FIRST_SHARE, Infinity]) {
    take(paths, limit, EXACT_TERM_WEIGHT);
    take(a.identifiers, limit, EXACT_TERM_WEIGHT);
    // `getUser` in backticks is already an identifier (skipped as used); phrases add to it.
    take(a.quoted, limit, EXACT_TERM_WEIGHT);
    take(a.keywords, limit, 1);
  }
  return parts.join(' ');
}

/**
 * The lexical query for a follow-up and its rewrite by the chat model: the question's own query,
 * then each term of the rewrite the question lacks, once. The user's words keep their weight
 * whatever the rewrite says, so a bad rewrite can add candidates but not lose the obvious ones.
 */
export function lexicalQueryWithRewrite(question: string, rewrite: string): string {
  const own = lexicalQueryFor(question);
  const ownTerms = new Set(own.split(' '));
  const added = new Set(lexicalQueryFor(rewrite).split(' ').filter((term) => term && !ownTerms.has(term)));
  return [own, ...added].filter(Boolean).join(' ');
}

/** Receivers and globals a report's code calls through (`self.save`, `Object.keys`): never the definition asked about. */
const NOT_A_NAME = new Set('self this cls super Object console window document module exports prototype require import'.split(' '));
/** Shorter names are loop variables and abbreviations, defined everywhere. */
const MIN_NAME_CHARS = 3;
/** Backticked text that is one name, maybe called or a member: `strict`, `sqlparse.split()`, `.length`. */
const CODE_NAME = /^\.?[A-Za-z_$][\w$.]*(?:\(\))?$/;

/**
 * The code names a question says it is about, as a definition would spell them: functions of stack
 * frames, exception types, and identifiers and single words in backticks (`strict`) of its prose; a
 * dotted `a.b.c` gives its parts. Names only in a code block are left out: a reproduction mostly
 * calls the public API or names the user's own things. Each once, in order of signal.
 */
export function namedSymbols(question: string): string[] {
  const all = analyze(question);
  const prose = analyze(typeof question === 'string' ? question.replace(FENCED_BLOCK, ' ') : '');
  const names = new Set<string>();
  const add = (term: string): void => {
    for (const part of term.replace(/\(\)$/, '').split('.')) {
      if (part.length >= MIN_NAME_CHARS && IDENTIFIER_SEGMENT.test(part) && !NOT_A_NAME.has(part)) names.add(part);
    }
  };
  all.frameFunctions.forEach(add);
  all.exceptionTypes.forEach(add);
  prose.identifiers.forEach(add);
  prose.quoted.filter((phrase) => CODE_NAME.test(phrase)).forEach(add);
  return [...names];
}

/** Words that point back into the conversation: a question holding one needs it to be understood. */
const REFERRING_WORDS = new Set('it its itself this that these those they them their there same above previous earlier former latter else'.split(' '));
/** Openings that carry on from the last answer ("and where is it called?", "what about tests?"). */
const CONTINUATION = /^\s*(?:and|but|also|so|then|what about|how about)\b/i;
/** Prose keywords that make a question searchable on its own, when it names no identifier or path. */
const MIN_STANDALONE_KEYWORDS = 2;

/**
 * True when a question can be searched as it is, without the conversation: it names something
 * (an identifier, path, quoted text, or enough keywords) and neither continues the last answer nor
 * refers back to it. Wrongly false only costs a rewrite, whose terms are added to the question's.
 */
export function standsAlone(question: string): boolean {
  if (typeof question !== 'string' || CONTINUATION.test(question)) return false;
  const words = question.toLowerCase().match(/[\p{L}]+/gu) ?? [];
  if (words.some((word) => REFERRING_WORDS.has(word))) return false;
  const a = analyze(question);
  return a.identifiers.length + a.paths.length + a.quoted.length > 0 || a.keywords.length >= MIN_STANDALONE_KEYWORDS;
}

interface Analysis extends QueryTerms {
  exceptionTypes: string[];
  exceptionWords: string[];
  /** Functions named by stack frames, innermost last as printed. */
  frameFunctions: string[];
  /** Keywords of a long report's first line, which usually says what is wrong. */
  titleKeywords: string[];
}

function analyze(question: string): Analysis {
  // `src/a.ts:12:5` and `loader:1105:14`: positions are not search terms.
  let text = (typeof question === 'string' ? question : '')
    .replace(URL, (url) => ` ${REPOSITORY_FILE.exec(url)?.[1] ?? ''} `)
    .replace(/(?<=[\w)])(?::\d+){1,2}\b/g, ' ');
  // Sets keep first-seen order, so earlier (usually more relevant) terms lead.
  const quoted = new Set<string>();
  const identifiers = new Set<string>();
  const paths = new Set<string>();
  const keywords = new Set<string>();
  const exceptionTypes = new Set<string>();
  const exceptionWords = new Set<string>();

  // Exception types and their messages name what failed.
  for (const m of text.matchAll(EXCEPTION_LINE)) {
    exceptionTypes.add(m[1]);
    identifiers.add(m[1]);
    for (const word of proseWords(stripQuotes(m[2]))) {
      exceptionWords.add(word);
      keywords.add(word);
    }
  }

  // Stack frames name the functions that ran and the files they live in; the rest of a frame line
  // (`File`, `line`, `at async Object.<anonymous>`) is no prose to search for.
  const frameFunctions = new Set<string>();
  text = text
    .replace(PYTHON_TRACEBACK_HEADER, ' ')
    .replace(PYTHON_FRAME, (_, location: string, name: string) => {
      addFrameFunction(name, frameFunctions);
      return ` ${location} `;
    })
    .replace(JS_FRAME, (_, name: string, location: string) => {
      addFrameFunction(name, frameFunctions);
      return ` ${location} `;
    });

  const titleKeywords = isReport(text) ? proseWords(text.trimStart().split('\n', 1)[0].slice(0, MAX_TITLE_CHARS)) : [];

  // Code blocks and inline code: scanned for terms, and short inline code kept as an exact phrase.
  let prose = text.replace(FENCED_BLOCK, (_, body: string) => {
    collectTokens(body, identifiers, paths);
    return ' ';
  });
  prose = prose.replace(BACKTICKED, (_, body: string) => {
    addQuoted(body, quoted);
    collectTokens(body, identifiers, paths);
    return ' ';
  });
  prose = prose.replace(DOUBLE_QUOTED, (_, body: string) => {
    addQuoted(body, quoted);
    collectTokens(body, identifiers, paths);
    // Quoted prose still contributes keywords ("the "connection refused" error").
    return ` ${body} `;
  });

  const rest = prose.replace(TOKEN, (token) => (classifyToken(token, identifiers, paths) ? ' ' : token));
  for (const word of proseWords(rest)) keywords.add(word);

  return {
    identifiers: [...identifiers],
    paths: [...paths],
    quoted: [...quoted],
    keywords: [...keywords],
    exceptionTypes: [...exceptionTypes],
    exceptionWords: [...exceptionWords],
    frameFunctions: [...frameFunctions],
    titleKeywords,
  };
}

/** `Foo.bar` and `save` are kept; `<module>`, `<anonymous>` and `Object.<anonymous>` name nothing. */
function addFrameFunction(name: string, frameFunctions: Set<string>): void {
  const parts = name.split('.').filter((part) => IDENTIFIER_SEGMENT.test(part) && part !== 'Object');
  if (parts.length > 0) frameFunctions.add(parts.join('.'));
}

/** Project paths before library and runtime frames (`node_modules/`, `node:internal`), which a stack trace is full of. */
function rankPaths(paths: string[]): string[] {
  const isLibrary = (p: string) => /(?:^|\/)(?:node_modules|site-packages|dist-packages|vendor)\/|^node:|^internal\//.test(p);
  return [...paths.filter((p) => !isLibrary(p)), ...paths.filter(isLibrary)];
}

function addQuoted(body: string, quoted: Set<string>): void {
  const phrase = body.trim().replace(/\s+/g, ' ');
  if (phrase && phrase.length <= MAX_QUOTED_CHARS) quoted.add(phrase);
}

function collectTokens(text: string, identifiers: Set<string>, paths: Set<string>): void {
  for (const m of text.matchAll(TOKEN)) classifyToken(m[0], identifiers, paths);
}

/** Files a path or identifier token; returns false for plain words, which stay in the prose. */
function classifyToken(raw: string, identifiers: Set<string>, paths: Set<string>): boolean {
  if (raw.length > MAX_TERM_CHARS) return false;
  // Sentence punctuation is not part of the term.
  const token = raw.replace(/[.-]+$/, '');
  if (!token) return false;
  if (/[/\\]/.test(token)) {
    const path = normalizePath(token);
    if (path && looksLikePath(path)) {
      paths.add(path);
      return true;
    }
    return false;
  }
  if (token.includes('.')) {
    const segments = token.split('.');
    const last = segments[segments.length - 1].toLowerCase();
    if (segments.length >= 2 && segments.every((s) => s.length > 0) && FILE_EXTENSIONS.has(last) && /^[\w$-]+$/.test(segments[0])) {
      paths.add(token);
      return true;
    }
    // `a.b.c`, not `e.g` or a version number.
    if (segments.every((s) => IDENTIFIER_SEGMENT.test(s)) && segments.some((s) => s.length > 1)) {
      identifiers.add(token);
      return true;
    }
    return false;
  }
  if (CAMEL.test(token) || PASCAL.test(token) || SNAKE.test(token) || (ERROR_CODE.test(token) && !LOG_LEVELS.has(token)) || /^\$\w+$/.test(token)) {
    identifiers.add(token);
    return true;
  }
  return false;
}

/**
 * Index paths are POSIX and relative: `.\src\a.ts` and `./src/a.ts` both mean `src/a.ts`. An
 * absolute path from a log keeps its tail (where the project's own path is) or, in a library, the
 * part from `site-packages/` or `node_modules/` on: `/home/me/app/src/a.py` says `app/src/a.py`.
 */
function normalizePath(token: string): string {
  const path = token.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/\/{2,}/g, '/');
  if (!/^(?:\/|[A-Za-z]:\/)/.test(path)) return path;
  const library = LIBRARY_FOLDER.exec(path);
  if (library) return path.slice(library.index + 1);
  return path.split('/').filter(Boolean).slice(-ABSOLUTE_PATH_TAIL).join('/');
}

const LIBRARY_FOLDER = /\/(?:node_modules|site-packages|dist-packages|vendor)\//;
const ABSOLUTE_PATH_TAIL = 3;

function looksLikePath(path: string): boolean {
  const segments = path.split('/').filter(Boolean);
  if (segments.length === 0 || segments.some((s) => !/^[\p{L}\p{N}_.@\-]+$/u.test(s))) return false;
  const last = segments[segments.length - 1];
  const dot = last.lastIndexOf('.');
  const hasExtension = dot > 0 && FILE_EXTENSIONS.has(last.slice(dot + 1).toLowerCase());
  // "and/or" and "client/server" are prose; a folder path needs depth, or a trailing slash after two parts.
  return hasExtension || segments.length >= 3 || (segments.length === 2 && path.endsWith('/')) || path.startsWith('../');
}

function stripQuotes(text: string): string {
  return text.replace(/['"`\u2018\u2019\u201c\u201d]/g, ' ');
}

/** Lower-cased words of any script, without stop words, one-letter Latin words, short numbers and blobs. */
function proseWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)?/gu)) {
    const word = m[0].toLowerCase().replace(/['\u2019]\p{L}+$/u, '');
    if (STOP_WORDS.has(word) || word.length > MAX_TERM_CHARS) continue;
    if (/^[a-z]$/.test(word) || NOISE_WORD.test(word)) continue;
    words.push(word);
  }
  return words;
}
