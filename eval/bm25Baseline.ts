// The plain BM25 baseline every Lore figure is compared with: MiniSearch with its default tokenizer
// (split on spaces and punctuation, lower-cased) and default BM25 parameters, no field weights, no
// identifier splitting, no stemming, no query processing, over each document's text. A variant
// that also reads the path is reported beside it, so file names alone cannot explain Lore's lead.
import MiniSearch from 'minisearch';

export interface BaselineDocument {
  /** What a hit reports: a file path, or a chunk id. */
  id: string;
  path: string;
  text: string;
}

export class Bm25Baseline {
  private readonly index: MiniSearch<BaselineDocument>;

  constructor(documents: Iterable<BaselineDocument>, options: { withPaths: boolean }) {
    this.index = new MiniSearch<BaselineDocument>({
      fields: ['body'],
      extractField: (doc, field) => (field === 'id' ? doc.id : options.withPaths ? `${doc.path}\n${doc.text}` : doc.text),
    });
    for (const doc of documents) this.index.add(doc);
  }

  /** Ids best first; the raw question is the query. */
  search(question: string, k: number): string[] {
    return this.index
      .search(question, { combineWith: 'OR' })
      .slice(0, k)
      .map((r) => r.id as string);
  }
}
