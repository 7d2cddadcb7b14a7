// What Lore never indexes unless told otherwise: generated, vendored, or not text. Gitignore syntax,
// relative to the indexed folder, case-insensitive. They come first in Lore's own rules, so a
// `.loreignore` negation such as `!dist/` brings one back.
export const BUILTIN_EXCLUDES: readonly string[] = [
  // Version control (a file in submodules and worktrees, so no trailing slash)
  '.git',
  '.hg',
  '.svn',

  // Installed dependencies
  'node_modules/',
  'bower_components/',

  // Build output, caches and virtual environments
  'dist/',
  'build/',
  'out/',
  'target/',
  '.next/',
  '.nuxt/',
  '.svelte-kit/',
  'coverage/',
  '.nyc_output/',
  '__pycache__/',
  '.venv/',
  'venv/',
  '.tox/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.ruff_cache/',
  '.gradle/',
  '.terraform/',
  '.turbo/',
  '.parcel-cache/',
  '.vscode-test/',

  // Lockfiles: long, generated, and they drown real answers
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'Gemfile.lock',
  'Podfile.lock',
  'pubspec.lock',
  'flake.lock',
  'go.sum',

  // Minified and bundled code, source maps
  '*.min.js',
  '*.min.mjs',
  '*.min.css',
  '*.bundle.js',
  '*.map',

  // Images
  '*.png',
  '*.jpg',
  '*.jpeg',
  '*.gif',
  '*.bmp',
  '*.ico',
  '*.icns',
  '*.webp',
  '*.avif',
  '*.tif',
  '*.tiff',
  '*.heic',
  '*.psd',
  '*.svg',

  // Audio and video
  '*.mp3',
  '*.wav',
  '*.ogg',
  '*.flac',
  '*.aac',
  '*.m4a',
  '*.opus',
  '*.mp4',
  '*.m4v',
  '*.mov',
  '*.avi',
  '*.mkv',
  '*.webm',
  '*.wmv',

  // Fonts
  '*.ttf',
  '*.otf',
  '*.woff',
  '*.woff2',
  '*.eot',

  // Archives and packages
  '*.zip',
  '*.tar',
  '*.gz',
  '*.tgz',
  '*.bz2',
  '*.xz',
  '*.zst',
  '*.7z',
  '*.rar',
  '*.jar',
  '*.war',
  '*.ear',
  '*.vsix',
  '*.iso',
  '*.dmg',

  // Compiled binaries and objects
  '*.exe',
  '*.dll',
  '*.so',
  '*.dylib',
  '*.wasm',
  '*.class',
  '*.pyc',
  '*.pyo',
  '*.o',
  '*.obj',
  '*.a',
  '*.lib',
  '*.pdb',
  '*.node',

  // Databases and data dumps
  '*.sqlite',
  '*.sqlite3',
  '*.db',

  // Office formats Lore cannot read (PDF and .docx it reads: src/core/docs)
  '*.doc',
  '*.xls',
  '*.xlsx',
  '*.ppt',
  '*.pptx',

  // OS clutter
  '.DS_Store',
];
