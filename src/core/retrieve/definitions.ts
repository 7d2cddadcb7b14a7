// Definition-level evidence: a report that names a function or class in code form (a stack frame,
// `backticks`, a call in its snippet) is most often about the code that defines it, yet words alone
// rank its callers, tests and docs as high, since they repeat the name more. So the chunks that
// define a name the question uses are found (a lexical search for the name, then a check that the
// chunk's text declares it) and ranked with the best textual matches. A name defined in many
// places (`__init__`, `parse`) says nothing about where to look and is left out.
import type { Chunk, RefHit, SearchIndex } from '../types';
import { originalsOfCopies } from './copies';
import { fileKindOf } from './fileKind';
import { namedSymbols } from './queryTerms';

/** Names looked up per question: the first ones (frames, identifiers) carry the signal. */
const MAX_NAMES = 12;
/**
 * Hits ranked per name, and code chunks among them read: the definition matches the name in its
 * symbol and signature, so it ranks early once tests and docs (which call the name far more often)
 * are set aside by path. Reading a chunk reads its file (~0.15 ms): 100 read hits were a third of
 * a query at 20k chunks; 40 code hits find the same definitions on the dev set (63 of 87 in the top 10).
 */
const NAME_HITS = 200;
const NAME_CANDIDATES = 40;
/** A name defined in more than one file, or more often than this in it (overloads), is too common to point anywhere. */
const MAX_DEFINITIONS = 2;
/** Data and markup files hold keys, not definitions (`black = ...` in a pyproject.toml). */
const NOT_CODE = new Set(['plaintext', 'markdown', 'json', 'jsonc', 'yaml', 'toml', 'ini', 'xml', 'html', 'css', 'restructuredtext', 'properties']);

export interface Definition {
  chunk: Chunk;
  name: string;
  /** The line the chunk declares the name on (1-based). */
  line: number;
}

/**
 * Declaration forms of Python, JavaScript and TypeScript (and what looks like them in C-like
 * languages) of the name `\1`. One pattern for every name: the subject is the name, NUL, newline,
 * then the text (see `declarationOf`), and the pattern takes the name from there by backreference.
 * A pattern compiled per name cost ~250 µs a name, most of a query on a small index.
 */
const DECLARATION = (() => {
  const modifiers = '(?:(?:export|default|declare|abstract|public|private|protected|static|async|readonly|override|get|set)\\s+)*';
  // After a line's indentation: def name(, class Name, const name = ..., interface Name, type
  // Name =, enum Name, name(args) { (a method), name: function / name = (...) => (a property or assignment).
  const indented = [
    `(?:async\\s+)?def\\s+\\1\\s*[(\\[]`,
    `${modifiers}class\\s+\\1\\b`,
    `${modifiers}(?:const|let|var)\\s+\\1\\s*[=:]`,
    `${modifiers}(?:interface|type|enum|namespace)\\s+\\1\\b`,
    `${modifiers}\\*?\\1\\s*(?:<[^>]*>)?\\([^;]*\\)\\s*(?::[^;{]*)?\\{\\s*$`,
    `(?:[\\w$]+\\.)*\\1\\s*[:=]\\s*(?:async\\s+)?(?:function\\b|\\([^)]*\\)\\s*(?::[^=]*)?=>|[\\w$]+\\s*=>)`,
  ];
  const forms = [
    `^\\s*(?:${indented.join('|')})`,
    // Python module-level constants and class attributes: NAME = ...
    `^(?:    )?\\1\\s*(?::[^=]+)?=[^=]`,
    // function name(, function* name( anywhere in a line
    `\\bfunction\\s*\\*?\\s*\\1\\s*[(<]`,
  ];
  // Sticky: tried at the subject's start only, where the name is; the first (leftmost) declaration
  // wins. The line-start forms share one `^\s*`: 2.6x faster than each testing it.
  return new RegExp(`([^\\0]+)\\0\\n[\\s\\S]*?(${forms.join('|')})`, 'my');
})();

/** The offset in `text` of the first declaration of `name`, or -1. */
function declarationOf(name: string, text: string): number {
  const prefix = `${name}\0\n`;
  DECLARATION.lastIndex = 0;
  const m = DECLARATION.exec(prefix + text);
  if (!m) return -1;
  const declaration = m[2];
  return m.index + m[0].length - declaration.length - prefix.length + declaration.search(/\S/);
}

/** For each chunk that defines a name the question uses (in a rarely-defining name's few files), which name and on what line. */
export function definitionsNamedIn(question: string, index: SearchIndex): Map<string, Definition> {
  const found = new Map<string, Definition>();
  for (const name of namedSymbols(question).slice(0, MAX_NAMES)) {
    const defining: Array<{ chunk: Chunk; line: number }> = [];
    // A test or guide that defines the name is a helper or an example, not the code under report.
    const code = index.lexicalRanking(name, NAME_HITS, { asName: true }).filter((hit) => fileKindOf(hit.chunk.path) === 'code');
    for (const hit of code.slice(0, NAME_CANDIDATES)) {
      const chunk = index.getChunk(hit.chunk.id);
      if (!chunk || NOT_CODE.has(chunk.language) || !chunk.text.includes(name)) continue;
      const at = declarationOf(name, chunk.text);
      if (at !== -1) defining.push({ chunk, line: chunk.startLine + lineIndexAt(chunk.text, at) });
    }
    // Copies of a definition in bundles (`moment.js`, `min/`) are one definition, in its source file.
    const copies = originalsOfCopies(defining.map((d) => d.chunk), index);
    const originals = defining.filter((d) => !copies.has(d.chunk.id));
    if (originals.length > MAX_DEFINITIONS || new Set(originals.map((d) => d.chunk.path)).size > 1) continue;
    for (const { chunk, line } of originals) if (!found.has(chunk.id)) found.set(chunk.id, { chunk, name, line });
  }
  return found;
}

function lineIndexAt(text: string, offset: number): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** A chunk defining a named symbol scores at least what the hit at this rank scores: among the best matches, not above them all. */
export const DEFINITION_RANK = 3;

/**
 * Hits (best first) with each chunk that defines a named symbol scoring at least what the hit at
 * `rank` scores (added when the search had missed it), best first again; scores are by rank, so
 * this holds for any ranking.
 */
export function promoteDefinitions<T extends RefHit>(hits: T[], definitions: Map<string, Definition>, make: (chunk: Chunk, score: number) => T, rank: number = DEFINITION_RANK): T[] {
  if (definitions.size === 0 || hits.length === 0) return hits;
  const floor = hits[Math.min(rank, hits.length) - 1].score;
  const seen = new Set<string>();
  const promoted = hits.map((hit, order) => {
    seen.add(hit.chunk.id);
    const defines = definitions.has(hit.chunk.id);
    return { hit: defines && hit.score < floor ? { ...hit, score: floor } : hit, defines, order };
  });
  for (const [id, d] of definitions) if (!seen.has(id)) promoted.push({ hit: make(d.chunk, floor), defines: true, order: promoted.length });
  // At equal scores a definition goes first: it takes the rank, the hit that held it moves down one.
  return promoted.sort((a, b) => b.hit.score - a.hit.score || Number(b.defines) - Number(a.defines) || a.order - b.order).map(({ hit }) => hit);
}
