// Markdown -> HTML for model output. DOM-free (unit-tested in Node); the result still goes through
// the sanitizer (sanitize.ts) before it touches the page. Raw HTML in the model's text is shown as
// text, images become links (no remote loads), links the policy blocks become plain text, `[n]`
// citations become links to source n, and fenced code is highlighted.
import { Marked, type Tokens, type TokenizerAndRendererExtension } from 'marked';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { classifyLink } from '../shared/linkPolicy';
import type { SourceRef } from '../shared/protocol';

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, ini, java, javascript, json, markdown, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, definition] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, definition);
// VS Code language ids that highlight.js knows under another name.
hljs.registerAliases(['typescriptreact'], { languageName: 'typescript' });
hljs.registerAliases(['javascriptreact'], { languageName: 'javascript' });
hljs.registerAliases(['shellscript'], { languageName: 'bash' });
hljs.registerAliases(['jsonc'], { languageName: 'json' });
hljs.registerAliases(['toml'], { languageName: 'ini' });

const SAFE_LANGUAGE_NAME = /^[\w+#.-]{1,40}$/;
/** `[2]`, `[1, 3]`, `[1,2,3]`; not `[2](url)`, which is a link. */
const CITATION = /^\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()/;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** `src/a.ts:3-9`; a document by its place (`R-intro.pdf p. 15`, `analysis.ipynb cell 4`); `(outside)` for a docs-folder file. */
export function sourceLabel(source: SourceRef): string {
  const name = source.path.slice(source.path.lastIndexOf('/') + 1);
  const lines = source.startLine === source.endLine ? `${source.startLine}` : `${source.startLine}-${source.endLine}`;
  const label = source.page !== undefined ? `${name} p. ${source.page}` : source.cell !== undefined ? `${name} cell ${source.cell}` : `${source.outside ? name : source.path}:${lines}`;
  return source.outside ? `${label} (outside the repository)` : label;
}

/** Highlighted code inside `<pre data-lang><code>`; the view adds the Copy/Insert toolbar. */
export function renderCodeBlock(code: string, language?: string): string {
  const requested = language?.trim().split(/\s+/)[0].toLowerCase();
  const lang = requested && SAFE_LANGUAGE_NAME.test(requested) ? requested : '';
  const known = lang !== '' && hljs.getLanguage(lang) !== undefined;
  const body = known ? hljs.highlight(code, { language: lang, ignoreIllegals: true }).value : escapeHtml(code);
  const attr = lang ? ` data-lang="${escapeHtml(lang)}"` : '';
  const cls = known ? ` class="hljs language-${escapeHtml(lang)}"` : '';
  return `<pre${attr}><code${cls}>${body}</code></pre>\n`;
}

interface CitationToken extends Tokens.Generic {
  type: 'citation';
  numbers: number[];
}

export class MarkdownRenderer {
  /** Sources of the answer being rendered; `render` is synchronous, so one field is enough. */
  private sources: readonly SourceRef[] = [];
  private readonly marked: Marked;

  constructor() {
    const citation: TokenizerAndRendererExtension = {
      name: 'citation',
      level: 'inline',
      start: (src) => src.indexOf('['),
      tokenizer: (src) => {
        const match = CITATION.exec(src);
        if (!match) return undefined;
        const numbers = match[1].split(',').map((n) => Number(n.trim()));
        const token: CitationToken = { type: 'citation', raw: match[0], numbers };
        return token;
      },
      renderer: (token) => this.renderCitation(token as CitationToken),
    };
    this.marked = new Marked({
      gfm: true,
      breaks: false,
      extensions: [citation],
      renderer: {
        code: ({ text, lang }) => renderCodeBlock(text, lang),
        html: ({ text }) => escapeHtml(text),
        link(token) {
          return renderLink(token.href, token.title, this.parser.parseInline(token.tokens));
        },
        image: ({ href, title, text }) => renderLink(href, title, escapeHtml(text || href)),
      },
    });
  }

  render(markdownText: string, sources: readonly SourceRef[]): string {
    this.sources = sources;
    try {
      return this.marked.parse(markdownText, { async: false });
    } finally {
      this.sources = [];
    }
  }

  private renderCitation(token: CitationToken): string {
    const known = token.numbers.map((n) => this.sources.find((s) => s.n === n));
    // Numbers without a source keep their brackets, so nothing the model wrote disappears.
    if (known.every((s) => s === undefined)) return escapeHtml(token.raw);
    const parts = token.numbers.map((n, i) => {
      const source = known[i];
      if (!source) return `[${n}]`;
      const label = escapeHtml(sourceLabel(source));
      return `<a class="citation" href="#" data-source="${n}" title="${label}" aria-label="Source ${n}: ${label}">${n}</a>`;
    });
    return `<span class="citations">${parts.join('')}</span>`;
  }
}

function renderLink(href: string, title: string | null | undefined, innerHtml: string): string {
  const target = classifyLink(href);
  if (target.kind === 'blocked') {
    return `<span class="blocked-link" title="${escapeHtml(`Link not opened: ${target.reason}`)}">${innerHtml}</span>`;
  }
  const shown = target.kind === 'external' ? target.url : href;
  const tooltip = title ? `${title} (${shown})` : shown;
  return `<a href="${escapeHtml(href)}" title="${escapeHtml(tooltip)}">${innerHtml}</a>`;
}
