// Shorter views of a source, for a prompt that cannot take it whole. A long source gives the part
// the question is about: its first line (the signature, for a definition), the run of lines that
// covers most of the question's terms, and what lies between marked as left out. A definition the
// prompt has no room for gives its signature alone, with its line range: the model knows where it is
// and can say so, at ~20 tokens instead of hundreds. Markers are the `⋮ lines a-b left out` lines
// the enclosing-signature excerpts use, so every line shown keeps its file line number.
import { indexTerms, weightedQueryTerms } from '../lexical';
import { elisionLine, fileLinesOf } from '../retrieve/enclosingSignatures';
import { splitLines } from '../retrieve/fusion';
import { lexicalQueryFor } from '../retrieve/queryTerms';
import type { RetrievedChunk } from '../types';
import { cutChars } from './sourceText';

/** The question's lexical terms with their weights (an identifier it names weighs more than a word). */
export type QuestionTerms = Map<string, number>;

/** A signature line is cut here: a minified line or a long parameter list is not worth more. */
const MAX_SIGNATURE_CHARS = 200;
/** What one `⋮ lines a-b left out` marker costs at most, with its line break. */
const MARKER_CHARS = elisionLine(9_999_999, 9_999_999).length + 1;

export function questionTermsOf(question: string): QuestionTerms {
  return weightedQueryTerms(lexicalQueryFor(question));
}

/**
 * The source cut to at most `maxChars` of text: its first line, then the run of lines holding the
 * most of the question's terms (by weight, each term counted once; more hits break ties), with
 * markers for the lines left out. Undefined when no line holds a question term (nothing says which
 * part matters) or the source is already that short.
 */
export function relevantPart(source: RetrievedChunk, terms: QuestionTerms, maxChars: number): RetrievedChunk | undefined {
  const { chunk } = source;
  if (chunk.text.length <= maxChars || terms.size === 0) return undefined;
  const lines = splitLines(chunk.text);
  const fileLines = fileLinesOf(chunk.startLine, chunk.text);
  const room = maxChars - lines[0].length - 1 - 2 * MARKER_CHARS;
  if (lines.length < 3 || room <= 0) return undefined;
  const matched = lines.map((line, i) => (fileLines[i] === undefined ? [] : [...new Set(indexTerms(line))].filter((term) => terms.has(term))));

  // Two pointers: for each first line, the longest run that fits; the coverage of the run kept up to date.
  const inRun = new Map<string, number>();
  let coverage = 0;
  let hits = 0;
  let chars = 0;
  let end = 1;
  let best = { coverage: 0, hits: 0, from: 0, to: 0 };
  for (let from = 1; from < lines.length; from++) {
    if (end <= from) {
      end = from;
      chars = 0;
    }
    while (end < lines.length && chars + lines[end].length + 1 <= room) {
      chars += lines[end].length + 1;
      for (const term of matched[end]) {
        const seen = inRun.get(term) ?? 0;
        if (seen === 0) coverage += terms.get(term)!;
        inRun.set(term, seen + 1);
      }
      hits += matched[end].length;
      end++;
    }
    if (end > from && (coverage > best.coverage || (coverage === best.coverage && hits > best.hits))) best = { coverage, hits, from, to: end };
    if (end > from) {
      chars -= lines[from].length + 1;
      for (const term of matched[from]) {
        const seen = inRun.get(term)! - 1;
        if (seen === 0) coverage -= terms.get(term)!;
        inRun.set(term, seen);
      }
      hits -= matched[from].length;
    }
  }
  if (best.coverage === 0) return undefined;
  const shown = [0];
  for (let i = best.from; i < best.to; i++) shown.push(i);
  return { ...source, chunk: { ...chunk, text: withMarkers(shown, lines, fileLines, chunk.endLine) } };
}

/**
 * A definition's signature line alone, its range kept (`path:start-end`), the body marked as left
 * out. Undefined for a source that is not a definition or whose signature line is not in its text.
 */
export function signatureOnly(source: RetrievedChunk): RetrievedChunk | undefined {
  const { chunk } = source;
  const name = chunk.symbol?.split(/[.\s>:#]+/).filter(Boolean).at(-1)?.replace(/\(.*$/, '');
  if (!name) return undefined;
  const lines = splitLines(chunk.text);
  const fileLines = fileLinesOf(chunk.startLine, chunk.text);
  const declares = new RegExp(`(^|[^\\w$])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w$]|$)`);
  const at = lines.findIndex((line, i) => fileLines[i] !== undefined && declares.test(line));
  if (at < 0) return undefined;
  const line = fileLines[at]!;
  const signature = cutChars(lines[at].trim(), MAX_SIGNATURE_CHARS);
  const text = line < chunk.endLine ? `${signature}\n${elisionLine(line + 1, chunk.endLine)}` : signature;
  return { ...source, chunk: { ...chunk, startLine: line, text } };
}

/** The text of the lines `shown` (indexes into `lines`, ascending), with a marker for each run of file lines left out, up to `endLine`. */
function withMarkers(shown: number[], lines: string[], fileLines: Array<number | undefined>, endLine: number): string {
  const out: string[] = [];
  let last: number | undefined;
  for (const i of shown) {
    const line = fileLines[i];
    if (line === undefined) continue;
    if (last !== undefined && line > last + 1) out.push(elisionLine(last + 1, line - 1));
    out.push(lines[i]);
    last = line;
  }
  if (last !== undefined && last < endLine) out.push(elisionLine(last + 1, endLine));
  return out.join('\n');
}
