// Resolves `vectra` to the slim entry the extension bundles (src/core/store/vectraEntry.js: its index
// and codecs only), as esbuild.mjs does. The full package entry pulls in ~100 MB of modules Lore never
// loads, which would swamp the memory figures. Imported first by the probes.
import Module from 'node:module';
import * as path from 'node:path';

const slimEntry = path.resolve(__dirname, '../../src/core/store/vectraEntry.js');
const moduleWithResolve = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = moduleWithResolve._resolveFilename;
moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vectra' ? slimEntry : resolve.call(this, request, ...rest);
};
