// Types for the English Porter2 (Snowball) stemmer the lexical index uses; the package ships none.
declare module 'wink-porter2-stemmer' {
  /** The stem of one lowercased English word. */
  function stem(word: string): string;
  export = stem;
}
