import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { buildHttpApp } from '../../server/http/buildHttpApp.js';
import { testLogger } from '../helpers/logger.js';

/*
 * A school on a 400 kbit/s line waited ~9 s for the page's scripts alone (414 kB). The build
 * leaves brotli and gzip copies of each page file; the app serves the one the browser accepts
 * (Chromium asks for br over HTTPS, gzip over plain HTTP) and the file itself to anyone else.
 */
const webRoot = join(import.meta.dirname, '..', '..', 'web', 'dist');
const script = readdirSync(join(webRoot, 'assets')).find((f) => /^index-.*\.js$/.test(f));

t.test(
  'page scripts are sent compressed to browsers that accept it',
  { skip: !script },
  async (t) => {
    const app = await buildHttpApp({
      logger: testLogger,
      publicUrl: 'https://hop.sogd.example.vn',
      webRoot,
      isShuttingDown: () => false,
    });
    t.teardown(() => app.close());
    const url = `/assets/${script}`;
    const plain = await app.inject({ url });
    t.equal(plain.statusCode, 200);
    t.notOk(plain.headers['content-encoding'], 'no Accept-Encoding: the file itself');

    const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    t.equal(br.headers['content-encoding'], 'br', 'brotli when accepted');
    t.match(String(br.headers.vary), /accept-encoding/i, 'caches keep the variants apart');
    t.ok(
      br.rawPayload.length < plain.rawPayload.length / 3,
      `${br.rawPayload.length} bytes of ${plain.rawPayload.length}`,
    );
    t.same(brotliDecompressSync(br.rawPayload), plain.rawPayload, 'the same script');

    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate' } });
    t.equal(
      gz.headers['content-encoding'],
      'gzip',
      'gzip over plain HTTP (Chromium sends no br there)',
    );
    t.same(gunzipSync(gz.rawPayload), plain.rawPayload, 'the same script');
  },
);
