// Syntax-aware chunks for code. A node that fits the budget stays whole; a node that does not is
// replaced by its children, recursively, and remembers its signature as context for them. The
// resulting run of units (each a row range) is then packed greedily into chunks up to the budget.
// Units sharing a row are merged (a chunk boundary never cuts a row), and leading comments,
// decorators and attributes are glued to the declaration that follows them.

import type { Node } from '@vscode/tree-sitter-wasm';
import { estimateTokens } from '../tokens';
import { LineText, Span, contextTokens, lineWindows, truncateToTokens } from './lines';

/** The signatures enclosing a unit, innermost last: what a split-off piece carries as `context`. */
interface Scope {
  parent: Scope | undefined;
  depth: number;
  /** Last row of this scope's signature: units starting on or before it belong to the outer scope. */
  signatureEndRow: number;
  signatures: string[];
  /** The signatures as they fit the context budget. */
  context: string;
  contextTokens: number;
}

interface Unit {
  startRow: number;
  endRow: number;
  scope: Scope | undefined;
  symbol: string | undefined;
  /** The unit is (or begins) the declaration its symbol names, rather than sitting inside it. */
  declares: boolean;
  /** A comment, decorator or attribute that belongs to whatever follows it. */
  leading: boolean;
  /** Where the declaration starts when leading rows were glued in front of it. */
  gluedAt?: number;
  /** First unit of a node too big to stay whole: it starts a chunk rather than trail another. */
  opensSplit?: boolean;
  /** On the signature rows of a node too big to stay whole (`{` of an Allman-style class). */
  onSignature?: boolean;
}

/** Share of the budget a context may take, so every piece keeps room for its own text. */
const CONTEXT_SHARE = 4;
const MAX_SIGNATURE_ROWS = 4;
const MAX_SIGNATURE_CHARS = 300;
const MAX_SYMBOL_CHARS = 120;
/** A unit this small (a closing `}` or `end`) is not worth a chunk of its own. */
const TINY_UNIT_TOKENS = 4;

/** Comments, decorators and attributes: they document the next sibling, so they travel with it. */
const LEADING = /comment|^decorator$|^attribute_item$|^attribute_list$|annotation$/;

/** Body-like nodes: their first row is either the owner's signature or a plain statement, never a signature. */
const BLOCK_LIKE = /block|body|_list$|^compound_statement$/;

/** Nodes that declare a named thing, across the supported grammars. */
const DECLARATIONS = new Set([
  // TypeScript / JavaScript
  'function_declaration', 'generator_function_declaration', 'class_declaration', 'abstract_class_declaration',
  'method_definition', 'method_signature', 'abstract_method_signature', 'function_signature',
  'interface_declaration', 'type_alias_declaration', 'enum_declaration', 'internal_module', 'module',
  'lexical_declaration', 'variable_declaration', 'public_field_definition',
  // Python
  'function_definition', 'class_definition',
  // Go
  'method_declaration', 'type_declaration', 'type_spec',
  // Rust
  'function_item', 'function_signature_item', 'struct_item', 'enum_item', 'union_item', 'trait_item',
  'impl_item', 'mod_item', 'type_item', 'const_item', 'static_item', 'macro_definition',
  // Java / C#
  'record_declaration', 'annotation_type_declaration', 'constructor_declaration', 'struct_declaration',
  'namespace_declaration', 'property_declaration', 'delegate_declaration', 'destructor_declaration',
  // C / C++
  'class_specifier', 'struct_specifier', 'union_specifier', 'enum_specifier', 'namespace_definition',
  // Ruby
  'class', 'method', 'singleton_method',
  // PHP
  'trait_declaration',
]);

/** Nodes that only wrap a declaration (export, decorators, templates), and where it sits in them. */
const WRAPPED_AT = new Map<string, (node: Node) => Node | null>([
  ['export_statement', (node) => node.childForFieldName('declaration')],
  ['decorated_definition', (node) => node.childForFieldName('definition')],
  ['template_declaration', (node) => node.lastNamedChild],
  ['ambient_declaration', (node) => node.firstNamedChild],
  ['expression_statement', (node) => node.firstNamedChild], // TypeScript's `namespace N {}`
]);

export function chunkCode(doc: LineText, root: Node, budget: number, overlapLines: number): Span[] {
  return new CodeChunker(doc, budget, overlapLines).run(root);
}

class CodeChunker {
  private readonly units: Unit[] = [];
  private readonly contextBudget: number;

  constructor(
    private readonly doc: LineText,
    private readonly budget: number,
    private readonly overlapLines: number,
  ) {
    this.contextBudget = Math.floor(budget / CONTEXT_SHARE);
  }

  run(root: Node): Span[] {
    this.collectChildren(root, undefined, undefined, undefined);
    return this.pack(this.fillGaps(this.mergeUnits(this.units)));
  }

