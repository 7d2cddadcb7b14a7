// Benchmark corpora made from real code nobody on the team wrote (packages in node_modules), with
// gold answers taken from the code itself. Each corpus is a copy with the text that states the
// answer removed, so a question cannot be answered by finding its own words:
//  - lint-rules: each ESLint / typescript-eslint rule's `meta.docs.description` is the question, the
//    rule's file the answer. The copy has the description emptied and ESLint's `@fileoverview`
//    line (a paraphrase of it) blanked.
//  - doc-comments: each documented function, method or class of a few well-known packages: the doc
//    comment's text is the question, the declaration the answer; the copy has that comment blanked.
// Removed text is replaced by blank lines, so gold line numbers hold in the copy.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export interface EvalQuery {
  question: string;
  /** Every file that answers it (two rules can share one description). */
  goldFiles: string[];
  /** A retrieved chunk answers it when it spans one of these lines. */
  goldLines: Array<{ path: string; line: number }>;
}

export interface Corpus {
  name: string;
  description: string;
  /** Files written under the corpus root. */
  files: number;
  queries: EvalQuery[];
}

const NODE_MODULES = path.resolve(__dirname, '../../node_modules');

/** Writes the lint-rules corpus under `root` and returns its questions. */
export function buildLintRulesCorpus(root: string): Corpus {
  const sources = [
    { dir: path.join(NODE_MODULES, 'eslint/lib/rules'), to: 'eslint/rules' },
    { dir: path.join(NODE_MODULES, '@typescript-eslint/eslint-plugin/dist/rules'), to: 'typescript-eslint/rules' },
  ];
  const byDescription = new Map<string, EvalQuery>();
  let files = 0;
  for (const { dir, to } of sources) {
    for (const rel of listFiles(dir, (f) => f.endsWith('.js'))) {
      let text = readFileSync(path.join(dir, rel), 'utf8');
      const target = `${to}/${rel}`;
      const description = rel.includes('/') ? undefined : ruleDescription(path.join(dir, rel));
      if (description) {
        const at = text.indexOf(description);
        if (at >= 0) {
          const line = lineOf(text, at);
          text = text.split(description).join('');
          const query = byDescription.get(description) ?? { question: description, goldFiles: [], goldLines: [] };
          query.goldFiles.push(target);
          query.goldLines.push({ path: target, line });
          byDescription.set(description, query);
        }
      }
      text = text.replace(/^(\s*\*\s*)@fileoverview[^\n]*/m, '$1');
      writeCorpusFile(root, target, text);
      files++;
    }
  }
  return {
    name: 'lint-rules',
    description: 'ESLint + typescript-eslint rule description -> rule file (descriptions removed)',
    files,
    queries: [...byDescription.values()],
  };
}

/** The packages the doc-comments corpus is made of: sources with doc comments, from different authors. */
const DOC_COMMENT_SOURCES = [
  { dir: 'protobufjs/src', to: 'protobufjs' },
  { dir: 'commander/lib', to: 'commander' },
  { dir: 'minisearch/src', to: 'minisearch' },
  { dir: 'vectra/src', to: 'vectra' },
  { dir: 'ollama/src', to: 'ollama' },
  { dir: 'ignore', to: 'ignore', only: ['index.js'] },
];

/** Shorter doc comments ("Constructor.", "The name.") are no question anyone asks. */
const MIN_QUESTION_WORDS = 5;
const MAX_QUESTION_CHARS = 300;

/** Writes the doc-comments corpus under `root` and returns its questions. */
export function buildDocCommentsCorpus(root: string): Corpus {
  const candidates: EvalQuery[] = [];
  let files = 0;
  for (const source of DOC_COMMENT_SOURCES) {
    const dir = path.join(NODE_MODULES, source.dir);
    const wanted = (f: string) => /\.(ts|js)$/.test(f) && !/\.(d|spec|test)\.ts$/.test(f) && (!source.only || source.only.includes(f));
    for (const rel of listFiles(dir, wanted)) {
      const target = `${source.to}/${rel}`;
      const original = readFileSync(path.join(dir, rel), 'utf8');
      const { text, documented } = stripDocComments(original, rel);
      for (const { question, line } of documented) candidates.push({ question, goldFiles: [target], goldLines: [{ path: target, line }] });
      writeCorpusFile(root, target, text);
      files++;
    }
  }
  // The same comment on several declarations ("Converts this to JSON.") has no single answer.
  const counts = new Map<string, number>();
  for (const q of candidates) counts.set(q.question, (counts.get(q.question) ?? 0) + 1);
  return {
    name: 'doc-comments',
    description: 'doc comment -> documented declaration (comment removed); protobufjs, commander, minisearch, vectra, ollama, ignore',
    files,
    queries: candidates.filter((q) => counts.get(q.question) === 1),
  };
}

interface Documented {
  question: string;
  /** 1-based line of the declaration itself. */
  line: number;
}

/** Blanks the doc comments of functions, methods and classes, returning each comment's text as a question. */
function stripDocComments(text: string, fileName: string): { text: string; documented: Documented[] } {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const documented: Documented[] = [];
  const blanks: Array<[number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (isDocumentedDeclaration(node)) {
      const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
      const question = docs.map((d) => cleanComment(ts.getTextOfJSDocComment(d.comment) ?? '')).join(' ').trim();
      if (docs.length > 0 && question.split(/\s+/).length >= MIN_QUESTION_WORDS) {
        documented.push({ question: question.slice(0, MAX_QUESTION_CHARS), line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
        for (const d of docs) blanks.push([d.getStart(source), d.getEnd()]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let out = text;
  for (const [start, end] of blanks.sort((a, b) => b[0] - a[0])) {
    out = out.slice(0, start) + out.slice(start, end).replace(/[^\n]/g, '') + out.slice(end);
  }
  return { text: out, documented };
}

function isDocumentedDeclaration(node: ts.Node): boolean {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isClassDeclaration(node) || ts.isGetAccessor(node)) return true;
  // protobufjs style: `Type.prototype.add = function add(...)`, and `const f = () => ...`.
  if (ts.isExpressionStatement(node)) {
    const e = node.expression;
    return ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken && isFunctionLike(e.right);
  }
  if (ts.isVariableStatement(node)) return node.declarationList.declarations.some((d) => d.initializer !== undefined && isFunctionLike(d.initializer));
  return false;
}

function isFunctionLike(node: ts.Node): boolean {
  return ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isClassExpression(node);
}

/** `{@link Foo}` reads as `Foo`; whitespace collapses. */
function cleanComment(comment: string): string {
  return comment
    .replace(/\{@\w+\s+([^}|]+)(?:\|[^}]*)?\}/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function ruleDescription(file: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(file) as { default?: RuleModule } & RuleModule;
  const rule = loaded.default ?? loaded;
  const description = rule.meta?.docs?.description;
  return typeof description === 'string' && description.trim() ? description : undefined;
}

interface RuleModule {
  meta?: { docs?: { description?: unknown } };
}

function listFiles(dir: string, wanted: (rel: string) => boolean, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) out.push(...listFiles(abs, wanted, rel));
    else if (wanted(rel)) out.push(rel);
  }
  return out;
}

function writeCorpusFile(root: string, rel: string, text: string): void {
  const abs = path.join(root, ...rel.split('/'));
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
