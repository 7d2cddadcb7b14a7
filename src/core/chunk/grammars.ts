// Loads web-tree-sitter and its grammars from a folder of .wasm files: the package's own `wasm/`
// folder in development and tests, `dist/grammars` in the esbuild bundle. The emscripten loader is
// told where `tree-sitter.wasm` is through `locateFile`, so it never has to guess from the script's
// URL (which, once bundled, is dist/extension.js or dist/cli.js rather than the package folder).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';

const RUNTIME_FILE = 'tree-sitter.wasm';

/** Grammar file stem per language id. There is no C grammar: C parses well with the C++ one. */
const GRAMMAR_OF = new Map<string, string>([
  ['typescript', 'typescript'],
  ['typescriptreact', 'tsx'],
  ['javascript', 'javascript'],
  ['javascriptreact', 'javascript'],
  ['python', 'python'],
  ['go', 'go'],
  ['rust', 'rust'],
  ['java', 'java'],
  ['c', 'cpp'],
  ['cpp', 'cpp'],
  ['csharp', 'c-sharp'],
  ['ruby', 'ruby'],
  ['php', 'php'],
  ['shellscript', 'bash'],
]);

export function hasGrammar(languageId: string): boolean {
  return GRAMMAR_OF.has(languageId);
}

/** `Parser.init` sets up one wasm module for the whole process; every Grammars instance shares it. */
let runtime: Promise<void> | undefined;

function initRuntime(dir: string): Promise<void> {
  runtime ??= Parser.init({ locateFile: (file: string) => path.join(dir, file) }).catch((err: unknown) => {
    runtime = undefined;
    throw new Error(`Lore chunker: cannot start tree-sitter from ${path.join(dir, RUNTIME_FILE)}: ${String(err)}`);
  });
  return runtime;
}

/** Resolved at run time, not by the bundler: once bundled the package folder may not exist. */
const WASM_PACKAGE = '@vscode/tree-sitter-wasm';

/** The folder the bundle ships grammars in, else the installed package's `wasm/` folder. */
export function defaultGrammarDir(): string {
  const bundled = path.join(__dirname, 'grammars');
  if (fs.existsSync(path.join(bundled, RUNTIME_FILE))) return bundled;
  try {
    return path.dirname(require.resolve(WASM_PACKAGE));
  } catch {
    return bundled; // neither exists: `Grammars.open` reports the folder it expected
  }
}

/** One parser per grammar, created on first use. A grammar that fails to load is remembered as missing. */
export class Grammars {
  private readonly parsers = new Map<string, Promise<Parser | undefined>>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<Grammars> {
    if (!fs.existsSync(path.join(dir, RUNTIME_FILE))) {
      throw new Error(`Lore chunker: ${RUNTIME_FILE} not found in ${dir}`);
    }
    await initRuntime(dir);
    return new Grammars(dir);
  }

  /** The parser for a language, or undefined when it has no grammar or the grammar cannot load. */
  parserFor(languageId: string): Promise<Parser | undefined> {
    const grammar = GRAMMAR_OF.get(languageId);
    if (!grammar) return Promise.resolve(undefined);
    let parser = this.parsers.get(grammar);
    if (!parser) {
      parser = this.load(grammar);
      this.parsers.set(grammar, parser);
    }
    return parser;
  }

  private async load(grammar: string): Promise<Parser | undefined> {
    try {
      const language = await Language.load(path.join(this.dir, `tree-sitter-${grammar}.wasm`));
      return new Parser().setLanguage(language);
    } catch {
      // A missing or broken grammar costs that language its syntax-aware chunks, not its indexing.
      return undefined;
    }
  }
}
