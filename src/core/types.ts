// The shapes that flow between Lore's core stages (scanner -> chunker -> embedder -> store -> retriever).
// Plain data only: every stage is testable on its own and reused by the extension host and the CLI.

/** A piece of a file that is embedded and searched as one unit. */
export interface Chunk {
  /** Stable id: derived from path, position and content hash (see `chunkId`). */
  id: string;
  /** POSIX path relative to the indexed folder; absolute for a file of a docs folder outside it. */
  path: string;
  /** 1-based, inclusive. For PDF, Word, HTML and notebooks: lines of the extracted text (docs/). */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  /** Language id (VS Code style: 'typescript', 'python', 'markdown', 'plaintext', ...). */
  language: string;
  /** Declaration name (`Class.method`, `functionName`) or heading path (`Guide > Install`), if any. */
  symbol?: string;
  /** Enclosing signature or heading path kept as context when a large unit was split. */
  context?: string;
  /** PDF: the 1-based page the chunk starts on. */
  page?: number;
  /** Jupyter notebook: the 0-based index of the cell the chunk starts in. */
  cell?: number;
  /** The chunk's text, secrets already masked. For PDF, Word, HTML and notebooks: of the extracted text. */
  text: string;
  /** Hex SHA-256 (first 32 chars) of `text` (+ `context`): the embedding cache key. */
  hash: string;
}

/** A file the scanner accepted. */
export interface ScannedFile {
  /** POSIX path relative to the indexed folder. */
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

/** A file the scanner or indexer passed over, with a reason a user can read. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** One hit from the store, before fusion. */
export interface SearchHit {
  chunk: Chunk;
  score: number;
}

/** A chunk known by its id and file: enough to rank and weigh it; the rest is read on demand (`getChunk`). */
export type ChunkRef = Pick<Chunk, 'id' | 'path'>;

/** A search hit whose chunk is not read yet: a deep ranking reads only the chunks it keeps. */
export interface RefHit {
  chunk: ChunkRef;
  score: number;
}

/** What `lore query --json` prints per result, and what the retriever returns. */
export interface RetrievedChunk extends SearchHit {
  /** How it was found: the two searches, or a language server's go-to-definition ("Explain with Context"). */
  via: Array<'vector' | 'lexical' | 'definition'>;
}

export type IndexMode = 'hybrid' | 'lexical';

export interface LexicalQueryOptions {
  /**
   * The query is a name from code: a compound identifier (`nonNull`, `util_1`) is searched as
   * itself, not also as its parts, whose posting lists (`null`, `1`) can span most of the index.
   */
  asName?: boolean;
}

/** What retrieval needs from the store; `LoreStore` implements it. */
export interface SearchIndex {
  /** Best first; scores comparable only within one call. Chunks are read with `getChunk`. */
  lexicalRanking(query: string, k: number, options?: LexicalQueryOptions): RefHit[];
  /** The chunk with this id; undefined once its file changed. */
  getChunk(id: string): Chunk | undefined;
  /** Cosine similarity, best first; [] when no vectors exist. Chunks are read with `getChunk`. */
  vectorRanking(vector: Float32Array, k: number): RefHit[];
  /** Number of chunks that have a vector. */
  vectorCount(): number;
  /** The chunks of one file, in line order (for merging neighbours). */
  chunksOf(path: string): Chunk[];
}
