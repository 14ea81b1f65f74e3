import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { chromium } from 'playwright-core';
import t from 'tap';
import { makeLocalCertificates } from '../../server/ops/certificates.js';
import { chromiumFlags, tempDir, waitFor } from '../helpers/browser.js';
import { startEndpoint } from '../helpers/endpoints.js';
import { createSiteNamespace, netnsUnavailable } from '../helpers/netns.js';
import { freePort } from '../helpers/ports.js';
import { startServiceStack } from '../helpers/serviceStack.js';

/*
 * HTTPS without a proxy, on a LAN: `npm run cert`'s code makes a local CA and a certificate
 * for the server's address; the service serves pages, API and signaling on it (TLS_CERT,
 * TLS_KEY). A site's Chromium in another network namespace (another address) trusts the CA
 * (by its SPKI hash, as a site's computer would after importing it): without that it refuses
 * the page; with it the technician's page opens over https, is a secure context, sends its
 * camera and connects. A certificate renewed on disk is served without a restart.
 */

const unavailable = netnsUnavailable();

/** base64(SHA-256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list takes. */
function spkiHash(pemFile: string): string {
  const cert = new X509Certificate(readFileSync(pemFile));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

function servedFingerprint(host: string, port: number, ca: string): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connectTls({
      host,
      port,
      ca,
      servername: undefined,
      checkServerIdentity: () => undefined,
    });
    socket.once('secureConnect', () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      const authorized = socket.authorized;
      socket.end();
      authorized ? ok(fp) : fail(new Error(`not authorized: ${socket.authorizationError}`));
    });
    socket.once('error', fail);
  });
}

t.test(
  'a site joins over https from another address, trusting the local CA',
  { skip: unavailable },
  async (t) => {
    t.setTimeout(90_000);
    const ns = createSiteNamespace(t, { prefix: 'ops', subnet: 207 });
    const certs = await makeLocalCertificates({
      hosts: [ns.hostIp, 'localhost'],
      dir: tempDir(t, 'diemcau-tls-'),
    });
    t.ok(certs.newCa, 'a new local CA');
    const port = await freePort();
    const base = `https://${ns.hostIp}:${port}`;
    const stack = await startServiceStack(t, {
      HOST: '0.0.0.0',
      PORT: String(port),
      PUBLIC_URL: base,
      TLS_CERT: certs.serverCert,
      TLS_KEY: certs.serverKey,
      RTC_LISTEN_IP: '0.0.0.0',
      ANNOUNCED_ADDRESS: ns.hostIp,
    });
    const ca = readFileSync(certs.caCert, 'utf8');
    const plain = await fetch(`http://${ns.hostIp}:${port}/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    t.not(plain, 200, 'no plain http on the port');

    const launch = async (extra: string[]) => {
      const browser = await chromium.launch({
        executablePath: ns.chromium,
        headless: true,
        args: [...chromiumFlags, ...extra],
      });
      t.teardown(() => browser.close());
      return browser;
    };

    // Without trusting the CA, the page is refused.
    const untrusting = await launch([]);
    const page0 = await (await untrusting.newContext()).newPage();
    const refused = await page0.goto(`${base}/health`).then(
      () => 'opened',
      (err: Error) => err.message,
    );
    t.match(refused, /ERR_CERT_AUTHORITY_INVALID/, 'an untrusted CA is refused');
    await untrusting.close();

    // Trusting the CA (its SPKI hash; the server sends its certificate and the CA's).
    const browser = await launch([
      `--ignore-certificate-errors-spki-list=${spkiHash(certs.caCert)}`,
    ]);
    const site = stack.districts[0]!;
    const endpoint = await startEndpoint(browser, base, 'site-https', {
      token: stack.tokenOf('technician', site.id),
      camera: { width: 320, height: 240 },
      microphone: true,
    });
    const facts = await endpoint.page.evaluate(() => ({
      protocol: location.protocol,
      secure: window.isSecureContext,
      media: typeof navigator.mediaDevices?.getUserMedia,
    }));
    t.same(
      facts,
      { protocol: 'https:', secure: true, media: 'function' },
      'a secure context with the camera',
    );
    const me = await endpoint.page.evaluate(
      async (token) => {
        const res = await fetch('/api/me/meeting', {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.status, body: (await res.json()) as { kind?: string } };
      },
      stack.tokenOf('technician', site.id),
    );
    t.equal(me.status, 200, 'the API answers over https');
    const online = await waitFor(
      async () => {
        const res = await stack.service.app.inject({
          method: 'GET',
          url: `/api/meetings/${stack.meeting.id}/readiness`,
          headers: { cookie: stack.adminCookie },
        });
        const board = res.json() as { sites: { siteId: string; online: boolean }[] };
        return board.sites.find((s) => s.siteId === site.id)?.online;
      },
      15_000,
      'the site online on the IT board',
    );
    t.ok(online, 'signaling (wss) connected the site: online on the board');
    const seen = await endpoint.page.evaluate(() => window.harness.client()?.connectionState);
    t.equal(seen, 'connected', 'media transport connected from the other address');

    // Renewal: a new server certificate (same CA) on disk is served without a restart.
    const first = await servedFingerprint(ns.hostIp, port, ca);
    await makeLocalCertificates({ hosts: [ns.hostIp, 'localhost'], dir: certs.dir });
    const renewed = await waitFor(
      async () => {
        const fp = await servedFingerprint(ns.hostIp, port, ca);
        return fp !== first ? fp : undefined;
      },
      10_000,
      'the renewed certificate served',
      250,
    );
    t.equal(
      renewed,
      new X509Certificate(readFileSync(certs.serverCert)).fingerprint256,
      'the new file is served',
    );
    await endpoint.close();
  },
);
