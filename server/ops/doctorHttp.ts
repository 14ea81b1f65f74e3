import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { Config } from '../../config/index.js';

/** The doctor's own requests: HTTP(S) with extra CAs, and whether a TCP port accepts. */

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP(S) request trusting `ca` (fetch cannot be given extra CAs without undici). */
export function call(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca: string[];
    timeoutMs: number;
  },
): Promise<Answer> {
  return new Promise((done, fail) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: init.method ?? 'GET', headers: init.headers, ca: init.ca, timeout: init.timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${init.timeoutMs} ms`)));
    req.on('error', fail);
    req.end(init.body);
  });
}

/** The CAs a check trusts: the system's, plus the chain in TLS_CERT (a local CA from npm run cert). */
export function trustedCas(config: Config): string[] {
  const cas = [...rootCertificates];
  if (config.http.tlsCert && existsSync(config.http.tlsCert)) {
    const pem = readFileSync(config.http.tlsCert, 'utf8');
    cas.push(...(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []));
  }
  return cas;
}

export async function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connectTcp({ host, port });
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
