export { LoreStore, FORMAT_VERSION, type FileRecord, type FileUpdate, type StoreStats } from './loreStore';
