// Reading a file for indexing: only text is indexed, and every failure is a reason, never an exception,
// because files change under the indexer all the time (saves, checkouts, builds).
import { constants, promises as fs } from 'node:fs';

/** Why a file was not read. `absent`: no regular file at that path (gone, a folder, a pipe), so nothing to index rather than a problem to report. */
export type ReadFailure = { ok: false; reason: string; absent?: true };

export type ReadResult =
  /** `size` and `mtimeMs` are those of the file that was read, from the open handle. */
  | { ok: true; text: string; size: number; mtimeMs: number }
  | ReadFailure;

export type BytesResult = { ok: true; bytes: Buffer; size: number; mtimeMs: number } | ReadFailure;

/** Bytes sampled for the control-character test: enough to see a binary header, cheap on a big file. */
const CONTROL_SAMPLE_CHARS = 64 * 1024;
/** Text has almost no control characters besides whitespace; binary formats are full of them. */
const MAX_CONTROL_RATIO = 0.1;
/** Invalid UTF-8 above this share of the characters: not text in some other encoding, but binary. */
const MAX_INVALID_UTF8_RATIO = 0.25;

/** Human-readable size, in the same 1024-based units as the `lore.maxFileSizeKB` setting. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}

export function tooLargeReason(size: number, maxFileBytes: number): string {
  const [shown, limit] = [formatBytes(size), formatBytes(maxFileBytes)];
  // Just over the limit, rounding would print the same size twice.
  if (shown === limit) return `too large: ${size} bytes (limit ${maxFileBytes} bytes)`;
  return `too large: ${shown} (limit ${limit})`;
}

export function assertValidMaxFileBytes(maxFileBytes: number): void {
  if (!Number.isFinite(maxFileBytes) || maxFileBytes < 0) {
    throw new RangeError(`maxFileBytes must be a non-negative number of bytes, got ${maxFileBytes}`);
  }
}

/**
 * Reads a file for indexing: size cap, binary detection, decoding (UTF-8 with or without BOM,
 * UTF-16 LE/BE with BOM), line endings normalised to LF. Never rejects because of the file.
 */
export async function readTextFile(absPath: string, maxFileBytes: number): Promise<ReadResult> {
  const read = await readFileBytes(absPath, maxFileBytes);
  if (!read.ok) return read;
  const decoded = decodeText(read.bytes);
  return typeof decoded === 'string' ? { ok: true, text: decoded, size: read.size, mtimeMs: read.mtimeMs } : decoded;
}

/** Reads a file's bytes (a PDF, a Word document) with the size cap. Never rejects because of the file. */
export async function readFileBytes(absPath: string, maxFileBytes: number): Promise<BytesResult> {
  assertValidMaxFileBytes(maxFileBytes);
  let handle: fs.FileHandle;
  try {
    // Non-blocking open: opening a FIFO for reading would otherwise wait for a writer forever.
    handle = await fs.open(absPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return readError(err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: 'not a regular file', absent: true };
    if (stat.size > maxFileBytes) return { ok: false, reason: tooLargeReason(stat.size, maxFileBytes) };
    const bytes = await readAtMost(handle, maxFileBytes + 1, stat.size);
    // The file grew after the size check.
    if (bytes.length > maxFileBytes) return { ok: false, reason: tooLargeReason((await handle.stat()).size, maxFileBytes) };
    return { ok: true, bytes, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (err) {
    return readError(err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readAtMost(handle: fs.FileHandle, limit: number, expectedSize: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.min(limit, expectedSize + 1));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= limit) break;
      const grown = Buffer.allocUnsafe(Math.min(limit, buffer.length * 2));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** Decodes file bytes as text, or says why they are not text. */
function decodeText(bytes: Uint8Array): string | { ok: false; reason: string } {
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = new TextDecoder('utf-16le', { ignoreBOM: true }).decode(bytes.subarray(2));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = decodeUtf16be(bytes.subarray(2));
  } else {
    const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    const body = hasBom ? bytes.subarray(3) : bytes;
    if (body.includes(0)) return { ok: false, reason: 'binary file (contains NUL bytes)' };
    const utf8 = decodeUtf8(body);
    if (utf8 === undefined) return { ok: false, reason: 'binary file (not valid UTF-8 text)' };
    text = utf8;
  }
  if (text.includes('\0')) return { ok: false, reason: 'binary file (contains NUL characters)' };
  if (controlRatio(text) > MAX_CONTROL_RATIO) return { ok: false, reason: 'binary file (mostly control characters)' };
  // Lone CR too: editors count it as a line break, and chunk line numbers must match the editor's.
  return text.replace(/\r\n?/g, '\n');
}

/** Valid UTF-8, or mostly valid with U+FFFD for the bad bytes (a Latin-1 accent); undefined when mostly invalid. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const invalid = countOccurrences(text, '\uFFFD') - countEncodedReplacementChars(bytes);
    return invalid / text.length > MAX_INVALID_UTF8_RATIO ? undefined : text;
  }
}

function decodeUtf16be(bytes: Uint8Array): string {
  const even = bytes.length - (bytes.length % 2);
  const swapped = Buffer.from(bytes.subarray(0, even)).swap16();
  const text = new TextDecoder('utf-16le', { ignoreBOM: true }).decode(swapped);
  return even < bytes.length ? text + '\uFFFD' : text;
}

function countOccurrences(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/** U+FFFD that the file really contains (EF BF BD) is not a decoding error. */
function countEncodedReplacementChars(bytes: Uint8Array): number {
  const needle = Buffer.from([0xef, 0xbf, 0xbd]);
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 3)) n++;
  return n;
}

/** Share of control characters other than whitespace and ESC (ANSI colours in logs) in the first 64K chars. */
function controlRatio(text: string): number {
  const length = Math.min(text.length, CONTROL_SAMPLE_CHARS);
  if (length === 0) return 0;
  let control = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x0d && c !== 0x1b) || c === 0x7f) control++;
  }
  return control / length;
}

function readError(err: unknown): ReadFailure {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return { ok: false, reason: 'file no longer exists', absent: true };
    case 'ENOTDIR': // a folder on the path is now a file
      return { ok: false, reason: 'could not be read (ENOTDIR)', absent: true };
    case 'EACCES':
    case 'EPERM':
      return { ok: false, reason: 'permission denied' };
    case 'EISDIR':
      return { ok: false, reason: 'is a folder, not a file', absent: true };
    default:
      return { ok: false, reason: `could not be read (${code ?? (err instanceof Error ? err.message : String(err))})` };
  }
}
