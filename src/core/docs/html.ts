// HTML by its structure, with htmlparser2 (a fast, forgiving parser: real pages are rarely valid).
// Only the page's main content is read when it marks one (<main>, role="main", <article>);
// scripts, styles, navigation, forms and permalink anchors are dropped. h1-h6 become headings,
// pre becomes code, table rows become lines of cells, list items lines of their own.
import { isTag, isText, type ChildNode, type Element } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { DocBuilder, type ExtractedDoc } from './document';

/** Never text a reader sees as the page's content. */
const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'nav', 'header', 'footer', 'aside', 'form', 'button', 'select', 'svg', 'canvas', 'iframe', 'object', 'head']);
/** Elements that end the running paragraph: their text starts a new block. */
const BLOCKS = new Set([
  'address', 'article', 'blockquote', 'body', 'caption', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'hr', 'html', 'li', 'main', 'ol', 'p', 'section', 'summary', 'table', 'tbody', 'thead', 'tfoot', 'ul', 'br',
]);
const HEADING = /^h([1-6])$/;
/** Classes that mark chrome rather than content (Sphinx, MkDocs, Docusaurus, Javadoc). */
const CHROME_CLASSES = /(^|\s)(headerlink|sphinxsidebar|related|breadcrumbs?|navbar|sidebar|toc|skip-?link|hash-link|anchorjs-link|copybutton)(\s|$)/;

export function extractHtml(html: string): ExtractedDoc {
  const builder = new DocBuilder();
  writeHtml(builder, html);
  return builder.build();
}

/** Adds the page's text to `builder` (also for HTML inside other documents: a notebook's raw HTML cell). */
export function writeHtml(builder: DocBuilder, html: string): void {
  const dom = parseDocument(html, { decodeEntities: true });
  const root = mainContent(dom.children) ?? dom;
  const writer = new Writer(builder);
  writer.visit(root.children);
  writer.flush();
}

/** The element holding the page's main content, if the page marks one. */
function mainContent(nodes: ChildNode[]): Element | undefined {
  let article: Element | undefined;
  const stack = [...nodes];
  while (stack.length) {
    const node = stack.shift()!;
    if (!isTag(node)) continue;
    if (node.name === 'main' || node.attribs.role === 'main') return node;
    if (node.name === 'article') article ??= node;
    if (!DROPPED.has(node.name)) stack.push(...node.children);
  }
  return article;
}

class Writer {
  private inline = '';

  constructor(private readonly builder: DocBuilder) {}

  visit(nodes: ChildNode[]): void {
    for (const node of nodes) {
      if (isText(node)) this.inline += node.data;
      else if (isTag(node)) this.element(node);
    }
  }

  flush(): void {
    this.builder.paragraph(this.inline);
    this.inline = '';
  }

  private element(node: Element): void {
    const name = node.name.toLowerCase();
    if (DROPPED.has(name) || node.attribs.role === 'navigation' || node.attribs.hidden !== undefined) return;
    if (CHROME_CLASSES.test(node.attribs.class ?? '')) return;
    const heading = HEADING.exec(name);
    if (heading) {
      this.flush();
      this.builder.heading(Number(heading[1]), textOf(node));
      return;
    }
    if (name === 'pre') {
      this.flush();
      this.builder.code(textOf(node));
      return;
    }
    if (name === 'tr') {
      this.flush();
      const cells = node.children.filter(isTag).filter((cell) => cell.name === 'td' || cell.name === 'th');
      this.builder.paragraph(cells.map((cell) => textOf(cell).replace(/\s+/g, ' ').trim()).join(' | '));
      return;
    }
    if (name === 'img') {
      this.inline += node.attribs.alt ? ` ${node.attribs.alt} ` : '';
      return;
    }
    const block = BLOCKS.has(name);
    if (block) this.flush();
    if (name === 'li') this.inline += '- ';
    this.visit(node.children);
    if (block) this.flush();
    else this.inline += name === 'td' || name === 'th' ? ' ' : '';
  }
}

/** An element's text, without the parts a reader never sees. */
function textOf(node: Element): string {
  let text = '';
  for (const child of node.children) {
    if (isText(child)) text += child.data;
    else if (isTag(child) && !DROPPED.has(child.name) && !CHROME_CLASSES.test(child.attribs.class ?? '')) {
      text += child.name === 'br' ? '\n' : textOf(child);
    }
  }
  return text;
}
