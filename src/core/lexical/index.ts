export { LexicalIndex, type LexicalMatch, type Pause } from './lexicalIndex';
export { decodeLexicalSnapshot, encodeLexicalSnapshot, type FileHashes } from './snapshotCodec';
export { lexicalTermsOf, packLexicalTerms, rememberLexicalTerms, splitFields, visitLexicalTerms, type LexicalDocument, type LexicalTerms } from './terms';
export { indexTerms, tokenizeCode, weightedQueryTerms } from './tokenizeCode';
