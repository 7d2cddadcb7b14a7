export { LoreStore, type FileRecord, type FileUpdate, type StoreStats } from './loreStore';
export { LEXICAL_FILE } from './lexicalState';
export { FORMAT_VERSION } from './storeMeta';