  /**
   * Emits `node` as one unit if it fits (or cannot be split), else recurses into its children.
   * `leadRow` is where the comments and decorators right above the node start: they will be glued to
   * it, so they count when deciding whether it fits.
   */
  private collect(node: Node, scope: Scope | undefined, owner: string | undefined, leadRow: number | undefined): void {
    const startRow = node.startPosition.row;
    const endRow = lastRow(node);
    const leading = LEADING.test(node.type);
    const unitScope = scopeAt(startRow, scope);
    const fits = this.doc.tokens(leadRow ?? startRow, endRow) + (unitScope?.contextTokens ?? 0) <= this.budget;
    const declared = declaredName(node);
    const symbol = declared ? qualify(owner, declared) : owner;
    if (fits || leading || startRow === endRow || node.childCount === 0) {
      this.units.push({
        startRow, endRow, scope: unitScope, symbol, declares: declared !== undefined, leading, onSignature: unitScope !== scope,
      });
      return;
    }
    const ownName = DECLARATIONS.has(node.type) ? declared : undefined;
    const firstUnit = this.units.length;
    this.collectChildren(node, this.scopeFor(node, scope), ownName ? qualify(owner, ownName) : owner, leadRow);
    // A body (block, class body) starts with its first statement, which is no head of anything.
    if (BLOCK_LIKE.test(node.type)) return;
    let headIndex = firstUnit;
    while (headIndex < this.units.length && this.units[headIndex].leading) headIndex++;
    const head = this.units[headIndex];
    if (!head) return;
    head.opensSplit = true;
    if (declared) Object.assign(head, { symbol, declares: true });
  }

  private collectChildren(node: Node, scope: Scope | undefined, owner: string | undefined, leadRow: number | undefined): void {
    const nodeStart = node.startPosition.row;
    let leadingRun: number | undefined;
    let previousEnd = -2;
    for (const child of node.children) {
      if (!child) continue;
      const startRow = child.startPosition.row;
      if (LEADING.test(child.type)) {
        if (leadingRun === undefined || startRow > previousEnd + 1) leadingRun = startRow;
        this.collect(child, scope, owner, undefined);
      } else {
        let lead = leadingRun !== undefined && startRow <= previousEnd + 1 ? leadingRun : startRow;
        // What leads the node leads its first child too.
        if (lead === nodeStart && leadRow !== undefined) lead = leadRow;
        this.collect(child, scope, owner, lead);
        leadingRun = undefined;
      }
      previousEnd = lastRow(child);
    }
  }

