// Loads `vectra` as the slim entry the extension bundles (src/core/store/vectraEntry.js: its index
// and codecs only), as esbuild.mjs does. The full package entry pulls in ~100 MB of modules Lore never
// loads, which would swamp the memory figures. vectraEntry.js is ESM re-exporting extensionless paths,
// which only a bundler resolves, so here the same two modules are required by file. Imported first by
// the probes.
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';

const vectraLib = path.resolve(__dirname, '../../node_modules/vectra/lib');
const moduleWithLoad = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
const load = moduleWithLoad._load;
const requireFile = createRequire(__filename);
let slim: unknown;
moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
  if (request !== 'vectra') return load.call(this, request, ...rest);
  slim ??= {
    LocalIndex: (requireFile(path.join(vectraLib, 'LocalIndex.js')) as { LocalIndex: unknown }).LocalIndex,
    ProtobufCodec: (requireFile(path.join(vectraLib, 'codecs/ProtobufCodec.js')) as { ProtobufCodec: unknown }).ProtobufCodec,
  };
  return slim;
};
