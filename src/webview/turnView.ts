// One conversation turn in the DOM. Assistant turns update in parts (answer, sources, footer) so a
// streamed token re-renders only the answer, and a focused source link survives the stream.
import { button, formatBytes, h, icon } from './dom';
import { MarkdownRenderer, renderCodeBlock, sourceLabel } from './markdown';
import type { AnswerError, AssistantTurn, SourceRef, UserTurn } from '../shared/protocol';
import { sanitizeHtml } from './sanitize';
import type { PullState } from './state';

export interface TurnContext {
  streaming: boolean;
  retryable: boolean;
  /** Pull state of the model a `model-missing` error names. */
  pull?: PullState;
  host: string;
  markdown: MarkdownRenderer;
}

export function renderUserTurn(turn: UserTurn): HTMLElement {
  const el = h('article', { class: 'turn turn-user', 'data-turn-id': turn.id, 'aria-label': 'Your question' },
    h('div', { class: 'turn-header' }, icon('account'), h('span', { class: 'turn-author' }, 'You')));
  if (turn.selection) {
    const s = turn.selection;
    const ref: SourceRef = { n: 0, path: s.path, startLine: s.startLine, endLine: s.endLine };
    el.append(
      h('p', { class: 'user-text' }, turn.text),
      h('button', { type: 'button', class: 'selection-ref', 'data-action': 'open-path', 'data-path': s.path, 'data-start': s.startLine, 'data-end': s.endLine, title: `Open ${sourceLabel(ref)}` },
        icon('file-code'), h('span', {}, sourceLabel(ref))),
      decorateCodeBlocks(sanitizeHtml(renderCodeBlock(s.text, s.language))),
    );
  } else {
    el.append(h('p', { class: 'user-text' }, turn.text));
  }
  return el;
}

export class AssistantTurnView {
  readonly el: HTMLElement;
  private readonly answer: HTMLElement;
  private readonly instructions: HTMLElement;
  private readonly sources: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly modelLabel: HTMLElement;
  private shown?: { text: string; sources: SourceRef[]; instructions?: string[]; streaming: boolean; footerKey: string; model: string };

