// Bundled in place of the `vectra` package entry (see esbuild.mjs): only the parts Lore uses.
// Relative paths because vectra's package "exports" map hides its lib/ subpaths from resolvers.
export { LocalIndex } from '../../../node_modules/vectra/lib/LocalIndex';
export { ProtobufCodec } from '../../../node_modules/vectra/lib/codecs/ProtobufCodec';
