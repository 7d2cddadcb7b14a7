// Splits a file into the chunks Lore embeds and searches, in the calling thread: declarations for
// code (tree-sitter), heading sections for Markdown and reStructuredText, line windows for the rest.
// The chunk workers run this; `Chunker` (chunker.ts) runs it in-thread when no worker can start.

import { asciidocOutline, documentFormatOf, extractDocument, type DocPlaces } from '../docs';
import { maskSecrets } from '../files/secrets';
import { chunkId, contentHash } from '../hash';
import type { Chunk } from '../types';
import { chunkCode, topLevelDeclarations } from './code';
import { chunkDocument, placeOf } from './documents';
import { Grammars, hasGrammar } from './grammars';
import { languageOf } from './languages';
import { LineText, Span, lineWindows } from './lines';
import { chunkSections, markdownOutline, rstOutline } from './sections';

export interface ChunkOptions {
  /** Budget per chunk, in `estimateTokens` units, for the text plus its context. */
  maxTokens: number;
  /** Rows shared by consecutive line windows. */
  overlapLines: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = Object.freeze({ maxTokens: 384, overlapLines: 3 });

export class InThreadChunker {
  private constructor(private readonly grammars: Grammars) {}

  /** Rejects when `grammarDir` has no usable tree-sitter.wasm. Grammars load lazily, once per language. */
  static async open(grammarDir: string): Promise<InThreadChunker> {
    return new InThreadChunker(await Grammars.open(grammarDir));
  }

  /**
   * `Chunker.chunk`, with options already checked by `resolveOptions`. A document (PDF, Word, HTML,
   * notebook) comes raw: its text is extracted and masked here. Throws UnreadableDocumentError when
   * a document cannot be read.
   */
  async chunk(path: string, content: string | Uint8Array, { maxTokens, overlapLines }: ChunkOptions): Promise<Chunk[]> {
    const language = languageOf(path);
    const format = documentFormatOf(path);
    if (format) {
      const extracted = await extractDocument(format, content);
      const doc = new LineText(maskSecrets(extracted.text).text);
      if (!/\S/.test(doc.text)) return [];
      const spans = chunkDocument(doc, extracted, maxTokens, overlapLines);
      if (extracted.code && extracted.places) await this.nameDeclarations(doc, spans, extracted.places, extracted.code);
      return toChunks(path, language, doc, spans, extracted.places);
    }
    const doc = new LineText(typeof content === 'string' ? content : Buffer.from(content).toString('utf8'));
    const spans = await this.spansOf(language, doc, maxTokens, overlapLines);
    return toChunks(path, language, doc, spans);
  }

  private async spansOf(language: string, doc: LineText, maxTokens: number, overlapLines: number): Promise<Span[]> {
    if (language === 'markdown') return chunkSections(doc, markdownOutline(doc), maxTokens, overlapLines);
    if (language === 'restructuredtext') return chunkSections(doc, rstOutline(doc), maxTokens, overlapLines);
    if (language === 'asciidoc') return chunkSections(doc, asciidocOutline(doc), maxTokens, overlapLines);
    if (hasGrammar(language)) {
      const spans = await this.codeSpans(language, doc, maxTokens, overlapLines);
      if (spans) return spans;
    }
    const windows: Span[] = [];
    lineWindows(doc, 0, doc.rowCount - 1, maxTokens, overlapLines, undefined, undefined, windows);
    return windows;
  }

  /**
   * A notebook's code cells in the kernel's language, where there is a grammar: each piece of a cell
   * that declares functions or classes is filed under their names after its heading path, so a
   * question naming `season_mean` finds the cell that defines it as it finds a function in a file.
   */
  private async nameDeclarations(doc: LineText, spans: Span[], places: DocPlaces, code: { language: string; places: number[] }): Promise<void> {
    const parser = hasGrammar(code.language) ? await this.grammars.parserFor(code.language) : undefined;
    if (!parser) return;
    const codePlaces = new Set(code.places);
    for (const span of spans) {
      if (!codePlaces.has(placeOf(places, span.startRow))) continue;
      let names: string[] = [];
      try {
        const tree = parser.parse(span.text ?? doc.slice(span.startRow, span.endRow));
        if (tree) names = topLevelDeclarations(tree.rootNode);
        tree?.delete();
      } catch {
        parser.reset();
      }
      if (names.length) span.symbol = [span.symbol, names.join(', ')].filter(Boolean).join(' > ');
    }
  }

  /** Syntax-aware spans, or undefined when the grammar is missing or parsing fails. */
  private async codeSpans(language: string, doc: LineText, maxTokens: number, overlapLines: number): Promise<Span[] | undefined> {
    const parser = await this.grammars.parserFor(language);
    if (!parser) return undefined;
    try {
      const tree = parser.parse(doc.text);
      if (!tree) return undefined;
      try {
        return chunkCode(doc, tree.rootNode, maxTokens, overlapLines);
      } finally {
        tree.delete(); // trees live in wasm memory, not the JS heap
      }
    } catch {
      parser.reset();
      return undefined;
    }
  }
}

/** Fills in the defaults; throws a RangeError naming the option when one is invalid. */
export function resolveOptions(options: Partial<ChunkOptions> | undefined): ChunkOptions {
  const maxTokens = options?.maxTokens ?? DEFAULT_CHUNK_OPTIONS.maxTokens;
  const overlapLines = options?.overlapLines ?? DEFAULT_CHUNK_OPTIONS.overlapLines;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`Chunker: maxTokens must be a positive integer, got ${maxTokens}`);
  }
  if (!Number.isInteger(overlapLines) || overlapLines < 0) {
    throw new RangeError(`Chunker: overlapLines must be a non-negative integer, got ${overlapLines}`);
  }
  return { maxTokens, overlapLines };
}

function toChunks(path: string, language: string, doc: LineText, spans: Span[], places?: DocPlaces): Chunk[] {
  const ids = new Set<string>();
  return spans.map((span) => {
    const text = span.text ?? doc.slice(span.startRow, span.endRow);
    const hash = contentHash(text, span.context ?? '');
    const startLine = span.startRow + 1;
    let id = chunkId(path, startLine, hash);
    // Only identical pieces of one hard-split row can collide; number the repeats so ids stay unique.
    for (let repeat = 1; ids.has(id); repeat++) id = chunkId(path, startLine, contentHash(hash, String(repeat)));
    ids.add(id);
    const chunk: Chunk = { id, path, startLine, endLine: span.endRow + 1, language, text, hash };
    if (span.symbol) chunk.symbol = span.symbol;
    if (span.context) chunk.context = span.context;
    if (places) chunk[places.kind] = placeOf(places, span.startRow);
    return chunk;
  });
}
