// Shared checks for chunker tests: the properties every chunking of every file must satisfy.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Chunk } from '../../../src/core/types';
import { estimateTokens } from '../../../src/core/tokens';

export const FIXTURE_DIR = path.resolve(__dirname, '../../../../test/fixtures/chunk');

/** TypeScript fixtures end in `.fixture` so the test build does not compile them. */
export function readFixture(name: string): string {
  return readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
}

/** 1-based line where `needle` starts (must occur exactly once). */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `fixture lacks ${JSON.stringify(needle)}`);
  assert.equal(text.indexOf(needle, at + 1), -1, `${JSON.stringify(needle)} occurs more than once`);
  return text.slice(0, at).split('\n').length;
}

/** 1-based line where `needle` ends. */
export function endLineOf(text: string, needle: string): number {
  return lineOf(text, needle) + needle.split('\n').length - 1;
}

/**
 * Every chunk's text is exactly its lines; pieces of a hard-split line (same start and end line,
 * text shorter than the line) are consecutive and concatenate back to the line.
 */
export function assertExactText(text: string, chunks: Chunk[]): void {
  const lines = text.split('\n');
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    assert.ok(chunk.startLine >= 1 && chunk.endLine <= lines.length && chunk.startLine <= chunk.endLine,
      `bad range ${chunk.startLine}-${chunk.endLine}`);
    const expected = lines.slice(chunk.startLine - 1, chunk.endLine).join('\n');
    if (chunk.text === expected) continue;
    assert.equal(chunk.startLine, chunk.endLine, `chunk ${chunk.startLine}-${chunk.endLine} text differs from its lines`);
    let joined = '';
    let j = i;
    while (j < chunks.length && chunks[j].startLine === chunk.startLine && chunks[j].endLine === chunk.startLine) {
      joined += chunks[j].text;
      j++;
    }
    assert.equal(joined, expected, `pieces of line ${chunk.startLine} do not rebuild it`);
    i = j - 1;
  }
}

/** Every non-blank line lies in some chunk. */
export function assertCoverage(text: string, chunks: Chunk[]): void {
  const covered = new Uint8Array(text.split('\n').length + 1);
  for (const chunk of chunks) covered.fill(1, chunk.startLine, chunk.endLine + 1);
  text.split('\n').forEach((line, i) => {
    if (/\S/.test(line)) assert.equal(covered[i + 1], 1, `line ${i + 1} (${JSON.stringify(line.slice(0, 40))}) is in no chunk`);
  });
}

/** No chunk costs more than the budget, counting its context. */
export function assertBudget(chunks: Chunk[], maxTokens: number): void {
  for (const chunk of chunks) {
    const cost = estimateTokens(chunk.text) + (chunk.context ? estimateTokens(chunk.context) : 0);
    assert.ok(cost <= maxTokens, `chunk ${chunk.startLine}-${chunk.endLine} costs ${cost} > ${maxTokens}`);
  }
}

/** Ids unique, hashes well-formed, chunks in line order, no empty chunk. */
export function assertWellFormed(chunks: Chunk[], filePath: string, language: string): void {
  assert.equal(new Set(chunks.map((c) => c.id)).size, chunks.length, 'duplicate ids');
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    assert.equal(chunk.path, filePath);
    assert.equal(chunk.language, language);
    assert.match(chunk.hash, /^[0-9a-f]{32}$/);
    assert.ok(/\S/.test(chunk.text) || chunk.startLine === chunk.endLine, 'blank chunk');
    if (i > 0) assert.ok(chunk.startLine >= chunks[i - 1].startLine, 'chunks out of order');
  }
}

export function assertAllProperties(text: string, chunks: Chunk[], maxTokens: number, filePath: string, language: string): void {
  assertExactText(text, chunks);
  assertCoverage(text, chunks);
  assertBudget(chunks, maxTokens);
  assertWellFormed(chunks, filePath, language);
}

/** The one chunk that starts on `line`. */
export function chunkStartingAt(chunks: Chunk[], line: number): Chunk {
  const found = chunks.filter((c) => c.startLine === line);
  assert.equal(found.length, 1, `expected one chunk starting at line ${line}, got ${found.length}: `
    + chunks.map((c) => `${c.startLine}-${c.endLine} ${c.symbol ?? ''}`).join(', '));
  return found[0];
}

/** The chunks containing `line`. */
export function chunksAt(chunks: Chunk[], line: number): Chunk[] {
  return chunks.filter((c) => c.startLine <= line && line <= c.endLine);
}
