export { scanFolder, IgnoreRules } from './scanner';
export type { ScanOptions, ScanResult } from './scanner';
export { readFileBytes, readTextFile } from './read';
export type { BytesResult, ReadResult } from './read';
export { isSecretPath, maskSecrets } from './secrets';
export { docFileCounts, docFolderKey, docFolderOf, isOutsideWorkspace, resolveIndexedPath } from './docFolders';
