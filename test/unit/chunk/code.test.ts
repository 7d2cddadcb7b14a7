import * as assert from 'node:assert/strict';
import { Chunker, DEFAULT_CHUNK_OPTIONS } from '../../../src/core/chunk';
import { estimateTokens } from '../../../src/core/tokens';
import {
  assertAllProperties, chunkStartingAt, chunksAt, endLineOf, lineOf, readFixture,
} from './helpers';

interface Expected {
  symbol: string;
  /** Text the chunk's first line starts with (doc comments and decorators included). */
  from: string;
  /** Text the chunk's last line ends with. */
  to: string;
  /** The chunk's context starts with this; omitted means no context. */
  context?: string;
}

interface CodeFixture {
  file: string;
  path: string;
  language: string;
  /** A budget small enough to split the file into its declarations. */
  maxTokens: number;
  expected: Expected[];
}

const FIXTURES: CodeFixture[] = [
  {
    file: 'sample.ts.fixture', path: 'src/users/sample.ts', language: 'typescript', maxTokens: 100,
    expected: [
      { symbol: 'Role', from: 'export enum Role {', to: '  Admin,\n}' },
      { symbol: 'UserRepository', from: 'export class UserRepository', to: 'this.byId.set(user.id, user);\n  }' },
      {
        symbol: 'UserRepository.find', from: '  /** Finds one user', to: 'return this.byId.get(id);\n  }',
        context: 'export class UserRepository extends BaseRepository<User>',
      },
      {
        symbol: 'UserRepository.rename', from: '  @logged()', to: 'await this.save(user);\n  }',
        context: 'export class UserRepository extends BaseRepository<User>',
      },
      { symbol: 'formatUser', from: 'export const formatUser', to: "'no email'}>`;" },
    ],
  },
  {
    file: 'component.tsx.fixture', path: 'web/component.tsx', language: 'typescriptreact', maxTokens: 80,
    expected: [
      { symbol: 'CounterProps', from: "import React, { useState } from 'react';", to: '  label: string;\n}' },
      { symbol: 'App', from: 'export default function App() {', to: '    </main>\n  );\n}' },
    ],
  },
  {
    file: 'widget.jsx', path: 'web/widget.jsx', language: 'javascriptreact', maxTokens: 80,
    expected: [
      { symbol: 'COLORS', from: "import { h } from 'preact';", to: "const COLORS = ['red', 'green', 'blue'];" },
      { symbol: 'Swatches', from: '/**\n * Renders a list', to: 'export function Swatches({ onPick }) {' },
      { symbol: 'Picker.pick', from: '  pick(color) {', to: 'this.root.dataset.color = color;\n  }\n}', context: 'export class Picker {' },
    ],
  },
  {
    file: 'shapes.py', path: 'geo/shapes.py', language: 'python', maxTokens: 100,
    expected: [
      { symbol: 'Point', from: '@dataclass', to: 'return math.hypot(self.x - other.x, self.y - other.y)' },
      { symbol: 'Shape', from: 'class Shape:', to: 'def perimeter(self) -> float:\n        raise NotImplementedError' },
      { symbol: 'Circle', from: 'class Circle(Shape):', to: 'return math.pi * self.radius ** 2' },
      { symbol: 'Circle.perimeter', from: '    @property', to: 'return TAU * self.radius', context: 'class Circle(Shape):' },
      { symbol: 'largest', from: 'def largest', to: 'return max(shapes, key=lambda s: s.area())' },
    ],
  },
  {
    file: 'server.go', path: 'server/server.go', language: 'go', maxTokens: 100,
    expected: [
      { symbol: 'New', from: '// New builds', to: 'return &Server{cfg: cfg}\n}' },
      { symbol: 'Server.ServeHTTP', from: '// ServeHTTP counts', to: 'fmt.Fprintln(w, "ok")\n}' },
      { symbol: 'Server.Hits', from: '// Hits reports', to: 'return s.hits\n}' },
    ],
  },
  {
    file: 'cache.rs', path: 'src/cache.rs', language: 'rust', maxTokens: 100,
    expected: [
      { symbol: 'Cache', from: 'use std::collections::HashMap;', to: '    capacity: usize,\n}' },
      { symbol: 'Cache', from: 'impl<K: Hash + Eq + Clone, V> Cache<K, V> {', to: 'order: Vec::new(), capacity }\n    }' },
      {
        symbol: 'Cache.get', from: '    pub fn get', to: 'self.entries.get(key)\n    }\n}',
        context: 'impl<K: Hash + Eq + Clone, V> Cache<K, V> {',
      },
      { symbol: 'Evict', from: 'pub trait Evict {', to: '    LeastUsed,\n}' },
      { symbol: 'tests', from: 'mod tests {', to: 'assert!(cache.get(&1).is_none());\n    }\n}' },
    ],
  },
  {
    file: 'Inventory.java', path: 'src/main/java/shop/stock/Inventory.java', language: 'java', maxTokens: 100,
    expected: [
      { symbol: 'Inventory', from: '/**\n * Tracks how many', to: 'private final Map<String, Integer> counts = new HashMap<>();' },
      {
        symbol: 'Inventory.iterator', from: '    @Override', to: 'enum Unit { PIECE, BOX, PALLET }\n}',
        context: 'public class Inventory implements Iterable<String> {',
      },
      { symbol: 'Priced', from: 'interface Priced {', to: 'long priceInCents(String item);\n}' },
    ],
  },
  {
    file: 'ring.c', path: 'lib/ring.c', language: 'c', maxTokens: 100,
    expected: [
      { symbol: 'ring', from: '#include <stdlib.h>', to: '    size_t cap;\n};' },
      { symbol: 'ring_new', from: '/* Allocates a ring', to: '    return r;\n}' },
      { symbol: 'ring_push', from: 'int ring_push(', to: '    free(r);\n}' },
    ],
  },
  {
    file: 'matrix.cpp', path: 'lib/matrix.cpp', language: 'cpp', maxTokens: 100,
    expected: [
      { symbol: 'linalg', from: 'namespace linalg {', to: 'data_(rows * cols) {}' },
      {
        symbol: 'linalg.Matrix.at', from: '  T& at(size_t r, size_t c) {', to: '  size_t rows_, cols_;',
        context: 'namespace linalg {\ntemplate <typename T>\nclass Matrix {',
      },
      { symbol: 'trace', from: '}  // namespace linalg', to: '  buffer_.clear();\n}' },
    ],
  },
  {
    file: 'Account.cs', path: 'src/Account.cs', language: 'csharp', maxTokens: 100,
    expected: [
      { symbol: 'Bank.Core', from: 'namespace Bank.Core', to: 'public decimal Balance { get; private set; }' },
      {
        symbol: 'Bank.Core.Account.Account', from: '        public Account(string owner)', to: 'nameof(owner));\n        }',
        context: 'namespace Bank.Core\n    public class Account',
      },
      { symbol: 'Bank.Core.IAuditor', from: '    public interface IAuditor', to: 'void Audit(Account account);\n    }\n}', context: 'namespace Bank.Core' },
    ],
  },
  {
    file: 'stack.rb', path: 'lib/stack.rb', language: 'ruby', maxTokens: 80,
    expected: [
      { symbol: 'Collections', from: '# A last-in, first-out', to: 'class Overflow < StandardError; end' },
      { symbol: 'Collections.Stack.initialize', from: '    def initialize(limit = 100)', to: '@limit = limit\n    end', context: 'module Collections\n  class Stack' },
      { symbol: 'Collections.Stack.push', from: '    # Pushes an item', to: '      self\n    end', context: 'module Collections\n  class Stack' },
    ],
  },
  {
    file: 'Repo.php', path: 'src/Data/Repo.php', language: 'php', maxTokens: 80,
    expected: [
      { symbol: 'ArticleRepository', from: '/**\n * Reads and writes', to: 'private PDO $db)\n    {\n    }' },
      { symbol: 'ArticleRepository.all', from: '    #[Deprecated]', to: "->fetchAll();\n    }\n}", context: 'final class ArticleRepository' },
      { symbol: 'slugify', from: 'function slugify', to: "$title), '-'));\n}" },
    ],
  },
  {
    file: 'deploy.sh', path: 'scripts/deploy.sh', language: 'shellscript', maxTokens: 80,
    expected: [
      { symbol: 'log', from: '#!/usr/bin/env bash', to: '"$LOG_DIR/deploy.log"\n}' },
      { symbol: 'build', from: 'function build {', to: 'log "done"' },
    ],
  },
];

