// Secrets never reach the index: files that hold credentials are not read at all (isSecretPath),
// and credentials pasted into ordinary files are masked before chunking (maskSecrets).

/** Data and config extensions: `credentials.json` holds credentials, `credentials.ts` holds code. */
const DATA_EXTENSIONS = '(?:\\.(?:json|ya?ml|toml|ini|xml|txt|csv|conf|cfg|properties|env|plist))?';

/** Matched against the lower-cased file name. */
const SECRET_FILE_NAMES: readonly RegExp[] = [
  /^\.env$/,
  /^\.env\.(?!(?:example|sample|template)$).+$/,
  /^\.envrc$/,
  /\.(?:pem|key|p12|pfx|p8|ppk|keystore|jks|tfstate|tfvars)$/,
  /\.(?:tfstate\.backup|tfvars\.json)$/,
  /^id_(?:rsa|dsa|ecdsa|ed25519)/,
  /^(?:\.npmrc|\.pypirc|\.netrc|_netrc|\.pgpass|\.git-credentials|\.htpasswd|\.dockercfg|kubeconfig)$/,
  new RegExp(`^credentials${DATA_EXTENSIONS}$`),
  new RegExp(`^secrets?${DATA_EXTENSIONS}$`),
  /^service[-_]?account.*\.json$/,
];

/** Matched against the whole lower-cased relative path: folders whose every file is a credential. */
const SECRET_PATHS: readonly RegExp[] = [
  /(?:^|\/)\.ssh\//,
  /(?:^|\/)\.gnupg\//,
  /(?:^|\/)\.docker\/config\.json$/,
  /(?:^|\/)\.kube\/config$/,
];

/** True for files that hold credentials by their nature; they are never read, whatever their content. */
export function isSecretPath(relPath: string): boolean {
  const lower = relPath.toLowerCase();
  const name = lower.slice(lower.lastIndexOf('/') + 1);
  return SECRET_FILE_NAMES.some((re) => re.test(name)) || SECRET_PATHS.some((re) => re.test(lower));
}

interface SecretRule {
  kind: string;
  /**
   * Global regex with a named group `secret` (what is masked) and optionally `pre` (kept: the part
   * that shows what was there). To stay linear on hostile input, a rule starts with a literal or a
   * lookbehind that allows only one attempt per run of token characters.
   */
  pattern: RegExp;
  /** Rejects matches that are not really secrets (placeholders, ordinary words). */
  accept?: (secret: string) => boolean;
  /**
   * Found in every match: a quick test that spares most files the full pattern, whose leading
   * lookbehind makes the regex engine try it at every position.
   */
  hint?: RegExp;
}

const mixesCaseAndDigits = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);

