export { packStore, verifyBundle, type PackResult } from './bundle';
export { BundleError, BUNDLE_VERSION, type BundleHeader } from './format';
export { seedFromBundle, type SeedResult } from './seed';