describe('Chunker: code', () => {
  let chunker: Chunker;
  before(async () => {
    chunker = await Chunker.create();
  });

  for (const fixture of FIXTURES) {
    describe(`${fixture.language} (${fixture.file})`, () => {
      const text = readFixture(fixture.file);

      it('turns declarations into chunks with their symbols, line ranges and context', async () => {
        const chunks = await chunker.chunk(fixture.path, text, { maxTokens: fixture.maxTokens });
        assertAllProperties(text, chunks, fixture.maxTokens, fixture.path, fixture.language);
        for (const expected of fixture.expected) {
          const chunk = chunkStartingAt(chunks, lineOf(text, expected.from));
          assert.equal(chunk.symbol, expected.symbol, `symbol of chunk at ${chunk.startLine}`);
          assert.equal(chunk.endLine, endLineOf(text, expected.to), `end of ${expected.symbol}`);
          if (expected.context === undefined) assert.equal(chunk.context, undefined, `context of ${expected.symbol}`);
          else assert.ok(chunk.context?.startsWith(expected.context), `context of ${expected.symbol}: ${chunk.context}`);
        }
      });

      it('keeps the properties at every budget', async () => {
        for (const maxTokens of [2, 7, 25, 60, DEFAULT_CHUNK_OPTIONS.maxTokens, 5000]) {
          for (const overlapLines of [0, 3]) {
            const chunks = await chunker.chunk(fixture.path, text, { maxTokens, overlapLines });
            assertAllProperties(text, chunks, maxTokens, fixture.path, fixture.language);
          }
        }
      });

      it('makes one chunk of a file that fits the default budget, named after its first declaration', async () => {
        const chunks = await chunker.chunk(fixture.path, text);
        if (estimateTokens(text) <= DEFAULT_CHUNK_OPTIONS.maxTokens) {
          assert.equal(chunks.length, 1);
          assert.ok(chunks[0].symbol, 'grouped chunk has a symbol');
        } else {
          assert.ok(chunks.length > 1);
        }
      });
    });
  }

  it('groups small top-level pieces and keeps a class that fits whole', async () => {
    const text = readFixture('sample.ts.fixture');
    const chunks = await chunker.chunk('sample.ts', text);
    assert.deepEqual(chunks.map((c) => [c.startLine, c.endLine, c.symbol]), [
      [1, endLineOf(text, 'entry as User).id === \'string\');\n}'), 'DEFAULT_TIMEOUT_MS'],
      [lineOf(text, 'export class UserRepository'), endLineOf(text, 'export const formatUser'), 'UserRepository'],
    ]);
  });

  it('splits a class too big for the budget by members, each carrying the class signature', async () => {
    const methods = Array.from({ length: 40 }, (_, i) => [
      `  /** Handles case ${i}. */`,
      `  handle${i}(input: string): string {`,
      `    const trimmed = input.trim() + '${i}';`,
      `    return trimmed.toUpperCase();`,
      '  }',
    ].join('\n'));
    const text = `import { Base } from './base';\n\nexport class Big extends Base {\n  private count = 0;\n\n${methods.join('\n\n')}\n}\n`;
    const chunks = await chunker.chunk('big.ts', text);
    assertAllProperties(text, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, 'big.ts', 'typescript');
    assert.ok(chunks.length > 3);
    const header = lineOf(text, 'export class Big');
    for (const chunk of chunks) {
      if (chunk.startLine <= header) {
        assert.equal(chunk.context, undefined);
      } else {
        assert.equal(chunk.context, 'export class Big extends Base {');
        assert.match(chunk.symbol ?? '', /^Big\.handle\d+$/);
        assert.match(chunk.text, /^ {2}\/\*\* Handles case \d+\. \*\//, 'member chunks start at a doc comment');
      }
    }
    for (let i = 0; i < 40; i++) {
      const from = lineOf(text, `/** Handles case ${i}. */`);
      const holders = chunksAt(chunks, from);
      assert.equal(holders.length, 1);
      assert.ok(holders[0].endLine >= from + 4, `method ${i} is cut`);
    }
  });

  it('splits a Python class by methods, with the class line as context', async () => {
    const methods = Array.from({ length: 30 }, (_, i) => `    def step_${i}(self, value):\n        """Step ${i}."""\n        return value * ${i} + self.offset\n`);
    const text = `class Pipeline(Base):\n    offset = 1\n\n${methods.join('\n')}`;
    const chunks = await chunker.chunk('pipeline.py', text, { maxTokens: 120 });
    assertAllProperties(text, chunks, 120, 'pipeline.py', 'python');
    const members = chunks.filter((c) => c.startLine > 1);
    assert.ok(members.length > 2);
    for (const chunk of members) {
      assert.equal(chunk.context, 'class Pipeline(Base):');
      assert.match(chunk.symbol ?? '', /^Pipeline\.step_\d+$/);
    }
  });

  it('splits a function bigger than the budget into pieces that carry its signature', async () => {
    const body = Array.from({ length: 200 }, (_, i) => `  total += compute(${i}, label + '${i}');`).join('\n');
    const text = `// Adds everything up.\nexport function huge(label: string, base: number): number {\n  let total = base;\n${body}\n  return total;\n}\n`;
    const chunks = await chunker.chunk('huge.ts', text);
    assertAllProperties(text, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, 'huge.ts', 'typescript');
    assert.ok(chunks.length > 5);
    assert.equal(chunks[0].startLine, 1, 'the doc comment opens the first piece');
    assert.equal(chunks[0].context, undefined, 'the first piece holds the signature itself');
    for (const chunk of chunks) assert.equal(chunk.symbol, 'huge');
    for (const chunk of chunks.slice(1)) {
      assert.equal(chunk.context, 'export function huge(label: string, base: number): number {');
    }
  });

  it('splits an oversized method with the class and method signatures as context', async () => {
    const body = Array.from({ length: 120 }, (_, i) => `        self.values.append(transform(${i}, "item-${i}"))`).join('\n');
    const text = `class Loader:\n    def load(self, source):\n${body}\n        return self.values\n\n    def reset(self):\n        self.values = []\n`;
    const chunks = await chunker.chunk('loader.py', text, { maxTokens: 200 });
    assertAllProperties(text, chunks, 200, 'loader.py', 'python');
    const pieces = chunks.filter((c) => c.symbol === 'Loader.load');
    assert.ok(pieces.length > 3);
    for (const piece of pieces.slice(1)) assert.equal(piece.context, 'class Loader:\n    def load(self, source):');
    const reset = chunksAt(chunks, lineOf(text, 'def reset'))[0];
    assert.equal(reset.symbol, 'Loader.reset');
    assert.equal(reset.context, 'class Loader:');
  });

  it('names C and C++ functions through their declarators', async () => {
    const text = [
      'void Logger::flush() {',
      '  buffer_.clear();',
      '  written_ = 0;',
      '  pending_ = false;',
      '}',
      '',
      'static const char *level_name(int level) {',
      '  if (level > 3) return "debug";',
      '  return names[level];',
      '}',
      '',
      'int &Counter::operator[](int index) {',
      '  if (index < 0) index = 0;',
      '  return slots_[index];',
      '}',
    ].join('\n');
    const chunks = await chunker.chunk('logger.cpp', text, { maxTokens: 30 });
    assertAllProperties(text, chunks, 30, 'logger.cpp', 'cpp');
    assert.equal(chunksAt(chunks, 1)[0].symbol, 'Logger.flush');
    assert.equal(chunksAt(chunks, 7)[0].symbol, 'level_name');
    assert.equal(chunksAt(chunks, 12)[0].symbol, 'Counter.operator[]');
  });

  it('still chunks broken code, keeping the declarations before the damage', async () => {
    const text = [
      'export function fine(a: number): number {',
      '  return a * 2;',
      '}',
      '',
      'export class Broken {',
      '  method( {',
      '    if (x { return ;;; }',
      '  )))',
      '',
      'const after = 1;',
      'function tail() { return after; }',
    ].join('\n');
    for (const maxTokens of [20, 384]) {
      const chunks = await chunker.chunk('broken.ts', text, { maxTokens });
      assertAllProperties(text, chunks, maxTokens, 'broken.ts', 'typescript');
      assert.ok(chunks.length > 0);
      assert.equal(chunks[0].symbol, 'fine');
    }
    const python = 'def ok():\n    return 1\n\n  def bad(:\n pass\n\tclass\n';
    const chunks = await chunker.chunk('bad.py', python, { maxTokens: 20 });
    assertAllProperties(python, chunks, 20, 'bad.py', 'python');
    assert.equal(chunks[0].symbol, 'ok');
  });

  it('chunks a 5,000-line file with every function whole and within budget', async () => {
    const functions = Array.from({ length: 500 }, (_, i) => [
      `/** Function number ${i}. */`,
      `export function fn${i}(value: number): number {`,
      `  const doubled = value * 2;`,
      `  const shifted = doubled + ${i};`,
      `  if (shifted > 1000) {`,
      `    return shifted - 1000;`,
      '  }',
      '  return shifted;',
      '}',
      '',
    ].join('\n'));
    const text = functions.join('\n');
    assert.ok(text.split('\n').length >= 5000);
    const chunks = await chunker.chunk('many.ts', text);
    assertAllProperties(text, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, 'many.ts', 'typescript');
    for (let i = 0; i < 500; i++) {
      const from = lineOf(text, `/** Function number ${i}. */`);
      const holders = chunksAt(chunks, from);
      assert.equal(holders.length, 1);
      assert.ok(holders[0].endLine >= from + 8, `fn${i} is cut`);
    }
    assert.ok(chunks.length < 250, `small functions are grouped (${chunks.length} chunks)`);
  });

  it('hard-splits a 100 KB single line into pieces within budget that rebuild it', async () => {
    const minified = Array.from({ length: 12_000 }, (_, i) => `v${i}=${i};`).join('');
    assert.ok(minified.length > 100_000);
    const text = `// bundle\n${minified}\nconsole.log(v1);\n`;
    const chunks = await chunker.chunk('bundle.min.js', text);
    assertAllProperties(text, chunks, DEFAULT_CHUNK_OPTIONS.maxTokens, 'bundle.min.js', 'javascript');
    const pieces = chunks.filter((c) => c.startLine === 2 && c.endLine === 2);
    assert.ok(pieces.length > 50);
    assert.equal(pieces.map((c) => c.text).join(''), minified);
  });

  it('gives identical pieces of a repeated long line distinct ids', async () => {
    const text = 'x'.repeat(30_000);
    const chunks = await chunker.chunk('blob.ts', text, { maxTokens: 100 });
    assertAllProperties(text, chunks, 100, 'blob.ts', 'typescript');
    assert.ok(chunks.length >= 100);
    assert.equal(new Set(chunks.map((c) => c.hash)).size < chunks.length, true, 'pieces repeat');
  });
});
