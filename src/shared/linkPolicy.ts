// Which links in model output may do anything. Shared by the webview (to render and post only
// acceptable links) and the host (which checks again: the webview renders untrusted text).
// Pure string logic: no DOM, no Node, no vscode.

export type LinkTarget =
  | { kind: 'external'; url: string }
  /** A path relative to a workspace folder, or an absolute `file:` path the host must check. */
  | { kind: 'file'; path: string; absolute: boolean; startLine?: number; endLine?: number }
  | { kind: 'blocked'; reason: string };

// Browsers drop ASCII tab/newline anywhere in a URL and trim C0 controls and spaces at its ends,
// so `java\nscript:` is `javascript:`; classify what the browser would see.
const URL_IGNORED_INSIDE = /[\t\n\r]/g;
const URL_TRIMMED_AT_ENDS = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;
/** `#L10`, `#L10-L20`, `#L10-20` (GitHub style) or `:10`, `:10-20` after a path. */
const LINE_FRAGMENT = /#L(\d+)(?:-L?(\d+))?$/;
const LINE_SUFFIX = /:(\d+)(?:-(\d+))?$/;

export function classifyLink(rawHref: string): LinkTarget {
  const href = rawHref.replace(URL_IGNORED_INSIDE, '').replace(URL_TRIMMED_AT_ENDS, '');
  if (!href) return { kind: 'blocked', reason: 'empty link' };
  if (href.startsWith('#')) return { kind: 'blocked', reason: 'in-page anchor' };
  if (href.startsWith('//') || href.startsWith('\\\\')) return { kind: 'blocked', reason: 'network path' };

  // A drive letter looks like a one-letter scheme; it is an absolute Windows path.
  if (WINDOWS_DRIVE.test(href)) return withLines(href, true);

  const scheme = SCHEME.exec(href)?.[1].toLowerCase();
  if (scheme === undefined) return withLines(href, false);
  if (scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return { kind: 'blocked', reason: 'malformed URL' };
    }
    if (!url.hostname) return { kind: 'blocked', reason: 'URL without host' };
    // `https://trusted.com@evil.com` shows one host and opens another.
    if (url.username || url.password) return { kind: 'blocked', reason: 'URL with credentials' };
    return { kind: 'external', url: url.href };
  }
  if (scheme === 'file') {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return { kind: 'blocked', reason: 'malformed URL' };
    }
    if (url.hostname) return { kind: 'blocked', reason: 'remote file' };
    const lines = LINE_FRAGMENT.exec(url.hash);
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return { kind: 'blocked', reason: 'malformed URL' };
    }
    // file:///C:/x arrives as /C:/x.
    if (/^\/[a-zA-Z]:\//.test(path)) path = path.slice(1);
    return lineRange({ kind: 'file', path, absolute: true }, lines);
  }
  return { kind: 'blocked', reason: `${scheme}: links are not opened` };
}

function withLines(href: string, absolute: boolean): LinkTarget {
  let rest = href.split('?')[0];
  let lines = LINE_FRAGMENT.exec(rest);
  if (lines) {
    rest = rest.slice(0, lines.index);
  } else {
    rest = rest.split('#')[0];
    lines = LINE_SUFFIX.exec(rest);
    if (lines) rest = rest.slice(0, lines.index);
  }
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    path = rest;
  }
  if (!absolute && (path.startsWith('/') || path.startsWith('\\'))) absolute = true;
  if (!absolute) {
    const relative = normalizeRelativePath(path);
    if (relative === undefined) return { kind: 'blocked', reason: 'path leaves the workspace' };
    path = relative;
  }
  return lineRange({ kind: 'file', path, absolute }, lines);
}

function lineRange(target: Extract<LinkTarget, { kind: 'file' }>, lines: RegExpExecArray | null): LinkTarget {
  if (!lines) return target;
  const startLine = Number(lines[1]);
  const endLine = lines[2] === undefined ? startLine : Number(lines[2]);
  if (startLine < 1) return target;
  return { ...target, startLine, endLine: Math.max(startLine, endLine) };
}

/**
 * Normalises a path meant to be relative to a workspace folder: backslashes become `/`, `.` and
 * inner `..` segments are resolved. Returns undefined for anything that is absolute, empty, holds
 * a NUL, or climbs above its folder, so the caller never joins it onto a root.
 */
export function normalizeRelativePath(path: string): string | undefined {
  if (!path || path.includes('\0')) return undefined;
  const slashed = path.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return undefined;
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.length ? segments.join('/') : undefined;
}
