// Entry point of the chat webview (bundled to dist/webview.js). Holds the state, turns host
// messages into renders (batched per animation frame), and turns clicks and keys into messages.
import { button, formatCount, formatWhen, h, icon } from './dom';
import { classifyLink } from '../shared/linkPolicy';
import { MarkdownRenderer } from './markdown';
import { MAX_QUESTION_CHARS, type ChatTurn, type HostToWebview, type IndexStateMessage, type WebviewToHost } from '../shared/protocol';
import { addQuestion, reduce, restoreState, retryableTurnId, type ViewState } from './state';
import { AssistantTurnView, renderUserTurn } from './turnView';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const markdown = new MarkdownRenderer();
const MAX_INPUT_HEIGHT_PX = 200;
const STICK_TO_BOTTOM_PX = 48;
const SAVE_DELAY_MS = 400;

let state: ViewState = restoreState(vscode.getState());
let localTurnCounter = 0;

// ---- static layout ---------------------------------------------------------------------------------

const indexStatus = h('div', { class: 'index-status', role: 'status' });
const historyButton = button({ label: 'Chat history', icon: 'history', action: 'toggle-history', iconOnly: true, title: 'Chat History' });
historyButton.setAttribute('aria-expanded', 'false');
historyButton.setAttribute('aria-controls', 'history');
const historyPanel = h('nav', { id: 'history', class: 'history', 'aria-label': 'Conversations', hidden: true });
const turnsList = h('div', { class: 'turns' });
const emptyView = h('div', { class: 'empty' });
const conversation = h('main', { class: 'conversation', 'aria-label': 'Conversation', tabindex: -1 }, emptyView, turnsList);
const input = h('textarea', { id: 'question', class: 'question', rows: 1, placeholder: 'Ask about your code…', 'aria-label': 'Ask a question about your code', maxlength: MAX_QUESTION_CHARS });
const modelPicker = h('select', { class: 'model-picker', 'aria-label': 'Chat model', title: 'Chat model' });
const sendButton = h('button', { type: 'button', class: 'send-button' });
const hostLabel = h('span', { class: 'host-label' });

document.body.append(h('div', { class: 'app' },
  h('header', { class: 'topbar' }, indexStatus, h('div', { class: 'topbar-actions' }, historyButton)),
  historyPanel,
  conversation,
  h('footer', { class: 'composer' },
    h('div', { class: 'input-box' },
      input,
      h('div', { class: 'composer-bar' }, icon('server'), hostLabel, h('span', { class: 'spacer' }), modelPicker, sendButton)))));

input.value = state.draft;

// ---- rendering -------------------------------------------------------------------------------------

const assistantViews = new Map<string, AssistantTurnView>();
const turnElements = new Map<string, { turn: ChatTurn; el: HTMLElement }>();
let renderQueued = false;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

function setState(next: ViewState): void {
  if (next === state) return;
  state = next;
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
  saveTimer ??= setTimeout(() => {
    saveTimer = undefined;
    vscode.setState(state);
  }, SAVE_DELAY_MS);
}

function render(): void {
  renderQueued = false;
  const stick = conversation.scrollHeight - conversation.scrollTop - conversation.clientHeight < STICK_TO_BOTTOM_PX;
  renderIndexStatus(state.indexState);
  renderHistory();
  renderTurns();
  renderComposer();
  if (stick) conversation.scrollTop = conversation.scrollHeight;
}

