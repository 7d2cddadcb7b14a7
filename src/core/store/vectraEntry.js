// Bundled in place of the `vectra` package entry (see esbuild.mjs), and loaded with require() by the
// bench (bench/slimVectra.ts): only the parts Lore uses. CommonJS, like the package it stands for.
// Relative paths because vectra's package "exports" map hides its lib/ subpaths from resolvers.
exports.LocalIndex = require('../../../node_modules/vectra/lib/LocalIndex').LocalIndex;
exports.ProtobufCodec = require('../../../node_modules/vectra/lib/codecs/ProtobufCodec').ProtobufCodec;
