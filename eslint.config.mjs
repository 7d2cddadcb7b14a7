// Lint: typescript-eslint's recommended rules everywhere, plus the layer arrows of DESIGN.md checked
// on every import, so the core/host/webview split holds by rule rather than by discipline:
//   core    -> core only (no `vscode`; reused by the CLI, the MCP server and plain-Node tests)
//   mcp     -> mcp, core (the MCP server the CLI runs; no `vscode`)
//   shared  -> shared only (code the host and the webview both run)
//   webview -> webview, shared (browser code)
//   host    -> host, core, shared
// and no import circles between source files.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const vscodeBanned = { name: 'vscode', message: 'Only src/host (and src/extension.ts) may import the VS Code API.' };

/** `from` folders that files under `target` must not import. */
const layerZones = [
  { target: './src/core', from: ['./src/host', './src/webview', './src/shared', './src/mcp', './src/cli.ts', './src/extension.ts', './src/commands.ts'], message: 'src/core imports only src/core.' },
  { target: './src/mcp', from: ['./src/host', './src/webview', './src/shared', './src/cli.ts', './src/extension.ts', './src/commands.ts'], message: 'src/mcp imports only src/mcp and src/core.' },
  { target: './src/shared', from: ['./src/core', './src/host', './src/webview', './src/cli.ts', './src/extension.ts', './src/commands.ts'], message: 'src/shared imports only src/shared.' },
  { target: './src/webview', from: ['./src/core', './src/host', './src/cli.ts', './src/extension.ts', './src/commands.ts'], message: 'src/webview imports only src/webview and src/shared.' },
  { target: './src/host', from: ['./src/webview', './src/mcp', './src/cli.ts'], message: 'src/host imports src/core and src/shared, not the webview, the MCP server or the CLI.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'test/fixtures/**', 'src/core/store/kernel.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      // Imported files are parsed as TypeScript too; without this no-cycle cannot follow them.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // CommonJS sources (the slim Vectra entry that stands in for a CommonJS package) load with require().
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
  },
  {
    files: ['src/core/**/*.ts', 'src/mcp/**/*.ts', 'src/shared/**/*.ts', 'src/webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [vscodeBanned] }] },
  },
);