function renderIndexStatus(s: IndexStateMessage | undefined): void {
  if (!s) return indexStatus.replaceChildren();
  const counts = `${formatCount(s.files)} files · ${formatCount(s.chunks)} chunks`;
  const lexical = s.mode === 'lexical'
    ? h('span', { class: 'mode-badge', title: 'Embeddings are unavailable, so answers use keyword search until Ollama is back.' }, 'keyword search only')
    : undefined;
  const parts: Array<Node | string> = [];
  switch (s.state) {
    case 'idle':
      parts.push(icon('database'), h('span', {}, counts));
      break;
    case 'indexing': {
      const progress = s.total ? `${formatCount(s.done ?? 0)}/${formatCount(s.total)} files` : counts;
      parts.push(icon('sync', 'codicon-modifier-spin'), h('span', {}, `Indexing ${progress}`));
      break;
    }
    case 'paused':
      parts.push(icon('debug-pause'), h('span', {}, `Indexing paused · ${counts}`));
      break;
    case 'no-index':
      parts.push(icon('circle-slash'), h('span', {}, 'No index yet'));
      // An empty conversation shows the same offer in the middle of the view.
      if (state.turns.length > 0) parts.push(button({ label: 'Index workspace', icon: 'refresh', action: 'reindex', primary: true }));
      break;
    case 'error':
      parts.push(icon('error', 'status-error'), h('span', { class: 'status-message', title: s.message ?? '' }, `Index error${s.message ? `: ${s.message}` : ''}`),
        button({ label: 'Reindex', icon: 'refresh', action: 'reindex' }));
      break;
  }
  if (lexical && s.state !== 'no-index') parts.push(lexical);
  indexStatus.dataset.state = s.state;
  // Progress ticks would flood a screen reader; it hears the state changes only.
  if (s.state === 'indexing') indexStatus.setAttribute('aria-live', 'off');
  else indexStatus.removeAttribute('aria-live');
  indexStatus.replaceChildren(...parts);
  if (s.state === 'indexing' && s.total) {
    const fill = h('div', { class: 'progress-fill' });
    fill.style.width = `${Math.min(100, Math.round(((s.done ?? 0) / s.total) * 100))}%`;
    indexStatus.append(h('div', { class: 'progress index-progress', 'aria-hidden': 'true' }, fill));
  }
}