  constructor(turnId: string) {
    this.modelLabel = h('span', { class: 'turn-model' });
    this.answer = h('div', { class: 'answer markdown', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.instructions = h('div', { class: 'instructions', hidden: true });
    this.sources = h('div', { class: 'sources', hidden: true });
    this.footer = h('div', { class: 'turn-footer' });
    this.el = h('article', { class: 'turn turn-assistant', 'data-turn-id': turnId, 'aria-label': 'Answer' },
      h('div', { class: 'turn-header' }, icon('sparkle'), h('span', { class: 'turn-author' }, 'Lore'), this.modelLabel),
      this.answer, this.instructions, this.sources, this.footer);
  }

  update(turn: AssistantTurn, ctx: TurnContext): void {
    const prev = this.shown;
    const footerKey = JSON.stringify([turn.error, turn.stopped, ctx.retryable, ctx.pull, ctx.streaming, ctx.host]);
    if (!prev || prev.model !== turn.model) this.modelLabel.textContent = turn.model;
    if (!prev || prev.text !== turn.text || prev.sources !== turn.sources || prev.streaming !== ctx.streaming) this.renderAnswer(turn, ctx);
    if (!prev || prev.sources !== turn.sources) this.renderSources(turn.sources);
    if (!prev || prev.instructions !== turn.instructions) this.renderInstructions(turn.instructions);
    if (!prev || prev.footerKey !== footerKey) this.renderFooter(turn, ctx);
    this.shown = { text: turn.text, sources: turn.sources, instructions: turn.instructions, streaming: ctx.streaming, footerKey, model: turn.model };
  }

  private renderAnswer(turn: AssistantTurn, ctx: TurnContext): void {
    // Screen readers announce the answer once it is complete rather than every frame.
    this.answer.setAttribute('aria-busy', String(ctx.streaming));
    this.answer.classList.toggle('streaming', ctx.streaming);
    if (!turn.text) {
      this.answer.replaceChildren(ctx.streaming
        ? h('p', { class: 'pending' }, icon('loading', 'codicon-modifier-spin'), turn.sources.length ? ' Writing…' : ' Searching the workspace…')
        : '');
      return;
    }
    this.answer.replaceChildren(decorateCodeBlocks(sanitizeHtml(ctx.markdown.render(turn.text, turn.sources))));
  }

  private renderSources(sources: SourceRef[]): void {
    this.sources.hidden = sources.length === 0;
    if (!sources.length) return this.sources.replaceChildren();
    const list = h('ol', { class: 'source-list' });
    for (const s of sources) {
      list.append(h('li', {},
        h('button', { type: 'button', class: 'source-link', 'data-action': 'open-source', 'data-source': s.n, title: `Open ${sourceLabel(s)}` },
          h('span', { class: 'source-n' }, String(s.n)),
          icon('file-code'),
          h('span', { class: 'source-path' }, sourceLabel(s)),
          s.symbol ? h('span', { class: 'source-symbol' }, s.symbol) : undefined)));
    }
    this.sources.replaceChildren(h('div', { class: 'sources-title', id: `sources-${this.el.dataset.turnId}` }, 'Sources'), list);
    list.setAttribute('aria-labelledby', `sources-${this.el.dataset.turnId}`);
  }

  private renderInstructions(paths: string[] | undefined): void {
    this.instructions.hidden = !paths?.length;
    this.instructions.replaceChildren(...(paths?.length ? [icon('book'), ` Following ${paths.join(', ')}`] : []));
  }

  private renderFooter(turn: AssistantTurn, ctx: TurnContext): void {
    const parts: Node[] = [];
    if (turn.error) parts.push(errorBox(turn.error, turn.id, ctx));
    else if (turn.stopped) {
      parts.push(h('div', { class: 'stopped-note' }, icon('debug-stop'), ' Stopped',
        ctx.retryable ? button({ label: 'Retry', icon: 'refresh', action: 'retry', data: { 'turn-id': turn.id } }) : undefined));
    }
    this.footer.replaceChildren(...parts);
  }
}

function errorBox(error: AnswerError, turnId: string, ctx: TurnContext): HTMLElement {
  const retry = ctx.retryable ? button({ label: 'Retry', icon: 'refresh', action: 'retry', primary: true, data: { 'turn-id': turnId } }) : undefined;
  const box = h('div', { class: `error-box error-${error.kind}`, role: 'alert' });
  const title = h('div', { class: 'error-title' }, icon(error.kind === 'context-too-small' ? 'warning' : 'error'));
  const actions = h('div', { class: 'error-actions' });
  box.append(title);
  switch (error.kind) {
    case 'ollama-down':
      title.append(' Ollama is not reachable');
      box.append(
        h('p', {}, `Lore could not reach Ollama${ctx.host ? ` at ${ctx.host}` : ''}.`),
        h('p', { class: 'hint' }, 'How to start Ollama: run ', h('code', {}, 'ollama serve'), ' in a terminal, or open the Ollama app, then retry.'),
      );
      if (retry) actions.append(retry);
      break;
    case 'model-missing': {
      const model = error.model ?? '';
      title.append(` Model ${model ? `“${model}” ` : ''}is not installed`);
      box.append(h('p', {}, error.message));
      const pull = ctx.pull;
      if (pull && !pull.done) {
        box.append(pullProgress(model, pull));
      } else if (pull?.done && !pull.error) {
        box.append(h('p', { class: 'hint' }, icon('check'), ` ${model} is ready.`));
        if (retry) actions.append(retry);
      } else {
        if (pull?.error) box.append(h('p', { class: 'hint' }, `Pull failed: ${pull.error}`));
        if (model) actions.append(button({ label: `Pull ${model}`, icon: 'cloud-download', action: 'pull', primary: true, data: { model } }));
      }
      break;
    }
    case 'context-too-small':
      title.append(' The question does not fit the model’s context');
      box.append(
        h('p', {}, error.message),
        h('p', { class: 'hint' }, 'Ask a narrower question, start a new chat (less history to carry), or pick a model with a larger context window.'),
      );
      actions.append(button({ label: 'New Chat', icon: 'add', action: 'new-chat' }));
      if (retry) actions.append(retry);
      break;
    case 'timeout':
      title.append(' The model took too long');
      box.append(h('p', {}, error.message));
      if (retry) actions.append(retry);
      break;
    case 'failed':
      title.append(' The answer failed');
      box.append(h('p', {}, error.message));
      if (retry) actions.append(retry);
      break;
  }
  if (actions.childElementCount) box.append(actions);
  return box;
}

function pullProgress(model: string, pull: PullState): HTMLElement {
  const percent = pull.total ? Math.min(100, Math.round(((pull.completed ?? 0) / pull.total) * 100)) : undefined;
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': `Pulling ${model}`, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent },
    h('div', { class: percent === undefined ? 'progress-fill indeterminate' : 'progress-fill' }));
  if (percent !== undefined) (bar.firstChild as HTMLElement).style.width = `${percent}%`;
  const detail = pull.total ? ` ${formatBytes(pull.completed ?? 0)} / ${formatBytes(pull.total)}` : '';
  return h('div', { class: 'pull' }, h('div', { class: 'pull-status' }, icon('cloud-download'), ` ${pull.status}${detail}`), bar);
}

/** Wraps each highlighted `<pre>` with a header holding the language and Copy / Insert buttons. */
export function decorateCodeBlocks(fragment: DocumentFragment): DocumentFragment {
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) {
    const header = h('div', { class: 'code-header' },
      h('span', { class: 'code-lang' }, pre.dataset.lang ?? ''),
      h('span', { class: 'code-actions' },
        button({ label: 'Copy', icon: 'copy', action: 'copy', iconOnly: true, title: 'Copy' }),
        button({ label: 'Insert at Cursor', icon: 'insert', action: 'insert', iconOnly: true, title: 'Insert at Cursor' })));
    const block = h('div', { class: 'code-block' });
    pre.replaceWith(block);
    block.append(header, pre);
  }
  return fragment;
}
