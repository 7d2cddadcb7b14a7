// Maps file paths to VS Code language ids. Kept in line with VS Code's built-in associations so a
// chunk's `language` matches what the editor shows for the same file.

// Maps, not object literals: a path ending in `.constructor` must not find Object.prototype.
const BY_EXTENSION = new Map<string, string>(Object.entries({
  ts: 'typescript', mts: 'typescript', cts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript',
  jsx: 'javascriptreact',
  py: 'python', pyi: 'python', pyw: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  c: 'c', i: 'c',
  // VS Code associates `.h` with C++; C headers parse fine with the C++ grammar.
  h: 'cpp', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', 'c++': 'cpp', hh: 'cpp', hpp: 'cpp', hxx: 'cpp', 'h++': 'cpp',
  ipp: 'cpp', inl: 'cpp', ino: 'cpp', tpp: 'cpp', ixx: 'cpp', cppm: 'cpp',
  cs: 'csharp', csx: 'csharp',
  rb: 'ruby', rake: 'ruby', gemspec: 'ruby', ru: 'ruby',
  php: 'php', phtml: 'php',
  sh: 'shellscript', bash: 'shellscript', zsh: 'shellscript', ksh: 'shellscript',
  md: 'markdown', markdown: 'markdown', mdx: 'markdown', mdown: 'markdown', mkd: 'markdown',
  rst: 'restructuredtext',
  adoc: 'asciidoc', asciidoc: 'asciidoc',
  // Not VS Code language ids (these files open in a viewer, not a text editor): the formats Lore extracts.
  pdf: 'pdf', docx: 'docx', ipynb: 'jupyter',
  json: 'json', jsonc: 'jsonc', json5: 'json5', jsonl: 'jsonl',
  yaml: 'yaml', yml: 'yaml',
  toml: 'toml',
  html: 'html', htm: 'html', xhtml: 'html',
  css: 'css', scss: 'scss', sass: 'sass', less: 'less',
  xml: 'xml', xsd: 'xml', xsl: 'xsl', svg: 'xml', csproj: 'xml', plist: 'xml',
  sql: 'sql',
  kt: 'kotlin', kts: 'kotlin',
  swift: 'swift',
  scala: 'scala', sc: 'scala',
  dart: 'dart',
  lua: 'lua',
  r: 'r',
  pl: 'perl', pm: 'perl',
  ex: 'elixir', exs: 'elixir',
  erl: 'erlang',
  hs: 'haskell',
  clj: 'clojure', cljs: 'clojure',
  fs: 'fsharp', fsx: 'fsharp',
  groovy: 'groovy', gradle: 'groovy',
  vue: 'vue',
  svelte: 'svelte',
  ps1: 'powershell', psm1: 'powershell',
  bat: 'bat', cmd: 'bat',
  ini: 'ini', cfg: 'ini',
  properties: 'properties',
  tex: 'latex',
  proto: 'proto',
  graphql: 'graphql', gql: 'graphql',
  tf: 'terraform',
  dockerfile: 'dockerfile', containerfile: 'dockerfile',
  mk: 'makefile',
  cmake: 'cmake',
  txt: 'plaintext', text: 'plaintext', log: 'log',
}));

/** Names that decide the language on their own, lower-cased. */
const BY_NAME = new Map<string, string>(Object.entries({
  dockerfile: 'dockerfile',
  containerfile: 'dockerfile',
  makefile: 'makefile',
  gnumakefile: 'makefile',
  'cmakelists.txt': 'cmake',
  rakefile: 'ruby',
  gemfile: 'ruby',
  podfile: 'ruby',
  vagrantfile: 'ruby',
  '.bashrc': 'shellscript',
  '.bash_profile': 'shellscript',
  '.zshrc': 'shellscript',
  '.profile': 'shellscript',
  '.gitignore': 'ignore',
  '.dockerignore': 'ignore',
  '.npmignore': 'ignore',
  '.loreignore': 'ignore',
  '.env': 'dotenv',
}));

/** VS Code language id for a path (POSIX or Windows separators); 'plaintext' when unknown. */
export function languageOf(path: string): string {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
  const byName = BY_NAME.get(name);
  if (byName) return byName;
  if (name.startsWith('dockerfile.')) return 'dockerfile';
  if (name.startsWith('.env.')) return 'dotenv';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'plaintext';
  return BY_EXTENSION.get(name.slice(dot + 1)) ?? 'plaintext';
}