function renderHistory(): void {
  if (historyPanel.hidden) return;
  const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.id;
  const items = state.conversations.map((c) => h('li', { class: c.id === state.conversationId ? 'history-entry current' : 'history-entry' },
    h('button', { type: 'button', class: 'history-open', 'data-action': 'open-conversation', 'data-id': c.id, 'aria-current': c.id === state.conversationId ? 'true' : undefined, title: c.title },
      h('span', { class: 'history-title' }, c.title), h('span', { class: 'history-when' }, formatWhen(c.updatedAt))),
    button({ label: `Delete conversation “${c.title}”`, icon: 'trash', action: 'delete-conversation', iconOnly: true, title: 'Delete', data: { id: c.id } })));
  historyPanel.replaceChildren(
    h('div', { class: 'history-title-bar' }, h('span', {}, 'Recent conversations')),
    items.length ? h('ul', { class: 'history-list' }, ...items) : h('p', { class: 'history-empty' }, 'No conversations yet.'));
  if (focusedId) historyPanel.querySelector<HTMLElement>(`[data-action="open-conversation"][data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

function renderTurns(): void {
  const retryable = retryableTurnId(state);
  const seen = new Set<string>();
  const ordered: HTMLElement[] = [];
  for (const turn of state.turns) {
    seen.add(turn.id);
    let entry = turnElements.get(turn.id);
    if (turn.role === 'user') {
      if (!entry || entry.turn !== turn) entry = { turn, el: renderUserTurn(turn) };
    } else {
      let view = assistantViews.get(turn.id);
      if (!view) {
        view = new AssistantTurnView(turn.id);
        assistantViews.set(turn.id, view);
      }
      view.update(turn, {
        streaming: state.streamingTurnId === turn.id,
        retryable: retryable === turn.id,
        pull: turn.error?.model ? state.pulls[turn.error.model] : undefined,
        host: state.host,
        markdown,
      });
      entry = { turn, el: view.el };
    }
    turnElements.set(turn.id, entry);
    ordered.push(entry.el);
  }
  for (const id of turnElements.keys()) {
    if (!seen.has(id)) {
      turnElements.delete(id);
      assistantViews.delete(id);
    }
  }
  const current = Array.from(turnsList.children);
  if (current.length !== ordered.length || current.some((el, i) => el !== ordered[i])) turnsList.replaceChildren(...ordered);
  renderEmpty();
}

function renderEmpty(): void {
  const empty = state.turns.length === 0;
  emptyView.hidden = !empty;
  if (!empty) return;
  const noIndex = state.indexState?.state === 'no-index';
  const key = noIndex ? 'no-index' : 'welcome';
  if (emptyView.dataset.kind === key) return;
  emptyView.dataset.kind = key;
  emptyView.replaceChildren(noIndex
    ? h('div', { class: 'empty-card' }, icon('database', 'empty-icon'),
      h('h2', {}, 'This workspace is not indexed yet'),
      h('p', {}, 'Lore answers from an index of your code and docs, built and kept on this machine.'),
      button({ label: 'Index workspace', icon: 'refresh', action: 'reindex', primary: true }))
    : h('div', { class: 'empty-card' }, icon('comment-discussion', 'empty-icon'),
      h('h2', {}, 'Ask about your code'),
      h('p', {}, 'Lore searches this workspace and answers with a local model. Answers cite their sources as [1], [2]… — click one to open it.'),
      h('p', { class: 'hint' }, 'Select code and run “Explain with Context” to ask about it.')));
}

function renderComposer(): void {
  const streaming = state.streamingTurnId !== undefined;
  const empty = input.value.trim().length === 0;
  sendButton.classList.toggle('stop', streaming);
  const label = streaming ? 'Stop (Esc)' : 'Send (Enter)';
  sendButton.setAttribute('aria-label', streaming ? 'Stop' : 'Send');
  sendButton.title = label;
  sendButton.disabled = !streaming && empty;
  const iconName = streaming ? 'debug-stop' : 'send';
  if (sendButton.dataset.icon !== iconName) {
    sendButton.dataset.icon = iconName;
    sendButton.replaceChildren(icon(iconName));
  }
  hostLabel.textContent = state.host;
  hostLabel.title = state.host ? `Answers come from Ollama at ${state.host}` : '';
  renderModelPicker();
}

function renderModelPicker(): void {
  const models = state.models.includes(state.selectedModel) || !state.selectedModel ? state.models : [state.selectedModel, ...state.models];
  const key = JSON.stringify([models, state.selectedModel]);
  if (modelPicker.dataset.key === key) return;
  modelPicker.dataset.key = key;
  modelPicker.replaceChildren(...models.map((m) => h('option', { value: m, selected: m === state.selectedModel }, m)));
  modelPicker.value = state.selectedModel;
  modelPicker.disabled = models.length === 0;
}

// ---- user actions ----------------------------------------------------------------------------------

function post(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function send(): void {
  const text = input.value.trim();
  if (!text || state.streamingTurnId !== undefined || text.length > MAX_QUESTION_CHARS) return;
  post({ type: 'ask', text, model: state.selectedModel });
  input.value = '';
  autoGrow();
  setState(addQuestion(state, text, `local-${Date.now()}-${++localTurnCounter}`));
  conversation.scrollTop = conversation.scrollHeight;
}

function stop(): void {
  if (state.streamingTurnId !== undefined) post({ type: 'stop', turnId: state.streamingTurnId });
}

function autoGrow(): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, MAX_INPUT_HEIGHT_PX)}px`;
  input.style.overflowY = input.scrollHeight > MAX_INPUT_HEIGHT_PX ? 'auto' : 'hidden';
}

function toggleHistory(open = historyPanel.hidden): void {
  historyPanel.hidden = !open;
  historyButton.setAttribute('aria-expanded', String(open));
  historyButton.classList.toggle('active', open);
  if (open) {
    renderHistory();
    historyPanel.querySelector<HTMLElement>('[aria-current="true"], button')?.focus();
  }
}

function openSourceOf(turnEl: Element | null, n: number): void {
  const turn = state.turns.find((t) => t.id === (turnEl as HTMLElement | null)?.dataset.turnId);
  const source = turn?.role === 'assistant' ? turn.sources.find((s) => s.n === n) : undefined;
  if (source) post({ type: 'openSource', path: source.path, startLine: source.startLine, endLine: source.endLine, ...(source.cell === undefined ? {} : { cell: source.cell }) });
}

function codeOf(target: Element): string | undefined {
  return target.closest('.code-block')?.querySelector('code')?.textContent ?? undefined;
}

function flashDone(buttonEl: HTMLElement): void {
  const original = buttonEl.querySelector('.codicon');
  if (!original) return;
  const done = icon('check');
  original.replaceWith(done);
  setTimeout(() => done.replaceWith(original), 1200);
}

function handleAction(actionEl: HTMLElement): void {
  const turnEl = actionEl.closest('[data-turn-id]');
  switch (actionEl.dataset.action) {
    case 'toggle-history':
      return toggleHistory();
    case 'new-chat':
      toggleHistory(false);
      post({ type: 'newChat' });
      return input.focus();
    case 'reindex':
      return post({ type: 'reindex' });
    case 'open-source':
      return openSourceOf(turnEl, Number(actionEl.dataset.source));
    case 'open-path':
      return post({ type: 'openSource', path: actionEl.dataset.path ?? '', startLine: Number(actionEl.dataset.start), endLine: Number(actionEl.dataset.end) });
    case 'copy': {
      const code = codeOf(actionEl);
      if (code === undefined) return;
      post({ type: 'copy', code });
      return flashDone(actionEl);
    }
    case 'insert': {
      const code = codeOf(actionEl);
      if (code === undefined) return;
      post({ type: 'insertAtCursor', code });
      return flashDone(actionEl);
    }
    case 'retry':
      post({ type: 'retry', turnId: actionEl.dataset.turnId ?? '' });
      return input.focus();
    case 'pull':
      return post({ type: 'pullModel', model: actionEl.dataset.model ?? '' });
    case 'open-conversation':
      toggleHistory(false);
      post({ type: 'openConversation', id: actionEl.dataset.id ?? '' });
      return input.focus();
    case 'delete-conversation':
      return post({ type: 'deleteConversation', id: actionEl.dataset.id ?? '' });
  }
}

// Links in rendered answers never navigate the webview: citations open their source, other links go
// to the host (which checks them again), and anything the policy blocks does nothing.
function handleLink(link: HTMLAnchorElement): void {
  if (link.classList.contains('citation')) return openSourceOf(link.closest('[data-turn-id]'), Number(link.dataset.source));
  const href = link.getAttribute('href');
  if (!href) return;
  if (classifyLink(href).kind !== 'blocked') post({ type: 'openLink', href });
}

document.addEventListener('click', (event) => {
  const target = event.target as Element;
  const link = target.closest('a');
  if (link) {
    event.preventDefault();
    return handleLink(link);
  }
  const actionEl = target.closest<HTMLElement>('[data-action]');
  if (actionEl && !(actionEl as HTMLButtonElement).disabled) handleAction(actionEl);
});
// Middle-click would open a link in a new window.
document.addEventListener('auxclick', (event) => {
  if ((event.target as Element).closest('a')) event.preventDefault();
});

sendButton.addEventListener('click', () => {
  if (state.streamingTurnId !== undefined) {
    stop();
    input.focus();
  } else {
    send();
  }
});

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
input.addEventListener('input', () => {
  autoGrow();
  renderComposer();
  setState({ ...state, draft: input.value });
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  if (!historyPanel.hidden) {
    toggleHistory(false);
    historyButton.focus();
  } else if (state.streamingTurnId !== undefined) {
    event.preventDefault();
    stop();
  }
});

modelPicker.addEventListener('change', () => {
  setState({ ...state, selectedModel: modelPicker.value });
  post({ type: 'selectModel', model: modelPicker.value });
});

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return;
  setState(reduce(state, message));
});

render();
autoGrow();
conversation.scrollTop = conversation.scrollHeight;
if (document.hasFocus()) input.focus();
post({ type: 'ready' });
