import { X509Certificate } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Config } from '../../config/index.js';
import type { Logger } from '../logger.js';
import { REQUEST_TIMEOUT_MS, requestCheckInterval } from './requestTimeout.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Start-up refused because https was asked for without what it needs; the message says what to set. */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError';
}

/**
 * Whether this process serves https itself: the PEM files when TLS_CERT/TLS_KEY are set.
 * An https PUBLIC_URL with no certificate is refused unless a reverse proxy (TRUSTED_PROXIES)
 * serves https in front: otherwise sites would get links that nothing answers.
 */
export function tlsFilesFor(http: Config['http']): TlsFiles | undefined {
  if (http.tlsCert && http.tlsKey) return { certFile: http.tlsCert, keyFile: http.tlsKey };
  if (http.publicUrl?.startsWith('https:') && http.trustedProxies.length === 0) {
    throw new TlsSetupError(
      `PUBLIC_URL is https (${http.publicUrl}) but no certificate is given. Set TLS_CERT and TLS_KEY ` +
        '(PEM files; for a LAN pilot "npm run cert -- <host or IP>" makes them), or serve https from ' +
        'a reverse proxy and set TRUSTED_PROXIES to its address.',
    );
  }
  return undefined;
}

interface Pem {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
  subject: string;
}

async function readPem(files: TlsFiles): Promise<Pem> {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = await readFile(files.certFile);
  } catch (err) {
    throw new TlsSetupError(
      `TLS_CERT: cannot read ${files.certFile} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    key = await readFile(files.keyFile);
  } catch (err) {
    throw new TlsSetupError(
      `TLS_KEY: cannot read ${files.keyFile} (${(err as NodeJS.ErrnoException).code}); the key file must be readable by the service's user`,
    );
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsSetupError(`TLS_CERT: ${files.certFile} is not a PEM certificate`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsSetupError(
      `TLS_KEY: ${files.keyFile} does not fit the certificate ${files.certFile} (${(err as Error).message})`,
    );
  }
  return { cert, key, notAfter: new Date(x509.validTo), subject: x509.subject };
}

const DAY = 86_400_000;

/**
 * The https server of a process that serves TLS itself. The files are polled (a renewal that
 * swaps a symlink or rewrites in place is both seen) and a new pair is taken without a restart;
 * a broken pair is refused and the old one kept.
 */
export class TlsServer {
  private closed = false;

  private constructor(
    readonly server: HttpsServer,
    private readonly files: TlsFiles,
    private readonly logger: Logger,
  ) {}

  static async create(files: TlsFiles, logger: Logger, pollMs = 2000): Promise<TlsServer> {
    const pem = await readPem(files);
    const log = logger.child({ component: 'tls' });
    TlsServer.warnExpiry(pem, log);
    const server = createHttpsServer({
      cert: pem.cert,
      key: pem.key,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: requestCheckInterval(REQUEST_TIMEOUT_MS),
    });
    const tls = new TlsServer(server, files, log);
    const onChange = () => void tls.reload();
    watchFile(files.certFile, { interval: pollMs, persistent: false }, onChange);
    watchFile(files.keyFile, { interval: pollMs, persistent: false }, onChange);
    server.once('close', () => tls.close());
    return tls;
  }

  private static warnExpiry(pem: Pem, log: Logger): void {
    const days = Math.floor((pem.notAfter.getTime() - Date.now()) / DAY);
    if (days < 0)
      log.error({ notAfter: pem.notAfter, subject: pem.subject }, 'TLS certificate has expired');
    else if (days < 21) log.warn({ notAfter: pem.notAfter, days }, 'TLS certificate expires soon');
  }

  /** Fastify's serverFactory: the https server with Fastify's handler attached. */
  factory(): (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server {
    return (handler) => {
      this.server.on('request', handler);
      // Fastify's type is the http server; an https server answers the same calls.
      return this.server as unknown as Server;
    };
  }

  /** Reads the files again and serves the new pair; a broken pair is logged and not taken. */
  async reload(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const pem = await readPem(this.files);
      this.server.setSecureContext({ cert: pem.cert, key: pem.key });
      this.logger.info(
        { notAfter: pem.notAfter, subject: pem.subject },
        'TLS certificate reloaded',
      );
      TlsServer.warnExpiry(pem, this.logger);
      return true;
    } catch (err) {
      this.logger.error(
        { reason: (err as Error).message },
        'new TLS certificate not taken, still serving the previous one',
      );
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    unwatchFile(this.files.certFile);
    unwatchFile(this.files.keyFile);
  }
}
