// The only way HTML built from model output reaches the page. markdown.ts already escapes raw
// HTML; this is the second wall, so a renderer bug cannot become script or a form.
import DOMPurify from 'dompurify';

const FORBID_TAGS = ['script', 'style', 'iframe', 'frame', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'option', 'link', 'meta', 'base', 'img', 'svg', 'math', 'video', 'audio', 'source', 'template'];
const FORBID_ATTR = ['style', 'srcset', 'action', 'formaction', 'xlink:href', 'target', 'ping'];

DOMPurify.addHook('uponSanitizeAttribute', (_node, data) => {
  // DOMPurify already drops on* handlers; keep the rule explicit in case its defaults ever change.
  if (data.attrName.toLowerCase().startsWith('on')) data.keepAttr = false;
});

export function sanitizeHtml(html: string): DocumentFragment {
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOW_DATA_ATTR: true,
    RETURN_DOM_FRAGMENT: true,
  });
}
