// lore.sharedIndex's source: a path, or an https URL fetched with a size cap and ETag caching.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fetchBundle } from '../../../src/core/bundle';
import { REPO } from '../../support/cli';
import { makeTempDir, removeDir } from '../../support/tempTree';

const TLS = path.join(REPO, 'test/fixtures/tls');
const BODY = Buffer.alloc(300_000, 7);

describe('fetchBundle', () => {
  let server: https.Server;
  let base: string;
  let dir: string;
  const seen: Array<{ url: string; ifNoneMatch?: string }> = [];

  before(async () => {
    server = https.createServer({ key: readFileSync(path.join(TLS, 'server.key')), cert: readFileSync(path.join(TLS, 'server.pem')) }, (req, res) => {
      seen.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'] });
      if (req.url === '/bundle') {
        if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
        res.writeHead(200, { 'Content-Length': BODY.length, ETag: '"v1"' }).end(BODY);
      } else if (req.url === '/moved') res.writeHead(302, { Location: '/bundle' }).end();
      else if (req.url === '/to-http') res.writeHead(302, { Location: 'http://127.0.0.1:1/bundle' }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    dir = makeTempDir('lore-fetch-');
    seen.length = 0;
  });
  afterEach(() => removeDir(dir));

  const options = () => ({ cacheDir: dir, ca: readFileSync(path.join(TLS, 'ca.pem'), 'utf8') });

  it('downloads with progress, then answers from the cache while the ETag holds', async () => {
    const progress: number[] = [];
    const file = await fetchBundle(`${base}/bundle`, { ...options(), onProgress: (received) => progress.push(received) });
    assert.deepEqual(readFileSync(file), BODY);
    assert.equal(progress.at(-1), BODY.length);
    const again = await fetchBundle(`${base}/bundle`, options());
    assert.equal(again, file);
    assert.equal(seen.at(-1)?.ifNoneMatch, '"v1"');
  });

  it('follows https redirects, and refuses plain http, redirects to it, errors and bundles over the cap', async () => {
    assert.deepEqual(readFileSync(await fetchBundle(`${base}/moved`, options())), BODY);
    await assert.rejects(fetchBundle('http://127.0.0.1:1/bundle', options()), /only https:\/\/ URLs/);
    await assert.rejects(fetchBundle(`${base}/to-http`, options()), /redirects to http:\/\/, not https/);
    await assert.rejects(fetchBundle(`${base}/missing`, options()), /answered HTTP 404/);
    await assert.rejects(fetchBundle(`${base}/bundle`, { ...options(), maxBytes: 1000 }), /it is 293 KiB, over the 1 KiB limit/);
  });

  it('takes a local path as it is, and names a missing one', async () => {
    const local = path.join(dir, 'team.lorepack');
    writeFileSync(local, 'x');
    assert.equal(await fetchBundle(local, options()), local);
    await assert.rejects(fetchBundle(path.join(dir, 'nope.lorepack'), options()), /no bundle file at/);
  });
});
