export { packStore, readBundleHeader, verifyBundle, type PackResult } from './bundle';
export { BundleError, BUNDLE_VERSION, type BundleHeader } from './format';
export { seedFromBundle, type SeedResult } from './seed';
export { DEFAULT_MAX_BUNDLE_BYTES, fetchBundle } from './fetchBundle';
