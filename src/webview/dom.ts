// Small DOM builders. Text always goes in as text nodes; HTML only ever comes from sanitize.ts.

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | false | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== false && child !== undefined) el.append(child);
  }
  return el;
}

export function icon(name: string, extraClass = ''): HTMLElement {
  return h('i', { class: `codicon codicon-${name}${extraClass ? ` ${extraClass}` : ''}`, 'aria-hidden': 'true' });
}

/** A button with a codicon and, unless `iconOnly`, a visible label; always labelled for screen readers. */
export function button(opts: { label: string; icon?: string; action?: string; iconOnly?: boolean; primary?: boolean; title?: string; data?: Attrs }): HTMLButtonElement {
  const cls = opts.iconOnly ? 'icon-button' : opts.primary ? 'button button-primary' : 'button button-secondary';
  const attrs: Attrs = { type: 'button', class: cls, title: opts.title ?? opts.label, 'data-action': opts.action };
  if (opts.iconOnly) attrs['aria-label'] = opts.label;
  for (const [k, v] of Object.entries(opts.data ?? {})) attrs[`data-${k}`] = v;
  return h('button', attrs, opts.icon ? icon(opts.icon) : undefined, opts.iconOnly ? undefined : h('span', {}, opts.label));
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatWhen(epochMs: number, now = Date.now()): string {
  const minutes = Math.round((now - epochMs) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return new Date(epochMs).toLocaleDateString();
}