const SECRET_RULES: readonly SecretRule[] = [
  { kind: 'aws-access-key-id', pattern: /(?<![A-Z0-9])(?<secret>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])/g, hint: /AKIA|ASIA/ },
  {
    kind: 'aws-secret-key',
    pattern: /(?<pre>(?:(?:aws_?)?secret_?access_?key|aws_?secret_?key)["']?\s{0,8}(?::=|=>|[:=])\s{0,8}["']?)(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
  },
  { kind: 'github-token', pattern: /(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g, hint: /gh[pousr]_|github_pat_/ },
  { kind: 'gitlab-token', pattern: /(?<![A-Za-z0-9_-])(?<secret>glpat-[A-Za-z0-9_-]{20,})/g, hint: /glpat-/ },
  { kind: 'slack-token', pattern: /(?<![A-Za-z0-9_-])(?<secret>xox[abprs]-[A-Za-z0-9-]{10,})/g, hint: /xox[abprs]-/ },
  { kind: 'slack-webhook', pattern: /(?<pre>https:\/\/hooks\.slack\.com\/services\/)(?<secret>[A-Za-z0-9_/]{20,})/g },
  { kind: 'stripe-key', pattern: /(?<![A-Za-z0-9_])(?<secret>(?:sk|rk)_live_[A-Za-z0-9]{10,})/g, hint: /[sr]k_live_/ },
  { kind: 'google-api-key', pattern: /(?<![A-Za-z0-9_-])(?<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, hint: /AIza/ },
  { kind: 'anthropic-key', pattern: /(?<![A-Za-z0-9_-])(?<secret>sk-ant-[A-Za-z0-9_-]{20,})/g, hint: /sk-ant-/ },
  {
    kind: 'openai-key',
    pattern: /(?<![A-Za-z0-9_-])(?<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})/g,
    hint: /sk-/,
    // `sk-` also starts CSS class names and slugs; real keys mix cases and digits.
    accept: mixesCaseAndDigits,
  },
  { kind: 'npm-token', pattern: /(?<![A-Za-z0-9_])(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/g, hint: /npm_/ },
  { kind: 'jwt', pattern: /(?<![A-Za-z0-9_-])(?<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,})/g, hint: /eyJ/ },
  {
    kind: 'url-password',
    pattern: /(?<![A-Za-z0-9+.-])(?<pre>[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:@/]{0,256}:)(?<secret>[^\s@/]{1,256})(?=@)/g,
    hint: /:\/\/[^\s:@/]{0,256}:[^\s@/]{1,256}@/,
    accept: (password) => !isPlaceholder(password),
  },
  {
    kind: 'assigned-secret',
    pattern:
      /(?<pre>(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[\w-]{0,24}["']?\s{0,8}(?::=|=>|[:=])\s{0,8}(?<q>["'`]))(?<secret>[^"'`\s\\]{12,512})(?=\k<q>)/gi,
    accept: looksRandom,
  },
];

function isPlaceholder(value: string): boolean {
  return /^(?:\$|<|\{|%\(|\*+$|x+$|password$|pass$|secret$|changeme$)/i.test(value) || value.includes('${') || value.includes('{{');
}

/** A quoted value that is a credential rather than a word, a path, a URL or a template. */
function looksRandom(value: string): boolean {
  if (isPlaceholder(value) || value.includes('«') || value.includes('://') || /^[~.]{0,2}\//.test(value)) return false;
  return /[A-Za-z]/.test(value) && /[0-9]/.test(value) && shannonEntropy(value) >= 3;
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function marker(kind: string): string {
  return `«secret:${kind}»`;
}

const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PRIVATE_KEY_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
/** Base64 lines after a BEGIN whose END is missing (a truncated paste is still a secret). */
const BASE64_LINES = /[^\n]*\n(?:[ \t]*[A-Za-z0-9+/=]+[ \t]*\n){0,400}/y;
/** The longest span taken as one key: an 8192-bit RSA key in PEM is about 6.5 KB. */
const MAX_KEY_SPAN = 64 * 1024;

/**
 * Masks PEM private-key blocks, multi-line or with escaped `\n` inside a string. One pass over
 * BEGIN markers and one over END markers, so hostile input costs linear time.
 */
function maskPrivateKeys(text: string): { text: string; masked: number } {
  if (!text.includes('PRIVATE KEY')) return { text, masked: 0 };
  const parts: string[] = [];
  let masked = 0;
  let copiedUpTo = 0;
  let end: RegExpExecArray | null | undefined;
  PRIVATE_KEY_BEGIN.lastIndex = 0;
  for (let begin = PRIVATE_KEY_BEGIN.exec(text); begin; begin = PRIVATE_KEY_BEGIN.exec(text)) {
    const start = begin.index;
    if (end !== null && (!end || end.index < start)) {
      PRIVATE_KEY_END.lastIndex = start + begin[0].length;
      end = PRIVATE_KEY_END.exec(text);
    }
    let stop: number;
    if (end && end.index - start <= MAX_KEY_SPAN) {
      stop = end.index + end[0].length;
    } else {
      BASE64_LINES.lastIndex = start;
      stop = BASE64_LINES.test(text) ? BASE64_LINES.lastIndex : text.length;
      // Keep the newline that ends the masked run so the next line stays where it was.
      if (text[stop - 1] === '\n') stop--;
    }
    const span = text.slice(start, stop);
    parts.push(text.slice(copiedUpTo, start), marker('private-key'), '\n'.repeat(countNewlines(span)));
    copiedUpTo = stop;
    masked++;
    PRIVATE_KEY_BEGIN.lastIndex = stop;
  }
  if (!masked) return { text, masked };
  parts.push(text.slice(copiedUpTo));
  return { text: parts.join(''), masked };
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Masks high-confidence secrets, replacing each with `«secret:<kind>»`. Line structure is kept
 * (same number of lines) so chunk line numbers still point at the right place in the file.
 */
export function maskSecrets(text: string): { text: string; masked: number } {
  const keys = maskPrivateKeys(text);
  let result = keys.text;
  let masked = keys.masked;
  for (const rule of SECRET_RULES) {
    if (rule.hint && !rule.hint.test(result)) continue;
    result = result.replace(rule.pattern, (match: string, ...args: unknown[]) => {
      const groups = args[args.length - 1] as { pre?: string; secret: string };
      if (rule.accept && !rule.accept(groups.secret)) return match;
      masked++;
      return (groups.pre ?? '') + marker(rule.kind);
    });
  }
  return { text: result, masked };
}
