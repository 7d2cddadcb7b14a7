// What kind of file a hit comes from, and how much that kind should count for a question. Tests
// repeat the names and the reproduction of a bug report far more than the code under test does, and
// changelogs and guides retell what every report is about: ranked on words alone they crowd out the
// code a report is about. So, unless the question asks about them, test files weigh less, and
// prose weighs less when the question is about code (it names identifiers, paths or code).
import type { RefHit } from '../types';
import { extractQueryTerms } from './queryTerms';

export type FileKind = 'code' | 'test' | 'docs';

/** Score factor of a test file's hits when the question does not ask about tests. */
export const TEST_FILE_WEIGHT = 0.5;
/** Score factor of a prose file's hits when the question is about code. */
export const DOCS_FOR_CODE_WEIGHT = 0.5;

/** `test/`, `__tests__/`, `spec/`, and folders named so with a prefix or suffix: `typing-tests/`, `test_utils/`. */
const TEST_FOLDER = /(?:^|\/)(?:[\w.-]*[-_.])?(?:tests?|specs?|testing)(?:[-_.][\w.]*)?\//i;
const TEST_NAME = /(?:^|\/)(?:test_[^/]*\.py|[^/]*_test\.(?:py|go)|conftest\.py|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?)$/i;
const DOCS_NAME = /\.(?:md|mdx|markdown|rst|txt|adoc)$|(?:^|\/)(?:changelog|changes|history|news)(?:\.[^/]*)?$/i;
const ASKS_ABOUT_TESTS = /\b(?:tests?|testing|spec|specs|fixtures?|unit ?tests?)\b/i;

export function fileKindOf(path: string): FileKind {
  if (TEST_FOLDER.test(path) || TEST_NAME.test(path)) return 'test';
  if (DOCS_NAME.test(path)) return 'docs';
  return 'code';
}

/** Per kind, the factor a question gives its hits (1: as ranked). */
export function kindWeights(question: string): Record<FileKind, number> {
  const terms = extractQueryTerms(question);
  const aboutCode = terms.identifiers.length + terms.paths.length + terms.quoted.length > 0;
  return {
    code: 1,
    test: ASKS_ABOUT_TESTS.test(question) && !aboutCode ? 1 : TEST_FILE_WEIGHT,
    docs: aboutCode ? DOCS_FOR_CODE_WEIGHT : 1,
  };
}

/** Hits re-weighted by their file's kind, best first (a stable sort: equal scores keep their order). */
export function weighByFileKind<T extends RefHit>(hits: T[], question: string): T[] {
  const weights = kindWeights(question);
  if (weights.test === 1 && weights.docs === 1) return hits;
  const factors = hits.map((hit) => weights[fileKindOf(hit.chunk.path)]);
  // Nothing to weigh (all code, say): the order stands, and ~250 hits are not copied and sorted.
  if (factors.every((factor) => factor === 1)) return hits;
  return hits
    .map((hit, order) => ({ hit: factors[order] === 1 ? hit : { ...hit, score: hit.score * factors[order] }, order }))
    .sort((a, b) => b.hit.score - a.hit.score || a.order - b.order)
    .map(({ hit }) => hit);
}
