// Where a shared index bundle comes from (`lore.sharedIndex`): a file path, or an https URL that is
// downloaded into a cache with progress and a size cap, and fetched again only when it changed (ETag).
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BundleError } from './format';

export const DEFAULT_MAX_BUNDLE_BYTES = 4 * 1024 ** 3;
const MAX_REDIRECTS = 5;

export interface FetchBundleOptions {
  cacheDir: string;
  maxBytes?: number;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Extra trusted CAs (tests); otherwise Node's, plus NODE_EXTRA_CA_CERTS. */
  ca?: string;
}

/** The local path of the bundle `source` names, downloading it first when it is an https URL. */
export async function fetchBundle(source: string, options: FetchBundleOptions): Promise<string> {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const file = path.resolve(source);
    if (!(await fs.stat(file).catch(() => undefined))?.isFile()) throw new BundleError(`no bundle file at ${file}`);
    return file;
  }
  const url = new URL(source);
  if (url.protocol !== 'https:') throw new BundleError(`only https:// URLs are fetched, not ${url.protocol}//`);
  await fs.mkdir(options.cacheDir, { recursive: true });
  const file = path.join(options.cacheDir, `${createHash('sha256').update(source).digest('hex').slice(0, 16)}.lorepack`);
  const etagFile = `${file}.etag`;
  const cached = (await fs.stat(file).catch(() => undefined))?.isFile();
  const etag = cached ? await fs.readFile(etagFile, 'utf8').catch(() => undefined) : undefined;
  const draft = `${file}.download-${process.pid}`;
  try {
    const response = await get(url, etag, options, MAX_REDIRECTS);
    if (response.statusCode === 304) {
      response.resume();
      return file;
    }
    if (response.statusCode !== 200) {
      response.resume();
      throw new BundleError(`${url.host} answered HTTP ${response.statusCode}`);
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
    const total = Number(response.headers['content-length']) || undefined;
    if (total !== undefined && total > maxBytes) {
      response.destroy();
      throw new BundleError(`it is ${formatMiB(total)}, over the ${formatMiB(maxBytes)} limit`);
    }
    let received = 0;
    await pipeline(
      response,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const piece of source) {
          received += piece.length;
          if (received > maxBytes) throw new BundleError(`it is over the ${formatMiB(maxBytes)} limit`);
          options.onProgress?.(received, total);
          yield piece;
        }
      },
      createWriteStream(draft),
      { signal: options.signal },
    );
    await fs.rename(draft, file);
    const newTag = response.headers.etag;
    if (newTag) await fs.writeFile(etagFile, newTag);
    else await fs.rm(etagFile, { force: true });
    return file;
  } catch (err) {
    if (err instanceof BundleError || options.signal?.aborted) throw err;
    throw new BundleError(`it could not be downloaded from ${url.host} (${(err as Error).message})`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}

function get(url: URL, etag: string | undefined, options: FetchBundleOptions, redirectsLeft: number): Promise<import('node:http').IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { headers: etag ? { 'If-None-Match': etag } : {}, signal: options.signal, ca: options.ca }, (response) => {
      const location = response.headers.location;
      if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && response.statusCode !== 304 && location) {
        response.resume();
        if (redirectsLeft <= 0) return reject(new BundleError('it redirects too many times'));
        const next = new URL(location, url);
        if (next.protocol !== 'https:') return reject(new BundleError(`it redirects to ${next.protocol}//, not https`));
        resolve(get(next, etag, options, redirectsLeft - 1));
        return;
      }
      resolve(response);
    });
    request.on('error', reject);
  });
}

function formatMiB(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${Math.round(bytes / 1024 / 1024)} MiB`;
}