  /** The scope inside a node being split: its signature added, unless it has none or shares its rows with the parent's. */
  private scopeFor(node: Node, parent: Scope | undefined): Scope | undefined {
    if (BLOCK_LIKE.test(node.type)) return parent;
    const [startRow, endRow] = signatureRows(node);
    if (parent && startRow <= parent.signatureEndRow) return parent;
    const signature = this.doc.lines
      .slice(startRow, endRow + 1)
      .map((line) => line.trimEnd())
      .filter((line) => !/^\s*[{(:[]?$/.test(line)) // a lone `{` (Allman style) says nothing
      .join('\n')
      .slice(0, MAX_SIGNATURE_CHARS);
    const signatures = parent ? [...parent.signatures, signature] : [signature];
    const context = fitContext(signatures, this.contextBudget);
    return {
      parent,
      depth: (parent?.depth ?? 0) + 1,
      signatureEndRow: endRow,
      signatures,
      context,
      contextTokens: contextTokens(context),
    };
  }

  /**
   * Merges units that share a row (a row is never split between chunks) and glues leading units to
   * the unit right below them.
   */
  private mergeUnits(units: Unit[]): Unit[] {
    const merged: Unit[] = [];
    for (const unit of units) {
      const last = merged[merged.length - 1];
      if (last && unit.startRow <= last.endRow) {
        last.endRow = Math.max(last.endRow, unit.endRow);
        last.scope = commonScope(last.scope, unit.scope);
        if (unit.declares && !last.declares) Object.assign(last, { symbol: unit.symbol, declares: true });
        else last.symbol ??= unit.symbol;
        last.leading &&= unit.leading;
        last.opensSplit ||= unit.opensSplit;
        last.onSignature &&= unit.onSignature;
      } else if (last && last.leading && !unit.leading && unit.startRow === last.endRow + 1) {
        merged[merged.length - 1] = {
          ...unit,
          startRow: last.startRow,
          scope: commonScope(last.scope, unit.scope),
          symbol: unit.symbol ?? last.symbol,
          declares: unit.declares || last.declares,
          gluedAt: unit.gluedAt ?? unit.startRow,
        };
      } else if (last && last.leading && unit.leading && unit.startRow === last.endRow + 1) {
        last.endRow = unit.endRow; // a run of comment lines glues as one
      } else {
        merged.push({ ...unit });
      }
    }
    return merged;
  }

  /** Safety net: rows that no node claimed but hold text still get a unit, so nothing is lost. */
  private fillGaps(units: Unit[]): Unit[] {
    const filled: Unit[] = [];
    let nextRow = 0;
    const fill = (toRow: number, before: Unit | undefined, after: Unit | undefined): void => {
      const first = this.doc.nextNonBlank(nextRow, toRow);
      if (first > toRow) return;
      const last = this.doc.previousNonBlank(toRow, first);
      filled.push({
        startRow: first, endRow: last, scope: commonScope(before?.scope, after?.scope), symbol: undefined, declares: false, leading: false,
      });
    };
    for (const unit of units) {
      fill(unit.startRow - 1, filled[filled.length - 1], unit);
      filled.push(unit);
      nextRow = unit.endRow + 1;
    }
    fill(this.doc.rowCount - 1, filled[filled.length - 1], undefined);
    return filled;
  }

  /**
   * Packs consecutive units into chunks within the budget. A unit joins the open chunk only if it
   * lies inside the chunk's scope, so the chunk's context is true for every row in it.
   */
  private pack(units: Unit[]): Span[] {
    const spans: Span[] = [];
    let open: Unit[] = [];
    const close = (): void => {
      if (open.length) spans.push(spanOf(open));
      open = [];
    };
    const queue = units.slice().reverse();
    for (let unit = queue.pop(); unit; unit = queue.pop()) {
      if (this.cost(unit.startRow, unit.endRow, unit.scope) > this.budget) {
        close();
        if (unit.gluedAt !== undefined) {
          // Too big with its comments: give the comments and the declaration a chance on their own.
          queue.push({ ...unit, startRow: unit.gluedAt, gluedAt: undefined });
          queue.push({ ...unit, endRow: unit.gluedAt - 1, gluedAt: undefined, symbol: undefined, declares: false, leading: true });
          continue;
        }
        lineWindows(this.doc, unit.startRow, unit.endRow, this.budget, this.overlapLines, unit.symbol, unit.scope?.context, spans);
        continue;
      }
      const tiny = this.doc.tokens(unit.startRow, unit.endRow) <= TINY_UNIT_TOKENS;
      // A split node's head starts a chunk, unless that chunk holds only heads so far
      // (`namespace ns {` then `class Foo {`).
      const mayJoin = !unit.opensSplit || open.every((member) => member.opensSplit || member.onSignature || member.leading);
      if (open.length && mayJoin && this.fitsAfter(open[0], unit, tiny)) {
        open.push(unit);
        continue;
      }
      const last = open[open.length - 1];
      if (open.length > 1 && tiny && !unit.opensSplit && this.fitsAfter(last, unit, tiny)) {
        // Rather than leave a closing brace alone, hand it the open chunk's last unit as company.
        open.pop();
        close();
        open = [last, unit];
        continue;
      }
      close();
      open = [unit];
    }
    close();
    return spans;
  }

  /**
   * Whether `unit` can extend a chunk that starts with `first`: within budget and inside its scope
   * (a tiny closer such as `};` ends the scope it closes, even when its row also belongs outside).
   */
  private fitsAfter(first: Unit, unit: Unit, tiny: boolean): boolean {
    return (tiny || within(unit.scope, first.scope)) && this.cost(first.startRow, unit.endRow, first.scope) <= this.budget;
  }

  private cost(startRow: number, endRow: number, scope: Scope | undefined): number {
    return this.doc.tokens(startRow, endRow) + (scope?.contextTokens ?? 0);
  }
}

/** A chunk of consecutive units: named after its first declaration, in the scope of its first unit. */
function spanOf(units: Unit[]): Span {
  const [first] = units;
  const span: Span = { startRow: first.startRow, endRow: units[units.length - 1].endRow };
  const symbol = (units.find((unit) => unit.declares) ?? units.find((unit) => unit.symbol))?.symbol;
  if (symbol) span.symbol = symbol;
  if (first.scope?.context) span.context = first.scope.context;
  return span;
}

/** The last row holding the node's text: a node ending with its newline ends at column 0 of the next row. */
function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

/** A unit on a scope's signature rows is part of the enclosing scope (it *is* the signature). */
function scopeAt(row: number, scope: Scope | undefined): Scope | undefined {
  while (scope && row <= scope.signatureEndRow) scope = scope.parent;
  return scope;
}

function within(inner: Scope | undefined, outer: Scope | undefined): boolean {
  if (!outer) return true;
  while (inner && inner.depth > outer.depth) inner = inner.parent;
  return inner === outer;
}

function commonScope(a: Scope | undefined, b: Scope | undefined): Scope | undefined {
  while (a && b && a !== b) {
    if (a.depth >= b.depth) a = a.parent;
    else b = b.parent;
  }
  return a && b ? a : undefined;
}

/** Rows of a node's signature: from its name (past decorators and doc comments) to where its body opens. */
function signatureRows(node: Node): [number, number] {
  const name = node.childForFieldName('name');
  const startRow = name ? name.startPosition.row : firstSubstantiveRow(node);
  let endRow = startRow;
  const body = node.childForFieldName('body');
  if (body) {
    const beforeBody = body.previousSibling;
    if (beforeBody) endRow = Math.max(endRow, lastRow(beforeBody));
    const opener = body.firstChild;
    if (opener && !opener.isNamed) endRow = Math.max(endRow, body.startPosition.row);
  }
  return [startRow, Math.min(endRow, startRow + MAX_SIGNATURE_ROWS - 1)];
}

function firstSubstantiveRow(node: Node): number {
  for (const child of node.children) {
    if (child && !LEADING.test(child.type)) return child.startPosition.row;
  }
  return node.startPosition.row;
}

/**
 * Fits enclosing signatures into the context budget: all of them if they fit, else the outermost and
 * innermost, else the innermost alone, cut to the budget.
 */
function fitContext(signatures: string[], maxTokens: number): string {
  if (maxTokens <= 0) return '';
  const candidates = [signatures.join('\n')];
  if (signatures.length > 2) candidates.push(`${signatures[0]}\n…\n${signatures[signatures.length - 1]}`);
  candidates.push(signatures[signatures.length - 1]);
  for (const candidate of candidates) if (estimateTokens(candidate) <= maxTokens) return candidate;
  return truncateToTokens(candidates[candidates.length - 1], maxTokens);
}

/** The names the top level of a parsed piece of code declares (a notebook cell's functions and classes). */
export function topLevelDeclarations(root: Node): string[] {
  const names: string[] = [];
  for (const child of root.namedChildren) {
    const name = child && declaredName(child);
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The name the node declares, directly or through a wrapper such as `export`. */
function declaredName(node: Node): string | undefined {
  const declaration = declarationOf(node);
  return declaration && declarationName(declaration);
}

function declarationOf(node: Node): Node | undefined {
  if (DECLARATIONS.has(node.type)) return node;
  const inner = WRAPPED_AT.get(node.type)?.(node);
  return inner && DECLARATIONS.has(inner.type) ? inner : undefined;
}

function declarationName(node: Node): string | undefined {
  let name: string | undefined;
  switch (node.type) {
    case 'method_declaration': {
      // Go methods read best as Receiver.Method; Java/C#/PHP methods have no receiver field.
      const receiver = node.childForFieldName('receiver');
      const own = node.childForFieldName('name')?.text;
      const receiverType = receiver?.descendantsOfType(['type_identifier'])[0]?.text;
      name = receiverType && own ? `${receiverType}.${own}` : own;
      break;
    }
    case 'impl_item':
      name = node.childForFieldName('type')?.text.replace(/<.*$/s, '');
      break;
    case 'type_declaration': {
      const specs = node.namedChildren.filter((child) => child?.type === 'type_spec');
      name = specs.length === 1 ? specs[0]?.childForFieldName('name')?.text : undefined;
      break;
    }
    case 'lexical_declaration':
    case 'variable_declaration': {
      const first = node.namedChildren.find((child) => child?.type === 'variable_declarator');
      const id = first?.childForFieldName('name');
      name = id?.type === 'identifier' ? id.text : undefined;
      break;
    }
    case 'namespace_definition':
    case 'namespace_declaration':
      // `namespace App;` (PHP) has no body and names the file, not a declaration in it.
      name = node.childForFieldName('body') ? node.childForFieldName('name')?.text : undefined;
      break;
    case 'function_definition':
      name = node.childForFieldName('name')?.text ?? innermostDeclarator(node);
      break;
    default:
      name = node.childForFieldName('name')?.text;
  }
  return name ? name.replace(/\s+/g, '').replace(/::/g, '.').slice(0, MAX_SYMBOL_CHARS) : undefined;
}

/** C/C++ bury a function's name under pointer, reference and function declarators. */
function innermostDeclarator(node: Node): string | undefined {
  let current = node.childForFieldName('declarator');
  while (current && current.type.endsWith('declarator')) {
    current = current.childForFieldName('declarator')
      ?? current.namedChildren.find((child) => child !== null && /declarator$|identifier$|_name$/.test(child.type)) ?? null;
  }
  return current?.text;
}

function qualify(owner: string | undefined, name: string): string {
  return owner ? `${owner}.${name}` : name;
}
