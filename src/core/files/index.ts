export { scanFolder, IgnoreRules } from './scanner';
export type { ScanOptions, ScanResult } from './scanner';
export { readTextFile } from './read';
export type { ReadResult } from './read';
export { isSecretPath, maskSecrets } from './secrets';
