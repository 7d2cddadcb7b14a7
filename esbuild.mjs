// Builds three bundles: the extension host (Node/CJS, `vscode` external, with its chunk worker), the CLI (Node/CJS)
// and the chat webview (browser/IIFE). `--watch` prints the lines the `$esbuild-watch` problem matcher reads.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const require = createRequire(import.meta.url);

/**
 * Vectra's package entry pulls in OpenAI, gRPC, cheerio and more, and its LocalIndex loads a 3.8 MB
 * English NLP model for a BM25 mode Lore does not use (Lore's lexical index is its own BM25 engine,
 * in src/core/lexical).
 * Lore bundles only the index and codec, with the NLP modules replaced by a stub that fails loudly.
 */
const vectraSlim = {
  name: 'vectra-slim',
  setup(build) {
    build.onResolve({ filter: /^vectra$/ }, () => ({ path: path.resolve('src/core/store/vectraEntry.js') }));
    build.onResolve({ filter: /^wink-(nlp|eng-lite-web-model|bm25-text-search)$/ }, (args) => ({ path: args.path, namespace: 'unused-by-lore' }));
    build.onLoad({ filter: /.*/, namespace: 'unused-by-lore' }, (args) => ({
      contents: `module.exports = function () { throw new Error(${JSON.stringify(args.path + ' is not bundled: Lore does not use Vectra BM25')}); };`,
    }));
  },
};

const watchLog = {
  name: 'watch-log',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

function copyGrammars() {
  const from = path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json'));
  mkdirSync('dist/grammars', { recursive: true });
  cpSync(path.join(from, 'wasm'), 'dist/grammars', {
    recursive: true,
    filter: (src) => !src.endsWith('.d.ts') && !/tree-sitter-(css|ini|regex|powershell)\.wasm$/.test(src),
  });
}

/**
 * pdf.js is ES modules only and loads its parser by URL: it ships as files beside the chunk worker,
 * which imports them (src/core/docs/pdf.ts). The legacy build runs on Node 20; minified, unmapped.
 */
function copyPdfJs() {
  const from = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'legacy', 'build');
  mkdirSync('dist/pdfjs', { recursive: true });
  cpSync(path.join(from, 'pdf.min.mjs'), 'dist/pdfjs/pdf.mjs');
  cpSync(path.join(from, 'pdf.worker.min.mjs'), 'dist/pdfjs/pdf.worker.mjs');
}

/** The chat webview's icon font: codicon.css loads codicon.ttf from beside it. */
function copyCodicons() {
  const from = path.join(path.dirname(require.resolve('@vscode/codicons/package.json')), 'dist');
  mkdirSync('dist/codicons', { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) cpSync(path.join(from, file), path.join('dist/codicons', file));
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  plugins: [vectraSlim, watchLog],
};

const contexts = await Promise.all([
  esbuild.context({
    ...common,
    // The chunk worker (a worker_threads entry) sits beside extension.js and cli.js, which both start it.
    entryPoints: { extension: 'src/extension.ts', chunkWorker: 'src/core/chunk/chunkWorker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'pdfjs-dist/*'],
  }),
  esbuild.context({
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['pdfjs-dist/*'],
    banner: { js: '#!/usr/bin/env node' },
  }),
  ...(existsSync('src/webview/main.ts')
    ? [esbuild.context({
        ...common,
        entryPoints: { webview: 'src/webview/main.ts' },
        outdir: 'dist',
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
      })]
    : []),
]);

copyGrammars();
copyCodicons();
copyPdfJs();
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.allSettled(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  if (results.some((r) => r.status === 'rejected' || r.value.errors.length)) process.exit(1);
}
