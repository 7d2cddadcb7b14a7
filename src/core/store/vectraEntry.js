// Bundled in place of the `vectra` package entry (see esbuild.mjs): only the parts Lore uses.
exports.LocalIndex = require('vectra/lib/LocalIndex').LocalIndex;
exports.ProtobufCodec = require('vectra/lib/codecs/ProtobufCodec').ProtobufCodec;
