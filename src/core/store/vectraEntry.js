// Bundled in place of the `vectra` package entry (see esbuild.mjs): only the parts Lore uses.
// Relative paths because vectra's package "exports" map hides its lib/ subpaths from resolvers.
exports.LocalIndex = require('../../../node_modules/vectra/lib/LocalIndex').LocalIndex;
exports.ProtobufCodec = require('../../../node_modules/vectra/lib/codecs/ProtobufCodec').ProtobufCodec;
